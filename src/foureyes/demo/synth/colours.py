"""Colours by luminance band, a per-video grade, and a meter's paint.

Digits must stay legible whatever is drawn, so colours are picked by relative luminance
(light-on-dark about 75% of the time, dark-on-light 25%) and every pair the reader must
tell apart keeps a minimum luminance difference. The video's brightness and saturation
grade every colour once, at draw time, instead of every pixel of every frame.
"""

from __future__ import annotations

import colorsys
import random

from foureyes.demo.synth.factors import ANIMATIONS, Colour, Paint

__all__ = ["draw_paint", "grade", "luminance", "mix", "pick_colour"]

DARK_ON_LIGHT = 0.25
MIN_CONTRAST = 0.4  # luminance difference between digits and the window behind them


def luminance(c: Colour) -> float:
    r, g, b = (x / 255 for x in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def grade(c: Colour, brightness: float, saturation: float) -> Colour:
    """``c`` after a screen's brightness and saturation settings."""
    y = luminance(c) * 255
    out = [min(255.0, max(0.0, (y + (x - y) * saturation) * brightness)) for x in c]
    return (round(out[0]), round(out[1]), round(out[2]))


def pick_colour(rng: random.Random, lum: tuple[float, float], sat: tuple[float, float]) -> Colour:
    """A colour of any hue with luminance in ``lum`` and HSV saturation in ``sat``."""
    best: Colour = (128, 128, 128)
    for _ in range(60):
        r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*sat), rng.uniform(0.05, 1.0))
        best = (round(r * 255), round(g * 255), round(b * 255))
        if lum[0] <= luminance(best) <= lum[1]:
            return best
    y = round(255 * (lum[0] + lum[1]) / 2)
    return (y, y, y)


def _near(rng: random.Random, c: Colour, spread: int) -> Colour:
    out = [min(255, max(0, x + rng.randint(-spread, spread))) for x in c]
    return (out[0], out[1], out[2])


def _pair(rng: random.Random, dark_on_light: bool) -> tuple[Colour, Colour]:
    """(window, digits) with at least :data:`MIN_CONTRAST` between them."""
    while True:
        if dark_on_light:
            window = pick_colour(rng, (0.7, 1.0), (0.0, 0.35))
            digits = pick_colour(rng, (0.0, 0.25), (0.0, 1.0))
        else:
            window = pick_colour(rng, (0.0, 0.18), (0.0, 1.0))
            digits = pick_colour(rng, (0.6, 1.0), (0.0, 0.9))
        if abs(luminance(window) - luminance(digits)) >= MIN_CONTRAST:
            return window, digits


def draw_paint(rng: random.Random, segments: bool, brightness: float, saturation: float) -> Paint:
    """A meter's digit and window colours and effects."""
    dark_on_light = rng.random() < DARK_ON_LIGHT
    window, digits = _pair(rng, dark_on_light)
    gradient = str(rng.choices(("flat", "vertical", "horizontal"), (0.5, 0.35, 0.15))[0])
    fill_end = digits
    if gradient != "flat":
        fill_end = _near(rng, digits, 70)
        if abs(luminance(window) - luminance(fill_end)) < MIN_CONTRAST:
            fill_end = digits
    window_end = _near(rng, window, 30) if rng.random() < 0.4 else window
    if abs(luminance(window_end) - luminance(digits)) < MIN_CONTRAST:
        window_end = window
    light_glow = not dark_on_light and rng.random() < 0.25
    edge = (
        pick_colour(rng, (0.85, 1.0), (0.0, 0.3))
        if dark_on_light and rng.random() < 0.5
        else pick_colour(rng, (0.0, 0.08), (0.0, 1.0))
    )
    animated = str(rng.choice(ANIMATIONS)) if rng.random() < 0.25 else "none"
    accent = _near(rng, window, 60)
    if abs(luminance(accent) - luminance(digits)) < MIN_CONTRAST:
        accent = mix(window, accent, 0.4)
    g = [grade(c, brightness, saturation) for c in (window, window_end, digits, fill_end, edge)]
    return Paint(
        dark_on_light=dark_on_light,
        window=g[0],
        window_end=g[1],
        fill=g[2],
        fill_end=g[3],
        gradient=gradient,
        glow=rng.uniform(0.05, 0.18) if light_glow else 0.0,
        shadow=rng.uniform(0.04, 0.1) if rng.random() < 0.25 else 0.0,
        outline=rng.uniform(0.03, 0.08) if rng.random() < 0.3 else 0.0,
        bevel=rng.uniform(0.4, 1.0) if rng.random() < 0.15 and not segments else 0.0,
        edge=g[4],
        ghost=mix(g[0], g[2], rng.uniform(0.1, 0.22)),
        animated=animated,
        accent=grade(accent, brightness, saturation),
    )
