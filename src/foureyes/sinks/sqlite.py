"""The embedded store: readings, events and runs in one SQLite file.

WAL mode so readers (dashboards, ``sqlite3``) never block the writer; one transaction per
batch so a crash leaves whole batches only; event ids are primary keys so a replayed
batch cannot duplicate an event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foureyes.errors import OutputError
from foureyes.model import Event, Reading
from foureyes.sinks.base import RunInfo

__all__ = ["SQLiteSink"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    source TEXT NOT NULL,
    config TEXT NOT NULL,
    versions TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS readings (
    run_id TEXT NOT NULL REFERENCES runs(id),
    meter TEXT NOT NULL,
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    value REAL,
    text TEXT NOT NULL,
    confidence REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, meter, frame)
);
CREATE INDEX IF NOT EXISTS readings_meter_ts ON readings(meter, ts);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    meter TEXT NOT NULL,
    type TEXT NOT NULL,
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    before REAL,
    after REAL,
    confidence REAL NOT NULL,
    detail TEXT NOT NULL,
    evidence TEXT
);
CREATE INDEX IF NOT EXISTS events_meter_ts ON events(meter, ts);
"""


class SQLiteSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._run_id = ""

    def open(self, run: RunInfo) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            db.execute(
                "INSERT INTO runs (id, started, source, config, versions) VALUES (?,?,?,?,?)",
                (
                    run.run_id,
                    run.started,
                    run.source,
                    json.dumps(run.config, sort_keys=True),
                    json.dumps(run.versions, sort_keys=True),
                ),
            )
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open the store: {exc}", path=str(self.path)) from exc
        self._db = db
        self._run_id = run.run_id

    def write(self, readings: Sequence[Reading], events: Sequence[Event]) -> None:
        db = self._require()
        try:
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO readings VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        self._run_id,
                        r.meter,
                        r.frame,
                        r.ts,
                        r.value,
                        r.text,
                        r.confidence,
                        str(r.status),
                        r.reason,
                    )
                    for r in readings
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        e.id,
                        self._run_id,
                        e.meter,
                        str(e.type),
                        e.frame,
                        e.ts,
                        e.before,
                        e.after,
                        e.confidence,
                        json.dumps(e.detail, sort_keys=True),
                        e.evidence,
                    )
                    for e in events
                ],
            )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise OutputError(f"cannot write to the store: {exc}", path=str(self.path)) from exc

    def close(self, summary: dict[str, Any] | None = None) -> None:
        if self._db is None:
            return
        if summary is not None:
            self._db.execute(
                "UPDATE runs SET finished = ?, summary = ? WHERE id = ?",
                (summary.get("finished"), json.dumps(summary, sort_keys=True), self._run_id),
            )
        self._db.close()
        self._db = None

    def _require(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("SQLiteSink.write before open")
        return self._db
