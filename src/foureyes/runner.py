"""``foureyes run``: a pipeline plus its outputs (store, JSONL, evidence, summary) and
what a person watching the terminal sees (a progress bar for files, a live table for
streams)."""

from __future__ import annotations

import json
import logging
import platform
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from foureyes import checkpoint
from foureyes.config import Config
from foureyes.errors import OutputError, redact_url
from foureyes.failures import FailureRecorder
from foureyes.model import Event, Reading, Status
from foureyes.observe.alerts import ALERTS_FILE, Alerts
from foureyes.observe.eventlog import EventLog, Level, LogBridge
from foureyes.observe.metrics import Metrics
from foureyes.observe.tracing import start_tracing
from foureyes.pipeline import Pipeline
from foureyes.readers.base import Reader
from foureyes.server.app import create_app
from foureyes.server.live import BackgroundServer, parse_bind
from foureyes.sinks.base import RunInfo
from foureyes.sinks.jsonl import JSONLSink
from foureyes.sinks.reader import STORE
from foureyes.sinks.sqlite import RunRecord, SQLiteSink

__all__ = ["RunResult", "default_out_dir", "run", "versions"]

_PACKAGES = ("foureyes", "av", "rapidocr", "onnxruntime", "numpy", "opencv-python-headless")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def default_out_dir(config: Config, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    stem = config.path.stem if config.path is not None else "run"
    return Path("runs") / f"{stem}-{stamp}"


@dataclass(slots=True)
class RunResult:
    out: Path
    summary: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    metrics: Metrics | None = None


# What a run puts in its folder: a folder of only these is one of ours.
_OURS = {".lock", STORE, f"{STORE}-wal", f"{STORE}-shm", "readings.jsonl", "events.jsonl"}
_OURS |= {"evidence", "summary.json", "failures", "readings.jsonl.tmp", "events.jsonl.tmp"}
_OURS |= {"log.jsonl", ALERTS_FILE}


def _resumable(out: Path, config: Config, source: str) -> RunRecord | None:
    """The run to go on with in ``out``, None for a new run, or an error if ``out`` holds
    something else: a finished run, another config's run, or files that are not ours."""
    if not out.exists():
        return None
    names = {p.name for p in out.iterdir()} if out.is_dir() else {""}
    if names - _OURS:
        _refuse(out, "already exists and is not an empty folder; choose another --out or remove it")
    record = SQLiteSink.last_run(out / STORE) if STORE in names else None
    if record is None:
        return None  # cut off before its first commit: nothing in it to keep
    if record.status == "complete":
        _refuse(out, "already holds a finished run; choose another --out or remove it")
    if not _same_config(record.config, config):
        _refuse(
            out,
            "holds a run of a different config; resume it with that config or choose another --out",
        )
    if record.source != redact_url(source):
        _refuse(
            out,
            f"holds a run of {record.source}; resume it with that source or choose another --out",
        )
    return record


def _same_config(stored: dict[str, Any], config: Config) -> bool:
    """Whether the stored run's config says what ``config`` says about what is read and
    decided. Keys left at their defaults do not count, so a FourEyes upgrade that adds a
    key can still resume; nor do alerts and traces, which change nothing in the outputs;
    secrets are compared masked, as they are stored."""
    try:
        old = Config.model_validate(stored)
    except ValidationError:
        return False

    def said(c: Config) -> dict[str, Any]:
        data = c.redacted(exclude_defaults=True)
        return {k: v for k, v in data.items() if k not in ("alerts", "traces")}

    return said(old) == said(config)


def _refuse(out: Path, why: str) -> NoReturn:
    raise OutputError(why, path=str(out))


def _lock(fd: int) -> None:
    """Take an exclusive lock on the open file ``fd`` without waiting; raises
    BlockingIOError (POSIX) or PermissionError (Windows) when another process holds it.
    The platform's module is imported here, not at import time, so FourEyes imports on
    both."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` for the run: two processes appending to one store and one pair
    of JSONL files would interleave their lines."""
    with (out / ".lock").open("w") as lock:
        try:
            _lock(lock.fileno())
        except (BlockingIOError, PermissionError):
            raise OutputError(
                "another foureyes run is writing to it; wait for it or choose another --out",
                path=str(out),
            ) from None
        yield


@dataclass(slots=True)
class _Tally:
    status: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    latest: dict[str, Reading] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def readings(self, readings: Iterable[Reading]) -> Iterator[Reading]:
        for r in readings:
            self.status[str(r.status)] += 1
            if r.value is not None:
                self.latest[r.meter] = r
            yield r

    def add_events(self, events: Iterable[Event]) -> Iterator[Event]:
        for e in events:
            self.kinds[str(e.type)] += 1
            self.events.append(e)
            yield e


def run(
    config: Config,
    *,
    out: Path,
    source: str | None = None,
    reader: Reader | None = None,
    console: Console | None = None,
    show_progress: bool = True,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
    serve: str | None = None,
    api_key: str | None = None,
    otlp_endpoint: str | None = None,
) -> RunResult:
    """Run ``config`` to the end of its source (or until ``stop``), writing into ``out``;
    with ``serve`` (``HOST:PORT``), serve the HTTP API of the run while it goes on;
    with ``otlp_endpoint`` (or the config's ``traces.endpoint``), export traces there.

    Everything that can fail at start-up (output folder, source, regions, model) is checked
    before the folder is created, so a failed start leaves nothing behind. If ``out`` holds
    the same run cut off by a crash or Ctrl-C, it goes on from the store's last checkpoint:
    the outputs end as an uninterrupted run's would.
    """
    console = console or Console(stderr=True)
    uri = source or config.source.uri
    bind = parse_bind(serve, api_key=api_key) if serve is not None else None
    record = _resumable(out, config, uri)
    state = None
    if record is not None and record.state is not None:
        state = checkpoint.loads(record.state, path=str(out / STORE))
    gap = now().timestamp() - record.wall if record is not None and record.wall else 0.0
    run_id = record.run_id if record is not None else uuid.uuid4().hex
    tracer = start_tracing(
        otlp_endpoint or config.traces.endpoint,
        headers=config.traces.headers,
        service_name=config.traces.service_name,
        resource={"foureyes.run_id": run_id, "foureyes.source": redact_url(uri)},
    )
    try:
        pipeline = Pipeline(
            config,
            source=source,
            reader=reader,
            evidence_dir=out / "evidence",
            stop=stop,
            clock=clock,
            resume=state,
            resume_gap=gap,
            failures=FailureRecorder(out / "failures", config=config.redacted(), versions=versions),
            tracer=tracer,
        )
    except BaseException:
        tracer.close()
        raise
    try:
        info = pipeline.open()
        out.mkdir(parents=True, exist_ok=True)
        with _exclusive(out):
            return _run(
                pipeline,
                config,
                out,
                run_id,
                record,
                info.live,
                info.frame_count,
                console,
                show_progress,
                now,
                clock,
                bind,
                api_key,
            )
    finally:
        pipeline.close()
        tracer.close()


def _run(
    pipeline: Pipeline,
    config: Config,
    out: Path,
    run_id: str,
    record: RunRecord | None,
    live: bool,
    total: int | None,
    console: Console,
    show_progress: bool,
    now: Callable[[], datetime],
    clock: Callable[[], float],
    bind: tuple[str, int] | None = None,
    api_key: str | None = None,
) -> RunResult:
    t_start = clock()
    run_info = RunInfo(
        run_id=run_id,
        started=record.started if record else now().isoformat(),
        source=redact_url(pipeline.uri),
        config=config.redacted(),
        versions=versions(),
    )
    store = SQLiteSink(out / STORE, wall=lambda: now().timestamp())
    files = JSONLSink(out)
    tally = _Tally()
    store.open(run_info)
    try:
        if record is not None:
            # The files may be behind the store, or cut mid-line: rebuild them from it.
            files.rebuild(tally.readings(store.readings()), tally.add_events(store.events()))
        files.open(run_info)
    except BaseException:
        store.close()
        raise
    view = _View(console, config, live, total, show_progress)
    interrupted = False
    decisions = EventLog(out / "log.jsonl").start()
    metrics = Metrics(run_info.source)
    read_before = pipeline.times.read
    last_sample = -1
    last_batch_at = clock()
    patience = max(config.source.no_frame_timeout, 5.0)
    liveness = _Liveness(lambda: pipeline.decoded, lambda: pipeline.queue_fill, clock)

    def source_up() -> bool:
        return liveness.quiet() < patience

    metrics.watch(source_up=source_up, queue_fill=lambda: pipeline.queue_fill)
    alerts = Alerts(
        config.alerts,
        out=out,
        run_id=run_info.run_id,
        source=run_info.source,
        decoded=liveness.beats,
        clock=clock,
    )

    def health(readers: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        waited = clock() - last_batch_at
        readers = pipeline.reader_stats() if readers is None else readers
        return {
            "source": {
                "ok": source_up(),
                "uri": run_info.source,
                "seconds_since_sample": round(waited, 1),
            },
            "readers": {
                "ok": all(st["state"] != "open" for st in readers.values()),
                "states": {name: st["state"] for name, st in readers.items()},
            },
            "pipeline": {
                "ok": True,
                "samples": pipeline.times.samples,
                "degradation": pipeline.degradation(),
            },
        }

    def details() -> dict[str, Any]:
        readers = pipeline.reader_stats()
        parts = health(readers)
        return {
            "source": parts["source"] | pipeline.source_stats(),
            "readers": readers,
            "pipeline": parts["pipeline"],
        }

    server = None
    if bind is not None:
        app = create_app(out, metrics=metrics, health=health, details=details, api_key=api_key)
        server = BackgroundServer(app, *bind).start()
        console.print(f"serving {server.url}", highlight=False, soft_wrap=True)
    bridge = LogBridge(decisions)
    logging.getLogger("foureyes").addHandler(bridge)
    decisions.info(
        "run_started",
        run_id=run_info.run_id,
        source=run_info.source,
        resumed_after_sample=record.samples if record else None,
    )
    alerts.start()  # its threads start here, where the finally below stops them
    try:
        with view:
            for batch in pipeline.steps():
                snap = pipeline.snapshot()
                mark = (snap.samples, snap.frame, snap.ts, checkpoint.dumps(snap))
                # The store commits first: the files only ever show committed lines.
                readings, events = store.commit(batch.readings, batch.events, mark)
                files.write(readings, events)
                _log_decisions(decisions, readings, events)
                read_now = pipeline.times.read
                fresh = batch.sample != last_sample  # the trackers' final batch repeats it
                last_sample = batch.sample
                took = read_now - read_before if fresh else None
                metrics.batch(readings, events, read_seconds=took, decoded=pipeline.decoded)
                alerts.observe(readings, events, read_seconds=took)
                read_before = read_now
                last_batch_at = clock()
                metrics.health(
                    readers=pipeline.reader_stats(),
                    degradation=pipeline.degradation(),
                    log_fill=decisions.fill,
                    log_dropped=decisions.dropped,
                )
                list(tally.readings(readings))
                for e in tally.add_events(events):
                    view.event(e)
                view.update(pipeline.decoded, tally.latest)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        pipeline.close()
        wall = clock() - t_start
        t = pipeline.times
        summary = {
            "run_id": run_info.run_id,
            "config": str(config.path) if config.path else None,
            "source": run_info.source,
            "started": run_info.started,
            "finished": now().isoformat(),
            "interrupted": interrupted,
            "resumed_after_sample": record.samples if record else None,
            "wall_seconds": round(wall, 3),
            "frames_decoded": pipeline.decoded,
            "frames_sampled": t.samples,
            "reads": t.reads,
            "recalled": t.recalled,
            "readings": dict(sorted(tally.status.items())),
            "events": dict(sorted(tally.kinds.items())),
            "stage_seconds": t.as_dict(),
            "reads_per_second": round(t.reads / wall, 2) if wall > 0 else None,
            "ms_per_read": round(1000 * t.read / t.reads, 2) if t.reads else None,
            "latest": {m: r.value for m, r in sorted(tally.latest.items())},
            "source_health": pipeline.source_stats(),
            "readers": pipeline.reader_stats(),
            "degradation": pipeline.degradation(),
            "mirrors": pipeline.mirror_stats(),
            "failures": {
                "saved": pipeline.failures.saved,
                "not_saved": pipeline.failures.unsaved,
            },
            "versions": run_info.versions,
        }
        alerts.close()
        summary["alerts"] = alerts.stats
        if server is not None:
            server.stop()
        decisions.info("run_finished", interrupted=interrupted, samples=t.samples)
        logging.getLogger("foureyes").removeHandler(bridge)
        decisions.close()
        summary["log"] = {"written": decisions.written, "dropped": dict(decisions.dropped)}
        files.close(summary)
        store.close(summary, status="interrupted" if interrupted else "complete")
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return RunResult(out=out, summary=summary, events=tally.events, metrics=metrics)


class _Liveness:
    """When the source last showed life: a new decoded frame, or a full frame queue (the
    decoder then waits for slow readers, not for the source), so that a slow model is
    not taken for a source that is down."""

    def __init__(
        self, decoded: Callable[[], int], fill: Callable[[], float], clock: Callable[[], float]
    ) -> None:
        self._decoded, self._fill, self._clock = decoded, fill, clock
        self._lock = threading.Lock()  # asked from the run, scrapes and the alert ticker
        self._seen = -1
        self._count = 0
        self._at = clock()

    def _look(self) -> None:
        decoded, full = self._decoded(), self._fill() >= 1.0
        with self._lock:
            if decoded != self._seen or full:
                self._seen, self._at = decoded, self._clock()
                self._count += 1

    def quiet(self) -> float:
        """Seconds since the source last showed life."""
        self._look()
        with self._lock:
            return self._clock() - self._at

    def beats(self) -> int:
        """A count that moves while the source is alive (what alert rules watch)."""
        self._look()
        with self._lock:
            return self._count


def _log_decisions(log: EventLog, readings: Sequence[Reading], events: Sequence[Event]) -> None:
    """Each reading with its verdict and reason (a plain confirmed one at DEBUG, the
    first to go when the log falls behind), and each event."""
    for r in readings:
        level = Level.DEBUG if r.status is Status.OK and not r.reason else Level.INFO
        log.log(
            level,
            "reading",
            meter=r.meter,
            frame=r.frame,
            stream_ts=r.ts,
            value=r.value,
            status=str(r.status),
            reason=r.reason,
            text=r.text,
        )
    for e in events:
        log.info(
            "event",
            id=e.id,
            type=str(e.type),
            meter=e.meter,
            frame=e.frame,
            stream_ts=e.ts,
            before=e.before,
            after=e.after,
        )


class _View:
    """A progress bar for a file, a live table of meter values for a stream."""

    def __init__(
        self, console: Console, config: Config, live: bool, total: int | None, enabled: bool
    ) -> None:
        self.console = console
        self.meters: Sequence[str] = tuple(config.meters)
        self.enabled = enabled and console.is_terminal
        self.live = live
        self._progress: Progress | None = None
        self._task: Any = None
        self._table: Live | None = None
        if not self.enabled:
            return
        if live:
            self._table = Live(self._render({}), console=console, refresh_per_second=4)
        else:
            self._progress = Progress(
                TextColumn("[bold]reading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("frames"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self._task = self._progress.add_task("frames", total=total)

    def __enter__(self) -> _View:
        if self._progress is not None:
            self._progress.start()
        if self._table is not None:
            self._table.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._table is not None:
            self._table.stop()

    def update(self, decoded: int, latest: dict[str, Reading]) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=decoded)
        if self._table is not None:
            self._table.update(self._render(latest))

    def event(self, e: Event) -> None:
        if not self.enabled:
            return
        text = f"[yellow]{e.type}[/] {e.meter}: {e.before} → {e.after} at {e.ts:.1f}s"
        self.console.print(text)

    def _render(self, latest: dict[str, Reading]) -> Table:
        table = Table(title="FourEyes")
        table.add_column("meter")
        table.add_column("value", justify="right")
        table.add_column("at (s)", justify="right")
        for m in self.meters:
            r = latest.get(m)
            ok = r is not None and r.status in (Status.OK, Status.HELD)
            table.add_row(
                m,
                f"{r.value:,.2f}" if ok and r and r.value is not None else "—",
                f"{r.ts:.1f}" if r else "",
            )
        return table
