"""score(): exact-to-the-cent values, accuracy over visible frames, strict event matching."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from foureyes.demo import score
from foureyes.demo.board import Board

Writer = Callable[[Path, Iterable[dict[str, Any]]], Path]


@pytest.fixture
def truth(tmp_path: Path, make_board: Callable[..., Board], write_jsonl: Writer) -> Path:
    board = make_board(seconds=30, fps=10, seed=3)
    write_jsonl(tmp_path / "truth" / "truth.jsonl", board.truth_rows())
    write_jsonl(tmp_path / "truth" / "truth_events.jsonl", board.truth_events())
    return tmp_path / "truth"


def _rows(truth: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in (truth / "truth.jsonl").read_text().splitlines()]


def _events(truth: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in (truth / "truth_events.jsonl").read_text().splitlines()]


def _perfect(truth: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    readings = [
        {
            "ts": r["ts"],
            "frame": r["frame"],
            "meter": r["meter"],
            "value": r["value"] if r["visible"] else None,
            "text": "",
            "confidence": 1.0,
            "status": "ok" if r["visible"] else "unreadable",
        }
        for r in _rows(truth)
        if r["frame"] % 5 == 0
    ]
    events = [
        {**e, "id": f"e{i}", "frame": e["frame"] + 20, "ts": e["ts"] + 2}
        for i, e in enumerate(_events(truth))
    ]
    return readings, events


def _run(tmp_path: Path, write_jsonl: Writer, readings: Any, events: Any) -> Path:
    write_jsonl(tmp_path / "run" / "readings.jsonl", readings)
    write_jsonl(tmp_path / "run" / "events.jsonl", events)
    return tmp_path / "run"


def test_a_perfect_run_scores_full_marks(tmp_path: Path, truth: Path, write_jsonl: Writer) -> None:
    readings, events = _perfect(truth)
    s = score(_run(tmp_path, write_jsonl, readings, events), truth)
    assert s.accuracy == 1.0 and s.overall.wrong == 0 and s.overall.nulls == 0
    assert s.overall.samples == len(readings)
    assert s.resets.true >= 1 and s.resets.found == s.resets.true and s.resets.false == 0
    assert s.thresholds.found == s.thresholds.true == 1
    assert s.duplicate_events == 0
    d = s.to_dict()
    assert d["accuracy"] == 1.0 and d["resets_missed"] == 0 and d["false_resets"] == 0
    assert any("accuracy 100.0%" in line for line in s.lines())


def test_a_wrong_value_is_counted_even_under_a_popup(
    tmp_path: Path, truth: Path, write_jsonl: Writer
) -> None:
    readings, events = _perfect(truth)
    visible = next(r for r in readings if r["value"] is not None)
    visible["value"] = round(visible["value"] + 0.01, 2)
    hidden = next(r for r in readings if r["value"] is None)
    hidden["value"] = 12.34
    s = score(_run(tmp_path, write_jsonl, readings, events), truth)
    assert s.overall.wrong == 2
    assert s.overall.correct == s.overall.visible - 1


def test_a_null_on_a_visible_frame_lowers_accuracy(
    tmp_path: Path, truth: Path, write_jsonl: Writer
) -> None:
    readings, events = _perfect(truth)
    next(r for r in readings if r["value"] is not None)["value"] = None
    s = score(_run(tmp_path, write_jsonl, readings, events), truth)
    assert s.overall.nulls == 1 and s.overall.wrong == 0 and s.accuracy < 1.0


def test_the_old_value_counts_mid_roll(tmp_path: Path, truth: Path, write_jsonl: Writer) -> None:
    rolling = next(r for r in _rows(truth) if r["alt"] and r["visible"])
    reading = {**rolling, "value": rolling["alt"][0]}
    s = score(_run(tmp_path, write_jsonl, [reading], []), truth)
    assert s.overall.correct == 1 and s.overall.wrong == 0


def test_false_and_duplicate_events(tmp_path: Path, truth: Path, write_jsonl: Writer) -> None:
    readings, events = _perfect(truth)
    reset = next(e for e in events if e["type"] == "reset")
    quiet = next(m for m in ("grand", "major", "minor", "mini") if m != reset["meter"])
    extra = [
        {**reset, "id": "again", "frame": reset["frame"] + 5},  # second event for one reset
        {**reset, "id": "ghost", "meter": quiet},  # a reset that never happened
        {**reset, "id": "early", "frame": reset["frame"] - 40},  # before the true reset
        dict(events[0]),  # the same id written twice
    ]
    s = score(_run(tmp_path, write_jsonl, readings, events + extra), truth)
    assert s.resets.found == s.resets.true
    assert s.resets.false == 2
    assert s.resets.duplicate == 1 and s.duplicate_ids == 1 and s.duplicate_events == 2


def test_an_event_more_than_ten_seconds_late_is_missed(
    tmp_path: Path, truth: Path, write_jsonl: Writer
) -> None:
    readings, events = _perfect(truth)
    late = [{**e, "frame": e["frame"] + 101} if e["type"] == "reset" else e for e in events]
    s = score(_run(tmp_path, write_jsonl, readings, late), truth)
    assert s.resets.found == 0 and s.resets.missed == s.resets.true


def test_missing_files_and_bad_lines_name_the_file(
    tmp_path: Path, truth: Path, write_jsonl: Writer
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(ValueError, match=r"readings\.jsonl: file not found"):
        score(run, truth)
    (run / "readings.jsonl").write_text('{"frame": 0, "meter": "grand", "value": 1}\nnot json\n')
    (run / "events.jsonl").write_text("")
    with pytest.raises(ValueError, match=r"readings\.jsonl:2: not JSON"):
        score(run, truth)
    (run / "readings.jsonl").write_text('{"frame": 0, "meter": "grand"}\n')
    with pytest.raises(ValueError, match=r"readings\.jsonl:1: missing value"):
        score(run, truth)
    (run / "readings.jsonl").write_text('{"frame": 99999, "meter": "grand", "value": 1}\n')
    with pytest.raises(ValueError, match="not in"):
        score(run, truth)


def test_windows_split_the_score_by_stream_time(
    tmp_path: Path, truth: Path, write_jsonl: Writer
) -> None:
    """score_windows() gives each 10 s of stream its own score, and together they are
    the whole run's: a long run's decay shows in its late windows."""
    from foureyes.demo.score import MeterScore, score_windows

    readings, events = _perfect(truth)
    late = next(r for r in readings if r["ts"] >= 20 and r["value"] is not None)
    late["value"] += 1.0  # one wrong value, in the third window
    run = _run(tmp_path, write_jsonl, readings, events)
    windows = score_windows(run, truth, 10.0)
    whole = score(run, truth)
    assert set(windows) == set(whole.meters)
    for meter, ws in windows.items():
        assert len(ws) == 3
        assert sum(ws, MeterScore()) == whole.meters[meter]
    wrong = [(m, k) for m, ws in windows.items() for k, w in enumerate(ws) if w.wrong]
    assert wrong == [(late["meter"], 2)]
    with pytest.raises(ValueError, match="positive"):
        score_windows(run, truth, 0)
