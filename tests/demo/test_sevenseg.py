"""Seven-segment digits: every digit is its own shape, and ghosts sit behind every position."""

from __future__ import annotations

import numpy as np
import pytest

from foureyes.demo.sevenseg import Geometry, display_masks, slot_mask

GEOMETRY = Geometry(40)


def test_digits_are_distinct_images() -> None:
    masks = [slot_mask(str(d), GEOMETRY) for d in range(10)]
    for i in range(10):
        for j in range(i + 1, 10):
            assert np.abs(masks[i] - masks[j]).sum() > 20, (i, j)


def test_eight_lights_every_segment_of_every_digit() -> None:
    eight = slot_mask("8", GEOMETRY)
    for d in "0123456789":
        assert np.all(slot_mask(d, GEOMETRY) <= eight + 1e-6)


@pytest.mark.parametrize(("text", "digits"), [("$1,234.56", 6), ("$9.99", 3), ("$10,000.00", 7)])
def test_display_has_ghosts_in_every_position(text: str, digits: int) -> None:
    """Unlit leading positions show only the ghost 8; lit segments lie within the ghosts."""
    lit, ghost = display_masks(text, 8, GEOMETRY)
    assert lit.shape == ghost.shape == (GEOMETRY.mask_height, 8 * GEOMETRY.slot_width)
    lead = (8 - digits) * GEOMETRY.slot_width
    assert lit[:, :lead].max() == 0 and ghost[:, :lead].max() > 0.9
    assert lit[:, lead:].max() > 0.9


def test_comma_and_point_differ() -> None:
    assert not np.array_equal(slot_mask("1", GEOMETRY, ","), slot_mask("1", GEOMETRY, "."))


def test_too_many_digits_is_an_error() -> None:
    with pytest.raises(ValueError, match="digit positions"):
        display_masks("$123,456.78", 5, GEOMETRY)
