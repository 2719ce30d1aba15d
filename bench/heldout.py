"""FourEyes against the bare model on randomised meter boards it was never tuned on.

Each seed draws a whole board (fonts, sizes, effects, backgrounds, number formats, rolls,
bursts, popups, codec, resolution, frame rate, camera, sampling rate) with
:mod:`foureyes.demo.synth`, renders it with exact per-frame truth, runs ``foureyes run``
on it in a subprocess exactly as a user would, reads the same samples with the bare model
(:mod:`baseline`), and scores both with the same scorer.

The protocol: develop on seeds below 10000 (``DEV_SEEDS``) and report only seeds from
10000 up (``HELD_OUT_START``), which nobody looks at while developing. Every table shows
FourEyes beside the bare model.

    .venv/bin/python bench/heldout.py --seeds 10000:10200            # the held-out benchmark
    .venv/bin/python bench/heldout.py --seeds 10000:10010 --every-frame
    .venv/bin/python bench/heldout.py --seeds 10000:10005 --long      # 10-minute videos
    .venv/bin/python bench/heldout.py --seeds 0:40 --out bench/out/dev   # while developing

A seed whose row exists in ``OUT/rows`` is not run again, so an interrupted benchmark goes
on where it stopped; ``--fresh`` starts over. Writes ``OUT/report.md`` and
``OUT/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).parent))

from baseline import BareModel, bare_run, sampled_frames
from foureyes.config import load_config
from foureyes.demo import score
from foureyes.demo.score import MeterScore, score_windows

OUT = Path(__file__).parent / "out" / "heldout"
FOUREYES = Path(sys.executable).with_name("foureyes")
WINDOW = 100.0  # seconds, for long runs

_model: BareModel | None = None


def _bare() -> BareModel:
    global _model
    if _model is None:
        _model = BareModel(threads=1)
    return _model


def _rss_kib(pid: int) -> int | None:
    """The process's resident memory (Linux /proc; None elsewhere or once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _foureyes(config: Path, out: Path, log: Path) -> tuple[int, float, list[tuple[float, int]]]:
    """Run ``foureyes run`` and sample its memory once a second: exit code, wall seconds,
    [(seconds since start, RSS KiB)]."""
    env = {**os.environ, "FOUREYES_NO_PROGRESS": "1"}
    t0 = time.monotonic()
    memory: list[tuple[float, int]] = []
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(FOUREYES), "run", str(config), "--out", str(out)],
            stdout=err,
            stderr=subprocess.STDOUT,
            env=env,
        )
        done = threading.Event()

        def watch() -> None:
            while not done.wait(1.0):
                rss = _rss_kib(proc.pid)
                if rss is not None:
                    memory.append((round(time.monotonic() - t0, 1), rss))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        code = proc.wait()
        done.set()
        watcher.join()
    return code, time.monotonic() - t0, memory


def _meter_rows(sc: Any) -> dict[str, dict[str, Any]]:
    return {m: s.to_dict() for m, s in sc.meters.items()}


def run_seed(seed: int, out: Path, opts: dict[str, Any]) -> dict[str, Any]:
    """Generate, read and score one seed; the row the report is built from."""
    from foureyes.demo.synth import generate_random

    folder = out / "videos" / str(seed)
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.monotonic()
    video = generate_random(
        folder / "video",
        seed,
        seconds=opts.get("seconds"),
        sample_fps=opts.get("sample_fps"),
        long=bool(opts.get("long")),
    )
    gen_s = time.monotonic() - t0
    if opts.get("every_frame"):
        doc = yaml.safe_load(video.config.read_text())
        doc["source"]["fps"] = video.fps
        video.config.write_text(yaml.safe_dump(doc, sort_keys=False))
    # one ONNX thread per worker: the workers share the cores
    doc = yaml.safe_load(video.config.read_text())
    doc.setdefault("reader", {})["threads"] = 1
    config_path = video.config.with_name("bench.yaml")
    config_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    run_dir = folder / "run"
    code, wall, memory = _foureyes(config_path, run_dir, folder / "foureyes.log")
    factors = json.loads(video.factors.read_text())
    row: dict[str, Any] = {"seed": seed, "labels": factors["labels"], "gen_s": round(gen_s, 2)}
    row["frames"], row["fps"] = video.frames, video.fps
    if code != 0:
        tail = (folder / "foureyes.log").read_text()[-2000:]
        return {**row, "error": f"foureyes run exited {code}: {tail}"}
    summary = json.loads((run_dir / "summary.json").read_text())
    mine = score(run_dir, video.truth.parent)
    t1 = time.monotonic()
    bare_dir = folder / "bare"
    bare_run(load_config(config_path), sampled_frames(run_dir), bare_dir, _bare())
    bare_s = time.monotonic() - t1
    bare = score(bare_dir, video.truth.parent)
    row |= {
        "foureyes": mine.to_dict(),
        "bare": bare.to_dict(),
        "meters": _meter_rows(mine),
        "bare_meters": _meter_rows(bare),
        "wall_s": round(wall, 2),
        "bare_s": round(bare_s, 2),
        "reads": summary.get("reads"),
        "samples": summary.get("frames_sampled"),
        "memory_kib": memory,
    }
    if opts.get("long"):
        row["windows"] = {
            m: [w.to_dict() for w in ws]
            for m, ws in score_windows(run_dir, video.truth.parent, WINDOW).items()
        }
    if not opts.get("keep"):
        for p in folder.iterdir():
            if p.is_dir() and p.name != "run" and p.name != "bare":
                for f in p.iterdir():
                    if f.suffix in (".mp4", ".webm", ".avi", ".mkv"):
                        f.unlink()
    return row


