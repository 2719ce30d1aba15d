"""Soak FourEyes in faults: crashes, misbehaving models and dropping streams, many times.

Each scenario runs against a generated clip whose uninterrupted run is the reference:

- ``kill``: `foureyes run` killed with SIGKILL at random moments and run again into the
  same folder until it finishes; its files are compared with the reference's. Recovery is
  the time from a restart to the first sample it commits.
- ``reader``: a model that fails, hangs past its timeout or answers garbage at random sits
  first in every meter's chain, the real one second. Recovery is the longest a sample
  waited for its reads.
- ``live``: a paced live stream on localhost goes down at random moments for random
  spells. Recovery is the time from the stream coming back to the next frame.

Prints one row per scenario: runs, faults injected, readings lost, readings changed,
events duplicated, longest recovery; writes bench/out/soak.json.

    .venv/bin/python bench/soak.py [--rounds 2] [--seed 1] [--scenarios kill,reader,live]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from foureyes import load_config
from foureyes.demo import DemoVideo, generate
from foureyes.demo.stream import PacedStream, to_mpegts
from foureyes.errors import TransientReaderError
from foureyes.model import Image, RawRead, Reading
from foureyes.pipeline import Pipeline
from foureyes.readers.base import Reader, create_reader, register_reader
from foureyes.sources import LiveSource

OUT = Path(__file__).parent / "out"
ENV = {**os.environ, "FOUREYES_NO_PROGRESS": "1"}
DROPS = 3  # stream drops per live round


@dataclass
class Tally:
    scenario: str
    runs: int = 0
    faults: int = 0
    readings_lost: int = 0
    readings_changed: int = 0
    events_duplicated: int = 0
    events_lost: int = 0
    longest_recovery_s: float = 0.0

    def recovered(self, seconds: float) -> None:
        self.longest_recovery_s = round(max(self.longest_recovery_s, seconds), 3)


# -- kill -9 and resume ----------------------------------------------------------------------
def _start(config: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "foureyes", "run", str(config), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _committed(out: Path) -> int:
    db = out / "foureyes.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            row = con.execute("SELECT max(samples) FROM checkpoints").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0) if row else 0


def soak_kill(clip: DemoVideo, rounds: int, rng: random.Random, work: Path) -> Tally:
    tally = Tally("kill")
    ref = work / "kill-ref"
    t0 = time.monotonic()
    proc = _start(clip.config, ref)
    if proc.wait() != 0:
        raise SystemExit(f"reference run failed: {proc.stderr.read() if proc.stderr else ''}")
    seconds = time.monotonic() - t0
    ref_readings = (ref / "readings.jsonl").read_text().splitlines()
    ref_events = (ref / "events.jsonl").read_text().splitlines()
    for n in range(rounds):
        out = work / f"kill-{n}"
        kills = 0
        while True:
            before = _committed(out)
            started = time.monotonic()
            proc = _start(clip.config, out)
            recovered = False
            deadline = started + (rng.uniform(0.15, 0.9) * seconds if kills < 4 else 1e9)
            while proc.poll() is None and time.monotonic() < deadline:
                if not recovered and _committed(out) > before:
                    tally.recovered(time.monotonic() - started)
                    recovered = True
                time.sleep(0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                if proc.wait() != 0:  # it may have finished just before the kill
                    kills += 1
                    tally.faults += 1
                    continue
            if proc.returncode != 0:
                raise SystemExit(f"run {out} failed: {proc.stderr.read() if proc.stderr else ''}")
            break
        tally.runs += 1
        got = (out / "readings.jsonl").read_text().splitlines()
        events = (out / "events.jsonl").read_text().splitlines()
        tally.readings_lost += max(0, len(ref_readings) - len(got))
        tally.readings_changed += sum(a != b for a, b in zip(ref_readings, got, strict=False))
        ids = Counter(json.loads(e)["id"] for e in events)
        tally.events_duplicated += sum(k - 1 for k in ids.values())
        tally.events_lost += len({json.loads(e)["id"] for e in ref_events} - set(ids))
    return tally


# -- a misbehaving model first in the chain ----------------------------------------------------
class Chaos:
    """The real model, but each call fails, hangs or answers garbage with some chance."""

    def __init__(self, rng: random.Random, **_: Any) -> None:
        self.name = "chaos"
        self.rng = rng
        self.inner = create_reader("rapidocr", threads=1)
        self.faults = 0
        self.release = threading.Event()

    def warmup(self) -> None:
        self.inner.warmup()

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        roll = self.rng.random()
        if roll < 0.15:
            self.faults += 1
            raise TransientReaderError("503 Service Unavailable", reader=self.name)
        if roll < 0.20:
            self.faults += 1
            self.release.wait(2.0)  # past the 0.5 s timeout
        elif roll < 0.25:
            self.faults += 1
            return [RawRead("$1.00", 1.0)]  # one answer whatever the number of crops
        return self.inner.read(crops)

    def close(self) -> None:
        self.release.set()
        self.inner.close()


def _readings(config: Any) -> tuple[list[Reading], float]:
    out: list[Reading] = []
    longest = 0.0
    with Pipeline(config) as pipeline:
        last = time.monotonic()
        for batch in pipeline.steps():
            now = time.monotonic()
            longest = max(longest, now - last)
            last = now
            out.extend(batch.readings)
    return out, longest


def soak_reader(clip: DemoVideo, rounds: int, rng: random.Random, work: Path) -> Tally:
    tally = Tally("reader")
    reference, _ = _readings(load_config(clip.config))
    data = yaml.safe_load(clip.config.read_text())
    data["source"]["uri"] = str(clip.video)
    data["readers"] = {
        "flaky": {
            "name": "chaos",
            "timeout": 0.5,
            "retries": 1,
            "backoff_initial": 0.05,
            "breaker": {"window_size": 10, "minimum_calls": 5, "wait_in_open": 2},
        }
    }
    for meter in data["meters"].values():
        meter["readers"] = ["flaky", "default"]
    path = work / "chaos.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    made: list[Chaos] = []

    def factory(**kw: Any) -> Reader:
        made.append(Chaos(random.Random(rng.random()), **kw))
        return made[-1]

    register_reader("chaos", factory)
    want = {(r.frame, r.meter): r.value for r in reference}
    for _ in range(rounds):
        got, longest = _readings(load_config(path))
        tally.runs += 1
        tally.faults += sum(c.faults for c in made)
        made.clear()
        have = {(r.frame, r.meter): r.value for r in got}
        tally.readings_lost += len(want.keys() - have.keys())
        tally.readings_changed += sum(have[k] != v for k, v in want.items() if k in have)
        tally.recovered(longest)
    return tally


# -- a live stream that drops ------------------------------------------------------------------
def soak_live(clip: DemoVideo, rounds: int, rng: random.Random, work: Path) -> Tally:
    tally = Tally("live")
    ts = to_mpegts(clip.video, work / "live.ts")
    for _ in range(rounds):
        with PacedStream.of_file(ts, seconds=clip.frames / 30) as server:
            stop = threading.Event()
            source = LiveSource(server.url, sample_fps=2, no_frame_timeout=1.0, rng=rng, stop=stop)
            came_back: list[float] = []
            arrivals: list[float] = []

            def chaos(
                server: PacedStream = server,
                stop: threading.Event = stop,
                came_back: list[float] = came_back,
                arrivals: list[float] = arrivals,
            ) -> None:
                for _ in range(DROPS):
                    time.sleep(rng.uniform(1.5, 3.0))
                    server.down()
                    time.sleep(rng.uniform(0.5, 3.0))
                    server.back()
                    came_back.append(time.monotonic())
                    deadline = time.monotonic() + 60  # wait for the reconnect (backoff)
                    while time.monotonic() < deadline and (
                        not arrivals or arrivals[-1] < came_back[-1]
                    ):
                        time.sleep(0.05)
                stop.set()

            with source:
                source.open()
                threading.Thread(target=chaos, daemon=True).start()
                last_ts = -1.0
                for frame in source.frames():
                    arrivals.append(time.monotonic())
                    if frame.ts <= last_ts:
                        tally.readings_changed += 1  # time went backwards
                    last_ts = frame.ts
            tally.runs += 1
            tally.faults += DROPS
            for t in came_back:
                after = [a for a in arrivals if a >= t]
                if after:
                    tally.recovered(after[0] - t)
                else:
                    tally.readings_lost += 1  # never recovered before the round ended
    return tally


SCENARIOS = {"kill": soak_kill, "reader": soak_reader, "live": soak_live}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows: list[Tally] = []
    with tempfile.TemporaryDirectory(prefix="foureyes-soak-") as tmp:
        work = Path(tmp)
        clip = generate(work / "clip", style="classic", seconds=args.seconds, seed=args.seed)
        for name in args.scenarios.split(","):
            t0 = time.monotonic()
            tally = SCENARIOS[name](clip, args.rounds, rng, work)
            rows.append(tally)
            print(f"{name}: {asdict(tally)} ({time.monotonic() - t0:.0f} s)", flush=True)
    head = (
        "| scenario | runs | faults injected | readings lost | readings changed "
        "| events duplicated | events lost | longest recovery s |"
    )
    print(f"\n{args.seconds:g} s clip, seed {args.seed}, {args.rounds} rounds\n")
    print(head)
    print("|---|---|---|---|---|---|---|---|")
    for t in rows:
        print(
            f"| {t.scenario} | {t.runs} | {t.faults} | {t.readings_lost} | "
            f"{t.readings_changed} | {t.events_duplicated} | {t.events_lost} | "
            f"{t.longest_recovery_s} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps([asdict(t) for t in rows], indent=2) + "\n")


if __name__ == "__main__":
    main()
