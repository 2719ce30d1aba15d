"""Where everything sits on the rendered frame: value windows, panels, labels, regions.

Each meter's window is sized for the widest value it reaches in the video, its panel for
the window plus the label (above or to the left). The panels are then arranged as a stack,
a strip along the top, a 2x2 grid or scattered, between an optional title band and an
optional decoy bar. When a layout does not fit, every digit height shrinks by 10% and it
is tried again, down to each meter's legibility floor, then the stack is tried the same way,
then the 2x2 grid (at a filmed 480p screen's floors four meters may fit only two by two).
Windows are on even pixels so a patch maps onto 4:2:0 chroma exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from foureyes.demo.synth.factors import Factors, MeterFactors, VideoFactors
from foureyes.demo.synth.fonts import load
from foureyes.demo.synth.glyphs import Glyphs, Typesetter, font_size
from foureyes.demo.synth.legibility import lens_scale

__all__ = ["Board", "MeterBox", "Rect", "Setup", "arrange", "fit", "render_per_output", "setup"]


@dataclass(frozen=True, slots=True)
class Rect:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    def grow(self, dx: float, dy: float) -> Rect:
        return Rect(
            math.floor(self.x0 - dx),
            math.floor(self.y0 - dy),
            math.ceil(self.x1 + dx),
            math.ceil(self.y1 + dy),
        )

    def clip(self, other: Rect) -> Rect:
        return Rect(
            max(self.x0, other.x0),
            max(self.y0, other.y0),
            min(self.x1, other.x1),
            min(self.y1, other.y1),
        )

    def union(self, other: Rect) -> Rect:
        return Rect(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def overlaps(self, other: Rect, margin: int = 0) -> bool:
        return (
            self.x0 < other.x1 + margin
            and other.x0 < self.x1 + margin
            and self.y0 < other.y1 + margin
            and other.y0 < self.y1 + margin
        )

    def even(self) -> Rect:
        """The smallest rectangle on even coordinates that holds this one."""
        return Rect(self.x0 // 2 * 2, self.y0 // 2 * 2, -(-self.x1 // 2) * 2, -(-self.y1 // 2) * 2)


@dataclass(frozen=True)
class Setup:
    """A meter's type at its final size: glyphs, typesetter, label size and box."""

    meter: MeterFactors
    glyphs: Glyphs
    type: Typesetter
    window: tuple[int, int]  # w, h (even)
    label_size: int
    label: tuple[int, int]  # w, h of the label's box
    margin: int

    @property
    def panel(self) -> tuple[int, int]:
        (ww, wh), (lw, lh), m = self.window, self.label, self.margin
        if self.meter.label_pos == "left":
            return m + lw + m // 2 + ww + m, max(wh, lh) + 2 * m
        return max(ww, lw) + 2 * m, m + lh + m // 2 + wh + m


def _even(x: float) -> int:
    return max(2, math.ceil(x / 2) * 2)


def setup(meter: MeterFactors, widest: int) -> Setup:
    """Build ``meter``'s glyphs and window for values up to ``widest``."""
    h = meter.height
    wh = _even(h * (1 + 2 * meter.window_pad[1]))
    glyphs = Glyphs(
        meter.face,
        meter.sign_face,
        h,
        wh,
        stretch=meter.stretch,
        tracking=meter.tracking,
        sign=meter.fmt.sign,
    )
    ts = Typesetter(
        glyphs,
        meter.fmt,
        widest,
        pad_x=max(2, round(meter.window_pad[0] * h)),
        align=meter.align,
        sign_fixed=meter.sign_fixed,
    )
    ts.width = _even(ts.width)
    size = font_size(meter.label_face, max(6, round(h * meter.label_scale)))
    font = load(meter.label_face, size)
    x0, y0, x1, y1 = font.getbbox(meter.label)
    label = (math.ceil(x1 - x0) + 2, math.ceil((y1 - y0) * 1.25) + 2)
    return Setup(meter, glyphs, ts, (ts.width, wh), size, label, max(4, round(0.3 * h)))


@dataclass(frozen=True, slots=True)
class MeterBox:
    window: Rect
    panel: Rect
    label: Rect


