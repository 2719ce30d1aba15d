"""Pieces of the runner that are judged alone."""

from __future__ import annotations

import pytest

from foureyes.runner import _Liveness


@pytest.mark.parametrize(
    ("steps", "quiet"),
    [
        # (seconds passed, frames decoded, queue fill) per look
        ([(5, 10, 0.0), (5, 20, 0.5)], 0.0),  # frames keep coming
        ([(5, 10, 0.0), (5, 10, 0.0)], 5.0),  # nothing new for 5 s
        ([(5, 10, 1.0), (5, 10, 1.0)], 0.0),  # the queue is full: the readers are behind
        ([(5, 10, 1.0), (3, 10, 0.2)], 3.0),  # it drained and nothing came: quiet again
    ],
)
def test_a_full_queue_is_a_live_source(steps: list[tuple[float, int, float]], quiet: float) -> None:
    now, state = [0.0], {"decoded": 0, "fill": 0.0}
    live = _Liveness(lambda: state["decoded"], lambda: state["fill"], lambda: now[0])
    beats = live.beats()
    for passed, decoded, fill in steps:
        now[0] += passed
        state["decoded"], state["fill"] = decoded, fill
        moved = live.beats() != beats
        beats = live.beats()
    assert live.quiet() == quiet
    assert moved is (quiet == 0.0)
