"""The dashboard's page, its feeds and its stream, over a real run's store."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from inproc import get

from foureyes.demo import DemoVideo
from foureyes.server import create_app
from foureyes.server.dashboard import _evidence_path, read_alerts
from foureyes.server.live import BackgroundServer

pytestmark = pytest.mark.slow


@pytest.fixture
def app(run_dir: tuple[Path, DemoVideo]) -> FastAPI:
    return create_app(run_dir[0])


def test_the_page_and_its_assets_come_from_the_package(app: FastAPI) -> None:
    page = get(app, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text
    for asset, kind in [("/static/app.js", "javascript"), ("/static/style.css", "text/css")]:
        r = get(app, asset)
        assert r.status_code == 200 and kind in r.headers["content-type"], asset
    assert "EventSource" in get(app, "/static/app.js").text


def test_an_event_shows_its_evidence_and_the_raw_text(
    app: FastAPI, run_dir: tuple[Path, DemoVideo]
) -> None:
    # given the run's reset of "mini"
    reset = next(e for e in get(app, "/api/events").json() if e["type"] == "reset")
    # when the page asks for the event
    detail = get(app, f"/api/events/{reset['id']}").json()
    # then it has the readings around it, with what the model read, and its crop
    at = [r for r in detail["readings"] if r["frame"] == reset["frame"]]
    assert len(at) == 1 and at[0]["text"] and at[0]["value"] == reset["after"]
    png = get(app, detail["evidence_url"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("url", ["/api/events/nope", "/api/events/nope/evidence"])
def test_an_unknown_event_is_404(app: FastAPI, url: str) -> None:
    r = get(app, url)
    assert r.status_code == 404 and "nope" in r.json()["detail"]


@pytest.mark.parametrize(
    "name, served",
    [
        ("evidence/a.png", True),
        ("evidence/../foureyes.db", False),
        ("/etc/passwd", False),
        ("evidence/missing.png", False),
        (None, False),
    ],
)
def test_only_files_inside_the_evidence_folder_are_served(
    tmp_path: Path, name: str | None, served: bool
) -> None:
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "foureyes.db").write_bytes(b"")
    assert (_evidence_path(tmp_path, name) is not None) is served


def test_health_details_of_a_finished_run_come_from_its_summary(app: FastAPI) -> None:
    h = get(app, "/api/health/details").json()
    assert h["live"] is False and h["run"]["status"] == "complete"
    assert h["readers"]["default"]["calls"] > 0 and h["readers"]["default"]["p95_ms"] > 0
    assert h["source"]["reconnects"] == 0 and h["pipeline"]["samples"] > 0


def test_alerts_fold_to_what_is_firing_now(tmp_path: Path) -> None:
    # given a log where a source went down and came back, p95 went high, and a reset fired
    records = [
        {"id": "1", "rule": "source_down", "type": "source_down", "status": "firing"},
        {"id": "2", "rule": "read_p95_above", "type": "read_p95_above", "status": "firing"},
        {"id": "3", "rule": "source_down", "type": "source_down", "status": "resolved"},
        {"id": "4", "rule": "reset:mini", "type": "reset", "status": "firing"},
    ]
    text = "".join(json.dumps(r) + "\n" for r in records) + '{"id": "5", "rule'  # cut mid-line
    (tmp_path / "alerts.jsonl").write_text(text)
    # then only the p95 alert is still firing; the newest come first in "recent"
    alerts = read_alerts(tmp_path)
    assert [a["id"] for a in alerts["active"]] == ["2"]
    assert [a["id"] for a in alerts["recent"]] == ["4", "3", "2", "1"]
    assert read_alerts(tmp_path / "none") == {"active": [], "recent": []}


@pytest.mark.parametrize("query, status", [("?key=wrong", 401), ("?key=s3cret", 303), ("", 401)])
def test_a_browser_logs_in_with_the_key_once(
    run_dir: tuple[Path, DemoVideo], query: str, status: int
) -> None:
    app = create_app(run_dir[0], api_key="s3cret")
    r = get(app, f"/{query}", follow_redirects=False)
    assert r.status_code == status
    if status == 303:
        # the key leaves the address bar and lives in an HttpOnly cookie
        assert r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        ok = get(app, "/api/meters", headers={"Cookie": "foureyes_key=s3cret"})
        assert ok.status_code == 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def messages(lines: Iterator[str]) -> Iterator[tuple[str, object]]:
    """Server-sent events as (event, data) pairs."""
    kind, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind:
            yield kind, json.loads(data)
            kind, data = "", ""


@pytest.mark.timeout(60)
def test_the_stream_sends_what_the_store_commits_after_the_snapshot(
    run_dir: tuple[Path, DemoVideo], tmp_path: Path
) -> None:
    # given a copy of the run served over real HTTP
    folder = tmp_path / "run"
    shutil.copytree(run_dir[0], folder)
    port = free_port()
    server = BackgroundServer(create_app(folder), "127.0.0.1", port).start()
    try:
        with httpx.stream("GET", f"{server.url}/api/stream", timeout=10) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            feed = messages(r.iter_lines())
            kind, snap = next(feed)
            assert kind == "snapshot" and isinstance(snap, dict)
            last = snap["meters"][0]
            # when a new reading and an alert are written (as a running pipeline would)
            db = sqlite3.connect(folder / "foureyes.db")
            with db:
                run_id, seq = db.execute(
                    "SELECT run_id, max(seq) FROM readings GROUP BY run_id"
                ).fetchone()
                db.execute(
                    "INSERT INTO readings (run_id, seq, meter, frame, ts, value, text, "
                    "confidence, status) VALUES (?, ?, ?, 99999, 9999, ?, '$1.00', 1, 'ok')",
                    (run_id, seq + 1, last["meter"], last["value"] + 1),
                )
            db.close()
            alert = {"id": "a", "rule": "source_down", "type": "source_down", "status": "firing"}
            (folder / "alerts.jsonl").write_text(json.dumps(alert) + "\n")
            # then the stream sends them, and the meters as they are now
            seen: dict[str, object] = {}
            deadline = time.monotonic() + 20
            for kind, data in feed:
                seen[kind] = data
                if {"readings", "meters", "alerts"} <= set(seen) or time.monotonic() > deadline:
                    break
    finally:
        server.stop()
    assert [r["value"] for r in seen["readings"]] == [last["value"] + 1]  # type: ignore[attr-defined]
    meters = {m["meter"]: m for m in seen["meters"]}  # type: ignore[attr-defined]
    assert meters[last["meter"]]["value"] == last["value"] + 1
    assert seen["alerts"] == {"active": [alert], "recent": [alert]}


def test_growth_is_measured_since_a_reset_within_the_minute(app: FastAPI) -> None:
    # given the run's meters, "mini" having reset 19 s into the 24 s clip
    meters = {m["meter"]: m for m in get(app, "/api/meters").json()}
    for name, m in meters.items():
        values = [
            r for r in get(app, f"/api/readings?meter={name}&limit=1000").json() if r["value"]
        ]
        reset = m["last_reset"]
        # then growth runs from the first value since the reset (or of the run) to the last
        first = next(r for r in values if reset is None or r["ts"] >= reset["ts"])
        expected = (m["value"] - first["value"]) * 60 / (m["ts"] - first["ts"])
        assert m["growth_per_minute"] == pytest.approx(expected, abs=1e-3), name
    assert meters["mini"]["last_reset"] is not None


@pytest.mark.timeout(60)
def test_open_streams_are_bounded(
    run_dir: tuple[Path, DemoVideo], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a server that takes one dashboard stream at a time
    monkeypatch.setattr("foureyes.server.dashboard.MAX_STREAMS", 1)
    server = BackgroundServer(create_app(run_dir[0]), "127.0.0.1", free_port()).start()
    url = f"{server.url}/api/stream"
    try:
        with httpx.stream("GET", url, timeout=10) as first:
            feed = messages(first.iter_lines())  # (dropping it would hang up on the server)
            assert next(feed)[0] == "snapshot"
            # when a second one asks while the first is open, it is refused
            second = httpx.get(url, timeout=10)
            assert second.status_code == 503 and "close one" in second.json()["detail"]
        # then once the first is closed, the slot is free again
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with httpx.stream("GET", url, timeout=10) as third:
                if third.status_code == 200:
                    break
            time.sleep(0.2)
        assert third.status_code == 200
    finally:
        server.stop()
