"""Failure capture: an exception in a reader or a tracker saves a replay bundle and the
run goes on; `foureyes replay` re-runs the bundle and `--pytest` makes it a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from foureyes import load_config
from foureyes.demo import DemoVideo, generate
from foureyes.failures import replay
from foureyes.model import Image, RawRead
from foureyes.readers.base import Reader, create_reader
from foureyes.runner import run
from foureyes.tracking.tracker import MeterTracker

pytestmark = pytest.mark.slow

ENV = {**os.environ, "FOUREYES_NO_PROGRESS": "1"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    return generate(tmp_path_factory.mktemp("clip"), style="classic", seconds=5, seed=2)


@pytest.fixture(scope="module")
def rapidocr() -> Reader:
    reader = create_reader("rapidocr", threads=1)
    reader.warmup()
    return reader


class FailingOn:
    """The real model, but the ``nth`` call (1-based; 0: every call) raises."""

    name = "flaky"

    def __init__(self, inner: Reader, nth: int) -> None:
        self.inner, self.nth, self.calls = inner, nth, 0

    def warmup(self) -> None:
        self.inner.warmup()

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.calls += 1
        if self.nth == 0 or self.calls == self.nth:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return self.inner.read(crops)

    def close(self) -> None:
        pass


def run_quietly(clip: DemoVideo, out: Path, reader: Reader) -> dict[str, object]:
    result = run(
        load_config(clip.config),
        out=out,
        reader=reader,
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    return result.summary


def test_reader_failure_is_saved_and_the_run_goes_on(
    clip: DemoVideo, rapidocr: Reader, tmp_path: Path
) -> None:
    """Given a model that fails once mid-run, the run still ends with a reading for every
    sample, the failed sample's meters unreadable with a pointer to the bundle, and a
    bundle that fails again with the same model and not with a healthy one."""
    out = tmp_path / "out"
    summary = run_quietly(clip, out, FailingOn(rapidocr, nth=8))
    readings = [json.loads(x) for x in (out / "readings.jsonl").read_text().splitlines()]
    assert len(readings) == summary["frames_sampled"] * len(clip.meters)  # type: ignore[operator]
    failed = [r for r in readings if "reader failed" in r.get("reason", "")]
    assert failed and {r["status"] for r in failed} == {"unreadable"}
    assert len({r["frame"] for r in failed}) == 1
    assert summary["failures"] == {"saved": 1, "not_saved": 0}
    (bundle,) = (out / "failures").iterdir()
    assert f"replay failures/{bundle.name}" in failed[0]["reason"]
    info = json.loads((bundle / "bundle.json").read_text())
    assert info["stage"] == "reader" and info["error"] == "RuntimeError"
    assert "illegal memory access" in info["traceback"]
    assert info["config"]["meters"].keys() == set(clip.meters)
    assert sorted(p.name for p in bundle.glob("crop-*.png")) == sorted(
        f"crop-{m}.png" for m in clip.meters
    )
    # the replay fails as the run did, with the reader's own error
    again = replay(bundle, reader=FailingOn(rapidocr, nth=0)).error
    assert isinstance(again, RuntimeError) and "illegal memory access" in str(again)
    healthy = replay(bundle, reader=rapidocr)
    assert healthy.error is None and "$" in healthy.output


def test_a_model_that_is_down_is_saved_a_few_times_only(
    clip: DemoVideo, rapidocr: Reader, tmp_path: Path
) -> None:
    """A reader failing on every sample writes a few bundles and counts the rest."""
    out = tmp_path / "out"
    summary = run_quietly(clip, out, FailingOn(rapidocr, nth=0))
    failures = summary["failures"]
    assert isinstance(failures, dict)
    assert failures["saved"] == 3
    assert failures["saved"] + failures["not_saved"] == summary["frames_sampled"]
    statuses = {json.loads(x)["status"] for x in (out / "readings.jsonl").read_text().splitlines()}
    assert statuses == {"unreadable"}


def test_tracker_failure_bundle_replays_and_becomes_a_test(
    clip: DemoVideo, rapidocr: Reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a tracker bug that fires on one frame, the bundle reproduces it while the bug
    is there; once it is gone, `foureyes replay` says so and the generated test passes."""
    update = MeterTracker.update
    buggy_frame = 60

    def buggy(self: MeterTracker, obs):  # type: ignore[no-untyped-def]
        if obs.frame == buggy_frame and obs.parsed.ok and self.meter == "mini":
            raise ZeroDivisionError("division by zero in the growth rule")
        return update(self, obs)

    monkeypatch.setattr(MeterTracker, "update", buggy)
    out = tmp_path / "out"
    summary = run_quietly(clip, out, rapidocr)
    assert summary["failures"] == {"saved": 1, "not_saved": 0}
    bundle = out / "failures" / f"{buggy_frame:08d}-tracker-mini"
    assert (bundle / "tracker.pkl").is_file() and (bundle / "observation.pkl").is_file()
    assert isinstance(replay(bundle).error, ZeroDivisionError)
    readings = [json.loads(x) for x in (out / "readings.jsonl").read_text().splitlines()]
    (hit,) = [r for r in readings if r["frame"] == buggy_frame and r["meter"] == "mini"]
    assert hit["status"] == "unreadable" and "tracker failed" in hit["reason"]
    monkeypatch.undo()  # the bug is fixed

    cli = [sys.executable, "-m", "foureyes", "replay", str(bundle)]
    done = subprocess.run(cli, capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no longer fails" in done.stderr
    test_file = tmp_path / "regress" / "test_mini_bug.py"
    made = subprocess.run(
        [*cli, "--pytest", "--to", str(test_file)], capture_output=True, text=True, env=ENV
    )
    assert made.returncode == 0, made.stderr
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


def test_replay_of_something_else_is_a_clear_error(tmp_path: Path) -> None:
    """A folder that is not a bundle: one line, exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "foureyes", "replay", str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 2
    assert "not a replay bundle" in done.stderr
    assert "Traceback" not in done.stderr
