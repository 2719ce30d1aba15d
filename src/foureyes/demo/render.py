"""Paint a simulated board into frames: a static background once, then meters and popups.

Only the value boxes and popups change from frame to frame, so each frame starts as a copy
of the background and gets a few small patches. A value patch that is not mid-roll is cached
by its text. Digits are float alpha masks coloured at the end, which gives gradients, dark
outlines, LED ghost segments and neon glow from one code path.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from foureyes.demo.board import Board, MeterState, Popup, format_cents
from foureyes.demo.sevenseg import Geometry, display_masks
from foureyes.demo.styles import SEVENSEG, Colour, Style, load_font

__all__ = ["Box", "Renderer", "draw_coins"]

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.float32]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int


class _FontPainter:
    """Digits from a TTF, one cell per character, so a changed digit can roll on its own."""

    def __init__(self, font_name: str, text_height: int) -> None:
        probe = load_font(font_name, 100)
        top, bottom = probe.getbbox("0")[1::2]
        self.size = max(6, round(100 * text_height / max(1.0, float(bottom - top))))
        font = load_font(font_name, self.size)
        top, bottom = font.getbbox("0")[1::2]
        self.cell_h = round(text_height * 1.5)
        offset = self.cell_h / 2 - (top + bottom) / 2
        self.advance: dict[str, int] = {}
        self.glyphs: dict[str, Mask] = {}
        for ch in "0123456789$,. ":
            adv = max(1, round(font.getlength(ch)))
            img = PILImage.new("L", (adv, self.cell_h), 0)
            ImageDraw.Draw(img).text((0, offset), ch, font=font, fill=255)
            self.advance[ch] = adv
            self.glyphs[ch] = np.asarray(img, dtype=np.float32) / 255.0

    def text_size(self, text: str) -> tuple[int, int]:
        return sum(self.advance[c] for c in text), self.cell_h

    def masks(
        self, box: Box, pad: tuple[int, int], new: str, old: str | None, progress: float
    ) -> tuple[Mask, Mask | None]:
        """The text right-aligned in ``box``; changed digits part-way through a roll."""
        lit = np.zeros((box.h, box.w), np.float32)
        x, y = box.w - pad[0], pad[1]
        shift = round(self.cell_h * (3 - 2 * progress) * progress * progress)  # smoothstep
        for i in range(1, len(new) + 1):
            ch = new[-i]
            before = old[-i] if old is not None and i <= len(old) else None
            x -= self.advance[ch]
            glyph = self.glyphs[ch]
            if old is not None and ch.isdigit() and before != ch:
                rolled = np.zeros_like(glyph)
                prev = self.glyphs[before] if before and before.isdigit() else None
                if prev is not None and prev.shape == glyph.shape:
                    rolled[: self.cell_h - shift] = prev[shift:]
                rolled[self.cell_h - shift :] = glyph[:shift]
                glyph = rolled
            lit[y : y + self.cell_h, max(x, 0) : x + glyph.shape[1]] = glyph[:, max(-x, 0) :]
        return lit, None


class _SegPainter:
    """A fixed row of LED digit positions with a printed currency sign to its left."""

    def __init__(self, text_height: int, slots: int, label_font: str) -> None:
        self.geometry = Geometry(text_height)
        self.slots = slots
        self.sign = load_font(label_font, round(text_height * 0.8))
        self.sign_w = round(self.sign.getlength("$")) + text_height // 6
        self.cell_h = self.geometry.mask_height

    def text_size(self, text: str) -> tuple[int, int]:
        return self.sign_w + self.slots * self.geometry.slot_width, self.cell_h

    def masks(
        self, box: Box, pad: tuple[int, int], new: str, old: str | None, progress: float
    ) -> tuple[Mask, Mask | None]:
        lit_row, ghost_row = display_masks(new, self.slots, self.geometry)
        lit = np.zeros((box.h, box.w), np.float32)
        ghost = np.zeros_like(lit)
        x0, y = box.w - pad[0] - lit_row.shape[1], pad[1]
        lit[y : y + self.cell_h, x0 : x0 + lit_row.shape[1]] = lit_row
        ghost[y : y + self.cell_h, x0 : x0 + lit_row.shape[1]] = ghost_row
        sign = PILImage.new("L", (self.sign_w, self.cell_h), 0)
        ImageDraw.Draw(sign).text((0, self.geometry.height * 0.15), "$", font=self.sign, fill=255)
        sx = x0 - self.sign_w
        lit[y : y + self.cell_h, sx:x0] = np.asarray(sign, dtype=np.float32) / 255.0
        return lit, ghost


_Painter = _FontPainter | _SegPainter


class Renderer:
    """Draws ``board`` in ``style``: the layout is fixed at construction from the board's range."""

    def __init__(self, board: Board, style: Style, rng: random.Random) -> None:
        self.board, self.style = board, style
        self.width, self.height = style.frame_size
        self.painters: dict[str, _Painter] = {}
        self.pads: dict[str, tuple[int, int]] = {}
        sizes: dict[str, tuple[int, int]] = {}
        for i, meter in enumerate(board.meters):
            th = max(8, round(style.text_height * style.meter_scale[i]))
            widest = format_cents(board.max_value(meter))
            painter: _Painter
            if style.font == SEVENSEG:
                digits = sum(c.isdigit() for c in widest)
                painter = _SegPainter(th, digits + 1, style.label_font)
            else:
                painter = _FontPainter(style.font, th)
            w, h = painter.text_size(widest)
            self.pads[meter] = (max(3, th // 5), max(2, th // 8))
            sizes[meter] = (w + 2 * self.pads[meter][0], h + 2 * self.pads[meter][1])
            self.painters[meter] = painter
        self.boxes, self.panels = _layout(style, board.meters, sizes)
        narrowest = {
            m: self.painters[m].text_size(format_cents(board.min_value(m)))[0] for m in sizes
        }
        self.text_left = max(
            1 - (narrowest[m] + self.pads[m][0]) / self.boxes[m].w for m in board.meters
        )
        self.background = _background(style, board, self.boxes, self.panels, rng)
        self._patches: dict[tuple[str, int, int | None, float], Image] = {}
        self._sprites: dict[tuple[Popup, int, int, int], Image] = {}

    def use(self, board: Board) -> None:
        """Draw ``board`` from now on: the same values (the layout depends on them), new popups."""
        if board.tracks != self.board.tracks or board.frames != self.board.frames:
            raise ValueError("a renderer's layout fits one board's values; build a new renderer")
        self.board = board
        self._patches.clear()

    def frame(self, index: int) -> Image:
        canvas = self.background.copy()
        for i, meter in enumerate(self.board.meters):
            st = self.board.state(meter, index)
            box = self.boxes[meter]
            canvas[box.y : box.y + box.h, box.x : box.x + box.w] = self._patch(i, meter, st)
            for popup in st.popups:
                self._draw_popup(canvas, popup, index, box)
        return canvas

    def _patch(self, i: int, meter: str, st: MeterState) -> Image:
        progress = round(st.progress, 3)
        key = (meter, st.value, st.old, progress)
        patch = self._patches.get(key)
        if patch is None:
            if len(self._patches) > 512:
                self._patches.clear()
            box = self.boxes[meter]
            old = None if st.old is None else format_cents(st.old)
            lit, ghost = self.painters[meter].masks(
                box, self.pads[meter], format_cents(st.value), old, progress
            )
            bg = self.background[box.y : box.y + box.h, box.x : box.x + box.w]
            patch = _colourise(bg, lit, ghost, self.style, i, self.pads[meter][1])
            self._patches[key] = patch
        return patch

    def _draw_popup(self, canvas: Image, popup: Popup, index: int, box: Box) -> None:
        span = popup.span_at(index)
        if span is None:
            return
        over = round(box.h * (0.18 if popup.kind == "win" else 0.08))
        x0 = max(0, box.x + math.floor(span[0] * box.w))
        x1 = min(self.width, box.x + math.ceil(span[1] * box.w))
        y0, y1 = max(0, box.y - over), min(self.height, box.y + box.h + over)
        if x1 <= x0 or y1 <= y0:
            return
        phase = (index // 6) % 2 if popup.kind == "win" else 0
        key = (popup, x1 - x0, y1 - y0, phase)
        sprite = self._sprites.get(key)
        if sprite is None:
            if len(self._sprites) > 128:
                self._sprites.clear()
            sprite = _popup_sprite(popup, x1 - x0, y1 - y0, phase)
            self._sprites[key] = sprite
        canvas[y0:y1, x0:x1] = sprite


def _colourise(
    bg: Image, lit: Mask, ghost: Mask | None, style: Style, meter_index: int, top: int
) -> Image:
    out = bg.astype(np.float32)
    if ghost is not None:
        g = ghost[..., None] * (1 - lit[..., None])
        out = out * (1 - g) + np.asarray(style.ghost, np.float32) * g
    if style.lit is not None:
        colour = np.asarray(style.lit[meter_index], np.float32).reshape(1, 1, 3)
    else:
        rows = np.clip(
            (np.arange(lit.shape[0], dtype=np.float32) - top) / max(1, lit.shape[0] - 2 * top), 0, 1
        )
        a, b = (np.asarray(c, np.float32) for c in style.digits)
        colour = (a[None, :] * (1 - rows[:, None]) + b[None, :] * rows[:, None])[:, None, :]
    if style.glow > 0:
        halo = cv2.GaussianBlur(lit, (0, 0), style.glow)[..., None]
        out = out + halo * np.asarray(colour.mean(axis=(0, 1)), np.float32) * 0.9
    if style.outline is not None:
        k = max(1, lit.shape[0] // 40)
        edge = cv2.dilate(lit, np.ones((2 * k + 1, 2 * k + 1), np.uint8))[..., None]
        out = out * (1 - edge) + np.asarray(style.outline, np.float32) * edge
    m = lit[..., None]
    out = out * (1 - m) + colour * m
    return np.clip(out, 0, 255).astype(np.uint8)


def _layout(
    style: Style, meters: tuple[str, ...], sizes: dict[str, tuple[int, int]]
) -> tuple[dict[str, Box], dict[str, Box]]:
    """Value boxes and the panels around them, in frame pixels."""
    W, H = style.frame_size
    label_h = {m: max(12, round(sizes[m][1] * 0.38)) for m in meters}
    pad = {m: max(6, sizes[m][1] // 6) for m in meters}
    panel_size = {
        m: (sizes[m][0] + 2 * pad[m], label_h[m] + sizes[m][1] + 3 * pad[m]) for m in meters
    }
    rows: list[list[str]]
    if style.layout == "strip":
        rows, top, bottom = [list(meters)], round(H * 0.03), round(H * 0.2)
        widths = {m: max(panel_size[m][0], (W - 50) // len(meters)) for m in meters}
    else:
        rows = [[m] for m in meters[:2]] + [list(meters[2:])]
        top, bottom = round(H * 0.13), round(H * 0.88)
        share = {0: 0.6, 1: 0.52}
        widths = {
            m: max(panel_size[m][0], round(W * share.get(i, 0.38))) for i, m in enumerate(meters)
        }
    row_h = [max(panel_size[m][1] for m in row) for row in rows]
    gap = (bottom - top - sum(row_h)) / max(1, len(rows) - 1)
    if gap < 4 or any(sum(widths[m] for m in row) + 10 * len(row) > W for row in rows):
        raise ValueError(f"style {style.name}: the meters do not fit a {W}x{H} frame")
    boxes: dict[str, Box] = {}
    panels: dict[str, Box] = {}
    y = float(top)
    for row, rh in zip(rows, row_h, strict=True):
        total = sum(widths[m] for m in row)
        spacing = (W - total) / (len(row) + 1)
        x = spacing
        for m in row:
            pw, ph = widths[m], panel_size[m][1]
            panels[m] = Box(round(x), round(y + (rh - ph) / 2), pw, ph)
            bw, bh = sizes[m]
            boxes[m] = Box(round(x + (pw - bw) / 2), panels[m].y + label_h[m] + 2 * pad[m], bw, bh)
            x += pw + spacing
        y += rh + gap
    return boxes, panels


def _text_centred(draw: ImageDraw.ImageDraw, box: Box, text: str, font: Font, fill: Colour) -> None:
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    draw.text(
        (box.x + (box.w - (x1 - x0)) / 2 - x0, box.y + (box.h - (y1 - y0)) / 2 - y0),
        text,
        font=font,
        fill=fill,
    )


def _background(
    style: Style, board: Board, boxes: dict[str, Box], panels: dict[str, Box], rng: random.Random
) -> Image:
    W, H = style.frame_size
    t = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    a, b = (np.asarray(c, np.float32) for c in style.background)
    grad = np.broadcast_to(a * (1 - t) + b * t, (H, W, 3))
    img = PILImage.fromarray(grad.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for x in range(12, W, 36):  # marquee bulbs along the top and bottom edges
        for y in (6, H - 12):
            on = rng.random() < 0.7
            draw.ellipse([x, y, x + 6, y + 6], fill=(255, 220, 120) if on else (90, 70, 40))
    if style.layout == "strip":
        _reels(draw, style, rng, top=max(p.y + p.h for p in panels.values()) + 20)
    else:
        title = load_font(style.label_font, max(14, round(H * 0.055)))
        _text_centred(
            draw,
            Box(0, round(H * 0.02), W, round(H * 0.09)),
            "PROGRESSIVE JACKPOTS",
            title,
            style.border,
        )
    for i, meter in enumerate(board.meters):
        p, v = panels[meter], boxes[meter]
        fill = style.panel_colours[i]
        r = max(4, p.h // 8)
        draw.rounded_rectangle(
            [p.x, p.y, p.x + p.w, p.y + p.h],
            r,
            fill=fill,
            outline=style.border,
            width=max(2, p.h // 40),
        )
        dark = tuple(int(c * 0.3) for c in fill)
        draw.rounded_rectangle([v.x, v.y, v.x + v.w - 1, v.y + v.h - 1], max(2, r // 2), fill=dark)
        lh = v.y - p.y
        font = load_font(style.label_font, max(9, round(lh * 0.55)))
        _text_centred(
            draw,
            Box(p.x, p.y + lh // 8, p.w, lh - lh // 4),
            board.specs[i].label,
            font,
            style.label_colour,
        )
    if style.decoys:
        bar_y = round(H * 0.9) if style.layout == "stack" else round(H * 0.88)
        draw.rectangle([0, bar_y, W, H - 16], fill=(8, 8, 12))
        font = load_font("DejaVuSans-Bold.ttf", max(10, round(H * 0.035)))
        credit = format_cents(rng.randint(2_000, 250_000))
        bet = format_cents(rng.choice((40, 88, 100, 250, 500)))
        for k, text in enumerate((f"CREDIT {credit}", f"BET {bet}", "WIN $0.00")):
            cell = Box(k * W // 3, bar_y, W // 3, H - 16 - bar_y)
            _text_centred(draw, cell, text, font, (240, 240, 240))
    return np.asarray(img, dtype=np.uint8).copy()


def _reels(draw: ImageDraw.ImageDraw, style: Style, rng: random.Random, *, top: int) -> None:
    """Five reels of symbols, sevens among them, so digits appear outside the meters."""
    W, H = style.frame_size
    bottom = round(H * 0.86)
    rw = (W - 120) // 5
    size = max(12, min((bottom - top) // 5, rw // 4))
    font = load_font("DejaVuSans-Bold.ttf", size)
    for k in range(5):
        x = 60 + k * rw
        draw.rectangle(
            [x + 4, top, x + rw - 4, bottom], fill=(245, 240, 230), outline=style.border, width=3
        )
        for j in range(3):
            cell = Box(x + 4, top + j * (bottom - top) // 3, rw - 8, (bottom - top) // 3)
            symbol = rng.choice(("7", "BAR", "●", "♦", "★"))
            colour = rng.choice(((200, 20, 30), (20, 60, 180), (230, 160, 0), (20, 140, 40)))
            _text_centred(draw, cell, symbol, font, colour)


def draw_coins(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    rnd: random.Random,
    *,
    area: int,
    stroke: Callable[[float], int],
) -> None:
    """Gold coins strewn over a ``w`` x ``h`` popup, one per ``area`` square pixels (at
    least 3), each outlined ``stroke(radius)`` pixels wide."""
    for _ in range(max(3, w * h // area)):
        r = rnd.uniform(0.12, 0.3) * h
        cx, cy = rnd.uniform(0, w), rnd.uniform(0, h)
        draw.ellipse(
            [cx - r, cy - r, cx + r, cy + r],
            fill=(250, 200, 40),
            outline=(150, 100, 0),
            width=stroke(r),
        )


def _popup_sprite(popup: Popup, w: int, h: int, phase: int) -> Image:
    palettes = ((200, 30, 30), (30, 120, 220), (150, 40, 190), (240, 150, 0), (20, 150, 80))
    fill = palettes[popup.start % len(palettes)]
    if popup.kind == "win":
        fill = ((220, 20, 20), (250, 190, 0))[phase]
    img = PILImage.new("RGB", (w, h), fill)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, w - 1, h - 1], outline=(255, 240, 200), width=max(1, h // 20))
    if popup.kind == "coins":
        draw_coins(draw, w, h, random.Random(popup.start), area=300, stroke=lambda r: 2)
    elif popup.text:
        text_colour = (255, 255, 255) if phase == 0 else (160, 0, 0)
        size = max(6, round(h * 0.55))
        font = load_font("DejaVuSans-Bold.ttf", size)
        while size > 6 and draw.textlength(popup.text, font=font) > w * 0.92:
            size -= 2
            font = load_font("DejaVuSans-Bold.ttf", size)
        _text_centred(draw, Box(0, 0, w, h), popup.text, font, text_colour)
    return np.asarray(img, dtype=np.uint8).copy()
