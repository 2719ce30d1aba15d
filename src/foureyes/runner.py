"""``foureyes run``: a pipeline plus its outputs (store, JSONL, evidence, summary) and
what a person watching the terminal sees (a progress bar for files, a live table for
streams)."""

from __future__ import annotations

import json
import platform
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

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

from foureyes.config import Config
from foureyes.errors import OutputError, redact_url
from foureyes.model import Event, Reading, Status
from foureyes.pipeline import Pipeline
from foureyes.readers.base import Reader
from foureyes.sinks.base import RunInfo, Sink
from foureyes.sinks.jsonl import JSONLSink
from foureyes.sinks.sqlite import SQLiteSink

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


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(
            "already exists and is not an empty folder; choose another --out or remove it",
            path=str(out),
        )


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
) -> RunResult:
    """Run ``config`` to the end of its source (or until ``stop``), writing into ``out``.

    Everything that can fail at start-up (output folder, source, regions, model) is checked
    before the folder is created, so a failed start leaves nothing behind.
    """
    console = console or Console(stderr=True)
    _check_out(out)
    pipeline = Pipeline(
        config, source=source, reader=reader, evidence_dir=out / "evidence", stop=stop, clock=clock
    )
    info = pipeline.open()
    started = now()
    t_start = clock()
    try:
        out.mkdir(parents=True, exist_ok=True)
        sinks: list[Sink] = [SQLiteSink(out / "foureyes.db"), JSONLSink(out)]
        run_info = RunInfo(
            run_id=uuid.uuid4().hex,
            started=started.isoformat(),
            source=redact_url(pipeline.uri),
            config=config.model_dump(mode="json"),
            versions=versions(),
        )
        for sink in sinks:
            sink.open(run_info)
    except BaseException:
        pipeline.close()
        raise
    status: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    latest: dict[str, Reading] = {}
    events: list[Event] = []
    view = _View(console, config, info.live, info.frame_count, show_progress)
    interrupted = False
    try:
        with view:
            for batch in pipeline:
                # The store commits first: the JSONL files only ever show committed lines.
                for sink in sinks:
                    sink.write(batch.readings, batch.events)
                for r in batch.readings:
                    status[str(r.status)] += 1
                    if r.value is not None:
                        latest[r.meter] = r
                for e in batch.events:
                    kinds[str(e.type)] += 1
                    events.append(e)
                    view.event(e)
                view.update(pipeline.decoded, latest)
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
            "wall_seconds": round(wall, 3),
            "frames_decoded": pipeline.decoded,
            "frames_sampled": t.samples,
            "reads": t.reads,
            "readings": dict(sorted(status.items())),
            "events": dict(sorted(kinds.items())),
            "stage_seconds": t.as_dict(),
            "reads_per_second": round(t.reads / wall, 2) if wall > 0 else None,
            "ms_per_read": round(1000 * t.read / t.reads, 2) if t.reads else None,
            "latest": {m: r.value for m, r in sorted(latest.items())},
            "versions": run_info.versions,
        }
        for sink in sinks:
            sink.close(summary)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return RunResult(out=out, summary=summary, events=events)


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
