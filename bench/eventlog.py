"""What logging one decision costs the reading thread, and how many the log sustains.

Logs ``--records`` reading-like records from one thread while the writer thread drains
them to a real file, timing each ``log()`` call with ``time.perf_counter_ns``; prints the
hot-path p50/p99/max and the sustained rate (records written per second, end to end).

    .venv/bin/python bench/eventlog.py [--records 200000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from foureyes.observe import EventLog, Level

OUT = Path(__file__).parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--capacity", type=int, default=10_000)
    args = parser.parse_args()
    costs: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog(Path(tmp) / "log.jsonl", capacity=args.capacity).start()
        t0 = time.perf_counter()
        for i in range(args.records):
            level = Level.DEBUG if i % 4 else Level.INFO
            a = time.perf_counter_ns()
            log.log(level, "reading", meter="grand", frame=i, stream_ts=i / 2, value=12345.67,
                    status="ok", reason="", text="$12,345.67")  # fmt: skip
            costs.append(time.perf_counter_ns() - a)
        log.close()
        wall = time.perf_counter() - t0
    costs.sort()
    row = {
        "records": args.records,
        "written": log.written,
        "dropped": dict(log.dropped),
        "p50_us": round(costs[len(costs) // 2] / 1000, 2),
        "p99_us": round(costs[int(len(costs) * 0.99)] / 1000, 2),
        "max_us": round(costs[-1] / 1000, 1),
        "mean_us": round(statistics.fmean(costs) / 1000, 2),
        "sustained_per_s": round(log.written / wall),
    }
    print(json.dumps(row, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "eventlog.json").write_text(json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
