"""Mirrors: other captures of the same screen, read at the primary's samples.

A mirror runs in its own thread and keeps its recent frames. For a file, the pipeline
asks for the mirror frame nearest each sample in stream time (within half a sample
period), waiting for the mirror to decode that far, so that a run gives the same result
however fast each file decodes. Two live streams keep separate clocks (each starts where
its connection did), so a live mirror gives its newest frame instead, if it arrived
within ``fresh`` seconds; otherwise the primary's read stands alone.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from foureyes.model import Frame
from foureyes.sources.base import FrameSource

__all__ = ["MirrorFeed"]


class MirrorFeed:
    def __init__(
        self,
        source: FrameSource,
        *,
        live: bool,
        tolerance: float,
        keep: int = 64,
        fresh: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.live = live
        self.tolerance = tolerance
        self.fresh = fresh
        self._clock = clock
        self._arrived = 0.0  # when the newest frame came in (live mirrors)
        self.missing = 0  # samples with no mirror frame near enough
        self.error: BaseException | None = None
        self._frames: deque[Frame] = deque()
        self._keep = keep
        self._cond = threading.Condition()
        self._ended = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="foureyes-mirror", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for frame in self.source.frames():
                with self._cond:
                    # a file waits for the consumer; a live mirror drops its oldest frames
                    while not self.live and len(self._frames) >= self._keep:
                        if self._stop.is_set():
                            return
                        self._cond.wait(0.1)
                    self._frames.append(frame)
                    self._arrived = self._clock()
                    if len(self._frames) > self._keep:
                        self._frames.popleft()
                    self._cond.notify_all()
                if self._stop.is_set():
                    return
        except Exception as exc:  # the mirror is lost; the primary goes on alone
            self.error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def near(self, ts: float) -> Frame | None:
        """The mirror's frame for a sample at ``ts``, or None (see the module docstring)."""
        if self.live:
            with self._cond:
                newest = self._frames[-1] if self._frames else None
                if newest is not None and self._clock() - self._arrived > self.fresh:
                    newest = None
            if newest is None:
                self.missing += 1
            return newest
        lo, hi = ts - self.tolerance, ts + self.tolerance
        with self._cond:
            while not self._ended and not (self._frames and self._frames[-1].ts >= lo):
                self._cond.wait(0.1)
            while self._frames and self._frames[0].ts < lo:
                self._frames.popleft()
            self._cond.notify_all()
            best = min(
                (f for f in self._frames if f.ts <= hi), key=lambda f: abs(f.ts - ts), default=None
            )
        if best is None:
            self.missing += 1
        return best

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self.source.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
