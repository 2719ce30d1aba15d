"""The still picture a board sits on, painted once per video: gradient, rays, bokeh,
marquee bulbs, reels, a title, a decoy bar of CREDIT/BET/WIN numbers, and every meter's
panel, label and empty value window.

Decoys carry digits on purpose, always outside the meters' regions: a reader must read
where it is told, not the most number-like thing on screen.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

from foureyes.demo.synth.colours import luminance, mix
from foureyes.demo.synth.factors import Colour, Factors, MeterFactors, Scene
from foureyes.demo.synth.fonts import Font, FontFace, catalogue, load
from foureyes.demo.synth.glyphs import font_size
from foureyes.demo.synth.layout import Board, MeterBox, Rect

__all__ = ["paint_scene", "plain_face", "text_in"]

RGB = npt.NDArray[np.uint8]


def plain_face() -> FontFace:
    """A bold sans for decoys and popups: DejaVu Sans Bold, else the first plain face."""
    faces = catalogue()
    for f in faces:
        if Path(f.path).stem == "DejaVuSans-Bold":
            return f
    return next((f for f in faces if not f.segments), faces[0])


def text_in(
    draw: ImageDraw.ImageDraw, box: Rect, text: str, face: FontFace, fill: Colour, fit: float = 0.9
) -> None:
    """``text`` centred in ``box`` at the largest size whose ink fits ``fit`` of it
    (measured once at a trial size and scaled: ink scales with the size)."""
    trial = max(6, round(box.h * 0.6))
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=load(face, trial))
    scale = min(1.0, box.w * fit / max(1, x1 - x0), box.h * fit / max(1, y1 - y0))
    font: Font = load(face, max(6, int(trial * scale)))
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    xy = (box.x0 + (box.w - (x1 - x0)) / 2 - x0, box.y0 + (box.h - (y1 - y0)) / 2 - y0)
    draw.text(xy, text, font=font, fill=fill)


def _base(scene: Scene, size: tuple[int, int]) -> npt.NDArray[np.float32]:
    W, H = size
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    if scene.base == "vertical":
        t = yy / H
    elif scene.base == "horizontal":
        t = xx / W
    elif scene.base == "diagonal":
        t = (xx / W + yy / H) / 2
    else:
        t = np.minimum(1.0, np.hypot(xx / W - 0.5, yy / H - 0.5) * 1.6)
    a, b = (np.asarray(c, np.float32) for c in scene.colours)
    return np.asarray(a * (1 - t[..., None]) + b * t[..., None], np.float32)


def _glow(img: npt.NDArray[np.float32], mask: Image.Image, colour: Colour, amount: float) -> None:
    m = np.asarray(mask, np.float32)[..., None] / 255 * amount
    img *= 1 - m
    img += np.asarray(colour, np.float32) * m


def _rays_and_bokeh(img: npt.NDArray[np.float32], scene: Scene, rng: random.Random) -> None:
    H, W = img.shape[:2]
    light = mix(scene.colours[1], (255, 255, 255), 0.5)
    if scene.rays:
        mask = Image.new("L", (W, H), 0)
        draw = ImageDraw.Draw(mask)
        cx, cy, n = rng.uniform(0.3, 0.7) * W, rng.uniform(0.2, 0.8) * H, rng.randint(10, 24)
        r = 2 * (W + H)
        for k in range(n):
            a0, a1 = 2 * np.pi * k / n, 2 * np.pi * (k + 0.45) / n
            pts = [(cx, cy), (cx + r * np.cos(a0), cy + r * np.sin(a0))]
            pts.append((cx + r * np.cos(a1), cy + r * np.sin(a1)))
            draw.polygon(pts, fill=255)
        _glow(img, mask.filter(ImageFilter.GaussianBlur(3)), light, 0.12)
    if scene.bokeh:
        mask = Image.new("L", (W, H), 0)
        draw = ImageDraw.Draw(mask)
        for _ in range(rng.randint(12, 40)):
            x, y, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(0.01, 0.06) * W
            draw.ellipse([x - r, y - r, x + r, y + r], fill=rng.randint(60, 200))
        _glow(img, mask.filter(ImageFilter.GaussianBlur(W / 150)), light, 0.25)


def _bulbs(draw: ImageDraw.ImageDraw, size: tuple[int, int], rng: random.Random) -> None:
    W, H = size
    r = max(2, H // 160)
    for x in range(3 * r, W, 9 * r):
        for y in (2 * r, H - 4 * r):
            on = rng.random() < 0.7
            draw.ellipse([x, y, x + 2 * r, y + 2 * r], fill=(255, 220, 120) if on else (90, 70, 40))


def _reels(draw: ImageDraw.ImageDraw, box: Rect, rng: random.Random) -> None:
    """Five reels of symbols, sevens among them: digits outside the meters."""
    face = plain_face()
    rw = box.w // 5
    for k in range(5):
        x = box.x0 + k * rw
        draw.rectangle(
            [x + 4, box.y0, x + rw - 4, box.y1], fill=(245, 240, 230), outline=(90, 70, 40), width=3
        )
        for j in range(3):
            cell = Rect(x + 6, box.y0 + j * box.h // 3, x + rw - 6, box.y0 + (j + 1) * box.h // 3)
            symbol = rng.choice(("7", "BAR", "77", "★", "♦", "●", "$"))
            colour = rng.choice(((200, 20, 30), (20, 60, 180), (230, 160, 0), (20, 140, 40)))
            text_in(draw, cell, symbol, face, colour, fit=0.7)


def _paytable(draw: ImageDraw.ImageDraw, box: Rect, rng: random.Random) -> None:
    """A pay table: symbol combinations and what they pay, digits outside the meters."""
    face = plain_face()
    inner = box.grow(-box.w * 0.06, -box.h * 0.06)
    draw.rounded_rectangle(
        [inner.x0, inner.y0, inner.x1, inner.y1],
        8,
        fill=(12, 10, 30),
        outline=(200, 170, 60),
        width=2,
    )
    combos = ["7 7 7", "BAR BAR BAR", "★ ★ ★", "● ● ●", "♦ ♦ ♦", "ANY 7", "ANY BAR"]
    rows = rng.randint(3, 6)
    pays = sorted(rng.sample((1000, 800, 500, 250, 150, 100, 50, 25, 10, 5), rows), reverse=True)
    step = inner.h / (rows + 1)
    colour = rng.choice(((255, 220, 120), (240, 240, 240), (120, 220, 255)))
    text_in(
        draw,
        Rect(inner.x0, inner.y0, inner.x1, round(inner.y0 + step)),
        "PAYS",
        face,
        colour,
        fit=0.7,
    )
    for k, (combo, pay) in enumerate(zip(rng.sample(combos, rows), pays, strict=True)):
        y0 = round(inner.y0 + step * (k + 1))
        left = Rect(inner.x0, y0, inner.x0 + inner.w * 3 // 5, round(y0 + step))
        right = Rect(left.x1, y0, inner.x1, round(y0 + step))
        text_in(draw, left, combo, face, colour, fit=0.75)
        text_in(draw, right, str(pay), face, colour, fit=0.6)


def _decoys(draw: ImageDraw.ImageDraw, box: Rect, rng: random.Random) -> None:
    draw.rectangle([box.x0, box.y0, box.x1, box.y1], fill=(8, 8, 12))
    face = plain_face()
    credit = f"{rng.randint(20, 2500):,}.{rng.randint(0, 99):02d}"
    bet = rng.choice(("0.40", "0.88", "1.00", "2.50", "5.00"))
    win = rng.choice(("0.00", f"{rng.randint(1, 500)}.00"))
    texts = (f"CREDIT ${credit}", f"BET ${bet}", f"WIN ${win}")
    for k, text in enumerate(texts):
        cell = Rect(box.x0 + k * box.w // 3, box.y0, box.x0 + (k + 1) * box.w // 3, box.y1)
        text_in(draw, cell, text, face, (240, 240, 240), fit=0.8)


def _panel(draw: ImageDraw.ImageDraw, m: MeterFactors, b: MeterBox) -> None:
    p = b.panel
    if m.panel == "panel":
        r = max(3, p.h // 8)
        width = max(2, p.h // 40)
        draw.rounded_rectangle(
            [p.x0, p.y0, p.x1 - 1, p.y1 - 1], r, fill=m.panel_colour, outline=m.border, width=width
        )
    if m.panel != "bare":
        w = b.window
        k = max(1, w.h // 25)
        draw.rectangle([w.x0 - k, w.y0 - k, w.x1 + k - 1, w.y1 + k - 1], fill=m.border)
    size = font_size(m.label_face, max(6, round(m.height * m.label_scale)))
    font = load(m.label_face, size)
    x0, y0, x1, y1 = draw.textbbox((0, 0), m.label, font=font)
    lb = b.label
    colour = m.label_colour
    behind = m.panel_colour if m.panel == "panel" else None
    if behind is not None and abs(luminance(colour) - luminance(behind)) < 0.3:
        colour = (20, 20, 20) if luminance(behind) > 0.5 else (250, 250, 250)
    draw.text(
        (lb.x0 + (lb.w - (x1 - x0)) / 2 - x0, lb.y0 + (lb.h - (y1 - y0)) / 2 - y0),
        m.label,
        font=font,
        fill=colour,
    )


def _window(img: RGB, m: MeterFactors, w: Rect) -> None:
    a, b = (np.asarray(c, np.float32) for c in (m.paint.window, m.paint.window_end))
    t = np.linspace(0, 1, w.h, dtype=np.float32)[:, None, None]
    img[w.y0 : w.y1, w.x0 : w.x1] = np.broadcast_to(
        np.round(a * (1 - t) + b * t).astype(np.uint8), (w.h, w.w, 3)
    )


def paint_scene(f: Factors, board: Board) -> RGB:
    """The background of every frame: everything but digits and popups."""
    rng = random.Random(f.video.seeds[2])
    scene = f.video.scene
    base = _base(scene, board.size)
    _rays_and_bokeh(base, scene, rng)
    pic = Image.fromarray(np.clip(base + 0.5, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pic)
    if scene.bulbs:
        _bulbs(draw, board.size, rng)
    if board.free is not None:
        wide = board.free.w >= board.free.h
        (_reels if scene.reels and wide else _paytable)(draw, board.free, rng)
    if board.title is not None:
        first = f.meters[0]
        text_in(draw, board.title, scene.title, first.label_face, first.border, fit=0.85)
    if board.decoys is not None:
        _decoys(draw, board.decoys, rng)
    for m in f.meters:
        _panel(draw, m, board.boxes[m.name])
    img = np.asarray(pic, dtype=np.uint8).copy()
    for m in f.meters:
        _window(img, m, board.boxes[m.name].window)
    return img
