"""The HTTP API over a real run's store, in process (httpx's ASGI transport), and
`foureyes serve` as a real server on localhost."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from inproc import get
from prometheus_client.parser import text_string_to_metric_families

from foureyes.demo import DemoVideo
from foureyes.server import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def app(run_dir: tuple[Path, DemoVideo]) -> FastAPI:
    return create_app(run_dir[0])


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_health_and_ready(app: FastAPI) -> None:
    for url, status in (("/health", "ok"), ("/ready", "ready")):
        r = get(app, url)
        assert r.status_code == 200
        assert r.json()["status"] == status
        assert r.json()["components"]["store"]["ok"] is True


def test_metrics_parse_and_match_the_store(app: FastAPI, run_dir: tuple[Path, DemoVideo]) -> None:
    r = get(app, "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    total = sum(s.value for s in families["foureyes_reads"].samples if s.name.endswith("_total"))
    assert total == len(lines(run_dir[0] / "readings.jsonl"))


def test_meters_readings_events_runs(app: FastAPI, run_dir: tuple[Path, DemoVideo]) -> None:
    out, clip = run_dir
    meters = get(app, "/api/meters").json()
    assert [m["meter"] for m in meters] == list(clip.meters)
    assert all(m["value"] is not None for m in meters)
    resets = [e for e in lines(out / "events.jsonl") if e["type"] == "reset"]
    with_reset = {m["meter"] for m in meters if m["last_reset"]}
    assert with_reset == {e["meter"] for e in resets}
    latest = get(app, "/api/readings", params={"meter": "grand", "limit": 5}).json()
    assert len(latest) == 5 and {r["meter"] for r in latest} == {"grand"}
    assert [r["frame"] for r in latest] == sorted(r["frame"] for r in latest)
    since = get(app, "/api/readings", params={"since": 20, "limit": 1000}).json()
    assert since and all(r["ts"] >= 20 for r in since)
    events = get(app, "/api/events", params={"type": "reset"}).json()
    assert {e["id"] for e in events} == {e["id"] for e in resets}
    runs = get(app, "/api/runs").json()
    assert len(runs) == 1 and runs[0]["status"] == "complete"


@pytest.mark.parametrize(
    ("url", "params"),
    [("/api/readings", {"limit": 100000}), ("/api/events", {"limit": 0})],
)
def test_query_limits_are_bounded(app: FastAPI, url: str, params: dict[str, int]) -> None:
    assert get(app, url, params=params).status_code == 422


def test_api_key_guards_every_route_but_health(run_dir: tuple[Path, DemoVideo]) -> None:
    import anyio

    app = create_app(run_dir[0], api_key="s3cret")

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            return [
                (await ac.get("/health")).status_code,
                (await ac.get("/api/meters")).status_code,
                (await ac.get("/metrics", headers={"X-API-Key": "wrong"})).status_code,
                (await ac.get("/api/meters", headers={"X-API-Key": "s3cret"})).status_code,
                (await ac.get("/ready", headers={"Authorization": "Bearer s3cret"})).status_code,
            ]

    assert anyio.run(go) == [200, 401, 401, 200, 200]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_foureyes_serve_on_localhost(run_dir: tuple[Path, DemoVideo]) -> None:
    """`foureyes serve DIR` answers over real HTTP, and docs are there."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "foureyes", "serve", str(run_dir[0]), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert r.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/meters").json()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_serving_beyond_localhost_needs_a_key(run_dir: tuple[Path, DemoVideo]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FOUREYES_API_KEY"}
    r = subprocess.run(
        [sys.executable, "-m", "foureyes", "serve", str(run_dir[0]), "--bind", "0.0.0.0:8765"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2 and "FOUREYES_API_KEY" in r.stderr