# -- report -----------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def _resets_ok(r: dict[str, Any]) -> bool:
    f = r["foureyes"]
    return (
        f["resets_found"] == f["resets_true"]
        and f["false_resets"] == 0
        and f["duplicate_events"] == 0
    )


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    good = [r for r in rows if "foureyes" in r]
    errors = [r for r in rows if "error" in r]
    if not good:
        return ["no video scored"]
    acc = [r["foureyes"]["accuracy"] for r in good]
    bare = [r["bare"]["accuracy"] for r in good]
    below = [r["seed"] for r in good if r["foureyes"]["accuracy"] < r["bare"]["accuracy"]]
    worst = min(good, key=lambda r: r["foureyes"]["accuracy"])
    wrong = sum(r["foureyes"]["wrong"] for r in good)
    lines = [
        f"videos scored: {len(good)} (failed to run: {len(errors)})",
        "",
        "| | FourEyes | bare model |",
        "|---|---|---|",
        f"| mean accuracy | {sum(acc) / len(acc):.2%} | {sum(bare) / len(bare):.2%} |",
        f"| worst video | {min(acc):.2%} (seed {worst['seed']}) | {min(bare):.2%} |",
        f"| wrong values | {wrong} in {sum(r['foureyes']['wrong'] > 0 for r in good)} videos"
        f" | {sum(r['bare']['wrong'] for r in good)} in"
        f" {sum(r['bare']['wrong'] > 0 for r in good)} videos |",
        f"| nulls on visible frames | {sum(r['foureyes']['nulls'] for r in good)} |"
        f" {sum(r['bare']['nulls'] for r in good)} |",
        f"| resets found / true | {sum(r['foureyes']['resets_found'] for r in good)} /"
        f" {sum(r['foureyes']['resets_true'] for r in good)} | - |",
        f"| false resets | {sum(r['foureyes']['false_resets'] for r in good)} | - |",
        f"| duplicate events | {sum(r['foureyes']['duplicate_events'] for r in good)} | - |",
        f"| videos with every reset found once and none false |"
        f" {sum(_resets_ok(r) for r in good)}/{len(good)} | - |",
        f"| videos below the bare model | {len(below)} {below[:20]} | - |",
    ]
    return lines


_FACTORS = ("font", "height", "roll", "rate", "effects", "background", "format", "popups")
_VIDEO_FACTORS = ("codec", "camera", "sampling", "resolution", "fps", "scaling")


