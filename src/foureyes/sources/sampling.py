"""The sampling rule every source shares, so that files, folders and streams agree.

A frame is a sample when its stream time reaches the next multiple of ``1 / sample_fps``
past the first frame's time. The rule looks only at stream timestamps, never at frame
counts or the wall clock, so a variable frame rate, dropped frames or timestamps that
are not exact multiples of the period still give one sample per period; and because it
is a pure function of the timestamps, a resumed run that skips ``k`` samples sees exactly
the samples ``k, k+1, …`` of an uninterrupted run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

__all__ = ["Sampler", "check_sample_fps", "select_samples"]

# Timestamps are integer ticks of a time base: Matroska, FLV and RTMP count milliseconds,
# so a 30 fps frame meant for 1/30 s sits at 0.033 s, a third of a millisecond short of the
# boundary. A frame that early still counts as reaching it; real frame spacing is far
# larger. For absurd sample rates the slack shrinks to a tenth of the period.
_TOLERANCE_SECONDS = 0.001
_TOLERANCE_PERIODS = 0.1


def check_sample_fps(sample_fps: float) -> float:
    """Reject rates that would make the rule meaningless (zero, negative, NaN, infinite)."""
    if not (isinstance(sample_fps, int | float) and math.isfinite(sample_fps) and sample_fps > 0):
        raise ValueError(f"sample_fps must be a positive number, got {sample_fps!r}")
    return float(sample_fps)


class Sampler:
    """Decides, frame by frame, which decoded frames are samples.

    Feed it every decoded frame's timestamp in stream order. It is stateful only so that
    sources can decide before converting pixels; :func:`select_samples` is the same rule
    over a whole sequence.
    """

    __slots__ = ("_due", "_period_rate", "_slack", "_t0", "taken")

    def __init__(self, sample_fps: float) -> None:
        self._period_rate = check_sample_fps(sample_fps)
        self._slack = min(_TOLERANCE_SECONDS * self._period_rate, _TOLERANCE_PERIODS)
        self._t0: float | None = None
        self._due = 0  # the multiple of the period the next sample must reach
        self.taken = 0  # samples selected so far

    def offer(self, ts: float) -> bool:
        """Return True when the frame at stream time ``ts`` is a sample."""
        if self._t0 is None:
            self._t0 = ts
        position = (ts - self._t0) * self._period_rate + self._slack
        if position < self._due:
            return False
        # After a gap (a stall, a variable frame rate) several multiples may have passed;
        # the next sample is due at the first multiple after this frame, not one per
        # missed period, so the samples never bunch up.
        self._due = math.floor(position) + 1
        self.taken += 1
        return True


def select_samples(timestamps: Iterable[float], sample_fps: float) -> Iterator[int]:
    """Yield the positions of the samples among ``timestamps`` (in stream order)."""
    sampler = Sampler(sample_fps)
    for position, ts in enumerate(timestamps):
        if sampler.offer(ts):
            yield position
