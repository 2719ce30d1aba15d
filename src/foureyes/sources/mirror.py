"""Mirrors: other captures of the same screen, read at the primary's samples.

A mirror runs in its own thread and keeps its recent frames; for each of the primary's
samples the pipeline asks for the mirror frame nearest in stream time (within half a
sample period). A file mirror is waited for, so that a run gives the same result however
fast each file decodes; a live mirror is not: a frame it does not have yet is missing,
and the primary's read stands alone.
"""

from __future__ import annotations

import threading
from collections import deque

from foureyes.model import Frame
from foureyes.sources.base import FrameSource

__all__ = ["MirrorFeed"]


class MirrorFeed:
    def __init__(
        self, source: FrameSource, *, live: bool, tolerance: float, keep: int = 64
    ) -> None:
        self.source = source
        self.live = live
        self.tolerance = tolerance
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
        """The mirror's frame nearest ``ts`` (within the tolerance), or None."""
        lo, hi = ts - self.tolerance, ts + self.tolerance
        with self._cond:
            if not self.live:
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
