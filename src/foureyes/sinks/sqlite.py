"""The embedded store: readings, events, runs and checkpoints in one SQLite file.

WAL mode so readers (dashboards, ``sqlite3``) never block the writer. Each sample's
readings, events and the pipeline's state after it commit in one transaction, so a crash
at any moment leaves the store at a sample boundary it can resume from. Event ids are
primary keys, so an event decided twice is stored once; ``seq`` keeps the order lines were
committed in, so the JSONL files can be rebuilt exactly from the store.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foureyes.errors import OutputError
from foureyes.model import Event, EventType, Reading, Status
from foureyes.sinks.base import RunInfo

__all__ = ["RunRecord", "SQLiteSink"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',  -- running | interrupted | complete
    source TEXT NOT NULL,
    config TEXT NOT NULL,
    versions TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS readings (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    meter TEXT NOT NULL,
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    value REAL,
    text TEXT NOT NULL,
    confidence REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    reader TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, meter, frame)
);
CREATE INDEX IF NOT EXISTS readings_meter_ts ON readings(meter, ts);
CREATE INDEX IF NOT EXISTS readings_seq ON readings(run_id, seq);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
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
CREATE TABLE IF NOT EXISTS checkpoints (
    run_id TEXT PRIMARY KEY REFERENCES runs(id),
    samples INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    wall REAL NOT NULL,  -- Unix time of the commit, to date a resumed live stream
    state BLOB NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run found in an existing store, and where it stopped."""

    run_id: str
    started: str
    status: str
    source: str
    config: dict[str, Any]
    samples: int = 0
    wall: float | None = None
    state: bytes | None = None


class SQLiteSink:
    def __init__(self, path: Path, *, wall: Any = time.time) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._run_id = ""
        self._seq = 0
        self._wall = wall

    # -- an existing store --------------------------------------------------------------
    @staticmethod
    def last_run(path: Path) -> RunRecord | None:
        """The newest run in the store at ``path`` with its checkpoint, or None."""
        try:
            db = sqlite3.connect(path)
            try:
                if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
                    return None  # created, but cut off before its schema
                row = db.execute(
                    "SELECT r.id, r.started, r.status, r.source, r.config, c.samples, c.wall, "
                    "c.state FROM runs r LEFT JOIN checkpoints c ON c.run_id = r.id "
                    "ORDER BY r.rowid DESC LIMIT 1"
                ).fetchone()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise OutputError(
                f"is not a FourEyes store FourEyes can read ({exc}); choose another --out",
                path=str(path),
            ) from exc
        if row is None:
            return None
        run_id, started, status, source, config, samples, wall, state = row
        return RunRecord(
            run_id, started, status, source, json.loads(config), samples or 0, wall, state
        )

    # -- the Sink protocol --------------------------------------------------------------
    def open(self, run: RunInfo) -> None:
        """Start ``run``, or go on with it if the store already has it (a resume)."""
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            db.execute(
                "INSERT INTO runs (id, started, source, config, versions) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET status = 'running', finished = NULL",
                (
                    run.run_id,
                    run.started,
                    run.source,
                    json.dumps(run.config, sort_keys=True),
                    json.dumps(run.versions, sort_keys=True),
                ),
            )
            seqs = [
                db.execute(f"SELECT max(seq) FROM {t} WHERE run_id = ?", (run.run_id,)).fetchone()
                for t in ("readings", "events")
            ]
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open the store: {exc}", path=str(self.path)) from exc
        self._db = db
        self._run_id = run.run_id
        self._seq = max((s[0] or 0) for s in seqs)

    def write(self, readings: Sequence[Reading], events: Sequence[Event]) -> None:
        self.commit(readings, events)

    def commit(
        self,
        readings: Sequence[Reading],
        events: Sequence[Event],
        checkpoint: tuple[int, int, float, bytes] | None = None,
    ) -> tuple[list[Reading], list[Event]]:
        """Store one batch and, if given, the checkpoint ``(samples, frame, ts, state)``
        after it, all or nothing. Returns what was new: what the JSONL files may show."""
        db = self._require()
        new_readings: list[Reading] = []
        new_events: list[Event] = []
        seq = self._seq
        try:
            db.execute("BEGIN IMMEDIATE")
            for r in readings:
                cur = db.execute(
                    "INSERT OR IGNORE INTO readings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        self._run_id,
                        seq + 1,
                        r.meter,
                        r.frame,
                        r.ts,
                        r.value,
                        r.text,
                        r.confidence,
                        str(r.status),
                        r.reason,
                        r.reader,
                    ),
                )
                if cur.rowcount:
                    seq += 1
                    new_readings.append(r)
            for e in events:
                cur = db.execute(
                    "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        e.id,
                        self._run_id,
                        seq + 1,
                        e.meter,
                        str(e.type),
                        e.frame,
                        e.ts,
                        e.before,
                        e.after,
                        e.confidence,
                        json.dumps(e.detail),
                        e.evidence,
                    ),
                )
                if cur.rowcount:
                    seq += 1
                    new_events.append(e)
            if checkpoint is not None:
                samples, frame, ts, state = checkpoint
                db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?,?,?)",
                    (self._run_id, samples, frame, ts, float(self._wall()), state),
                )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise OutputError(f"cannot write to the store: {exc}", path=str(self.path)) from exc
        self._seq = seq
        return new_readings, new_events

    def close(self, summary: dict[str, Any] | None = None, *, status: str = "complete") -> None:
        if self._db is None:
            return
        if summary is not None:
            self._db.execute(
                "UPDATE runs SET finished = ?, summary = ?, status = ? WHERE id = ?",
                (
                    summary.get("finished"),
                    json.dumps(summary, sort_keys=True),
                    status,
                    self._run_id,
                ),
            )
        self._db.close()
        self._db = None

    # -- reading back -------------------------------------------------------------------
    def readings(self) -> Iterator[Reading]:
        """This run's readings in the order they were committed."""
        rows = self._require().execute(
            "SELECT ts, frame, meter, value, text, confidence, status, reason, reader "
            "FROM readings "
            "WHERE run_id = ? ORDER BY seq",
            (self._run_id,),
        )
        for ts, frame, meter, value, text, conf, status, reason, reader in rows:
            yield Reading(ts, frame, meter, value, text, conf, Status(status), reason, reader)

    def events(self) -> Iterator[Event]:
        """This run's events in the order they were committed."""
        rows = self._require().execute(
            "SELECT id, ts, frame, meter, type, before, after, confidence, detail, evidence "
            "FROM events WHERE run_id = ? ORDER BY seq",
            (self._run_id,),
        )
        for eid, ts, frame, meter, kind, before, after, conf, detail, evidence in rows:
            yield Event(
                eid, ts, frame, meter, EventType(kind), before, after, conf,
                json.loads(detail), evidence,
            )  # fmt: skip

    def _require(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("SQLiteSink used before open")
        return self._db
