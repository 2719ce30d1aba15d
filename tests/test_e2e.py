"""End to end on short generated clips: the demo command, `foureyes run` and its output
contract, and the Python API. These run the real OCR model on real H.264 video."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from foureyes import Status, load_config
from foureyes.demo import DemoVideo, generate, score
from foureyes.pipeline import Pipeline

pytestmark = pytest.mark.slow

READING_KEYS = {"ts", "frame", "meter", "value", "text", "confidence", "status"}
EVENT_KEYS = {"id", "ts", "frame", "meter", "type", "before", "after"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    """A 24-second classic board: long enough for a reset and a threshold crossing."""
    return generate(tmp_path_factory.mktemp("clip"), style="classic", seconds=24, seed=5)


@pytest.fixture(scope="module")
def run_dir(clip: DemoVideo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    result = subprocess.run(
        [sys.executable, "-m", "foureyes", "run", str(clip.config), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return out


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_readings_follow_the_contract(run_dir: Path, clip: DemoVideo) -> None:
    """One reading per sampled frame per meter, in frame order, with the contract's fields."""
    readings = lines(run_dir / "readings.jsonl")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(readings) == summary["frames_sampled"] * len(clip.meters)
    assert summary["frames_sampled"] == 48  # 24 s at 2 samples per second
    assert summary["frames_decoded"] == clip.frames
    for r in readings:
        assert r.keys() >= READING_KEYS
        assert r["status"] in {s.value for s in Status}
        assert (r["value"] is None) == (r["status"] in ("rejected", "unreadable"))
        assert 0.0 <= r["confidence"] <= 1.0  # type: ignore[operator]
    frames = [r["frame"] for r in readings]
    assert frames == sorted(frames)
    assert {r["frame"] for r in readings} == {15 * k for k in range(48)}


def test_reading_is_trustworthy(run_dir: Path, clip: DemoVideo) -> None:
    """Against the truth: no wrong value, every reset found once, no false events."""
    sc = score(run_dir, clip.truth.parent)
    assert sc.overall.wrong == 0
    assert sc.accuracy >= 0.9
    assert sc.resets.true >= 1
    assert sc.resets.found == sc.resets.true
    assert sc.resets.false == 0
    assert sc.thresholds.false == 0
    assert sc.duplicate_events == 0


def test_events_carry_evidence(run_dir: Path) -> None:
    """Each event has the contract's fields, a unique id and a saved crop as evidence."""
    events = lines(run_dir / "events.jsonl")
    assert events, "the clip holds at least one reset"
    assert len({e["id"] for e in events}) == len(events)
    for e in events:
        assert e.keys() >= EVENT_KEYS
        assert (run_dir / str(e["evidence"])).is_file()


def test_store_matches_the_files(run_dir: Path) -> None:
    """foureyes.db holds the same readings and events, and the run's config and versions."""
    db = sqlite3.connect(run_dir / "foureyes.db")
    n_readings = db.execute("SELECT count(*) FROM readings").fetchone()[0]
    n_events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert n_readings == len(lines(run_dir / "readings.jsonl"))
    assert n_events == len(lines(run_dir / "events.jsonl"))
    config, versions, summary = db.execute("SELECT config, versions, summary FROM runs").fetchone()
    assert json.loads(config)["source"]["uri"] == "demo.mp4"
    assert "rapidocr" in json.loads(versions)
    assert json.loads(summary)["reads"] > 0


def test_python_api_yields_the_same_readings(clip: DemoVideo, run_dir: Path) -> None:
    """Iterating a Pipeline gives the readings and events the CLI wrote."""
    with Pipeline(load_config(clip.config)) as pipeline:
        batches = list(pipeline)
    readings = [r.to_dict() for b in batches for r in b.readings]
    events = [e.id for b in batches for e in b.events]
    on_disk = lines(run_dir / "readings.jsonl")
    assert [(r["frame"], r["meter"], r["value"]) for r in readings] == [
        (r["frame"], r["meter"], r["value"]) for r in on_disk
    ]
    assert events == [e["id"] for e in lines(run_dir / "events.jsonl")]


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    """`foureyes demo` renders, reads and scores a short clip, and prints the score."""
    result = subprocess.run(
        [sys.executable, "-m", "foureyes", "demo", "--out", str(tmp_path / "d"), "--seconds", "6"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stderr
    assert (tmp_path / "d" / "run" / "readings.jsonl").is_file()
    assert (tmp_path / "d" / "video" / "demo.mp4").is_file()


def test_decision_log_explains_every_reading(run_dir: Path) -> None:
    """log.jsonl holds each reading's verdict and reason, each event, and the run's
    start and end, in that order of time."""
    log = lines(run_dir / "log.jsonl")
    readings = lines(run_dir / "readings.jsonl")
    events = lines(run_dir / "events.jsonl")
    decided = [r for r in log if r["kind"] == "reading"]
    assert [(r["frame"], r["meter"], r["status"]) for r in decided] == [
        (r["frame"], r["meter"], r["status"]) for r in readings
    ]
    assert all(r["reason"] for r in decided if r["status"] != "ok")
    assert {r["id"] for r in log if r["kind"] == "event"} == {e["id"] for e in events}
    assert log[0]["kind"] == "run_started" and log[-1]["kind"] == "run_finished"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["log"]["dropped"] == {}


def test_stats_and_parquet_export(run_dir: Path, clip: DemoVideo, tmp_path: Path) -> None:
    """`foureyes stats` summarises the run per meter; --parquet exports what the store
    holds, row for row."""
    import pyarrow.parquet as pq

    result = subprocess.run(
        [sys.executable, "-m", "foureyes", "stats", str(run_dir), "--parquet", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    for meter in clip.meters:
        assert meter in result.stdout
    assert "complete" in result.stdout
    readings = pq.read_table(tmp_path / "readings.parquet")
    events = pq.read_table(tmp_path / "events.parquet")
    assert readings.num_rows == len(lines(run_dir / "readings.jsonl"))
    assert events.num_rows == len(lines(run_dir / "events.jsonl"))
    assert {"meter", "frame", "value", "status", "reason"} <= set(readings.column_names)


def test_stats_of_a_folder_without_a_run(tmp_path: Path) -> None:
    """A folder no run wrote: one line, exit 2."""
    result = subprocess.run(
        [sys.executable, "-m", "foureyes", "stats", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no foureyes.db here" in result.stderr


def test_stats_agree_with_the_readings_file(run_dir: Path, clip: DemoVideo) -> None:
    """Each meter's counts per status, first/last/low/high value and events, as
    `foureyes stats` computes them from the store, are what the JSONL files say."""
    from foureyes.observe.stats import load_stats

    st = load_stats(run_dir)
    readings, events = lines(run_dir / "readings.jsonl"), lines(run_dir / "events.jsonl")
    assert st.status == "complete" and [m.meter for m in st.meters] == list(clip.meters)
    for m in st.meters:
        mine = [r for r in readings if r["meter"] == m.meter]
        values = [r["value"] for r in mine if r["value"] is not None]
        statuses: dict[str, int] = {}
        for r in mine:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        assert (m.readings, m.statuses) == (len(mine), dict(sorted(statuses.items())))
        assert (m.first, m.last, m.low, m.high) == (
            values[0], values[-1], min(values), max(values)
        )  # fmt: skip
        kinds: dict[str, int] = {}
        for e in events:
            if e["meter"] == m.meter:
                kinds[e["type"]] = kinds.get(e["type"], 0) + 1
        assert m.events == kinds
