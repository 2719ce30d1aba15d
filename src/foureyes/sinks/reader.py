"""Read-only queries on a run's store (``foureyes.db``), for the HTTP API, the dashboard
and ``foureyes stats``. Each query opens its own read-only connection: a reader never
holds a lock the writing run would wait for (WAL), and a run can be watched as it goes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foureyes.errors import OutputError

__all__ = ["STORE", "StoreReader", "meter_order", "open_store"]

STORE = "foureyes.db"  # a run folder's store


class StoreReader:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection whose rows are :class:`sqlite3.Row`."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def available(self) -> bool:
        if not self.path.is_file():
            return False
        try:
            with self.connect() as db:
                db.execute("SELECT 1 FROM runs LIMIT 1")
        except sqlite3.Error:
            return False
        return True

    def runs(self) -> list[dict[str, Any]]:
        with self.connect() as db:
            rows = db.execute(
                "SELECT r.id, r.started, r.finished, r.status, r.source, c.samples "
                "FROM runs r LEFT JOIN checkpoints c ON c.run_id = r.id ORDER BY r.rowid DESC"
            ).fetchall()
        return [dict(r) for r in rows]

    def readings(
        self, *, meter: str | None, since: float | None, limit: int
    ) -> list[dict[str, Any]]:
        where, args = _filters(meter=meter, since=since)
        with self.connect() as db:
            rows = db.execute(
                "SELECT ts, frame, meter, value, text, confidence, status, reason, reader "
                f"FROM readings {where} ORDER BY run_id, seq DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [dict(r) for r in reversed(rows)]

    def events(
        self, *, meter: str | None, kind: str | None, since: float | None, limit: int
    ) -> list[dict[str, Any]]:
        where, args = _filters(meter=meter, since=since, type=kind)
        with self.connect() as db:
            rows = db.execute(
                "SELECT id, ts, frame, meter, type, before, after, confidence, detail, evidence "
                f"FROM events {where} ORDER BY run_id, seq DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [_event(r) for r in reversed(rows)]

    def meters(self) -> list[dict[str, Any]]:
        """Per meter of the newest run: the latest trusted value, its status, the growth
        per minute over the last 60 s of stream time (or since the last reset, if later),
        and the last reset."""
        with self.connect() as db:
            run = db.execute("SELECT id FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
            if run is None:
                return []
            run_id = run["id"]
            names = meter_order(db, run_id)
            out = []
            for meter in names:
                last = db.execute(
                    "SELECT ts, value, status FROM readings WHERE run_id = ? AND meter = ? "
                    "AND value IS NOT NULL ORDER BY seq DESC LIMIT 1",
                    (run_id, meter),
                ).fetchone()
                reset = db.execute(
                    "SELECT ts, frame, before, after FROM events WHERE run_id = ? AND meter = ? "
                    "AND type = 'reset' ORDER BY seq DESC LIMIT 1",
                    (run_id, meter),
                ).fetchone()
                growth = None
                if last is not None:
                    # over the last minute, or since the last reset if that came later
                    start = max(last["ts"] - 60, reset["ts"] if reset is not None else -1.0)
                    earlier = db.execute(
                        "SELECT ts, value FROM readings WHERE run_id = ? AND meter = ? "
                        "AND value IS NOT NULL AND ts >= ? ORDER BY seq LIMIT 1",
                        (run_id, meter, start),
                    ).fetchone()
                    if earlier is not None and last["ts"] > earlier["ts"]:
                        rise = last["value"] - earlier["value"]
                        if rise >= 0:  # a drop here is a reset not yet confirmed
                            growth = round(rise * 60 / (last["ts"] - earlier["ts"]), 4)
                out.append(
                    {
                        "meter": meter,
                        "value": last["value"] if last else None,
                        "status": last["status"] if last else None,
                        "ts": last["ts"] if last else None,
                        "growth_per_minute": growth,
                        "last_reset": dict(reset) if reset else None,
                    }
                )
        return out

    def cursor(self) -> tuple[int, int]:
        """The newest reading's and event's rowid: what a live view has already seen."""
        with self.connect() as db:
            r = db.execute("SELECT coalesce(max(rowid), 0) FROM readings").fetchone()[0]
            e = db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]
        return int(r), int(e)

    def since(
        self, cursor: tuple[int, int], *, limit: int = 2000
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], tuple[int, int]]:
        """Readings and events stored after ``cursor`` (at most ``limit`` of each), and
        the cursor after them."""
        with self.connect() as db:
            readings = db.execute(
                "SELECT rowid, ts, frame, meter, value, text, confidence, status, reason, reader "
                "FROM readings WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (cursor[0], limit),
            ).fetchall()
            events = db.execute(
                "SELECT rowid, id, ts, frame, meter, type, before, after, confidence, detail, "
                "evidence FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (cursor[1], limit),
            ).fetchall()
        after = (
            readings[-1]["rowid"] if readings else cursor[0],
            events[-1]["rowid"] if events else cursor[1],
        )
        return [_row(r) for r in readings], [_event(r) for r in events], after

    def series(self, *, points: int) -> dict[str, list[tuple[float, float]]]:
        """Each meter's latest ``points`` trusted values of the newest run, as (ts, value)."""
        with self.connect() as db:
            run = db.execute("SELECT id FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
            if run is None:
                return {}
            rows = db.execute(
                "SELECT meter, ts, value FROM ("
                "  SELECT meter, ts, value, seq, row_number() OVER ("
                "    PARTITION BY meter ORDER BY seq DESC) AS n FROM readings"
                "  WHERE run_id = ? AND value IS NOT NULL AND status IN ('ok', 'held')"
                ") WHERE n <= ? ORDER BY seq",
                (run["id"], points),
            ).fetchall()
        out: dict[str, list[tuple[float, float]]] = {}
        for r in rows:
            out.setdefault(r["meter"], []).append((r["ts"], r["value"]))
        return out

    def event(self, event_id: str) -> dict[str, Any] | None:
        """One event, with the readings of its meter around its frame (their raw text is
        what the model saw)."""
        with self.connect() as db:
            row = db.execute(
                "SELECT run_id, id, ts, frame, meter, type, before, after, confidence, detail, "
                "evidence FROM events WHERE id = ?",
                (event_id,),
            ).fetchone()
            if row is None:
                return None
            near = db.execute(
                "SELECT ts, frame, value, text, confidence, status, reason, reader FROM readings "
                "WHERE run_id = ? AND meter = ? AND frame BETWEEN ? AND ? ORDER BY seq",
                (row["run_id"], row["meter"], row["frame"] - 30, row["frame"] + 30),
            ).fetchall()
        out = _event(row)
        out.pop("run_id", None)
        out["readings"] = [dict(r) for r in near]
        return out

    def summary(self) -> dict[str, Any] | None:
        """The newest run's summary (written when it ended), if it has one."""
        with self.connect() as db:
            row = db.execute("SELECT summary FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
        if row is None or not row["summary"]:
            return None
        data = json.loads(row["summary"])
        return data if isinstance(data, dict) else None

    def latest_run(self) -> dict[str, Any] | None:
        with self.connect() as db:
            row = db.execute(
                "SELECT id, status, source, started, finished FROM runs ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
        return dict(row) if row is not None else None

    def counts(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """Readings per (meter, status) and events per (meter, type), all runs."""
        with self.connect() as db:
            reads = {
                (r[0], r[1]): r[2]
                for r in db.execute("SELECT meter, status, count(*) FROM readings GROUP BY 1, 2")
            }
            events = {
                (r[0], r[1]): r[2]
                for r in db.execute("SELECT meter, type, count(*) FROM events GROUP BY 1, 2")
            }
        return reads, events


def open_store(folder: Path) -> StoreReader:
    """The store of the run folder ``folder``, or an :class:`OutputError` saying why not."""
    store = StoreReader(folder / STORE)
    if not store.path.is_file():
        raise OutputError(
            f"no {STORE} here; pass a folder a run wrote (its --out)", path=str(folder)
        )
    try:
        with store.connect() as db:
            db.execute("SELECT 1 FROM runs LIMIT 1")
    except sqlite3.Error as exc:
        raise OutputError(f"{STORE} cannot be read ({exc})", path=str(folder)) from exc
    return store


def meter_order(db: sqlite3.Connection, run_id: str) -> list[str]:
    """A run's meters in the order they were first read (the config's order)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT meter FROM readings WHERE run_id = ? GROUP BY meter ORDER BY min(seq)",
            (run_id,),
        )
    ]


def _filters(**values: object) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, value in values.items():
        if value is None:
            continue
        clauses.append("ts >= ?" if column == "since" else f"{column} = ?")
        args.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(args)


def _row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d.pop("rowid", None)
    return d


def _event(row: sqlite3.Row) -> dict[str, Any]:
    """An event row with its detail merged in (as the events file shows it)."""
    d = _row(row)
    detail = json.loads(d.pop("detail") or "{}")
    d.update({k: v for k, v in detail.items() if k not in d})
    return d
