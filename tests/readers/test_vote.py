"""Voting between captures of one screen."""

from __future__ import annotations

import pytest

from foureyes.model import MeterKind, RawRead
from foureyes.readers.parse import parse_value
from foureyes.readers.vote import vote


def read(text: str) -> tuple[RawRead, object]:
    return RawRead(text, 0.9), parse_value(text, MeterKind.CURRENCY)


@pytest.mark.parametrize(
    ("texts", "certain", "value", "doubted", "disagreed", "filled_in"),
    [
        (["$10.50", "$10.50"], [True, True], 10.50, False, False, False),  # agree
        (["BONUS", "$10.50"], [False, True], 10.50, False, False, True),  # mirror fills in
        (["$10.50", "$10.58"], [True, False], 10.50, False, True, False),  # the sure one
        (["$10.58", "$10.50"], [False, True], 10.50, False, True, True),
        (["$10.58", "$10.50"], [True, True], 10.58, True, True, False),  # both sure: doubt
        (["$10.58", "$10.50", "$10.50"], [True, True, True], 10.50, False, True, True),
        (["BONUS", "WIN"], [False, False], None, False, False, False),  # nobody can read
        (["$10.50", "$10.50"], [False, False], 10.50, False, False, False),  # both unsure
    ],
)
def test_vote(
    texts: list[str],
    certain: list[bool],
    value: float | None,
    doubted: bool,
    disagreed: bool,
    filled_in: bool,
) -> None:
    got = vote([read(t) for t in texts], certain=certain)  # type: ignore[misc]
    assert got.read[1].value == value
    assert (got.doubted, got.disagreed, got.filled_in) == (doubted, disagreed, filled_in)
    assert len(got.values) == len(texts)
