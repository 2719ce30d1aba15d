"""Accuracy and speed of FourEyes on generated meter boards of several styles.

For each style: render a video with known truth, run FourEyes on it exactly as
``foureyes run`` does, score the outputs against the truth, and time a bare PyAV decode of
the same video for scale. Prints one row per video and writes bench/out/accuracy.json.

    .venv/bin/python bench/accuracy.py [--seconds 60] [--styles classic,sevenseg] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import av
from rich.console import Console
from rich.table import Table

from foureyes.config import load_config
from foureyes.demo import STYLES, generate, score
from foureyes.runner import run

OUT = Path(__file__).parent / "out"


def bare_decode_seconds(video: Path) -> float:
    """Decode every frame with PyAV and nothing else: the floor for any reader of it."""
    t0 = time.monotonic()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    console = Console()
    rows = []
    for style in args.styles.split(","):
        folder = args.out / style
        shutil.rmtree(folder, ignore_errors=True)
        video = generate(folder / "video", style=style, seconds=args.seconds, seed=args.seed)
        result = run(
            load_config(video.config), out=folder / "run", show_progress=False, console=console
        )
        sc = score(result.out, video.truth.parent).to_dict()
        decode = bare_decode_seconds(video.video)
        s = result.summary
        row = {
            "style": style,
            "samples": s["frames_sampled"],
            "reads": s["reads"],
            "accuracy": sc["accuracy"],
            "settled_acc": sc["settled_accuracy"],
            "wrong": sc["wrong"],
            "nulls_visible": sc["nulls"],
            "resets_true": sc["resets_true"],
            "resets_found": sc["resets_found"],
            "false_resets": sc["false_resets"],
            "duplicates": sc["duplicate_events"],
            "reads_per_s": s["reads_per_second"],
            "ms_per_read": s["ms_per_read"],
            "wall_s": s["wall_seconds"],
            "decode_s": round(decode, 3),
            "wall_over_decode": round(s["wall_seconds"] / decode, 2) if decode else None,
        }
        rows.append(row)
        console.print(row)
    table = Table(title=f"FourEyes accuracy, {args.seconds:g} s videos, seed {args.seed}")
    for key in rows[0]:
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
