"""The parser turns only whole, well-formed numbers into values."""

from __future__ import annotations

import pytest

from foureyes.model import MeterKind
from foureyes.readers.parse import parse_value, restore_point

C, N, INT = MeterKind.CURRENCY, MeterKind.NUMBER, MeterKind.INTEGER


@pytest.mark.parametrize(
    ("text", "kind", "decimals", "expected"),
    [
        ("$12,345.67", C, None, 12345.67),
        ("12345.67", C, None, 12345.67),
        ("$ 1,234,567.89", C, None, 1234567.89),
        ("$0.50", C, None, 0.5),
        ("€99.01", C, None, 99.01),
        ("$1O,000.00", C, None, 10000.0),  # O for 0 inside a number
        ("12,345", INT, None, 12345),
        ("7", INT, None, 7),
        ("3.14159", N, None, 3.14159),
        ("1,234.5", N, 1, 1234.5),
        ("12.300", C, 3, 12.3),
        ("$1.004.31", C, None, 1004.31),  # a seven-segment comma read as a point
        ("12.345.67", C, None, 12345.67),
        ("1.234,56", C, None, 1234.56),  # European separators
        ("12,345,67", C, None, 12345.67),
        ("$ 1.0 03.46", C, None, 1003.46),  # spaces between segments
        ("1.234.567", INT, None, 1234567),
    ],
)
def test_parses_whole_numbers(
    text: str, kind: MeterKind, decimals: int | None, expected: float
) -> None:
    """Well-formed meter texts parse to their value."""
    result = parse_value(text, kind, decimals)
    assert result.ok, result.reason
    assert result.value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "kind", "decimals", "why"),
    [
        ("", C, None, "empty"),
        ("BONUS!", C, None, "not a number"),
        ("$12,3", C, None, "expected 2 decimals"),  # a partial number is not a number
        ("$12,345.6", C, None, "expected 2 decimals"),  # a lost last digit
        ("$12,345.678", C, None, "expected 2 decimals"),
        ("$12345", C, None, "expected 2 decimals"),
        ("1,23,456.00", C, None, "not a number"),  # bad grouping
        ("12,3456.00", C, None, "not a number"),
        ("12.345.6", C, None, "expected 2 decimals"),
        ("1.2345.67", C, None, "not a number"),
        ("$.45", C, None, "not a number"),
        ("45.", C, None, "not a number"),
        ("1,234.56", INT, None, "integer meter shows decimals"),
        ("012.34", C, None, "leading zero"),
        ("12.5", INT, None, "integer meter shows decimals"),
        ("1,234.5", N, 2, "expected 2 decimals"),
        ("$12,345.67 BONUS", C, None, "not a number"),
        ("OOO", C, None, "not a number"),  # look-alikes only inside numbers
    ],
)
def test_rejects_partial_and_malformed(
    text: str, kind: MeterKind, decimals: int | None, why: str
) -> None:
    """Anything but a whole number in the meter's format is rejected with a reason."""
    result = parse_value(text, kind, decimals)
    assert not result.ok
    assert why in result.reason


@pytest.mark.parametrize(
    ("text", "kind", "decimals", "expected"),
    [
        ("1023", N, 2, 10.23),  # a seven-segment point merged with the 0 beside it
        ("$1023", C, None, 10.23),
        ("4,30935", N, 2, 4309.35),  # the thousands comma seen, the point not
        ("1,23456", C, None, 1234.56),
        ("12345", N, 1, 1234.5),
        ("$25.6", C, None, None),  # a digit lost, not a point: nothing to restore
        ("10.23", N, 2, None),  # whole already
        ("4,3093", N, 2, None),  # a digit lost as well: "4,30.93" has no form
        ("1,234", N, 2, None),  # "1,2.34" neither
        ("12345", INT, None, None),  # an integer meter has no point
        ("12345", N, None, None),  # nor a meter whose decimals are not fixed
        ("BONUS", C, None, None),
        ("2", C, None, None),
    ],
)
def test_restores_a_point_the_model_did_not_see(
    text: str, kind: MeterKind, decimals: int | None, expected: float | None
) -> None:
    """Every digit read but not the decimal point: the value with the point before the
    meter's last decimals, only where the text has no separator there already and the
    result has the meter's form. (Whether it is the value on screen, the tracker says.)"""
    assert not parse_value(text, kind, decimals).ok or expected is None
    result = restore_point(text, kind, decimals)
    if expected is None:
        assert not result.ok
        assert "no decimal point to restore" in result.reason
    else:
        assert result.ok, result.reason
        assert result.value == pytest.approx(expected)
        assert result.decimals == (decimals if decimals is not None else 2)
