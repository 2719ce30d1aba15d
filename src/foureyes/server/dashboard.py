"""The live dashboard: one page that ships inside the package (no build step) and a
server-sent event stream that keeps it current.

The stream polls the run's store rather than hooking into the pipeline, so the same page
watches a run in this process (``foureyes run --serve``), a run another process is writing,
and a finished run (``foureyes serve DIR``) alike: the store is the one source of truth,
and a reading shows on the page only once it is committed. SSE rather than a websocket:
the page only listens, and ``EventSource`` reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from foureyes.observe.alerts import ALERTS_FILE, parse_records, still_firing
from foureyes.sinks.reader import StoreReader

__all__ = ["Details", "add_dashboard", "read_alerts"]

STATIC = Path(__file__).parent / "static"
POLL_SECONDS = 1.0
HEALTH_EVERY = 2.0  # seconds between health messages
HEARTBEAT_EVERY = 15.0  # an SSE comment keeps proxies from closing an idle stream
SERIES_POINTS = 240
RECENT_EVENTS = 100
ALERT_LINES = 500  # the newest alert records read back from alerts.jsonl
MAX_STREAMS = 16  # open dashboards at once; each polls the store every second

Details = Callable[[], dict[str, Any]]


def add_dashboard(
    app: FastAPI,
    store: StoreReader,
    folder: Path,
    *,
    details: Details | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Mount the page at ``/``, its assets at ``/static`` and its feeds under ``/api``.
    ``details`` gives a running pipeline's health; without it, the run's summary does."""
    router = APIRouter()
    streams = _Slots(MAX_STREAMS)

    ended: dict[str, Any] = {}  # health of a run not running here: changes only with its row

    def health() -> dict[str, Any]:
        try:
            run = store.latest_run()
        except sqlite3.Error:  # no store yet
            run = None
        if details is not None:
            return {"run": run, "live": True, **details()}
        if ended.get("run") != run or "health" not in ended:
            ended.update(run=run, health=_ended_health(store, run))
        return dict(ended["health"])

    def snapshot() -> dict[str, Any]:
        ready = store.available()
        return {
            "meters": store.meters() if ready else [],
            "series": store.series(points=SERIES_POINTS) if ready else {},
            "events": store.events(meter=None, kind=None, since=None, limit=RECENT_EVENTS)
            if ready
            else [],
            "health": health(),
            "alerts": read_alerts(folder),
        }

    @router.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @router.get("/api/health/details")
    def get_details() -> dict[str, Any]:
        """Per-source and per-reader health: reconnects, stalls, latency percentiles,
        failures, breaker states, the degradation level."""
        return health()

    @router.get("/api/alerts")
    def get_alerts() -> dict[str, Any]:
        """Alerts firing now, and the newest alert records (from ``alerts.jsonl``)."""
        return read_alerts(folder)

    @router.get("/api/events/{event_id}")
    def get_event(event_id: str) -> dict[str, Any]:
        """One event, its evidence's address and the readings around it (raw text)."""
        event = store.event(event_id) if store.available() else None
        if event is None:
            raise HTTPException(404, f"no event {event_id!r} in this run's store")
        if _evidence_path(folder, event.get("evidence")) is not None:
            event["evidence_url"] = f"/api/events/{event_id}/evidence"
        return event

    @router.get("/api/events/{event_id}/evidence", response_class=FileResponse)
    def get_evidence(event_id: str) -> FileResponse:
        """The crop the event was decided on (PNG)."""
        event = store.event(event_id) if store.available() else None
        path = _evidence_path(folder, event.get("evidence")) if event else None
        if path is None:
            raise HTTPException(404, f"no evidence for event {event_id!r}")
        return FileResponse(path, media_type="image/png")

    @router.get("/api/stream")
    async def stream(request: Request) -> StreamingResponse:
        """Server-sent events: a ``snapshot``, then ``readings``, ``meters``, ``events``,
        ``health`` and ``alerts`` as they change."""
        if streams.free <= 0:
            raise HTTPException(503, f"{MAX_STREAMS} dashboards are open; close one first")
        streams.free -= 1
        return _Stream(
            _feed(request, store, folder, snapshot, health, clock),
            streams,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _ended_health(store: StoreReader, run: dict[str, Any] | None) -> dict[str, Any]:
    """The health of a run no pipeline here is running: what its summary says."""
    summary = (store.summary() if run else None) or {}
    return {
        "run": run,
        "live": False,
        "source": {"ok": None, "uri": run["source"] if run else None}
        | dict(summary.get("source_health") or {}),
        "readers": summary.get("readers") or {},
        "pipeline": {
            "samples": summary.get("frames_sampled"),
            "degradation": summary.get("degradation"),
        },
    }


async def _feed(
    request: Request,
    store: StoreReader,
    folder: Path,
    snapshot: Callable[[], dict[str, Any]],
    health: Callable[[], dict[str, Any]],
    clock: Callable[[], float],
) -> AsyncGenerator[str, None]:
    cursor = await run_in_threadpool(lambda: store.cursor() if store.available() else (0, 0))
    first = await run_in_threadpool(snapshot)
    yield _message("snapshot", first)
    alerts_seen = _size(folder / ALERTS_FILE)
    last_health = last_beat = clock()
    sent_health = _message("health", first["health"])
    while not await request.is_disconnected():
        await asyncio.sleep(POLL_SECONDS)
        try:
            readings, events, cursor = await run_in_threadpool(store.since, cursor)
        except sqlite3.Error:  # no store yet, or busy: next second
            readings, events = [], []
        if readings:
            yield _message("readings", readings)
            yield _message("meters", await run_in_threadpool(store.meters))
        if events:
            yield _message("events", events)
        size = _size(folder / ALERTS_FILE)
        if size != alerts_seen:
            alerts_seen = size
            yield _message("alerts", await run_in_threadpool(read_alerts, folder))
        now = clock()
        if now - last_health >= HEALTH_EVERY:
            last_health = now
            message = _message("health", await run_in_threadpool(health))
            if message != sent_health:  # a finished run's health stays as it was
                sent_health, last_beat = message, now
                yield message
        elif now - last_beat >= HEARTBEAT_EVERY:
            last_beat = now
            yield ": keep-alive\n\n"


class _Slots:
    """Open streams left, counted on the event loop's thread (so without a lock)."""

    def __init__(self, size: int) -> None:
        self.free = size


class _Stream(StreamingResponse):
    """A stream that gives its slot back however it ends. Starlette stops iterating a
    body whose client hung up without closing it, so a ``finally`` in the generator
    would wait for the garbage collector."""

    def __init__(self, content: AsyncGenerator[str, None], slots: _Slots, **kw: Any) -> None:
        super().__init__(content, **kw)
        self._content = content
        self._slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slots.free += 1
            await self._content.aclose()


def _message(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _evidence_path(folder: Path, evidence: object) -> Path | None:
    """The evidence file named in the store, if it exists inside ``folder/evidence``
    (a name that points elsewhere is not served)."""
    if not isinstance(evidence, str) or not evidence:
        return None
    base = (folder / "evidence").resolve()
    path = (folder / evidence).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def read_alerts(folder: Path) -> dict[str, Any]:
    """The newest alert records (from the file's tail), and those still firing."""
    path = folder / ALERTS_FILE
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 512 * ALERT_LINES))
            lines = f.read().splitlines()[-ALERT_LINES:]
    except OSError:
        return {"active": [], "recent": []}
    records = parse_records(lines)
    return {"active": still_firing(records), "recent": records[::-1][:50]}
