"""Popups over the meters, and how much of each meter's digits they hide.

Win popups come from the timeline's resets: they cover the whole panel until the meter
shows its seed. Ordinary popups come at Poisson times: full (the whole value window),
partial (part of the digits) or coins; some in bright banner colours, some in the meter's
own window and digit colours so that "a different colour appeared" does not give them
away. Every popup is an opaque rectangle that scales in from its centre over a few
frames; ``covered`` is the share of the digits' inked columns any popup hides.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from foureyes.demo.render import draw_coins
from foureyes.demo.synth.factors import Colour, Factors
from foureyes.demo.synth.fonts import FontFace
from foureyes.demo.synth.layout import Board, Rect
from foureyes.demo.synth.scene import plain_face, text_in
from foureyes.demo.synth.timeline import Track

__all__ = ["Popup", "covered", "schedule", "sprite"]

_BANNERS: tuple[tuple[Colour, Colour], ...] = (
    ((200, 30, 30), (255, 255, 255)),
    ((30, 120, 220), (255, 240, 120)),
    ((150, 40, 190), (255, 255, 255)),
    ((240, 150, 0), (60, 0, 0)),
    ((20, 150, 80), (255, 255, 255)),
)
_TEXTS = ("BONUS!", "x2", "FREE SPINS", "BIG WIN", "")


@dataclass(frozen=True, slots=True)
class Popup:
    """An opaque rectangle over the board from ``start`` up to (not incl.) ``end``."""

    meter: str
    start: int
    end: int
    rect: Rect
    kind: str  # "win", "full", "partial", "coins"
    text: str
    fill: Colour
    ink: Colour
    face: FontFace
    grow: int  # frames to scale in
    flash: int  # frames per colour phase of a win popup; 0: steady

    def rect_at(self, frame: int) -> Rect | None:
        if not self.start <= frame < self.end:
            return None
        k = frame - self.start + 1
        if k >= self.grow:
            return self.rect
        r, s = self.rect, k / self.grow
        cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
        hw, hh = max(1.0, r.w * s / 2), max(1.0, r.h * s / 2)
        return Rect(
            math.floor(cx - hw), math.floor(cy - hh), math.ceil(cx + hw), math.ceil(cy + hh)
        ).even()

    def phase(self, frame: int) -> int:
        return (frame - self.start) // self.flash % 2 if self.flash else 0


def _frame_rect(size: tuple[int, int]) -> Rect:
    return Rect(0, 0, size[0], size[1])


def _wins(f: Factors, board: Board, tracks: dict[str, Track], rng: random.Random) -> list[Popup]:
    out = []
    face = plain_face()
    for m in f.meters:
        panel = board.boxes[m.name].panel
        for r in tracks[m.name].resets:
            if r.popup_start is None:
                continue
            rect = panel.grow(panel.w * 0.03, panel.h * 0.08).clip(_frame_rect(board.size)).even()
            amount = m.fmt.number(r.before)
            if m.fmt.sign:
                amount = f"{amount} {m.fmt.sign}" if m.fmt.suffix else m.fmt.sign + amount
            text = rng.choice(("JACKPOT!", f"{m.label} WON!", "WINNER", amount))
            fill, ink = rng.choice(_BANNERS)
            grow, flash = rng.randint(3, 6), rng.randint(4, 9)
            out.append(
                Popup(
                    m.name, r.popup_start, r.frame, rect, "win", text, fill, ink, face, grow, flash
                )
            )
    return out


def _ordinary(
    f: Factors, board: Board, track: Track, span: tuple[int, int], rng: random.Random
) -> Popup:
    """A popup over ``track``'s meter for frames ``span``: full, partial (over part of
    the digits it shows as the popup starts) or coins; a banner or in the meter's colours."""
    m, (start, end) = track.meter, span  # frames
    meter, setup = f.meter(m), board.setups[m]
    w = board.boxes[m].window
    kind = str(rng.choices(("full", "partial", "coins"), (0.35, 0.45, 0.2))[0])
    value = [c.value for c in track.changes if c.frame <= start][-1]
    if kind == "full":
        rect = w.grow(w.w * rng.uniform(0.02, 0.1), w.h * rng.uniform(0.05, 0.25))
    else:
        x0, x1 = setup.type.extent(value, value)
        width = (x1 - x0) * rng.uniform(*((0.2, 0.6) if kind == "partial" else (0.3, 0.8)))
        a = w.x0 + x0 + rng.uniform(0, 1) * (x1 - x0 - width)
        over = w.h * rng.uniform(0.0, 0.15)
        rect = Rect(
            math.floor(a), math.floor(w.y0 - over), math.ceil(a + width), math.ceil(w.y1 + over)
        )
    camo = rng.random() < 0.35
    if camo:
        fill, ink, face = meter.paint.window, meter.paint.fill, meter.face
    else:
        (fill, ink), face = rng.choice(_BANNERS), plain_face()
    text = "" if kind == "coins" else rng.choice(_TEXTS)
    rect = rect.clip(_frame_rect(board.size)).even()
    return Popup(m, start, end, rect, kind, text, fill, ink, face, rng.randint(3, 6), 0)


def schedule(f: Factors, board: Board, tracks: dict[str, Track]) -> tuple[Popup, ...]:
    """Win popups for the resets and ordinary popups at ``popup_rate`` over the board."""
    rng = random.Random(f.video.seeds[1])
    fps, frames = f.video.fps, f.video.frames
    popups = _wins(f, board, tracks, rng)
    busy = {m.name: [(p.start, p.end) for p in popups if p.meter == m.name] for m in f.meters}
    t, rate = 0.0, f.video.popup_rate
    margin = round(0.3 * fps)
    while rate > 0:
        t += rng.expovariate(rate)
        start = math.ceil(t * fps)
        if start >= frames:
            break
        m = rng.choice(f.meters).name
        end = min(frames, start + max(2, round(rng.uniform(0.5, 2.5) * fps)))
        if any(a - margin < end and start < b + margin for a, b in busy[m]):
            continue
        popups.append(_ordinary(f, board, tracks[m], (start, end), rng))
        busy[m].append((start, end))
    return tuple(sorted(popups, key=lambda p: (p.start, p.meter)))


def covered(span: Rect, rects: Iterable[Rect]) -> float:
    """The share of ``span``'s columns hidden by ``rects`` that reach its rows."""
    if span.w <= 0:
        return 0.0
    parts = sorted(
        (max(span.x0, r.x0), min(span.x1, r.x1))
        for r in rects
        if r.y0 < span.y1 and span.y0 < r.y1 and r.x0 < span.x1 and span.x0 < r.x1
    )
    hidden, reach = 0, span.x0
    for a, b in parts:
        a = max(a, reach)
        if b > a:
            hidden += b - a
            reach = b
    return min(1.0, hidden / span.w)


def sprite(p: Popup, size: tuple[int, int], phase: int) -> Image.Image:
    """The popup's picture at ``size`` (it is drawn small while it scales in)."""
    w, h = size
    fill, ink = (p.fill, p.ink) if phase == 0 else (p.ink, p.fill)
    img = Image.new("RGB", (w, h), fill)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, w - 1, h - 1], outline=ink, width=max(1, h // 18))
    if p.kind == "coins":
        rnd = random.Random(p.start * 31 + p.rect.x0)
        draw_coins(draw, w, h, rnd, area=250, stroke=lambda r: max(1, round(r / 6)))
    elif p.text and h >= 8 and w >= 8:
        text_in(draw, Rect(0, 0, w, h), p.text, p.face, ink, fit=0.85)
    return img
