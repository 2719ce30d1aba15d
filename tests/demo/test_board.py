"""The simulated board: small monotone growth, resets to the seed, exact truth, determinism."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest

from foureyes.demo.board import DEFAULT_METERS, Board, format_cents, simulate

SPECS = {s.name: s for s in DEFAULT_METERS}


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (99999, "$999.99"),
        (100000, "$1,000.00"),
        (123456789, "$1,234,567.89"),
    ],
)
def test_format_cents(cents: int, text: str) -> None:
    """Values print the way a jackpot meter shows them: $, thousands commas, two decimals."""
    assert format_cents(cents) == text


@pytest.mark.parametrize("seed", range(6))
def test_growth_is_small_steps_between_resets(make_board: Callable[..., Board], seed: int) -> None:
    """Between resets a meter only rises, by at most its largest increment."""
    board = make_board(seed=seed)
    reset_frames = {(r.meter, r.frame) for r in board.resets}
    for meter, track in board.tracks.items():
        for (_, before, _), (frame, after, rolls) in itertools.pairwise(track.changes):
            if (meter, frame) in reset_frames:
                assert not rolls and after == SPECS[meter].seed
            else:
                assert rolls and 0 < after - before <= SPECS[meter].step[1]


@pytest.mark.parametrize("seed", range(6))
def test_resets_show_the_seed_after_a_covering_win(
    make_board: Callable[..., Board], seed: int
) -> None:
    """A pop is covered by a win popup; the old value stays until it ends, then the seed shows."""
    board = make_board(seed=seed)
    assert board.resets
    rows = {(r["frame"], r["meter"]): r for r in board.truth_rows()}
    for reset in board.resets:
        win = next(p for p in board.popups if p.meter == reset.meter and p.end == reset.frame)
        assert win.kind == "win" and reset.after == SPECS[reset.meter].seed
        for frame in range(win.start, win.end):
            row = rows[(frame, reset.meter)]
            assert not row["visible"] and row["value"] == reset.before / 100
        assert rows[(reset.frame, reset.meter)]["value"] == reset.after / 100
        assert rows[(reset.frame, reset.meter)]["alt"] == []


@pytest.mark.parametrize("seed", range(20))
def test_twenty_seconds_hold_at_least_one_reset(seed: int) -> None:
    """Every video of 20 s or more shows the hard case at least once."""
    board = simulate(seconds=20, fps=30, rng=random.Random(seed))
    assert len(board.resets) >= 1


@pytest.mark.parametrize("seed", range(5))
def test_a_minute_resets_mini_twice_and_minor_once(seed: int) -> None:
    board = simulate(seconds=60, fps=30, rng=random.Random(seed))
    counts = {m: sum(r.meter == m for r in board.resets) for m in board.meters}
    assert counts["mini"] == 2 and counts["minor"] >= 1


def test_truth_gives_the_old_value_as_alt_during_a_roll(make_board: Callable[..., Board]) -> None:
    """Mid-roll the truth is the new value, with the old one as an accepted alternative."""
    board = make_board(roll_frames=8)
    track = board.tracks["grand"]
    start, value, _ = track.changes[1]
    old = track.changes[0][1]
    rows = [r for r in board.truth_rows() if r["meter"] == "grand"]
    for frame in range(start, start + 7):
        assert rows[frame]["value"] == value / 100 and rows[frame]["alt"] == [old / 100]
    assert rows[start + 7]["alt"] == [] and rows[start - 1]["value"] == old / 100


def test_no_roll_when_digits_snap(make_board: Callable[..., Board]) -> None:
    board = make_board(roll_frames=0)
    assert all(r["alt"] == [] for r in board.truth_rows())


def test_same_seed_same_truth(make_board: Callable[..., Board]) -> None:
    a, b, c = make_board(seed=7), make_board(seed=7), make_board(seed=8)
    assert list(a.truth_rows()) == list(b.truth_rows())
    assert a.truth_events() == b.truth_events()
    assert list(a.truth_rows()) != list(c.truth_rows())


def test_threshold_is_crossed_upward_once(make_board: Callable[..., Board]) -> None:
    board = make_board()
    (level,) = board.thresholds["grand"]
    events = [e for e in board.truth_events() if e["type"] == "threshold"]
    assert len(events) == 1
    e = events[0]
    assert e["before"] < level / 100 <= e["after"]
    assert board.tracks["grand"].value_at(e["frame"]) / 100 == e["after"]
    assert board.tracks["grand"].value_at(e["frame"] - 1) / 100 == e["before"]


@pytest.mark.parametrize("seed", range(4))
def test_partial_popups_cover_digits_and_never_overlap(
    make_board: Callable[..., Board], seed: int
) -> None:
    """A partial popup lies right of ``text_left`` (over digits); one popup per meter at a time."""
    board = make_board(seed=seed).with_popups(
        random.Random(seed), rate=1.0, kinds=("partial", "full", "coins"), text_left=0.3
    )
    for p in board.popups:
        if p.kind in ("partial", "coins"):
            assert 0.3 <= p.span[0] < p.span[1] <= 1.0
    for m in board.meters:
        spans = sorted((p.start, p.end) for p in board.popups if p.meter == m)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    rows = list(board.truth_rows())
    assert any(0 < r["covered"] < 1 for r in rows) and any(r["covered"] == 1 for r in rows)
    assert all(r["visible"] == (r["covered"] == 0) for r in rows)


def test_truth_has_one_row_per_frame_per_meter(make_board: Callable[..., Board]) -> None:
    board = make_board(seconds=2)
    rows = list(board.truth_rows())
    assert len(rows) == 60 * 4
    assert rows[5] == {**rows[5], "frame": 1, "ts": 1 / 30, "meter": "major"}
