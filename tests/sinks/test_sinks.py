"""The store and the JSONL files keep what they are given, whole and once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from foureyes.model import Event, EventType, Reading, Status
from foureyes.sinks.base import RunInfo
from foureyes.sinks.jsonl import JSONLSink
from foureyes.sinks.sqlite import SQLiteSink

RUN = RunInfo(
    run_id="r1",
    started="2026-01-01T00:00:00+00:00",
    source="a.mp4",
    config={"source": {"uri": "a.mp4"}},
    versions={"foureyes": "0"},
)
READINGS = [
    Reading(0.0, 0, "grand", 10.5, "$10.50", 0.99, Status.OK),
    Reading(0.0, 0, "mini", None, "BONUS", 0.4, Status.UNREADABLE, "not a number"),
]
EVENT = Event("abc", 1.0, 30, "mini", EventType.RESET, 14.2, 10.0, 0.98, {"previous": 0.5})


def test_sqlite_keeps_readings_events_and_run(tmp_path: Path) -> None:
    """Readings, events and the run's config land in the store; an event id is stored once."""
    sink = SQLiteSink(tmp_path / "foureyes.db")
    sink.open(RUN)
    sink.write(READINGS, [EVENT])
    sink.write([], [EVENT])  # a replayed batch
    sink.close({"finished": "later", "reads": 2})
    db = sqlite3.connect(tmp_path / "foureyes.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT meter, value, status FROM readings ORDER BY meter").fetchall()
    assert rows == [("grand", 10.5, "ok"), ("mini", None, "unreadable")]
    assert db.execute("SELECT id, type, before, after FROM events").fetchall() == [
        ("abc", "reset", 14.2, 10.0)
    ]
    config, versions, summary = db.execute("SELECT config, versions, summary FROM runs").fetchone()
    assert json.loads(config)["source"]["uri"] == "a.mp4"
    assert json.loads(versions) == {"foureyes": "0"}
    assert json.loads(summary)["reads"] == 2


def test_jsonl_lines_follow_the_contract(tmp_path: Path) -> None:
    """Each reading and event is one JSON object per line with the contract's fields."""
    sink = JSONLSink(tmp_path)
    sink.open(RUN)
    sink.write(READINGS, [EVENT])
    sink.close()
    lines = [json.loads(x) for x in (tmp_path / "readings.jsonl").read_text().splitlines()]
    assert lines[0] == {
        "ts": 0.0,
        "frame": 0,
        "meter": "grand",
        "value": 10.5,
        "text": "$10.50",
        "confidence": 0.99,
        "status": "ok",
    }
    assert lines[1]["value"] is None and lines[1]["reason"] == "not a number"
    (event,) = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {k: event[k] for k in ("id", "ts", "frame", "meter", "type", "before", "after")} == {
        "id": "abc",
        "ts": 1.0,
        "frame": 30,
        "meter": "mini",
        "type": "reset",
        "before": 14.2,
        "after": 10.0,
    }
