"""The HTTP API of a run: health, readiness, Prometheus metrics and the run's data.

``create_app`` serves one run folder's store: a past run (``foureyes serve DIR``) or, with
``metrics`` and ``health`` from a running pipeline, a live one. Every route but
``/health`` asks for the API key when one is set (``X-API-Key`` or a bearer token); query
limits are bounded and bodies are refused, since the API only reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from pydantic import BaseModel

from foureyes.observe.metrics import Metrics
from foureyes.server.dashboard import Details, add_dashboard
from foureyes.sinks.reader import STORE, StoreReader

__all__ = ["create_app"]

MAX_LIMIT = 1000
MAX_BODY = 1024  # bytes; nothing here takes a body
KEY_COOKIE = "foureyes_key"  # a browser cannot send a header: ``/?key=`` sets this cookie


class Health(BaseModel):
    status: str
    components: dict[str, dict[str, Any]]


class MeterView(BaseModel):
    meter: str
    value: float | None
    status: str | None
    ts: float | None
    growth_per_minute: float | None
    last_reset: dict[str, Any] | None


def create_app(
    folder: Path,
    *,
    metrics: Metrics | None = None,
    health: Callable[[], dict[str, dict[str, Any]]] | None = None,
    details: Details | None = None,
    api_key: str | None = None,
) -> FastAPI:
    """The app for the run in ``folder``. ``health`` gives each component's state, each a
    dict with an ``ok`` flag; without it, the store's availability is all there is.
    ``details`` gives the dashboard a running pipeline's source and reader health."""
    store = StoreReader(folder / STORE)
    app = FastAPI(
        title="FourEyes",
        description="Readings, events and health of a FourEyes run.",
        version="1",
    )

    def components() -> dict[str, dict[str, Any]]:
        parts = {"store": {"ok": store.available(), "path": str(store.path)}}
        if health is not None:
            parts |= health()
        return parts

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        if api_key and request.url.path == "/" and "key" in request.query_params:
            return _login(request.query_params["key"], api_key)
        if api_key and request.url.path != "/health" and not _authorised(request, api_key):
            return JSONResponse(
                {"detail": "missing or wrong API key (X-API-Key or Authorization: Bearer)"},
                status_code=401,
            )
        return await call_next(request)

    @app.get("/health", response_model=Health)
    def get_health() -> Health:
        """Liveness: the server answers."""
        return Health(status="ok", components=components())

    @app.get("/ready", response_model=Health, responses={503: {"model": Health}})
    def get_ready(response: Response) -> Health:
        """Readiness: every component (store, source, readers) is up."""
        parts = components()
        ready = all(bool(p.get("ok")) for p in parts.values())
        if not ready:
            response.status_code = 503
        return Health(status="ready" if ready else "not ready", components=parts)

    @app.get("/metrics", response_class=PlainTextResponse)
    def get_metrics() -> Response:
        """Prometheus text format."""
        body = metrics.exposition() if metrics is not None else _from_store(store)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/meters", response_model=list[MeterView])
    def get_meters() -> list[dict[str, Any]]:
        """Each meter's latest trusted value, growth per minute and last reset."""
        return store.meters()

    @app.get("/api/readings")
    def get_readings(
        meter: str | None = None,
        since: float | None = Query(None, description="stream seconds"),
        limit: int = Query(100, ge=1, le=MAX_LIMIT),
    ) -> list[dict[str, Any]]:
        """The latest readings (oldest first), optionally of one meter, since a time."""
        return store.readings(meter=meter, since=since, limit=limit)

    @app.get("/api/events")
    def get_events(
        meter: str | None = None,
        type: str | None = None,
        since: float | None = Query(None, description="stream seconds"),
        limit: int = Query(100, ge=1, le=MAX_LIMIT),
    ) -> list[dict[str, Any]]:
        """The latest events (oldest first), optionally of one meter or type."""
        return store.events(meter=meter, kind=type, since=since, limit=limit)

    @app.get("/api/runs")
    def get_runs() -> list[dict[str, Any]]:
        """The runs in this store, newest first."""
        return store.runs()

    add_dashboard(app, store, folder, details=details)
    return app


def _login(given: str, key: str) -> Response:
    """``/?key=KEY`` from a browser: keep the key in an HttpOnly cookie and drop it from
    the address bar (and so from history and screenshots)."""
    if not hmac.compare_digest(given.encode(), key.encode()):
        return JSONResponse({"detail": "wrong API key"}, status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
    return response


def _authorised(request: Request, key: str) -> bool:
    given = request.headers.get("x-api-key", "") or request.cookies.get(KEY_COOKIE, "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = given or auth[7:].strip()
    return bool(given) and hmac.compare_digest(given.encode(), key.encode())


def _from_store(store: StoreReader) -> bytes:
    """Totals of a past run, as counters (a live run serves its own registry)."""
    registry = CollectorRegistry()
    reads = Counter("foureyes_reads", "Readings decided.", ["meter", "status"], registry=registry)
    events = Counter("foureyes_events", "Events emitted.", ["meter", "type"], registry=registry)
    if store.available():
        by_status, by_type = store.counts()
        for (meter, status), n in by_status.items():
            reads.labels(meter, status).inc(n)
        for (meter, kind), n in by_type.items():
            events.labels(meter, kind).inc(n)
    return generate_latest(registry)
