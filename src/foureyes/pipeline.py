"""Sources → readers → trackers: the loop that turns frames into readings and events.

Decoding runs in a background thread feeding a small bounded queue, so on two cores the
decoder and the model overlap instead of taking turns. The pipeline yields :class:`Batch`
es in stream order; sinks and the CLI are layered on top by :mod:`foureyes.runner`.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

from foureyes.checkpoint import PipelineState
from foureyes.config import Config
from foureyes.errors import CircuitOpen
from foureyes.failures import FailureRecorder
from foureyes.feed import END, Failure, Feed, Sample
from foureyes.holdback import Aligner, Evidence
from foureyes.model import Event, Frame, Image, RawRead, Reading, Region
from foureyes.observe.tracing import NOOP, Tracer
from foureyes.readers.base import Reader
from foureyes.readers.choose import PreparationChooser, no_sign
from foureyes.readers.confirm import Confirmations
from foureyes.readers.crop import MeterCrop
from foureyes.readers.looks import Around, Looks, SecondLooks
from foureyes.readers.occlusion import Palette
from foureyes.readers.parse import ParseResult, parse_value, restore_point
from foureyes.readers.route import MeterReaders
from foureyes.readers.settle import Grey, grey, text_changed
from foureyes.readers.vote import MirrorVoter, Vote
from foureyes.resilience.build import build_readers
from foureyes.resilience.degrade import Degrader, Level, degradation_event
from foureyes.sources import open_source
from foureyes.sources.base import FrameSource, SourceInfo
from foureyes.sources.failover import FailoverSource
from foureyes.sources.mirror import MirrorFeed
from foureyes.sources.watchdog import SourceMonitor
from foureyes.tracking.rules import Growth
from foureyes.tracking.tracker import MeterTracker, Observation, TrackerSettings

__all__ = ["Batch", "Pipeline", "StageTimes"]

log = logging.getLogger(__name__)

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
    recalled: int = 0  # reads given again for a picture unchanged since (not model calls)

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
class _Seen:
    """One sample's reads and what the reading stage learned about each meter."""

    covered: dict[str, bool]
    results: dict[str, tuple[RawRead, ParseResult]] = field(default_factory=dict)
    holed: set[str] = field(default_factory=set)
    disputed: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    looks: Looks = field(default_factory=Looks)
    votes: dict[str, Vote] = field(default_factory=dict)
    frame_step: float = 0.0  # seconds between the decoded frames around the sample
    changed: dict[str, bool | None] = field(default_factory=dict)  # since the last sample


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
        failures: FailureRecorder | None = None,
        tracer: Tracer = NOOP,
    ) -> None:
        self.config = config
        self._tracer = tracer
        self.uri = source or config.source.uri
        self.stop = stop or threading.Event()
        self._clock = clock
        self._reader = reader
        self._readers: MeterReaders | None = None
        self._cheap: MeterReaders | None = None  # the chains without expensive readers
        self._degrade: Degrader | None = None  # live sources only, unless the config says
        self._voter: MirrorVoter | None = None  # other captures of the screen, if any
        self._feed: Feed | None = None  # the decoding thread, once steps() started
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
        self._evidence = Evidence(evidence_dir)
        self._dense = False
        self._chooser = PreparationChooser(self.meters)
        self._palettes = {name: Palette() for name in self.meters}
        self._previous: dict[str, Grey] = {}  # each meter's crop at the last sample, grey
        self._looks = SecondLooks(self.meters, self._chooser, self._palettes, self._pointed)
        self._confirm = Confirmations(self.meters, self._chooser, self._parse)
        self._aligner = Aligner(self.meters)
        self._samples = 0
        self._last: tuple[int, float] = (-1, 0.0)
        self._resume = resume
        self._resume_gap = resume_gap
        after = config.source.frozen_after
        self._monitor = SourceMonitor(self.uri, frozen_after=after)
        self.failures = failures or FailureRecorder(None, config=config.redacted(), versions=dict)
        if resume is not None:
            self._restore(resume)

    def _settings(self, name: str) -> TrackerSettings:
        m = self.config.meters[name]
        ev, tr = self.config.events, self.config.tracking
        return TrackerSettings(
            growth=Growth.for_decimals(m.decimals, absolute=m.max_rise_per_second),
            min_confidence=m.min_confidence,
            reset_min_drop=m.reset_min_drop,
            confirm_samples=ev.reset_confirm_samples,
            confirm_seconds=ev.reset_confirm_seconds,
            lookahead=tr.lookahead_seconds,
            history=tr.history,
            max_pending=tr.max_pending_seconds,
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

        def opened(uri: str) -> FrameSource:
            return open_source(
                uri,
                sample_fps=_DENSE if self._dense else src.fps,
                base_dir=self.config.base_dir,
                startup_timeout=src.startup_timeout,
                no_frame_timeout=src.no_frame_timeout,
                stop=self.stop,
            )

        source = opened(self.uri)
        if src.fallback is not None:
            source = FailoverSource(
                source, opened(src.fallback.uri), after=src.fallback.after, stop=self.stop
            )
        feeds: list[MirrorFeed] = []
        try:
            info = source.open()
            self.config.check_frame_size(info.width, info.height)
            for k, mirror in enumerate(src.mirrors):
                feeds.append(
                    MirrorFeed(opened(mirror.uri), live=info.live, tolerance=0.5 / src.fps)
                )
                mirror_info = feeds[-1].source.open()
                self.config.check_mirror_size(k, mirror_info.width, mirror_info.height)
            if self._readers is None:
                self._readers, self._cheap = build_readers(
                    self.config, override=self._reader, tracer=self._tracer
                )
            self._readers.warmup()
            wanted = self.config.degrade.enabled
            if wanted or (wanted is None and info.live):
                d = self.config.degrade
                self._degrade = Degrader(up_after=d.up_after, down_after=d.down_after)
        except BaseException:
            source.close()
            for feed in feeds:
                feed.close()
            raise
        if feeds:
            crops = [
                {m: MeterCrop(Region(*self.config.mirror_region(k, m))) for m in self.meters}
                for k in range(len(feeds))
            ]
            self._voter = MirrorVoter(feeds, crops)
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
        if self._feed is not None:
            self._feed.thread.join(timeout=10)
            self._feed = None
        if self._source is not None:
            self._source.close()
        if self._voter is not None:
            self._voter.close()
        if self._readers is not None:
            self._readers.close()
        elif self._reader is not None:
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

    def reader_stats(self) -> dict[str, dict[str, object]]:
        """Each reader endpoint's calls, failures, retries, timeouts, breaker state and
        latency percentiles (over its last 100 calls)."""
        return self._readers.stats() if self._readers is not None else {}

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
        for name, tracker in self._trackers.items():
            # the config's settings, not the pickled ones: a resume requires the same
            # config, but a default left out of it may have changed since the checkpoint
            tracker.s = self._settings(name)
        self._chooser = state.chooser
        self._palettes = dict(state.palettes)
        self._looks = SecondLooks(self.meters, self._chooser, self._palettes, self._pointed)
        self._confirm = Confirmations(self.meters, self._chooser, self._parse)
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
        assert self._source is not None and self._readers is not None
        shift = None
        if self._resume is not None and self._live_resume():
            # a live stream cannot go back: number its frames on from the checkpoint and
            # date them by the time the run was down
            shift = (self._resume.frame + 1, self._resume.ts + max(self._resume_gap, 0.0))
        feed = Feed(
            self._source,
            self._crops,
            fps=self.config.source.fps,
            window=self.config.tracking.second_look_seconds if self._dense else None,
            stop=self.stop,
            queue_size=self._queue_size,
            shift=shift,
        )
        self._feed = feed.start()
        frames = feed.queue
        if self._voter is not None:
            self._voter.start()
        aligner = self._aligner
        clock, times = self._clock, self.times
        done = self._samples if self._resume is not None and not self._live_resume() else 0
        seen = 0
        producer = feed.thread
        while True:
            t0 = clock()
            try:
                item = frames.get(timeout=0.2)
            except queue.Empty:
                if producer.is_alive():
                    continue
                break  # stopped while the queue was full: its end marker was dropped
            finally:
                times.decode_wait += clock() - t0
            if item is END:
                break
            if isinstance(item, Failure):
                raise item.exc
            assert isinstance(item, Sample)
            seen += 1
            if seen <= done:
                crops = {name: cut.cut(item.frame.image) for name, cut in self._crops.items()}
                self._evidence.remember(item.frame.index, crops)
                self._release_evidence(item.frame.index + 1)
                self._monitor.observe(item.frame)  # its events were committed before
                continue
            degrade = self._degrade
            if degrade is not None and not degrade.take():
                continue  # minimal and emergency levels skip samples
            read_before = times.read
            with self._tracer.span(
                "foureyes.sample", frame=item.frame.index, stream_ts=item.frame.ts
            ) as span:
                batch = self._process(item, aligner)
                span.set("readings", len(batch.readings))
                span.set("events", len(batch.events))
            noticed = self._monitor.observe(item.frame)
            if degrade is not None:
                period = degrade.level.stride / self.config.source.fps
                fill = feed.fill
                change = degrade.observe(times.read - read_before, period, fill)
                if change is not None:
                    noticed.append(degradation_event(change, item.frame))
            if noticed:
                batch = replace(batch, events=(*batch.events, *noticed))
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

    @property
    def queue_fill(self) -> float:
        """How full the queue of decoded samples waiting to be read is (0-1)."""
        return self._feed.fill if self._feed is not None else 0.0

    def mirror_stats(self) -> dict[str, object] | None:
        """Per meter: samples where the captures agreed, disagreed, where a mirror's read
        stood (the primary's missing or less sure), and where a disagreement left the
        sample in doubt;
        and the samples a mirror had no frame for."""
        if self._voter is None:
            return None
        return {
            "meters": {m: dict(c) for m, c in self._voter.stats.items()},
            "frames_missing": sum(feed.missing for feed in self._voter.feeds),
        }

    def degradation(self) -> dict[str, object] | None:
        """The degradation level now, and how often it changed (None when not in use)."""
        d = self._degrade
        if d is None:
            return None
        return {"level": d.level.label, "changes": d.changes, "load": d.load}

    def source_stats(self) -> dict[str, object]:
        """How the source has fared (see :meth:`SourceMonitor.stats`)."""
        return self._monitor.stats(self._source, self._last[1])

    def _live_resume(self) -> bool:
        return self.info is not None and self.info.live

    def _parse(self, meter: str, text: str) -> ParseResult:
        cfg = self.config.meters[meter]
        parsed = parse_value(text, cfg.kind, cfg.decimals)
        if parsed.ok and not self._chooser.fits_form(meter, text):
            return ParseResult(None, reason=no_sign(text))
        return parsed

    def _certain(self, meter: str, raw: RawRead) -> bool:
        return raw.certain(self._trackers[meter].s.strong_char)

    def _reader_failed(
        self, frame: Frame, crops: dict[str, Image], exc: Exception
    ) -> dict[str, tuple[RawRead, ParseResult]]:
        """Save a replay bundle and give every meter of the sample an unreadable result."""
        reader = self._readers.name if self._readers is not None else "?"
        bundle = None
        if not isinstance(exc, CircuitOpen):  # a refusal, not a failure to replay
            bundle = self.failures.reader_failed(frame, crops, exc, reader=str(reader))
        log.warning("frame %d: reader failed (%s); the run goes on", frame.index, exc)
        why = f"reader failed: {exc}" + (f"; replay failures/{bundle}" if bundle else "")
        return {m: (RawRead(text="", confidence=0.0), ParseResult(None, reason=why)) for m in crops}

    def _track(
        self, frame: Frame, meter: str, obs: Observation, crop: Image
    ) -> tuple[list[Reading], list[Event]]:
        """Update a meter's tracker; if the update raises, save a replay bundle, put the
        tracker back as it was, and give it the sample as unreadable instead."""
        tracker = self._trackers[meter]
        before = pickle.dumps(tracker, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            return tracker.update(obs)
        except Exception as exc:
            bundle = self.failures.tracker_failed(frame, meter, crop, before, obs, exc)
            log.warning("frame %d, meter %s: tracker failed (%s)", frame.index, meter, exc)
            restored: MeterTracker = pickle.loads(before)
            self._trackers[meter] = tracker = restored
            why = f"tracker failed: {exc}" + (f"; replay failures/{bundle}" if bundle else "")
            return tracker.update(replace(obs, parsed=ParseResult(None, reason=why)))

    def _process(self, sample: Sample, aligner: Aligner) -> Batch:
        clock, times = self._clock, self.times
        frame = sample.frame
        t0 = clock()
        crops = {name: cut.cut(frame.image) for name, cut in self._crops.items()}
        t1 = clock()
        seen = self._read_sample(sample, crops)
        t2 = clock()
        events: list[Event] = []
        for name in self.meters:
            raw, parsed = seen.results[name]
            clean = not seen.covered[name] and name not in seen.holed
            if parsed.ok and self._certain(name, raw) and clean:
                self._palettes[name].learn(crops[name])
            r, e = self._track(frame, name, self._observe(name, sample, seen), crops[name])
            aligner.add(r)
            events += e
        self._evidence.remember(frame.index, crops)
        attached = tuple(self._evidence.attach(e) for e in events)
        self._release_evidence(frame.index + 1)
        t3 = clock()
        times.crop += t1 - t0
        times.read += t2 - t1
        times.track += t3 - t2
        times.samples += 1
        return Batch(tuple(aligner.ready()), attached)

    def _read_sample(self, sample: Sample, crops: dict[str, Image]) -> _Seen:
        """Every meter's read of a sample and what is known about it, as far as the
        degradation level allows."""
        frame, times = sample.frame, self.times
        assert self._readers is not None and self._cheap is not None
        level = self._degrade.level if self._degrade is not None else Level.NORMAL
        readers = self._cheap if level >= Level.MINIMAL else self._readers
        keep = self.config.degrade.keep or list(self.meters[:1])
        wanted = {m: crops[m] for m in keep} if level is Level.EMERGENCY else crops
        reads_before, recalled_before = self._chooser.reads, self._chooser.recalled
        seen = _Seen(covered=dict.fromkeys(self.meters, False), frame_step=_frame_step(sample))
        failed = False
        try:
            seen.results = self._chooser.read(readers, wanted, self._parse)
            results = seen.results
            seen.disputed = set(self._chooser.disputed)  # ways that read different numbers
            seen.covered |= {m: self._palettes[m].covered(crops[m]) for m in results}
            # a hole in the number: a popup in the meter's own colours, or digits rolling
            # out of sight; second looks tell the two apart, so only the tracker is told
            seen.holed = {m for m in results if self._chooser.holed(m, results[m][0])}
            if level is Level.NORMAL:  # second looks are the first work to go
                settings = {m: t.s for m, t in self._trackers.items()}
                around = Around(
                    frame.ts,
                    (sample.following, sample.preceding),
                    (sample.following_ts, sample.preceding_ts),
                )
                # with any lost decimal point put back, or a face that drops its point
                # would never be checked for motion, nor its rests read
                pointed = {
                    m: (raw, self._restored(m, raw.value_text, parsed) or parsed)
                    for m, (raw, parsed) in results.items()
                }
                seen.looks = self._looks(readers, crops, around, pointed, seen.covered, settings)
                strong = {m: st.strong_char for m, st in settings.items()}
                seen.confirmed = self._confirm(
                    readers, crops, around, results, seen.covered, strong
                )
        except Exception as exc:  # one sample's failure must not end a week-long run
            seen.results = self._reader_failed(frame, crops, exc)
            failed = True
        for name in self.meters:
            if name not in seen.results:
                why = f"not read: {level.label} degradation keeps {', '.join(keep)}"
                seen.results[name] = (
                    RawRead(text="", confidence=0.0),
                    ParseResult(None, reason=why),
                )
        if self._voter is not None and not failed:
            voter_reads = self._voter.reads
            read = {m: r for m, r in seen.results.items() if m in wanted}
            seen.votes = self._voter(
                frame.ts, read, readers, self._chooser.preparation, self._parse, self._certain
            )
            times.reads += self._voter.reads - voter_reads
        times.reads += self._chooser.reads - reads_before + self._looks.take_reads()
        times.reads += self._confirm.take_reads()
        times.recalled += self._chooser.recalled - recalled_before
        seen.changed = self._changed(crops)
        return seen

    def _changed(self, crops: dict[str, Image]) -> dict[str, bool | None]:
        """Whether each meter's text rows look other than at the previous sample: what
        tells the tracker that an unsure read matching an earlier value by its digits is
        not that value on the same picture (None: nothing to compare with)."""
        out: dict[str, bool | None] = {}
        for name, crop in crops.items():
            prev, now = self._previous.get(name), grey(crop)  # a new array: the frame may go
            self._previous[name] = now
            if prev is None or prev.shape != now.shape:
                out[name] = None
                continue
            rows = self._palettes[name].band(now.shape[0])
            if rows is not None:
                prev, now = prev[rows[0] : rows[1]], now[rows[0] : rows[1]]
            out[name] = text_changed(prev, now)
        return out

    def _observe(self, name: str, sample: Sample, seen: _Seen) -> Observation:
        """What the tracker is told of one meter at one sample."""
        raw, parsed = seen.results[name]
        looks = seen.looks
        vote = seen.votes.get(name)
        note = ""
        if vote is not None:
            raw, parsed = vote.read
            if vote.disagreed or vote.filled_in:
                values = (str(v) if v is not None else "-" for v in vote.values)
                note = f"captures read {' / '.join(values)}"
        return Observation(
            frame=sample.frame.index,
            ts=sample.frame.ts,
            text=raw.text,
            confidence=raw.confidence,
            parsed=parsed,
            weakest=raw.weakest,
            covered=seen.covered[name] or name in seen.holed,
            second_look=looks.after.get(name),
            look_back=looks.before.get(name),
            after_in=looks.after_in.get(name),
            before_by=looks.before_by.get(name),
            after_agrees=(name, 0) not in looks.disagree,
            before_agrees=(name, 1) not in looks.disagree,
            after_contradicts=(name, 0) in looks.contradict,
            before_contradicts=(name, 1) in looks.contradict,
            transitions=self._timed(name, sample),
            frame_step=seen.frame_step,
            confirmed=name in seen.confirmed,
            moving=name in looks.moving,
            mixed=name in looks.mixed,
            doubted=name in seen.disputed or raw.stray or (vote is not None and vote.doubted),
            rest_hidden=name in looks.hidden,
            reader=raw.reader,
            note=note,
            changed=seen.changed.get(name),
            restored=self._restored(name, raw.value_text, parsed),
        )

    def _pointed(self, meter: str, text: str) -> ParseResult:
        """The read parsed as :meth:`_parse` does, or with a decimal point the model did
        not see put back: what second looks compare and read rests with. Which of the
        two a reading takes is the tracker's to decide (it holds the count of digits)."""
        parsed = self._parse(meter, text)
        return self._restored(meter, text, parsed) or parsed

    def _restored(self, meter: str, text: str, parsed: ParseResult) -> ParseResult | None:
        """The read with a decimal point the model did not see put back, if the parser
        refused it for its decimals and the restored text has the meter's form."""
        if parsed.ok or not parsed.reason.startswith("expected"):
            return None
        cfg = self.config.meters[meter]
        restored = restore_point(text, cfg.kind, cfg.decimals)
        if not restored.ok or not self._chooser.fits_form(meter, text):
            return None
        return restored

    def _timed(self, name: str, sample: Sample) -> tuple[float, ...]:
        """How long the meter's display took for each change it completed since the last
        sample, leaving out motions to or from a rest a popup covered (the popup's own)."""
        palette = self._palettes[name]
        return tuple(
            m.seconds
            for m in sample.motions.get(name, ())
            if not palette.covered(m.before) and not palette.covered(m.after)
        )

    def _release_evidence(self, newest: int) -> None:
        undecided = [u for t in self._trackers.values() if (u := t.undecided) is not None]
        self._evidence.release(min(undecided, default=newest))


def _frame_step(sample: Sample) -> float:
    """Seconds between decoded frames next to the sample (0 when none were kept)."""
    times = sorted([*sample.preceding_ts, sample.frame.ts, *sample.following_ts])
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    return min(steps, default=0.0)
