"""How fast a meter may rise, counted in its display's smallest steps."""

from __future__ import annotations

import pytest

from foureyes.tracking.rules import Growth, Point, consistent


@pytest.mark.parametrize(
    ("name", "decimals", "before", "after", "ok"),
    [
        ("cents: half a unit a second at a small value", 2, 15.00, 15.50, True),
        ("cents: a misread tenth is too fast", 2, 15.00, 15.80, False),
        ("whole units: a max bet of thirty units", 0, 15, 45, True),
        ("whole units: a misread ten thousand is too fast", 0, 38164, 48164, False),
        ("unknown decimals: the floor of a meter with cents", None, 15.00, 15.80, False),
        ("a large value grows by 5% a second", 0, 10000, 10500, True),
        ("never down without a reset", 0, 100, 99, False),
    ],
)
def test_the_growth_floor_is_counted_in_display_steps(
    name: str, decimals: int | None, before: float, after: float, ok: bool
) -> None:
    growth = Growth.for_decimals(decimals)
    assert consistent(Point(0.0, before), Point(1.0, after), growth) is ok, name


def test_a_configured_rise_overrides_the_default() -> None:
    growth = Growth.for_decimals(0, absolute=2.0)
    assert consistent(Point(0.0, 15), Point(1.0, 17), growth)
    assert not consistent(Point(0.0, 15), Point(1.0, 18), growth)
