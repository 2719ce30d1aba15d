"""``python -m foureyes.demo.synth OUT --seed N``: render one seed's video and say what it is.

Prints the files written and the factor labels (the bands a benchmark files scores under).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from foureyes.demo.synth import generate_random


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foureyes.demo.synth", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the video, meters.yaml and the truth")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=None, help="default: drawn, 30-60")
    parser.add_argument("--long", action="store_true", help="a 600 s video")
    parser.add_argument("--sample-fps", type=float, default=None, help="default: drawn")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    try:
        video = generate_random(
            args.out,
            args.seed,
            seconds=args.seconds,
            sample_fps=args.sample_fps,
            long=args.long,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.monotonic() - t0
    print(f"seed {video.seed}: {video.frames} frames at {video.fps} fps in {seconds:.1f} s")
    for name in ("video", "config", "truth", "truth_events", "factors"):
        print(f"  {name:<12} {getattr(video, name)}")
    labels = json.loads(video.factors.read_text())["labels"]
    print(json.dumps(labels, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
