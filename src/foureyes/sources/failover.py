"""A primary source with a standby: when the primary is down past a limit, the standby
serves, and the primary takes over again as soon as it delivers frames.

Two captures of one screen (a capture card and a network stream, say) make a meter board
survive the loss of either. Each source runs in its own thread, so a primary stuck
reconnecting cannot hold up the standby. Frames are renumbered in the order handed on
and re-timed on one continuous timeline: after a switch, the new source's frames start
where the last frame handed on was, plus the time that passed while neither served (at
least one frame interval). Each
frame's ``source`` names the source it came from, which is how the pipeline reports a
switch.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from foureyes.errors import SourceError
from foureyes.model import Frame
from foureyes.sources.base import FrameSource, SourceBase, SourceInfo

__all__ = ["FailoverSource"]

log = logging.getLogger(__name__)

_END = object()


class _Feed:
    """One source's frames pushed into a small queue by a thread; the oldest are dropped
    when the consumer is behind, as a live stream cannot wait."""

    def __init__(self, source: FrameSource, name: str, stop: threading.Event) -> None:
        self.source = source
        self.name = name
        self.queue: queue.Queue[object] = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.ended = False
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name=f"foureyes-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for frame in self.source.frames():
                if self._stop.is_set():
                    return
                self._put(frame)
        except BaseException as exc:  # handed to the consumer, which decides
            self.error = exc
        finally:
            self.ended = True
            self._put(_END)

    def _put(self, item: object) -> None:
        """Put ``item``, dropping the oldest frame if the queue is full."""
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)


class FailoverSource(SourceBase):
    """Reads ``primary``; after ``after`` seconds without a frame from it, reads
    ``standby`` until the primary delivers again. Both are opened at :meth:`open`; the
    run fails to start only if neither opens."""

    def __init__(
        self,
        primary: FrameSource,
        standby: FrameSource,
        *,
        after: float,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if after <= 0:
            raise ValueError(f"after must be positive, got {after}")
        self.primary, self.standby = primary, standby
        self.after = after
        self.switches = 0
        self._stop = stop or threading.Event()
        self._clock = clock
        self._feeds: list[_Feed] = []
        self._info: SourceInfo | None = None
        self._up = [False, False]

    def open(self) -> SourceInfo:
        if self._info is not None:
            return self._info
        errors: list[SourceError] = []
        infos: list[SourceInfo | None] = []
        for source in (self.primary, self.standby):
            try:
                infos.append(source.open())
            except SourceError as exc:
                errors.append(exc)
                infos.append(None)
        if len(errors) == 2:
            raise errors[0]
        for error in errors:
            log.warning("%s; the other source serves", error)
        info = infos[0] or infos[1]
        assert info is not None
        self._info = replace(info, frame_count=None, duration=None)
        self._up = [i is not None for i in infos]
        return self._info

    def close(self) -> None:
        self._stop.set()
        for source in (self.primary, self.standby):
            source.close()
        for feed in self._feeds:
            feed.join(timeout=5)

    @property
    def decoded(self) -> int:
        return self.primary.decoded + self.standby.decoded

    @property
    def reconnects(self) -> int:
        return int(getattr(self.primary, "reconnects", 0)) + int(
            getattr(self.standby, "reconnects", 0)
        )

    @property
    def stalls(self) -> int:
        return int(getattr(self.primary, "stalls", 0)) + int(getattr(self.standby, "stalls", 0))

    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        self._check_start(start_sample)
        info = self.open()
        feeds = [
            _Feed(s, n, self._stop)
            for s, n, up in zip(
                (self.primary, self.standby), ("primary", "standby"), self._up, strict=True
            )
            if up
        ]
        self._feeds = feeds
        for feed in feeds:
            feed.start()
        primary = feeds[0] if self._up[0] else None
        standby = feeds[-1] if self._up[1] else None
        active = primary or standby
        assert active is not None
        interval = 1.0 / info.fps if info.fps else 0.04
        last_ts: float | None = None  # on the output timeline
        shift = 0.0  # output ts = source ts + shift, for the active source
        last_at = self._clock()  # when a frame last came from the primary (or the start)
        handed_at = last_at  # when a frame was last handed on
        pending_switch = True  # the next frame sets the shift
        taken = 0

        def switch(to: _Feed, why: str) -> _Feed:
            nonlocal pending_switch
            log.warning("%s; switching to the %s source", why, to.name)
            self.switches += 1
            pending_switch = True
            return to

        while not self._stop.is_set():
            if active is standby and primary is not None and not primary.queue.empty():
                active = switch(primary, "the primary source delivers again")
            try:
                item = active.queue.get(timeout=0.1)
            except queue.Empty:
                item = None
            if item is _END and self._stop.is_set():
                return
            if item is _END:
                if active.error is not None and not isinstance(active.error, SourceError):
                    raise active.error
                other = standby if active is primary else primary
                if active is primary:
                    primary = None
                else:
                    standby = None
                if other is None or other.ended:
                    return
                active = switch(other, f"the {active.name} source ended")
                continue
            if item is None:
                waited = self._clock() - last_at
                if active is primary and standby is not None and waited >= self.after:
                    active = switch(standby, f"the primary source gave no frame for {waited:.1f} s")
                continue
            assert isinstance(item, Frame)
            now = self._clock()
            if active is primary:
                last_at = now
            if pending_switch:
                gap = max(interval, now - handed_at)
                start = 0.0 if last_ts is None else last_ts + gap
                shift = start - item.ts
                pending_switch = False
            ts = item.ts + shift
            if last_ts is not None and ts <= last_ts:
                ts = last_ts + interval  # never back in time on the output timeline
                shift = ts - item.ts
            last_ts, handed_at = ts, now
            frame = replace(item, index=taken, ts=ts)
            taken += 1
            if taken > start_sample:
                yield frame
