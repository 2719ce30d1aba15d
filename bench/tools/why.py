"""Where a development run's wrong values and nulls come from, by class and by factor.

Reads a ``bench/heldout.py --keep`` output folder (development seeds only: the held-out
range is never looked into) and, per video, the run's readings (``run/``) or a tracker
replay's (``replay/``, from ``replay.py``) against the truth. Each visible sample is
classed as settled or mid-roll (its truth allows more than one value), each null by the
first words of its reason, and the counts are grouped by the meter's roll style, so the
next change can be aimed at the biggest pool rather than at one video.

    .venv/bin/python bench/tools/why.py bench/out/dev               # run/
    .venv/bin/python bench/tools/why.py bench/out/dev --replay      # replay/
    .venv/bin/python bench/tools/why.py bench/out/dev --wrong       # list every wrong value
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

HELD_OUT = 10000


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _reason_class(reason: str) -> str:
    """The reason with its numbers and quoted texts taken out, cut to a few words."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", reason)
    text = re.sub(r"[-+]?\$?[\d.,]+", "N", text)
    return " ".join(text.split()[:7]) or "(none)"


def classify(folder: Path, which: str) -> dict[str, Any]:
    """Counters for one video: visible, correct, wrong, nulls by class and reason."""
    truth = {(r["frame"], r["meter"]): r for r in _rows(folder / "video" / "truth.jsonl")}
    factors = json.loads((folder / "video" / "factors.json").read_text())
    rolls = {m: f["motion"]["roll"] for m, f in factors["meters"].items()}
    out: dict[str, Counter[Any]] = {"by": Counter(), "nulls": Counter()}
    wrong: list[str] = []
    for r in _rows(folder / which / "readings.jsonl"):
        t = truth[(r["frame"], r["meter"])]
        if not t["visible"]:
            continue
        values = {round(v * 100) for v in [t["value"], *t["alt"]]}
        state = "settled" if len(values) == 1 else "mid-roll"
        key = (rolls[r["meter"]], state)
        out["by"][(*key, "visible")] += 1
        if r["value"] is None:
            out["by"][(*key, "null")] += 1
            out["nulls"][(state, _reason_class(r.get("reason", "")))] += 1
        elif round(r["value"] * 100) in values:
            out["by"][(*key, "correct")] += 1
        else:
            out["by"][(*key, "wrong")] += 1
            shown = sorted(v / 100 for v in values)
            wrong.append(
                f"{folder.name} {r['meter']} f{r['frame']} {r['value']} (truth {shown}, "
                f"{rolls[r['meter']]}) {r.get('reason', '')}"
            )
    return {"by": out["by"], "nulls": out["nulls"], "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a bench/heldout.py --keep output folder")
    parser.add_argument("--replay", action="store_true", help="score replay/ instead of run/")
    parser.add_argument("--wrong", action="store_true", help="list every wrong value")
    parser.add_argument("--top", type=int, default=25, help="null reasons to show")
    args = parser.parse_args()
    which = "replay" if args.replay else "run"
    folders = sorted(
        (p for p in (args.root / "videos").iterdir() if (p / which / "readings.jsonl").exists()),
        key=lambda p: int(p.name),
    )
    if any(int(p.name) >= HELD_OUT for p in folders):
        raise SystemExit(f"{args.root}: holds held-out seeds (>= {HELD_OUT}); not looked into")
    by: Counter[Any] = Counter()
    nulls: Counter[Any] = Counter()
    for folder in folders:
        got = classify(folder, which)
        by += got["by"]
        nulls += got["nulls"]
        if args.wrong:
            print(*got["wrong"], sep="\n")
    print(f"\n{len(folders)} videos ({which})\n")
    print(f"{'roll':10} {'state':9} {'visible':>8} {'correct':>8} {'null':>6} {'wrong':>6}")
    for roll, state in sorted({k[:2] for k in by}):
        v, c, n, w = (by[(roll, state, x)] for x in ("visible", "correct", "null", "wrong"))
        print(f"{roll:10} {state:9} {v:8} {c:8} {n:6} {w:6}  {100 * c / max(v, 1):6.2f}%")
    print("\nnulls by reason")
    for (state, reason), n in nulls.most_common(args.top):
        print(f"{n:6}  {state:9} {reason}")


if __name__ == "__main__":
    main()
