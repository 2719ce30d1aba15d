"""``foureyes stats DIR``: what a run (finished or still going) read, from its store.

Reads ``DIR/foureyes.db`` only (read-only, so it can look at a run while it writes), and
exports readings and events as Parquet for analysis elsewhere (pandas, DuckDB, Spark).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foureyes.errors import OutputError
from foureyes.sinks.reader import meter_order, open_store

__all__ = ["MeterStats", "RunStats", "export_parquet", "load_stats"]


@dataclass(frozen=True, slots=True)
class MeterStats:
    meter: str
    readings: int
    statuses: dict[str, int]
    first: float | None
    last: float | None
    low: float | None
    high: float | None
    events: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunStats:
    run_id: str
    status: str
    source: str
    started: str
    finished: str | None
    samples: int
    meters: tuple[MeterStats, ...]
    run_events: dict[str, int]  # events of no meter (source, degradation)


def load_stats(folder: Path) -> RunStats:
    """The newest run in ``folder``'s store, summarised per meter."""
    store = open_store(folder)
    runs = store.runs()  # newest first
    if not runs:
        raise OutputError("the store holds no run yet", path=str(folder))
    run = runs[0]
    run_id = run["id"]
    with store.connect() as db:
        per_meter: dict[str, dict[str, Any]] = {}
        for meter, st, n in db.execute(
            "SELECT meter, status, count(*) FROM readings WHERE run_id = ? GROUP BY 1, 2",
            (run_id,),
        ):
            per_meter.setdefault(meter, {"statuses": {}})["statuses"][st] = n
        for meter, first, last, low, high in db.execute(
            "SELECT meter, "
            "(SELECT value FROM readings r2 WHERE r2.run_id = r.run_id AND r2.meter = r.meter "
            " AND value IS NOT NULL ORDER BY seq LIMIT 1), "
            "(SELECT value FROM readings r2 WHERE r2.run_id = r.run_id AND r2.meter = r.meter "
            " AND value IS NOT NULL ORDER BY seq DESC LIMIT 1), "
            "min(value), max(value) FROM readings r WHERE run_id = ? GROUP BY meter",
            (run_id,),
        ):
            per_meter.setdefault(meter, {"statuses": {}}).update(
                first=first, last=last, low=low, high=high
            )
        events: dict[str, dict[str, int]] = {}
        for meter, kind, n in db.execute(
            "SELECT meter, type, count(*) FROM events WHERE run_id = ? GROUP BY 1, 2", (run_id,)
        ):
            events.setdefault(meter, {})[kind] = n
        order = meter_order(db, run_id)
    meters = tuple(
        MeterStats(
            meter=m,
            readings=sum(per_meter[m]["statuses"].values()),
            statuses=dict(sorted(per_meter[m]["statuses"].items())),
            first=per_meter[m].get("first"),
            last=per_meter[m].get("last"),
            low=per_meter[m].get("low"),
            high=per_meter[m].get("high"),
            events=events.get(m, {}),
        )
        for m in order
    )
    return RunStats(
        run_id=run_id,
        status=run["status"],
        source=run["source"],
        started=run["started"],
        finished=run["finished"],
        samples=run["samples"] or 0,
        meters=meters,
        run_events=events.get("", {}),
    )


def export_parquet(folder: Path, target: Path) -> list[Path]:
    """Write ``target/readings.parquet`` and ``target/events.parquet`` (every run in the
    store, with its run id); returns the files written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = open_store(folder)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with store.connect() as db:
        for table in ("readings", "events"):
            cur = db.execute(f"SELECT * FROM {table} ORDER BY run_id, seq")
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            columns: dict[str, list[Any]] = {n: [r[i] for r in rows] for i, n in enumerate(names)}
            if "detail" in columns:
                columns["detail"] = [json.dumps(json.loads(d)) for d in columns["detail"]]
            path = target / f"{table}.parquet"
            pq.write_table(pa.table(columns), path)
            written.append(path)
    return written
