"""Find the moment a meter's display comes to rest after a sampled frame.

A sample caught while digits roll shows parts of two values. The frames that follow show
the roll finishing: the first of them after which the region's pixels stop changing shows
the roll's new value, whatever the meter's rhythm, so it can be read in the sample's
place. Motion is measured as the share of pixels whose brightness jumps by more than
compression or sensor noise would make it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from foureyes.model import Image

__all__ = [
    "Grey",
    "Motion",
    "MotionTimer",
    "drifting",
    "grey",
    "moving",
    "moving_throughout",
    "settled_index",
    "text_changed",
]


Grey = npt.NDArray[np.int16]  # a crop in brightness, as :func:`grey` gives it


def grey(crop: Image) -> npt.NDArray[np.int16]:
    """The crop in brightness (mean of the channels), wide enough for differences."""
    # Channel by channel: a reduction over the last axis of a (h, w, 3) array is strided
    # and twenty times slower, and this runs on every crop of every frame.
    out: npt.NDArray[np.int16] = crop[:, :, 0].astype(np.int16)
    out += crop[:, :, 1]
    out += crop[:, :, 2]
    out //= 3
    return out


# A brightness jump that counts as motion. Digits moving by a pixel change edge pixels by
# 150-220 levels; H.264 at crf 30 leaves a ghost of a finished roll for a frame or two
# that changes up to ~0.7% of pixels by up to ~77 levels (measured on the small style),
# and a filmed screen's sensor noise stays well below that.
JUMP = 80


def _moved(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16], jump: int, share: float) -> bool:
    return a.shape != b.shape or bool((np.abs(a - b) > jump).mean() > share)


def moving(a: Image, b: Image, *, jump: int = JUMP, share: float = 0.002) -> bool:
    """Whether the display changed between two crops of the same region: more than
    ``share`` of its pixels changed brightness by more than noise or compression would."""
    return _moved(grey(a), grey(b), jump, share)


def text_changed(ga: Grey, gb: Grey, *, share: float = 0.002) -> bool:
    """Whether two grey crops (:func:`grey`) of a meter's text taken apart in time show
    other glyphs: more
    than ``share`` of the pixels changed by a third of the text's contrast, once a change
    of the whole picture's brightness (flicker) is taken out. Unlike :func:`moving` (a
    fixed jump, for frame-to-frame motion through codec ghosts), this must see a 9 turn
    into an 8 on a dim seven-segment face at 13 px, where one segment changes by 40
    levels; two samples at rest carry no ghost of a motion between them. Not
    :func:`~foureyes.readers.choose.same_picture`: that one may re-read a picture for
    one pixel in 2000 under sensor noise, and this one decides what a read may mean."""
    if ga.shape != gb.shape:
        return True
    return _glyphs_moved(_off(gb, ga), _text_jump(ga), share)


def _text_jump(g: Grey) -> int:
    """A third of the text's contrast (and at least 24 levels): how far a pixel must
    change for a glyph to have changed there."""
    lo, hi = np.percentile(g, (1, 99))
    return max(24, int(hi - lo) // 3)


def _glyphs_moved(off: npt.NDArray[np.int16], jump: int, share: float = 0.002) -> bool:
    return bool((off > jump).mean() > share)


def settled_index(
    crops: Sequence[Image], *, still: int = 2, jump: int = JUMP, share: float = 0.002
) -> int | None:
    """The index in ``crops`` (``crops[0]`` is the sample) of the first frame after which
    the display stays unchanged for ``still`` frame steps, provided it changed at some
    point after the sample (otherwise the sample was at rest already); None if the display
    has not settled within the frames given."""
    if not crops:
        return None
    changed = False
    run = 0
    prev = grey(crops[0])
    for i in range(1, len(crops)):
        cur = grey(crops[i])
        if _moved(prev, cur, jump, share):
            changed, run = True, 0
        else:
            run += 1
            if changed and run >= still:
                return i - still
        prev = cur
    return None


def moving_throughout(
    crops: Sequence[Image], until: int, *, jump: int = JUMP, share: float = 0.002
) -> bool:
    """Whether the display moved from ``crops[0]`` to ``crops[until]`` in one continuous
    motion. Two rolls with a pause between them show a step without change, so a sample
    between two rests in one motion saw only one change of value.

    A pause is a step that changed less than half of ``share``, or two steps in a row
    below ``share`` (a rest, as ``settled_index`` sees one). One faint step inside a motion
    is the slow start or end of an eased roll: a smoothstep moves a digit by under a pixel
    there and H.264 smears it to just below ``share`` (1.9‰ on the rolling benchmark, where
    a real pause changes nothing). The first and last steps must move in full all the
    same, or a sample just before a roll, still at its old value, would take the new one."""
    if until < 1 or until >= len(crops):
        return False
    greys = [grey(c) for c in crops[: until + 1]]
    shares = [
        float((np.abs(a - b) > jump).mean()) if a.shape == b.shape else 1.0
        for a, b in pairwise(greys)
    ]
    if not (shares[0] > share and shares[-1] > share):
        return False
    if any(x <= share / 2 for x in shares):
        return False
    return not any(a <= share and b <= share for a, b in pairwise(shares))


def drifting(sides: Sequence[Sequence[Image]], rows: tuple[int, int] | None = None) -> bool:
    """Whether the display is changing at the sample (``side[0]`` of each side, the
    frames after and before it, nearest first), however slowly each frame moves.

    :func:`moving_throughout` asks every frame step for a jump of :data:`JUMP` levels,
    which a glyph's edge makes where it moves on a bright face, and which neither a fade
    (a tenth of the contrast a frame: "$1,116.68" read for certain halfway from 1,116.66
    to 1,116.72 on a randomised board) nor a roll on a dim or filmed face (80 levels of
    contrast in all) ever makes. Here each side is searched for the nearest frame whose
    text (``rows``) looks other than the sample's by a third of its own contrast
    (:func:`text_changed`); the change must be under way at the sample, not one that
    came and went beside a rest: halfway to that frame, the pixels it changed have gone
    a quarter of the way or more (an instant change or one that begins later has not
    moved them at all). Noise moves every pixel alike, so it is taken out."""
    lo, hi = rows if rows is not None else (0, None)
    for seq in sides:
        greys = [grey(c)[lo:hi] for c in seq]
        sample = greys[0]
        if len(greys) < 2 or any(g.shape != sample.shape for g in greys):
            return False
        jump = _text_jump(sample)  # once: every frame is compared with the sample
        far, d_far = 0, None
        for i, g in enumerate(greys[1:], start=1):  # the nearest frame of other text
            if _glyphs_moved(d := _off(g, sample), jump):
                far, d_far = i, d
                break
        if d_far is None:
            return False
        if far == 1:
            continue
        d_mid = _off(greys[far // 2], sample)
        hit = d_far > jump
        if hit.all() or not hit.any():
            return False
        moved = d_mid[hit].mean() - d_mid[~hit].mean()
        if moved < 0.25 * (d_far[hit].mean() - d_far[~hit].mean()):
            return False
    return len(sides) == 2


def _off(a: Grey, b: Grey) -> npt.NDArray[np.int16]:
    """Per pixel, how far ``a`` is from ``b`` once a change of the whole picture's
    brightness (flicker) is taken out."""
    diff = a - b
    diff -= np.int16(np.median(diff))
    off: npt.NDArray[np.int16] = np.abs(diff)
    return off


@dataclass(frozen=True, slots=True)
class Motion:
    """One motion of a meter's display from rest to rest: the last frame of the rest
    before it and the first frame of the rest after it, their times and crops."""

    start: float
    end: float
    before: Image
    after: Image

    @property
    def seconds(self) -> float:
        return self.end - self.start


class MotionTimer:
    """Follows one meter's region frame by frame and reports each motion from one rest to
    the next, as ``settled_index`` sees rests: ``still`` frame steps without change.

    A motion that did not start from such a rest (it began while the display was still
    settling) is not reported: its start is unknown."""

    __slots__ = ("_grey", "_recent", "_start", "_still", "jump", "share", "still")

    def __init__(self, *, still: int = 2, jump: int = JUMP, share: float = 0.002) -> None:
        self.still, self.jump, self.share = still, jump, share
        self._grey: npt.NDArray[np.int16] | None = None  # the last frame's
        self._recent: deque[tuple[float, Image]] = deque(maxlen=max(1, still))
        self._still = 0  # frame steps without change up to the last frame
        self._start: tuple[float, Image] | None = None  # the rest a motion left from

    def add(self, ts: float, crop: Image) -> Motion | None:
        now = grey(crop)
        done: Motion | None = None
        if self._grey is not None:
            if _moved(self._grey, now, self.jump, self.share):
                if self._still >= self.still:
                    self._start = self._recent[-1]  # left a rest from the last frame
                elif self._still:
                    self._start = None  # it paused, too briefly to be a rest
                self._still = 0
            else:
                self._still += 1
                if self._still == self.still and self._start is not None:
                    rest_ts, rest_crop = self._recent[0]  # the first frame of the rest
                    done = Motion(self._start[0], rest_ts, self._start[1], rest_crop)
                    self._start = None
        self._recent.append((ts, crop))
        self._grey = now
        return done
