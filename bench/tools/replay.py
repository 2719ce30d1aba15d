"""Record a run's tracker observations once, then replay trackers on them in seconds.

The reading stage (the model, preparations, second looks) is most of a run's time; the
tracker's decisions depend only on the observations it is handed. Recording them once per
development video lets a change to the tracker be scored on all of them in seconds, with
the same scorer as the benchmark. A change to the reading stage needs a new recording.

    # after bench/heldout.py --seeds 0:20 --keep --out OUT
    .venv/bin/python bench/tools/replay.py record OUT            # OUT/videos/N/obs.pkl
    .venv/bin/python bench/tools/replay.py replay OUT [--seeds 3,5]

Observations are pickled dataclasses: a recording is only valid for the code that made
it (a field added to ``Observation`` shifts the others), so record again after a pull.
Development seeds only: the held-out range is never replayed.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from foureyes.config import load_config
from foureyes.demo import score
from foureyes.pipeline import Pipeline
from foureyes.tracking.tracker import MeterTracker, Observation


def record(video_dir: Path, out: Path) -> int:
    """Run the pipeline on ``video_dir/bench.yaml`` and pickle every observation."""
    log: list[tuple[str, Observation]] = []
    original = MeterTracker.update

    def update(self: MeterTracker, obs: Observation) -> Any:
        log.append((self.meter, obs))
        return original(self, obs)

    os.chdir(video_dir)
    config = load_config(video_dir / "bench.yaml")
    MeterTracker.update = update  # type: ignore[method-assign]
    try:
        with Pipeline(config) as pipeline:
            settings = {m: t.s for m, t in pipeline._trackers.items()}
            for _ in pipeline:
                pass
    finally:
        MeterTracker.update = original  # type: ignore[method-assign]
    out.write_bytes(pickle.dumps({"settings": settings, "obs": log}))
    return len(log)


def replay(folder: Path) -> dict[str, Any]:
    """Feed ``folder/obs.pkl`` to fresh trackers; write and score their readings."""
    data = pickle.loads((folder / "obs.pkl").read_bytes())
    trackers = {m: MeterTracker(m, s) for m, s in data["settings"].items()}
    readings, events = [], []
    for meter, obs in data["obs"]:
        r, e = trackers[meter].update(obs)
        readings += r
        events += e
    for tracker in trackers.values():
        r, e = tracker.finish()
        readings += r
        events += e
    out = folder / "replay"
    out.mkdir(exist_ok=True)
    readings.sort(key=lambda r: (r.frame, r.meter))
    (out / "readings.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in readings))
    (out / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))
    result: dict[str, Any] = score(out, folder / "video").to_dict()
    return result


def _videos(root: Path, seeds: str | None) -> list[Path]:
    wanted = set(seeds.split(",")) if seeds else None
    found = sorted((root / "videos").iterdir(), key=lambda p: int(p.name))
    return [p for p in found if wanted is None or p.name in wanted]


def _record_one(folder: Path) -> str:
    return f"{folder.name}: {record(folder / 'video', folder / 'obs.pkl')} observations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["record", "replay"])
    parser.add_argument("root", type=Path, help="a bench/heldout.py --keep output folder")
    parser.add_argument("--seeds", help="comma-separated seeds (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    videos = _videos(args.root.resolve(), args.seeds)
    if args.action == "record":
        with ProcessPoolExecutor(args.workers) as pool:
            for line in pool.map(_record_one, videos):
                print(line)
        return
    totals = {"wrong": 0, "nulls": 0, "resets_found": 0, "resets_true": 0, "false_resets": 0}
    accuracies = []
    for folder in (v for v in videos if (v / "obs.pkl").exists()):
        s = replay(folder)
        accuracies.append(s["accuracy"] or 0.0)
        for k in totals:
            totals[k] += s[k]
        print(
            f"{folder.name}: {100 * (s['accuracy'] or 0):.2f}% wrong {s['wrong']} "
            f"nulls {s['nulls']} resets {s['resets_found']}/{s['resets_true']} "
            f"false {s['false_resets']}"
        )
    mean = 100 * sum(accuracies) / max(len(accuracies), 1)
    print(f"mean {mean:.2f}% over {len(accuracies)} videos", totals)


if __name__ == "__main__":
    main()
