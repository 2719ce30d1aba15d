"""Sources → readers → trackers: the loop that turns frames into readings and events.

Decoding runs in a background thread feeding a small bounded queue, so on two cores the
decoder and the model overlap instead of taking turns. The pipeline yields :class:`Batch`
es in stream order; sinks and the CLI are layered on top by :mod:`foureyes.runner`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

from PIL import Image as PILImage

from foureyes.checkpoint import PipelineState
from foureyes.config import Config
from foureyes.model import Event, Frame, Image, RawRead, Reading
from foureyes.readers.base import Reader, create_reader
from foureyes.readers.choose import PreparationChooser
from foureyes.readers.crop import MeterCrop
from foureyes.readers.occlusion import Palette
from foureyes.readers.parse import ParseResult, parse_value
from foureyes.readers.settle import moving_throughout, settled_index
from foureyes.sources import open_source
from foureyes.sources.base import FrameSource, SourceInfo
from foureyes.sources.sampling import Sampler
from foureyes.tracking.rules import Growth, Point, consistent
from foureyes.tracking.tracker import MeterTracker, Observation, TrackerSettings

__all__ = ["Batch", "Pipeline", "StageTimes"]

_END = object()
_DENSE = 1000.0  # a sampling rate above any video's: every decoded frame is delivered


@dataclass(frozen=True, slots=True)
class Batch:
    """Readings that became final (whole frames, every meter, in frame order) and events.

    ``sample`` counts the samples processed when the batch came out (the last batch, of
    what the trackers decided at the end, repeats the count): a checkpoint taken then
    resumes after that sample.
    """

    readings: tuple[Reading, ...] = ()
    events: tuple[Event, ...] = ()
    sample: int = 0


@dataclass(slots=True)
class StageTimes:
    """Seconds spent per stage (time.monotonic), for summaries and benchmarks."""

    decode_wait: float = 0.0
    crop: float = 0.0
    read: float = 0.0
    track: float = 0.0
    samples: int = 0
    reads: int = 0

    def counters(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__slots__}

    def restore(self, counters: dict[str, float]) -> None:
        for k, v in counters.items():
            if k in self.__slots__:
                setattr(self, k, type(getattr(self, k))(v))

    def as_dict(self) -> dict[str, float]:
        return {
            "decode_wait": round(self.decode_wait, 4),
            "crop": round(self.crop, 4),
            "read": round(self.read, 4),
            "track": round(self.track, 4),
        }


@dataclass(slots=True)
class _Sample:
    """A sampled frame and the meter crops of the frames around it, for a second look at
    a meter caught mid-roll: where its display rested before the roll and after it."""

    frame: Frame
    following: list[dict[str, Image]] = field(default_factory=list)
    preceding: list[dict[str, Image]] = field(default_factory=list)  # most recent first


@dataclass(slots=True)
class _Looks:
    """What the display showed at rest around a doubted sample (see ``_second_looks``)."""

    after: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    mixed: set[str] = field(default_factory=set)  # a certain read showing neither
    hidden: set[str] = field(default_factory=set)  # a popup hides the rest on one side


@dataclass(slots=True)
class _Failure:
    exc: BaseException


@dataclass(slots=True)
class _Aligner:
    """Releases readings frame by frame once every meter has decided that frame."""

    meters: tuple[str, ...]
    queues: dict[str, deque[Reading]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queues = {m: deque() for m in self.meters}

    def add(self, readings: list[Reading]) -> None:
        for r in readings:
            self.queues[r.meter].append(r)

    def ready(self) -> list[Reading]:
        out: list[Reading] = []
        while all(self.queues[m] for m in self.meters):
            out.extend(self.queues[m].popleft() for m in self.meters)
        return out


class _Evidence:
    """Keeps the recent crops so an event can be saved with the pixels that prove it."""

    def __init__(self, folder: Path | None, keep: int) -> None:
        self.folder = folder
        self._crops: dict[int, dict[str, Image]] = {}
        self._order: deque[int] = deque()
        self._keep = keep

    def remember(self, frame: int, crops: dict[str, Image]) -> None:
        if self.folder is None:
            return
        self._crops[frame] = crops
        self._order.append(frame)
        while len(self._order) > self._keep:
            self._crops.pop(self._order.popleft(), None)

    def attach(self, event: Event) -> Event:
        crop = self._crops.get(event.frame, {}).get(event.meter)
        if self.folder is None or crop is None:
            return event
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{event.id}.png"
        PILImage.fromarray(crop).save(self.folder / name)
        return replace(event, evidence=f"{self.folder.name}/{name}")


class Pipeline:
    """Reads every configured meter from every sampled frame of a source.

    >>> with Pipeline(load_config("meters.yaml")) as pipeline:   # doctest: +SKIP
    ...     for batch in pipeline:
    ...         for event in batch.events:
    ...             print(event.meter, event.type, event.before, "->", event.after)
    """

    def __init__(
        self,
        config: Config,
        *,
        source: str | None = None,
        reader: Reader | None = None,
        evidence_dir: Path | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        queue_size: int = 4,
        resume: PipelineState | None = None,
        resume_gap: float = 0.0,
    ) -> None:
        self.config = config
        self.uri = source or config.source.uri
        self.stop = stop or threading.Event()
        self._clock = clock
        self._reader = reader
        self._source: FrameSource | None = None
        self._queue_size = queue_size
        self.info: SourceInfo | None = None
        self.times = StageTimes()
        self.meters = tuple(config.meters)
        self._crops = {
            name: MeterCrop(m.box, tuple(m.corners) if m.corners else None)
            for name, m in config.meters.items()
        }
        self._trackers = {name: MeterTracker(name, self._settings(name)) for name in self.meters}
        t = config.tracking
        self._evidence = _Evidence(evidence_dir, keep=t.max_pending + t.lookahead + 4)
        self._thread: threading.Thread | None = None
        self._dense = False
        self._chooser = PreparationChooser(self.meters)
        self._palettes = {name: Palette() for name in self.meters}
        self._aligner = _Aligner(self.meters)
        self._samples = 0
        self._last: tuple[int, float] = (-1, 0.0)
        self._resume = resume
        self._resume_gap = resume_gap
        if resume is not None:
            self._restore(resume)

    def _settings(self, name: str) -> TrackerSettings:
        m = self.config.meters[name]
        ev, tr = self.config.events, self.config.tracking
        return TrackerSettings(
            growth=Growth(absolute=m.max_rise_per_second),
            min_confidence=m.min_confidence,
            reset_min_drop=m.reset_min_drop,
            confirm_samples=ev.reset_confirm_samples,
            confirm_seconds=ev.reset_confirm_seconds,
            lookahead=tr.lookahead,
            history=tr.history,
            max_pending=tr.max_pending,
            thresholds=tuple(sorted(ev.thresholds.get(name, ()))),
            reset_to=tuple(m.reset_to),
        )

    # -- lifecycle ----------------------------------------------------------------------
    def open(self) -> SourceInfo:
        """Open the source, check the regions against its frames and load the model, so
        that every start-up problem surfaces before anything is written."""
        if self.info is not None:
            return self.info
        src = self.config.source
        self._dense = self.config.tracking.second_look and not self._is_folder()
        source = open_source(
            self.uri,
            sample_fps=_DENSE if self._dense else src.fps,
            base_dir=self.config.base_dir,
            startup_timeout=src.startup_timeout,
            no_frame_timeout=src.no_frame_timeout,
            stop=self.stop,
        )
        try:
            info = source.open()
            self.config.check_frame_size(info.width, info.height)
            if self._reader is None:
                self._reader = create_reader(
                    self.config.reader.name, threads=self.config.reader.threads
                )
            self._reader.warmup()
        except BaseException:
            source.close()
            raise
        self._source, self.info = source, info
        return info

    def _is_folder(self) -> bool:
        """Images in a folder are each a sample, with no frames between them to look at."""
        if "://" in self.uri:
            return False
        path = Path(self.uri)
        return (path if path.is_absolute() else self.config.base_dir / path).is_dir()

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._source is not None:
            self._source.close()
        if self._reader is not None:
            self._reader.close()

    def __enter__(self) -> Pipeline:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def decoded(self) -> int:
        return self._source.decoded if self._source is not None else 0

    # -- checkpoints ----------------------------------------------------------------------
    def snapshot(self) -> PipelineState:
        """The state after the samples processed so far, for :mod:`foureyes.checkpoint`.
        Take it between batches: the next resume starts after ``samples``."""
        frame, ts = self._last
        return PipelineState(
            samples=self._samples,
            frame=frame,
            ts=ts,
            trackers=dict(self._trackers),
            chooser=self._chooser,
            palettes=dict(self._palettes),
            waiting={m: list(q) for m, q in self._aligner.queues.items()},
            times=self.times.counters(),
        )

    def _restore(self, state: PipelineState) -> None:
        if set(state.trackers) != set(self.meters):
            raise ValueError("the checkpoint's meters differ from the config's")
        self._trackers = dict(state.trackers)
        self._chooser = state.chooser
        self._palettes = dict(state.palettes)
        for m, waiting in state.waiting.items():
            self._aligner.queues[m].extend(waiting)
        self.times.restore(state.times)
        self._samples = state.samples
        self._last = (state.frame, state.ts)

    # -- the loop -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Batch]:
        """Batches with something in them, in stream order."""
        return (b for b in self.steps() if b.readings or b.events)

    def steps(self) -> Iterator[Batch]:
        """One batch per sample, empty or not, then the trackers' last decisions: the
        rhythm a checkpointing runner needs. A resumed file source is decoded again from
        the start (decoding costs a fraction of reading) and the samples already done only
        refill the evidence and second-look windows."""
        self.open()
        assert self._source is not None and self._reader is not None
        frames: queue.Queue[object] = queue.Queue(maxsize=self._queue_size)
        self._thread = threading.Thread(
            target=self._produce, args=(self._source, frames), name="foureyes-decode", daemon=True
        )
        self._thread.start()
        aligner = self._aligner
        clock, times = self._clock, self.times
        done = self._samples if self._resume is not None and not self._live_resume() else 0
        seen = 0
        while True:
            t0 = clock()
            item = frames.get()
            times.decode_wait += clock() - t0
            if item is _END:
                break
            if isinstance(item, _Failure):
                raise item.exc
            assert isinstance(item, _Sample)
            seen += 1
            if seen <= done:
                crops = {name: cut.cut(item.frame.image) for name, cut in self._crops.items()}
                self._evidence.remember(item.frame.index, crops)
                continue
            batch = self._process(item, aligner)
            self._samples += 1
            self._last = (item.frame.index, item.frame.ts)
            yield replace(batch, sample=self._samples)
            if self.stop.is_set():
                break
        readings: list[Reading] = []
        events: list[Event] = []
        for tracker in self._trackers.values():
            r, e = tracker.finish()
            readings += r
            events += e
        aligner.add(readings)
        yield Batch(
            tuple(aligner.ready()),
            tuple(self._evidence.attach(e) for e in events),
            sample=self._samples,
        )

    def _live_resume(self) -> bool:
        return self.info is not None and self.info.live

    def _frames(self, source: FrameSource) -> Iterator[Frame]:
        """The source's frames; a resumed live stream cannot go back, so its frames are
        numbered on from the checkpoint and dated by the time the run was down."""
        frames = source.frames()
        if self._resume is None or not self._live_resume():
            return frames
        index0 = self._resume.frame + 1
        ts0 = self._resume.ts + max(self._resume_gap, 0.0)
        return (replace(f, index=f.index + index0, ts=f.ts + ts0) for f in frames)

    def _produce(self, source: FrameSource, out: queue.Queue[object]) -> None:
        try:
            if not self._dense:
                for frame in self._frames(source):
                    if not self._put(out, _Sample(frame)):
                        return
            elif not self._produce_dense(source, out):
                return
        except BaseException as exc:
            self._put(out, _Failure(exc))
        self._put(out, _END, force=True)

    def _produce_dense(self, source: FrameSource, out: queue.Queue[object]) -> bool:
        """Sample every decoded frame by the config's rate, as a source would, and hand
        each sample on with the meter crops of the frames before and after it, up to
        ``second_look_seconds`` each way (windows overlap when a roll outlasts the sample
        period)."""
        sampler = Sampler(self.config.source.fps)
        window = self.config.tracking.second_look_seconds
        pending: deque[_Sample] = deque()
        recent: deque[tuple[float, dict[str, Image]]] = deque()
        for frame in self._frames(source):
            while pending and frame.ts - pending[0].frame.ts > window:
                if not self._put(out, pending.popleft()):
                    return False
            while recent and frame.ts - recent[0][0] > window:
                recent.popleft()
            crops = {name: cut.cut(frame.image) for name, cut in self._crops.items()}
            for waiting in pending:
                waiting.following.append(crops)
            if sampler.offer(frame.ts):
                pending.append(_Sample(frame, preceding=[c for _, c in reversed(recent)]))
            recent.append((frame.ts, crops))
        while pending:
            if not self._put(out, pending.popleft()):
                return False
        return True

    def _put(self, out: queue.Queue[object], item: object, force: bool = False) -> bool:
        while force or not self.stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                if force and self.stop.is_set():
                    return False
        return False

    def _parse(self, meter: str, text: str) -> ParseResult:
        cfg = self.config.meters[meter]
        return parse_value(text, cfg.kind, cfg.decimals)

    def _alternatives(self, meter: str, raw: RawRead) -> tuple[float, ...]:
        values = (self._parse(meter, v).value for v in raw.variants)
        return tuple(v for v in values if v is not None)

    def _second_looks(
        self,
        sample: _Sample,
        crops: dict[str, Image],
        results: dict[str, tuple[RawRead, ParseResult]],
        covered: dict[str, bool],
    ) -> _Looks:
        """Read the display where it rested just after and just before a sample whose
        read is in doubt, when the display moved without a pause from the sample to each
        rest: a roll caught mid-way shows its old value before and its new value after.

        In doubt is a read with an uncertain digit, one cut short, and one caught in
        motion (its pixels differ from the frames on both sides). A rest value is kept
        when read with certainty and it agrees with the sample's read at every character
        the model was sure of; when the sample lies inside one motion with a rest on each
        side, both are kept if the later is a plausible step up from the earlier, even if
        the sample's read disagrees. A multi-digit roll (…1.72 → …2.80) is read as a mix
        of both values, often with a digit the model is sure of and wrong (…1.12, or
        …1.70 for …1.66 → …1.78), so agreement cannot be asked, and a certain read caught
        in motion that shows neither rest value is doubted. A rest covered by a popup is
        not read: the motion that led to it was the popup's, and the other side's rest is
        then all there is (``hidden``)."""
        assert self._reader is not None
        todo: list[tuple[str, int, Image]] = []
        bracketed: set[str] = set()
        looks = _Looks()
        for name in self.meters:
            raw, parsed = results[name]
            if covered[name] or not any(c.isdigit() for c in raw.value_text):
                continue
            uncertain = not self._certain(name, raw)
            sides = [
                [crops[name], *(f[name] for f in frames)]
                for frames in (sample.following, sample.preceding)
            ]
            in_motion = all(moving_throughout(seq, 1) for seq in sides)
            if parsed.ok and not uncertain and not in_motion:
                continue
            prepare = self._chooser.preparation(name)
            rests = 0
            hidden = 0
            for side, seq in enumerate(sides):
                k = settled_index(seq)
                if k is None or not moving_throughout(seq, k):
                    continue
                if self._palettes[name].covered(seq[k]):
                    hidden += 1  # the motion was a popup's arrival or departure
                    continue
                todo.append((name, side, prepare(seq[k])))
                rests += 1
            if rests == 2:
                bracketed.add(name)
            elif rests == 1 and hidden == 1:
                looks.hidden.add(name)
        if not todo:
            return looks
        reads = self._reader.read([crop for _, _, crop in todo])
        self.times.reads += len(reads)
        rest: tuple[dict[str, float], dict[str, float]] = ({}, {})
        for (name, side, _), look in zip(todo, reads, strict=True):
            strong = self._trackers[name].s.strong_char
            parsed = self._parse(name, look.value_text)
            if parsed.value is None or not self._certain(name, look):
                continue
            rest[side][name] = parsed.value
            raw, first = results[name]
            if raw.agrees_with(look, strong, prefix=not first.ok):
                (looks.before if side else looks.after)[name] = parsed.value
        for name in bracketed:
            hi, lo = rest[0].get(name), rest[1].get(name)
            if lo is None or hi is None or not self._one_step(name, lo, hi):
                continue
            looks.before[name], looks.after[name] = lo, hi
            first = results[name][1]
            if first.ok and first.value not in (lo, hi):
                looks.mixed.add(name)
        return looks

    def _certain(self, meter: str, raw: RawRead) -> bool:
        """Whether the model was sure of every digit and saw no stray glyph."""
        strong = self._trackers[meter].s.strong_char
        return (raw.weakest is None or raw.weakest >= strong) and not raw.stray

    def _one_step(self, meter: str, old: float, new: float) -> bool:
        """Whether a meter can go from ``old`` to ``new`` in one motion of its display:
        equal (a popup passed by) or a rise its growth rule allows within a second."""
        growth = self._trackers[meter].s.growth
        return old <= new and consistent(Point(0.0, old), Point(1.0, new), growth)

    def _process(self, sample: _Sample, aligner: _Aligner) -> Batch:
        clock, times = self._clock, self.times
        frame = sample.frame
        t0 = clock()
        crops = {name: cut.cut(frame.image) for name, cut in self._crops.items()}
        t1 = clock()
        assert self._reader is not None
        reads_before = self._chooser.reads
        results = self._chooser.read(self._reader, crops, self._parse)
        times.reads += self._chooser.reads - reads_before
        covered = {name: self._palettes[name].covered(crops[name]) for name in self.meters}
        looks = self._second_looks(sample, crops, results, covered)
        t2 = clock()
        events: list[Event] = []
        for name in self.meters:
            raw, parsed = results[name]
            certain = self._certain(name, raw)
            if parsed.ok and certain and not covered[name]:
                self._palettes[name].learn(crops[name])
            obs = Observation(
                frame=frame.index,
                ts=frame.ts,
                text=raw.text,
                confidence=raw.confidence,
                parsed=parsed,
                weakest=raw.weakest,
                alternatives=self._alternatives(name, raw),
                covered=covered[name],
                second_look=looks.after.get(name),
                look_back=looks.before.get(name),
                doubted=name in looks.mixed or raw.stray,
                rest_hidden=name in looks.hidden,
            )
            r, e = self._trackers[name].update(obs)
            aligner.add(r)
            events += e
        self._evidence.remember(frame.index, crops)
        t3 = clock()
        times.crop += t1 - t0
        times.read += t2 - t1
        times.track += t3 - t2
        times.samples += 1
        return Batch(tuple(aligner.ready()), tuple(self._evidence.attach(e) for e in events))
