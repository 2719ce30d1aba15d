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


COLUMNS = (
    ("style", "style"),
    ("accuracy", "accuracy"),
    ("settled acc.", "settled_acc"),
    ("wrong", "wrong"),
    ("nulls (visible)", "nulls_visible"),
    ("resets found", "resets"),
    ("false resets", "false_resets"),
    ("dup. events", "duplicates"),
    ("reads/s", "reads_per_s"),
    ("ms/read", "ms_per_read"),
    ("wall s", "wall_s"),
    ("bare decode s", "decode_s"),
    ("wall/decode", "wall_over_decode"),
)


def markdown_table(rows: list[dict[str, object]], seconds: float, seed: int) -> str:
    """The table as the README and closing notes show it, whatever the terminal's width."""
    lines = [
        f"{seconds:g} s videos, seed {seed}",
        "",
        "| " + " | ".join(h for h, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        cells = {
            **row,
            "accuracy": f"{row['accuracy']:.2%}",
            "settled_acc": f"{row['settled_acc']:.2%}",
            "resets": f"{row['resets_found']}/{row['resets_true']}",
        }
        lines.append("| " + " | ".join(str(cells[k]) for _, k in COLUMNS) + " |")
    return "\n".join(lines)


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
    print(markdown_table(rows, args.seconds, args.seed))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
