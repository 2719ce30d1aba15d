"""The decoding side of a pipeline: a background thread that turns a source's frames
into samples on a bounded queue, while the pipeline's own thread reads the last ones.

With second looks on, every frame is decoded and each sample carries the meter crops
of the frames around it (where a display caught mid-roll came to rest); otherwise the
source itself samples and a sample is just its frame.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from foureyes.model import Frame, Image
from foureyes.readers.crop import MeterCrop
from foureyes.readers.settle import Motion, MotionTimer
from foureyes.sources.base import FrameSource
from foureyes.sources.sampling import Sampler

__all__ = ["END", "Failure", "Feed", "Sample"]

END = object()  # the last item of a feed's queue


@dataclass(slots=True)
class Sample:
    """A sampled frame and the meter crops of the frames around it, for a second look at
    a meter caught mid-roll: where its display rested before the roll and after it."""

    frame: Frame
    following: list[dict[str, Image]] = field(default_factory=list)
    preceding: list[dict[str, Image]] = field(default_factory=list)  # most recent first
    following_ts: list[float] = field(default_factory=list)  # their stream times
    preceding_ts: list[float] = field(default_factory=list)
    # per meter, the motions from rest to rest its display completed (up to the end of
    # this sample's window) since those handed on with the sample before
    motions: dict[str, list[Motion]] = field(default_factory=dict)


@dataclass(slots=True)
class Failure:
    """The source raised: the pipeline's thread raises it again."""

    exc: BaseException


class Feed:
    """Decodes ``source`` on a daemon thread into :attr:`queue` (``Sample``\\ s, then a
    ``Failure`` or :data:`END`), until the source ends or ``stop`` is set.

    ``window`` (seconds) turns on dense decoding for second looks: samples are taken at
    ``fps`` from every frame, each with the crops up to ``window`` before and after it.
    ``shift`` (first frame number, seconds) renumbers a resumed live stream, which
    cannot go back, on from its checkpoint.
    """

    def __init__(
        self,
        source: FrameSource,
        crops: Mapping[str, MeterCrop],
        *,
        fps: float,
        window: float | None,
        stop: threading.Event,
        queue_size: int,
        shift: tuple[int, float] | None = None,
    ) -> None:
        self.source = source
        self.crops = crops
        self.fps = fps
        self.window = window
        self.stop = stop
        self.shift = shift
        self.queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self.thread = threading.Thread(target=self._run, name="foureyes-decode", daemon=True)

    def start(self) -> Feed:
        self.thread.start()
        return self

    @property
    def fill(self) -> float:
        return self.queue.qsize() / max(self.queue.maxsize, 1)

    def _frames(self) -> Iterator[Frame]:
        frames = self.source.frames()
        if self.shift is None:
            return frames
        index0, ts0 = self.shift
        return (replace(f, index=f.index + index0, ts=f.ts + ts0) for f in frames)

    def _run(self) -> None:
        try:
            if self.window is None:
                for frame in self._frames():
                    if not self._put(Sample(frame)):
                        return
            elif not self._dense(self.window):
                return
        except BaseException as exc:
            self._put(Failure(exc))
        self._put(END, force=True)

    def _dense(self, window: float) -> bool:
        """Sample every decoded frame by the config's rate, as a source would, and hand
        each sample on with the meter crops of the frames before and after it, up to
        ``window`` seconds each way (windows overlap when a roll outlasts the sample
        period)."""
        sampler = Sampler(self.fps)
        pending: deque[Sample] = deque()
        recent: deque[tuple[float, dict[str, Image]]] = deque()
        timers = {name: MotionTimer() for name in self.crops}
        motions: dict[str, list[Motion]] = {}
        for frame in self._frames():
            while pending and frame.ts - pending[0].frame.ts > window:
                pending[0].motions, motions = motions, {}
                if not self._put(pending.popleft()):
                    return False
            while recent and frame.ts - recent[0][0] > window:
                recent.popleft()
            crops = {name: cut.cut(frame.image) for name, cut in self.crops.items()}
            for name, crop in crops.items():
                if (motion := timers[name].add(frame.ts, crop)) is not None:
                    motions.setdefault(name, []).append(motion)
            for waiting in pending:
                waiting.following.append(crops)
                waiting.following_ts.append(frame.ts)
            if sampler.offer(frame.ts):
                before = list(reversed(recent))
                pending.append(
                    Sample(
                        frame,
                        preceding=[c for _, c in before],
                        preceding_ts=[t for t, _ in before],
                    )
                )
            recent.append((frame.ts, crops))
        while pending:
            pending[0].motions, motions = motions, {}
            if not self._put(pending.popleft()):
                return False
        return True

    def _put(self, item: object, force: bool = False) -> bool:
        """Queue ``item``, waiting for room until stopped; ``force`` (the end marker)
        waits on after a stop, unless the queue stays full."""
        while force or not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                if force and self.stop.is_set():
                    return False
        return False
