"""Crash safety: `foureyes run` killed with SIGKILL at random moments and run again with
the same --out ends with exactly the files of an uninterrupted run. Real model, real
video, real SQLite, real processes."""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from foureyes import load_config
from foureyes.config import config_from_dict
from foureyes.demo import DemoVideo, generate
from foureyes.runner import _same_config

pytestmark = pytest.mark.slow

ENV = {**os.environ, "FOUREYES_NO_PROGRESS": "1"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    """Twelve seconds with a reset: long enough to be cut several times."""
    return generate(tmp_path_factory.mktemp("clip"), style="classic", seconds=12, seed=3)


def start(clip: DemoVideo, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "foureyes", "run", str(clip.config), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def checkpointed(out: Path) -> int:
    """Samples the store says are done (0 if the kill came before the store had any)."""
    db = out / "foureyes.db"
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'checkpoints'").fetchone():
            return 0
        row = con.execute("SELECT samples FROM checkpoints").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def reference(clip: DemoVideo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """An uninterrupted run, and how long it took (to spread the kills over)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    t0 = time.monotonic()
    proc = start(clip, out)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out, time.monotonic() - t0


def test_killed_runs_resume_to_the_same_files(
    clip: DemoVideo, reference: tuple[Path, float], tmp_path: Path
) -> None:
    """Given a run killed -9 three times at random moments and resumed each time, when it
    finally ends, then readings.jsonl and events.jsonl equal the uninterrupted run's, line
    for line, and the store holds each reading and event once."""
    ref, seconds = reference
    out = tmp_path / "out"
    rng = random.Random(7)
    total = len((ref / "readings.jsonl").read_text().splitlines()) // len(clip.meters)
    # kill points: once during start-up (before anything is stored), then at random
    # numbers of committed samples, each a little after the store reached it
    targets = sorted(rng.sample(range(1, total - 1), 3))
    kills = 0
    resumed_after: list[int] = []
    proc = start(clip, out)
    time.sleep(rng.uniform(0.0, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    kills += 1
    for target in targets:
        proc = start(clip, out)
        deadline = time.monotonic() + 10 * seconds
        while proc.poll() is None and checkpointed(out) < target:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        _, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, -signal.SIGKILL), err
        resumed_after.append(checkpointed(out))
    if proc.returncode != 0:
        proc = start(clip, out)
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert kills >= 3, "the clip ran faster than the kills; lengthen it"
    assert resumed_after and max(resumed_after) > 0  # some work was kept across a kill
    for name in ("readings.jsonl", "events.jsonl"):
        assert (out / name).read_text() == (ref / name).read_text(), name
    with sqlite3.connect(out / "foureyes.db") as con:
        n_readings = con.execute("SELECT count(*) FROM readings").fetchone()[0]
        n_events = con.execute("SELECT count(DISTINCT id), count(*) FROM events").fetchone()
        status = con.execute("SELECT status FROM runs").fetchall()
    assert n_readings == len((ref / "readings.jsonl").read_text().splitlines())
    assert n_events[0] == n_events[1] == len((ref / "events.jsonl").read_text().splitlines())
    assert status == [("complete",)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_after_sample"] is not None


def test_a_finished_run_is_not_run_again(reference: tuple[Path, float], clip: DemoVideo) -> None:
    """Running again into a finished run's folder is refused and changes nothing."""
    ref, _ = reference
    before = (ref / "readings.jsonl").read_text()
    proc = start(clip, ref)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "already holds a finished run" in err
    assert (ref / "readings.jsonl").read_text() == before


def test_another_config_cannot_resume(clip: DemoVideo, tmp_path: Path) -> None:
    """A run cut off under one config is not continued under another."""
    out = tmp_path / "out"
    proc = start(clip, out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not checkpointed(out):
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    other = clip.config.with_name("other.yaml")
    other.write_text(clip.config.read_text().replace("fps: 2", "fps: 1"))
    result = subprocess.run(
        [sys.executable, "-m", "foureyes", "run", str(other), "--out", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert result.returncode == 2
    assert "different config" in result.stderr


def test_a_second_process_is_refused_while_one_runs(clip: DemoVideo, tmp_path: Path) -> None:
    """Two runs appending to one store would interleave lines: the second is refused."""
    out = tmp_path / "out"
    out.mkdir()
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a running foureyes holds it
        proc = start(clip, out)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "another foureyes run is writing to it" in err
    assert sorted(p.name for p in out.iterdir()) == [".lock"]


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda d: d.pop("degrade"), True),  # a key added by a later FourEyes, at default
        (lambda d: d["source"].update(fps=1), False),  # a key the user changed
        (lambda d: d.update(bogus=1), False),  # a key this FourEyes does not know
        # alerts and traces change nothing in the outputs: a run may resume without them
        (lambda d: d.update(alerts={"rules": [{"type": "reset"}]}), True),
        (lambda d: d.update(traces={"endpoint": "http://collector:4318"}), True),
    ],
)
def test_resume_compares_configs_modulo_defaults(
    clip: DemoVideo, change: Callable[[dict[str, Any]], object], same: bool
) -> None:
    """A run stored by an older FourEyes resumes under a newer one that only added keys;
    a run of a config that says something else does not."""
    config = load_config(clip.config)
    stored = config.model_dump(mode="json")
    change(stored)
    assert _same_config(stored, config) is same


def test_a_stored_config_keeps_no_secret_and_still_resumes(clip: DemoVideo) -> None:
    """What a run stores masks passwords, header values and a webhook's path, and the
    masked record still resumes the same config."""
    data = yaml.safe_load(clip.config.read_text())
    data["source"]["uri"] = "rtsp://admin:hunter2@cam.local/board"
    data["alerts"] = {
        "webhook": {
            "url": "https://hooks.example.com/services/T0/B0/abcdef",
            "headers": {"Authorization": "Bearer tok-123"},
        }
    }
    data["traces"] = {"endpoint": "http://u:otlp-pw@collector:4318", "headers": {"k": "otlp-key"}}
    config = config_from_dict(data, path=clip.config)
    stored = config.redacted()
    text = json.dumps(stored)
    for secret in ("hunter2", "abcdef", "tok-123", "otlp-pw", "otlp-key", "services"):
        assert secret not in text, secret
    assert stored["source"]["uri"] == "rtsp://***@cam.local/board"
    assert stored["alerts"]["webhook"]["url"] == "https://hooks.example.com/***"
    assert _same_config(stored, config)
