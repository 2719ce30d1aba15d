"""The store and the JSONL files keep what they are given, whole and once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from foureyes.errors import OutputError
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


def test_commit_returns_only_what_is_new(tmp_path: Path) -> None:
    """A batch decided again after a resume is stored once, and the caller learns that
    nothing of it is new, so the JSONL files do not show it twice."""
    sink = SQLiteSink(tmp_path / "foureyes.db")
    sink.open(RUN)
    first = sink.commit(READINGS, [EVENT], (1, 0, 0.0, b"state"))
    again = sink.commit(READINGS, [EVENT], (1, 0, 0.0, b"state"))
    assert first == (READINGS, [EVENT])
    assert again == ([], [])
    sink.close()


def test_store_gives_back_lines_in_commit_order(tmp_path: Path) -> None:
    """Readings and events read back from the store rebuild the JSONL files exactly."""
    later = Reading(0.5, 15, "grand", 10.6, "$10.60", 0.97, Status.HELD, "unchanged")
    direct = tmp_path / "direct"
    direct.mkdir()
    files = JSONLSink(direct)
    files.open(RUN)
    files.write(READINGS, [EVENT])
    files.write([later], [])
    files.close()
    sink = SQLiteSink(tmp_path / "foureyes.db")
    sink.open(RUN)
    sink.commit(READINGS, [EVENT])
    sink.commit([later], [])
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    (rebuilt / "readings.jsonl").write_text('{"ts": 0.0, "frame": 0, "met')  # cut mid-line
    JSONLSink(rebuilt).rebuild(sink.readings(), sink.events())
    sink.close()
    for name in ("readings.jsonl", "events.jsonl"):
        assert (rebuilt / name).read_text() == (direct / name).read_text()


def test_last_run_and_its_checkpoint(tmp_path: Path) -> None:
    """The store tells where a run stopped; a finished run says so."""
    path = tmp_path / "foureyes.db"
    assert SQLiteSink.last_run(path) is None  # nothing there yet
    sink = SQLiteSink(path, wall=lambda: 1234.5)
    sink.open(RUN)
    sink.commit(READINGS, [], (7, 210, 3.5, b"state"))
    record = SQLiteSink.last_run(path)
    assert record is not None
    assert (record.run_id, record.status, record.samples, record.wall, record.state) == (
        "r1",
        "running",
        7,
        1234.5,
        b"state",
    )
    sink.close({"finished": "now"})
    done = SQLiteSink.last_run(path)
    assert done is not None and done.status == "complete"


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    """A foreign file named foureyes.db is an error that says what to do."""
    path = tmp_path / "foureyes.db"
    path.write_text("not sqlite at all, just words " * 50)
    with pytest.raises(OutputError, match="choose another --out"):
        SQLiteSink.last_run(path)