@dataclass(frozen=True)
class Board:
    """The frame's geometry: per meter its boxes, and the bands around them."""

    size: tuple[int, int]
    layout: str
    boxes: dict[str, MeterBox]
    setups: dict[str, Setup]
    title: Rect | None
    decoys: Rect | None
    free: Rect | None  # room for reels or a paytable (decoy digits, off the meters)


def _content(f: Factors) -> tuple[Rect, Rect | None, Rect | None]:
    W, H = f.video.render_size
    sc = f.video.scene
    title = Rect(0, round(H * 0.015), W, round(H * 0.105)) if sc.title else None
    decoys = Rect(0, round(H * 0.9), W, round(H * 0.975)) if sc.decoys else None
    top = title.y1 + round(H * 0.01) if title else round(H * 0.03)
    bottom = decoys.y0 - round(H * 0.01) if decoys else round(H * 0.97)
    return Rect(round(W * 0.025), top, round(W * 0.975), bottom), title, decoys


def _boxes(s: Setup, x: int, y: int) -> MeterBox:
    pw, ph = s.panel
    (ww, wh), (lw, lh), m = s.window, s.label, s.margin
    panel = Rect(x, y, x + pw, y + ph)
    if s.meter.label_pos == "left":
        label = Rect(x + m, y + (ph - lh) // 2, x + m + lw, y + (ph - lh) // 2 + lh)
        wx, wy = x + m + lw + m // 2, y + (ph - wh) // 2
    else:
        label = Rect(x + (pw - lw) // 2, y + m, x + (pw - lw) // 2 + lw, y + m + lh)
        wx, wy = x + (pw - ww) // 2, y + m + lh + m // 2
    wx, wy = wx // 2 * 2, wy // 2 * 2
    return MeterBox(Rect(wx, wy, wx + ww, wy + wh), panel, label)


def _positions(
    kind: str, sizes: list[tuple[int, int]], c: Rect, seed: str
) -> list[tuple[int, int]] | None:
    """Top-left corners of panels of ``sizes`` laid out as ``kind`` in ``c``, or None."""
    n = len(sizes)
    if kind == "stack":
        width, total = max(w for w, _ in sizes), sum(h for _, h in sizes)
        gap = min((c.h - total) / (n + 1), 0.35 * total / n + 8)
        if width > c.w or gap < 4:
            return None
        out, y = [], c.y0 + (c.h - total - gap * (n - 1)) / 2
        for _, h in sizes:
            out.append((c.x0 + (c.w - width) // 2, round(y)))
            y += h + gap
        return out
    if kind == "strip":
        gap = (c.w - sum(w for w, _ in sizes)) / (n + 1)
        if gap < 8 or max(h for _, h in sizes) > 0.6 * c.h:
            return None
        out, x = [], c.x0 + gap
        for w, _ in sizes:
            out.append((round(x), c.y0 + round(0.02 * c.h)))
            x += w + gap
        return out
    if kind == "grid":
        return _grid(sizes, c)
    return _scatter(sizes, c, random.Random(seed))


def _grid(sizes: list[tuple[int, int]], c: Rect) -> list[tuple[int, int]] | None:
    cols = 1 if len(sizes) == 1 else 2
    rows = math.ceil(len(sizes) / cols)
    cw = [max(w for i, (w, _) in enumerate(sizes) if i % cols == k) for k in range(cols)]
    rh = [max(h for i, (_, h) in enumerate(sizes) if i // cols == r) for r in range(rows)]
    gx, gy = (c.w - sum(cw)) / (cols + 1), (c.h - sum(rh)) / (rows + 1)
    if gx < 8 or gy < 4:
        return None
    gx, gy = min(gx, 0.3 * sum(cw) / cols + 12), min(gy, 0.4 * sum(rh) / rows + 8)
    x_in = c.x0 + (c.w - sum(cw) - gx * (cols - 1)) / 2
    y_in = c.y0 + (c.h - sum(rh) - gy * (rows - 1)) / 2
    out = []
    for i, (w, h) in enumerate(sizes):
        col, row = i % cols, i // cols
        x = x_in + gx * col + sum(cw[:col]) + (cw[col] - w) / 2
        y = y_in + gy * row + sum(rh[:row]) + (rh[row] - h) / 2
        out.append((round(x), round(y)))
    return out


def _scatter(
    sizes: list[tuple[int, int]], c: Rect, rng: random.Random
) -> list[tuple[int, int]] | None:
    placed: list[Rect] = []
    for w, h in sizes:
        if w > c.w or h > c.h:
            return None
        for _ in range(300):
            x, y = rng.randint(c.x0, c.x1 - w), rng.randint(c.y0, c.y1 - h)
            r = Rect(x, y, x + w, y + h)
            if not any(r.overlaps(p, 12) for p in placed):
                placed.append(r)
                break
        else:
            return None
    return [(r.x0, r.y0) for r in placed]


def _free(c: Rect, panels: list[Rect], size: tuple[int, int]) -> Rect | None:
    """The largest free band beside the panels (below, above, left, right), if it is
    big enough to hold reels or a paytable."""
    x0, y0 = min(p.x0 for p in panels), min(p.y0 for p in panels)
    x1, y1 = max(p.x1 for p in panels), max(p.y1 for p in panels)
    bands = [
        Rect(c.x0, y1 + 12, c.x1, c.y1),
        Rect(c.x0, c.y0, c.x1, y0 - 12),
        Rect(c.x0, c.y0, x0 - 12, c.y1),
        Rect(x1 + 12, c.y0, c.x1, c.y1),
    ]
    clear = [b for b in bands if not any(b.overlaps(p, 12) for p in panels)]
    best = max(clear, key=lambda r: min(r.w, 3 * r.h) * min(r.h, 3 * r.w), default=None)
    if best is None or min(best.w, best.h) < 0.18 * size[1]:
        return None
    return best


def arrange(f: Factors, widest: dict[str, int], layout: str | None = None) -> Board | None:
    """``f``'s board at its meters' heights, or None if ``layout`` does not fit."""
    kind = layout or f.video.layout
    setups = [setup(m, widest[m.name]) for m in f.meters]
    content, title, decoys = _content(f)
    key = f"{f.video.seeds[2]}:{[m.height for m in f.meters]}"
    corners = _positions(kind, [s.panel for s in setups], content, key)
    if corners is None:
        return None
    boxes = {s.meter.name: _boxes(s, x, y) for s, (x, y) in zip(setups, corners, strict=True)}
    free = _free(content, [b.panel for b in boxes.values()], f.video.render_size)
    setups_by_name = {s.meter.name: s for s in setups}
    return Board(f.video.render_size, kind, boxes, setups_by_name, title, decoys, free)


def render_per_output(v: VideoFactors) -> float:
    """Rendered pixels per effective output pixel: through the camera's lens where it
    shows the screen smallest (:func:`~foureyes.demo.synth.legibility.lens_scale`)."""
    return 1.0 / lens_scale(v)


def fit(f: Factors, widest: dict[str, int]) -> Factors:
    """``f`` with digit heights (and layout) that fit its frame; heights only shrink, and
    never below a meter's floor."""
    scale = render_per_output(f.video)
    floors = [max(8, math.ceil(m.floor * scale - 1e-6)) for m in f.meters]
    for layout in dict.fromkeys((f.video.layout, "stack", "grid")):
        heights = [max(m.height, low) for m, low in zip(f.meters, floors, strict=True)]
        while True:
            trial = _with_heights(f, heights, layout)
            if arrange(trial, widest) is not None:
                return trial
            if all(h <= low for h, low in zip(heights, floors, strict=True)):
                break
            heights = [
                max(low, math.floor(h * 0.9)) for h, low in zip(heights, floors, strict=True)
            ]
    raise ValueError(f"seed {f.seed}: the meters do not fit a {f.video.render_size} frame")


def _with_heights(f: Factors, heights: list[int], layout: str) -> Factors:
    meters = tuple(replace(m, height=h) for m, h in zip(f.meters, heights, strict=True))
    return replace(f, meters=meters, video=replace(f.video, layout=layout))
