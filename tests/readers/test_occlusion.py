"""The palette tells a covered meter from one that only flickers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from foureyes.readers.occlusion import Palette


def meter(
    text: str,
    *,
    shift: int = 0,
    banner: tuple[int, int, int] | None = None,
    box: tuple[int, int, int, int] = (160, 5, 235, 55),
    height: int = 60,
) -> np.ndarray:
    """Gold digits on a dark red panel; optionally a popup banner (by default over the
    right third)."""
    img = Image.new("RGB", (240, height), (90, 10, 20))
    draw = ImageDraw.Draw(img)
    draw.text((10, 8), text, fill=(250, 200, 60), font=ImageFont.load_default(size=40))
    if banner is not None:
        draw.rectangle(box, fill=banner)
        draw.text((box[0] + 5, box[1] + 15), "WIN", fill=(255, 255, 255))
    arr = np.asarray(img).astype(np.int16) + shift
    return np.clip(arr, 0, 255).astype(np.uint8)


@pytest.fixture
def palette() -> Palette:
    p = Palette()
    for text in ("$17.56", "$17.60", "$17.64", "$17.66"):
        p.learn(meter(text))
    return p


@pytest.mark.parametrize(
    ("crop", "covered"),
    [
        (meter("$17.70"), False),  # new digits, same colours
        (meter("$17.70", shift=12), False),  # brightness flicker
        (meter("$17.70", shift=-12), False),
        (meter("$17.70", banner=(20, 160, 60)), True),  # a green popup over the cents
        (meter("$17.70", banner=(255, 255, 255)), True),  # a white one
    ],
)
def test_covered(palette: Palette, crop: np.ndarray, covered: bool) -> None:
    """Only colours the meter never shows, over a noticeable area, count as covering."""
    assert palette.covered(crop) is covered


def test_says_nothing_before_it_has_learned() -> None:
    """A new palette cannot know what is foreign, so it never claims a cover."""
    assert Palette().foreign(meter("$1.00", banner=(20, 160, 60))) == 0.0


def test_a_popup_in_the_margin_hides_no_digit() -> None:
    """A banner that reaches into the region's margin below the digits (a popup over the
    next meter) covers nothing the read depends on; the same banner over the digits does.
    The margin is as wide as the digits are tall, and the banner the whole crop's width."""
    palette = Palette()
    for text in ("$17.56", "$17.60", "$17.64", "$17.66"):
        palette.learn(meter(text, height=100))
    below = meter("$17.70", banner=(255, 255, 255), box=(0, 75, 239, 99), height=100)
    over = meter("$17.70", banner=(255, 255, 255), box=(0, 30, 239, 54), height=100)
    assert palette.band(100) is not None
    assert not palette.covered(below)
    assert palette.covered(over)