def factor_table(rows: list[dict[str, Any]]) -> list[str]:
    """Per generator factor and level: FourEyes' and the bare model's accuracy, wrong
    values and nulls over the meters that had that level."""
    acc: dict[tuple[str, str], list[MeterScore]] = defaultdict(list)
    bare: dict[tuple[str, str], list[MeterScore]] = defaultdict(list)
    for r in rows:
        if "foureyes" not in r:
            continue
        video = r["labels"].get("video", {})
        for m, s in r["meters"].items():
            labels = {k: video[k] for k in _VIDEO_FACTORS if k in video}
            labels |= r["labels"].get("meters", {}).get(m, {})
            for k, v in labels.items():
                key = (k, str(v))
                acc[key].append(_ms(s))
                bare[key].append(_ms(r["bare_meters"][m]))
    order = [*_FACTORS, *_VIDEO_FACTORS]
    keys = sorted(acc, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k))
    lines = [
        "| factor | level | meters | visible | accuracy | wrong | nulls | bare accuracy |"
        " bare wrong | bare nulls |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        a = sum(acc[key], MeterScore())
        b = sum(bare[key], MeterScore())
        lines.append(
            f"| {key[0]} | {key[1]} | {len(acc[key])} | {a.visible} | {_pct(a.accuracy)} |"
            f" {a.wrong} | {a.nulls} | {_pct(b.accuracy)} | {b.wrong} | {b.nulls} |"
        )
    return lines


def _ms(d: dict[str, Any]) -> MeterScore:
    fields = ("samples", "visible", "correct", "wrong", "nulls", "settled", "settled_correct")
    return MeterScore(*(int(d[k]) for k in fields))


def video_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| seed | s | fps | sampling | codec | FourEyes acc. | wrong | nulls | resets |"
        " false resets | bare acc. | bare wrong | reads | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["seed"]):
        v = r["labels"].get("video", {})
        if "error" in r:
            lines.append(f"| {r['seed']} | error: {r['error'][:80]!r} |")
            continue
        f, b = r["foureyes"], r["bare"]
        lines.append(
            f"| {r['seed']} | {r['frames'] / r['fps']:.0f} | {r['fps']} | {v.get('sampling')} |"
            f" {v.get('codec')} | {_pct(f['accuracy'])} | {f['wrong']} | {f['nulls']} |"
            f" {f['resets_found']}/{f['resets_true']} | {f['false_resets']} |"
            f" {_pct(b['accuracy'])} | {b['wrong']} | {r['reads']} | {r['wall_s']} |"
        )
    return lines


def long_lines(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| seed | worst 100 s window (meter) | windows below 99.5% | RSS after 100 s MiB |"
        " RSS at end MiB |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["seed"]):
        if "windows" not in r:
            continue
        worst, where, below = 2.0, "", 0
        for m, ws in r["windows"].items():
            for k, w in enumerate(ws):
                if not w["visible"]:
                    continue
                below += w["accuracy"] < 0.995
                if w["accuracy"] < worst:
                    worst, where = w["accuracy"], f"{m} #{k}"
        mem = r.get("memory_kib") or []
        early = next((kib for t, kib in mem if t >= 100), None)
        end = mem[-1][1] if mem else None
        out.append(
            f"| {r['seed']} | {_pct(worst)} ({where}) | {below} |"
            f" {early and round(early / 1024)} | {end and round(end / 1024)} |"
        )
    return out


def report(rows: list[dict[str, Any]], out: Path, title: str) -> str:
    text = [f"# {title}", "", *summary_lines(rows), "", "## By generator factor", ""]
    text += factor_table(rows)
    if any("windows" in r for r in rows):
        text += ["", "## Long runs", "", *long_lines(rows)]
    text += ["", "## Per video", "", *video_table(rows)]
    md = "\n".join(text) + "\n"
    (out / "report.md").write_text(md)
    (out / "report.json").write_text(json.dumps(rows, indent=1) + "\n")
    return md


def _seeds(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        if ":" in part:
            a, b = part.split(":")
            out += range(int(a), int(b))
        else:
            out.append(int(part))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="10000:10200", help="A:B (B excluded), or a,b,c")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=None, help="default: drawn, 30-60")
    parser.add_argument("--sample-fps", type=float, default=None, help="default: drawn")
    parser.add_argument("--every-frame", action="store_true", help="read every frame")
    parser.add_argument("--long", action="store_true", help="10-minute videos")
    parser.add_argument("--keep", action="store_true", help="keep the videos")
    parser.add_argument("--fresh", action="store_true", help="run seeds already done again")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    console = Console(stderr=True)
    rows_dir = args.out / "rows"
    if args.fresh:
        shutil.rmtree(args.out, ignore_errors=True)
    rows_dir.mkdir(parents=True, exist_ok=True)
    opts = {
        "seconds": args.seconds,
        "sample_fps": args.sample_fps,
        "every_frame": args.every_frame,
        "long": args.long,
        "keep": args.keep,
    }
    seeds = _seeds(args.seeds)
    todo = [s for s in seeds if not (rows_dir / f"{s}.json").exists()]
    t0 = time.monotonic()
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, TimeElapsedColumn(), console=console) as progress,
        ProcessPoolExecutor(max_workers=args.workers) as pool,
    ):
        task = progress.add_task("videos", total=len(seeds), completed=len(seeds) - len(todo))
        futures = {pool.submit(run_seed, s, args.out, opts): s for s in todo}
        for fut in as_completed(futures):
            seed = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # a generator bug must not lose the other rows
                row = {"seed": seed, "labels": {}, "error": f"{type(exc).__name__}: {exc}"}
            (rows_dir / f"{seed}.json").write_text(json.dumps(row) + "\n")
            if "foureyes" in row:
                f, b = row["foureyes"], row["bare"]
                progress.console.print(
                    f"seed {seed}: FourEyes {f['accuracy']:.2%} ({f['wrong']} wrong,"
                    f" {f['nulls']} nulls, resets {f['resets_found']}/{f['resets_true']},"
                    f" {f['false_resets']} false), bare {b['accuracy']:.2%}"
                    f" ({b['wrong']} wrong), {row['wall_s']} s",
                    highlight=False,
                )
            else:
                progress.console.print(f"seed {seed}: {row['error'][:300]}", highlight=False)
            progress.advance(task)
    rows = [json.loads((rows_dir / f"{s}.json").read_text()) for s in seeds]
    kind = "every frame" if args.every_frame else ("10-minute videos" if args.long else "")
    title = f"Seeds {args.seeds} {kind}".strip()
    print(report(rows, args.out, title))
    console.print(f"{len(todo)} videos in {time.monotonic() - t0:.0f} s → {args.out}/report.md")


if __name__ == "__main__":
    main()
