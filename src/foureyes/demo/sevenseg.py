"""Seven-segment LED digits drawn as polygons, with the dim "8" of unlit segments behind.

Real LED meters never go dark: every digit position shows a faint 8 and a faint point, and a
reader must tell the lit segments from the ghosts. Leading positions stay unlit, so the
display is a row of ghost 8s to the left of the value. Masks are float alpha in 0..1 so the
renderer can colour lit and ghost segments separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

__all__ = ["SEGMENTS", "Geometry", "display_masks", "slot_mask"]

Mask = npt.NDArray[np.float32]
_SS = 4  # supersampling for smooth polygon edges

SEGMENTS: dict[str, str] = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
    "-": "g",
    " ": "",
}


@dataclass(frozen=True)
class Geometry:
    """A digit ``height`` px high; other sizes are fractions of it."""

    height: int
    width: float = 0.56
    thickness: float = 0.14
    slant: float = 0.1  # horizontal shift per unit of height, like most LED digits
    gap: float = 0.02

    @property
    def digit_width(self) -> float:
        return self.width * self.height

    @property
    def slot_width(self) -> int:
        h = self.height
        return round(self.digit_width + self.slant * h + self.thickness * h * 1.9)

    @property
    def mask_height(self) -> int:
        return round(self.height * 1.22)


def _segment_polygons(g: Geometry) -> dict[str, list[tuple[float, float]]]:
    h, w, t, gap = g.height, g.digit_width, g.thickness * g.height, g.gap * g.height
    left, right, top, mid, bottom = t / 2, w - t / 2, t / 2, h / 2, h - t / 2

    def horizontal(y: float) -> list[tuple[float, float]]:
        x1, x2 = left + gap, right - gap
        return [
            (x1, y),
            (x1 + t / 2, y - t / 2),
            (x2 - t / 2, y - t / 2),
            (x2, y),
            (x2 - t / 2, y + t / 2),
            (x1 + t / 2, y + t / 2),
        ]

    def vertical(x: float, y1: float, y2: float) -> list[tuple[float, float]]:
        y1, y2 = y1 + gap, y2 - gap
        return [
            (x, y1),
            (x + t / 2, y1 + t / 2),
            (x + t / 2, y2 - t / 2),
            (x, y2),
            (x - t / 2, y2 - t / 2),
            (x - t / 2, y1 + t / 2),
        ]

    return {
        "a": horizontal(top),
        "g": horizontal(mid),
        "d": horizontal(bottom),
        "f": vertical(left, top, mid),
        "b": vertical(right, top, mid),
        "e": vertical(left, mid, bottom),
        "c": vertical(right, mid, bottom),
    }


@lru_cache(maxsize=256)
def slot_mask(ch: str, geometry: Geometry, point: str = "") -> Mask:
    """One digit position: ``ch``'s lit segments and ``point`` ("", "." or ",") after it."""
    if ch not in SEGMENTS:
        raise ValueError(f"no seven-segment form for {ch!r}")
    g = geometry
    h, t = g.height, g.thickness * g.height
    img = Image.new("L", (g.slot_width * _SS, g.mask_height * _SS), 0)
    draw = ImageDraw.Draw(img)
    pad = t * 0.3

    def shear(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [((x + pad + g.slant * (h - y)) * _SS, (y + pad * 0.3) * _SS) for x, y in points]

    polygons = _segment_polygons(g)
    for name in SEGMENTS[ch]:
        draw.polygon(shear(polygons[name]), fill=255)
    if point:
        cx, cy, r = g.digit_width + t * 0.85, h - t / 2, t * 0.55
        draw.ellipse(
            [((cx - r + pad) * _SS, (cy - r) * _SS), ((cx + r + pad) * _SS, (cy + r) * _SS)],
            fill=255,
        )
        if point == ",":
            tail = [
                (cx + r * 0.2, cy),
                (cx + r, cy),
                (cx - r * 0.6, cy + t * 1.5),
                (cx - r, cy + t * 1.4),
            ]
            draw.polygon([((x + pad) * _SS, y * _SS) for x, y in tail], fill=255)
    small = img.resize((g.slot_width, g.mask_height), Image.Resampling.BOX)
    mask = np.asarray(small, dtype=np.float32) / 255.0
    mask.setflags(write=False)
    return mask


def display_masks(text: str, slots: int, geometry: Geometry) -> tuple[Mask, Mask]:
    """Lit and ghost masks of ``text`` right-aligned in ``slots`` digit positions.

    Characters other than digits, "." and "," (a currency sign) are ignored: the renderer
    prints them beside the display the way a panel has a printed "$".
    """
    cells: list[tuple[str, str]] = []
    for ch in text:
        if ch in ".," and cells:
            cells[-1] = (cells[-1][0], ch)
        elif ch in SEGMENTS and ch != " ":
            cells.append((ch, ""))
    if len(cells) > slots:
        raise ValueError(f"{text!r} needs {len(cells)} digit positions, the display has {slots}")
    cells = [(" ", "")] * (slots - len(cells)) + cells
    lit = np.concatenate([slot_mask(d, geometry, p) for d, p in cells], axis=1)
    ghost = np.concatenate([slot_mask("8", geometry, ".")] * slots, axis=1)
    return lit, ghost
