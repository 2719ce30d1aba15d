"""Digit masks and the typesetting of a meter's value, at rest and mid-transition.

Each character is rendered once per meter into a float mask as tall as the meter's value
window, with the digit band centred, so every transition is array slicing: an odometer
shifts the old glyph up and the new one in from below, a wheel spins through the digits in
between, a split flap folds the old top half down, a fade blends the two. Digits sit in
tabular cells (one advance for all ten), the way meters print them, so numbers with the
same pattern of digits and separators share cell positions from the right; a transition
is laid out on the newer (longer) value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from foureyes.demo.synth.factors import Format
from foureyes.demo.synth.fonts import DIGITS, Font, FontFace, load

__all__ = ["Glyphs", "Mask", "Typesetter", "font_size"]

Mask = npt.NDArray[np.float32]


@lru_cache(maxsize=512)
def _rows_cols(face: FontFace, size: int, ch: str) -> tuple[int, int, int, int]:
    """Ink rows and columns of ``ch`` drawn at the origin (left baseline) of a canvas."""
    font = load(face, size)
    img = Image.new("L", (4 * size + 8, 3 * size + 8), 0)
    ImageDraw.Draw(img).text((size, 2 * size), ch, font=font, fill=255, anchor="ls")
    a = np.asarray(img)
    rows, cols = np.flatnonzero(a.max(axis=1) > 96), np.flatnonzero(a.max(axis=0) > 96)
    if rows.size == 0:
        return 0, 0, 0, 0
    return (
        int(rows[0]) - 2 * size,
        int(rows[-1]) + 1 - 2 * size,
        int(cols[0]) - size,
        int(cols[-1]) + 1 - size,
    )


def font_size(face: FontFace, height: int) -> int:
    """The size at which ``face``'s "0" is ``height`` px tall."""
    top, bottom, _, _ = _rows_cols(face, 100, "0")
    return max(6, round(100 * height / max(1, bottom - top)))


class Glyphs:
    """One face's characters for one meter, each a mask ``window_h`` tall whose cell
    origin is at column ``pad``; ``adv`` is the cell width, ``ink`` the inked columns
    relative to the cell origin, ``band`` the digit rows."""

    def __init__(
        self,
        face: FontFace,
        sign_face: FontFace,
        height: int,
        window_h: int,
        *,
        stretch: float = 1.0,
        tracking: float = 0.0,
        sign: str = "",
    ) -> None:
        self.face, self.height, self.window_h = face, height, window_h
        size = font_size(face, height)
        top, bottom, _, _ = _rows_cols(face, size, "0")
        self.baseline = round(window_h / 2 - (top + bottom) / 2)
        self.band = (self.baseline + top, self.baseline + bottom)
        self.pad = max(2, math.ceil(0.5 * size * max(1.0, stretch)))
        self.pitch = math.ceil((window_h + height) / 2) + 1
        self.adv: dict[str, int] = {}
        self.masks: dict[str, Mask] = {}
        self.ink: dict[str, tuple[int, int]] = {}
        font = load(face, size)
        extra = round(tracking * height)
        cell = max(float(font.getlength(d)) for d in DIGITS)
        segments = face.segments > 0
        for ch in DIGITS + ".,":
            own = float(font.getlength(ch))
            width = cell if ch.isdigit() else own
            offset = (width - own) / 2
            self._add(ch, font, width + (extra if width or not segments else 0), offset, stretch)
        if sign:
            sfont = load(sign_face, font_size(sign_face, height))
            self._add(sign, sfont, float(sfont.getlength(sign)), 0.0, stretch)
        self.digit_ink = (
            min(self.ink[d][0] for d in DIGITS),
            max(self.ink[d][1] for d in DIGITS),
        )

    def _add(self, ch: str, font: Font, width: float, offset: float, stretch: float) -> None:
        w = max(1, math.ceil(width))
        img = Image.new("L", (w + 2 * self.pad, self.window_h), 0)
        ImageDraw.Draw(img).text(
            (self.pad + offset, self.baseline), ch, font=font, fill=255, anchor="ls"
        )
        mask = np.asarray(img, dtype=np.float32) / 255.0
        adv = round(width * stretch)
        if stretch != 1.0:
            new_w = max(1, round(mask.shape[1] * stretch))
            mask = np.asarray(
                cv2.resize(mask, (new_w, self.window_h), interpolation=cv2.INTER_AREA), np.float32
            )
        pad = round(self.pad * stretch)
        cols = np.flatnonzero(mask.max(axis=0) > 0.35)
        self.ink[ch] = (int(cols[0]) - pad, int(cols[-1]) + 1 - pad) if cols.size else (0, 0)
        # every mask keeps the origin at column ``self.pad``
        if pad != self.pad:
            mask = _shift_x(mask, self.pad - pad)
        mask.setflags(write=False)
        self.masks[ch], self.adv[ch] = mask, adv


def _shift_x(mask: Mask, dx: int) -> Mask:
    out = np.zeros((mask.shape[0], mask.shape[1] + max(0, dx)), np.float32)
    if dx >= 0:
        out[:, dx:] = mask
    else:
        out[:, : mask.shape[1] + dx] = mask[:, -dx:]
    return out


def _shift_y(mask: Mask, dy: int) -> Mask:
    """``mask`` moved down by ``dy`` rows (up if negative), clipped to its height."""
    out = np.zeros_like(mask)
    h = mask.shape[0]
    if abs(dy) >= h:
        return out
    if dy >= 0:
        out[dy:] = mask[: h - dy]
    else:
        out[: h + dy] = mask[-dy:]
    return out


def _blit(canvas: Mask, mask: Mask, x: int) -> None:
    """Draw ``mask`` (origin at column ``pad``) with its origin at ``x``; keeps the max."""
    h, w = canvas.shape
    x0 = x
    a, b = max(0, x0), min(w, x0 + mask.shape[1])
    if a < b:
        part = mask[:h, a - x0 : b - x0]
        np.maximum(canvas[:, a:b], part, out=canvas[:, a:b])


class Typesetter:
    """Lays one meter's values out in its window (``width`` x ``glyphs.window_h``)."""

    def __init__(
        self,
        glyphs: Glyphs,
        fmt: Format,
        widest: int,
        *,
        pad_x: int,
        align: str,
        sign_fixed: bool,
    ) -> None:
        self.g, self.fmt, self.align = glyphs, fmt, align
        self.segments = glyphs.face.segments > 0
        self.sign_fixed = sign_fixed or self.segments
        self.gap = round((0.3 if fmt.suffix else 0.12) * glyphs.height) if fmt.sign else 0
        self.sign_w = glyphs.adv[fmt.sign] + self.gap if fmt.sign else 0
        widest_text = fmt.number(widest)
        if self.segments:  # a fixed row of digit positions, one spare on the left
            digits = sum(c.isdigit() for c in widest_text) + 1
            widest_text = fmt.number(10**digits - 1).replace("9", "8")
        self.slots = widest_text
        self.pad_x = pad_x
        self.width = 2 * pad_x + self._number_width(widest_text) + self.sign_w
        self._ghost: Mask | None = None
        self._extents: dict[tuple[int, int], tuple[int, int]] = {}

    def _number_width(self, text: str) -> int:
        return sum(self.g.adv[c] for c in text)

    def _right(self, text: str) -> int:
        """Where the number's right edge goes for ``text`` (the longer of a transition)."""
        suffix = self.sign_w if self.fmt.suffix else 0
        if self.align == "right" or self.segments:
            return self.width - self.pad_x - suffix
        total = self._number_width(text) + self.sign_w
        left = (self.width - total) // 2
        return left + self._number_width(text) + (0 if self.fmt.suffix else self.sign_w)

    def cells(self, text: str) -> list[tuple[str, int]]:
        """``(char, cell x)`` of ``text``'s number, right to left."""
        x = self._right(text)
        out = []
        for ch in reversed(text):
            x -= self.g.adv[ch]
            out.append((ch, x))
        return out

    def sign_x(self, text: str) -> int | None:
        if not self.fmt.sign:
            return None
        right = self._right(text)
        if self.fmt.suffix:
            return right + self.gap
        if self.sign_fixed:
            return self.pad_x
        return right - self._number_width(text) - self.sign_w

    def mask(
        self, lo: int, hi: int, frac: float, roll: str, cols: tuple[int, int] | None = None
    ) -> Mask:
        """The lit pixels of the display between ``lo`` and ``hi`` at ``frac``, in the
        window's columns ``cols`` (all of them by default)."""
        g = self.g
        c0, c1 = cols if cols is not None else (0, self.width)
        old, new = self.fmt.number(lo), self.fmt.number(hi)
        canvas = np.zeros((g.window_h, c1 - c0), np.float32)
        for i, (ch, x) in enumerate(self.cells(new)):
            left = x - g.pad - c0
            if left >= canvas.shape[1] or left + g.masks[ch].shape[1] <= 0:
                continue
            before = old[-1 - i] if i < len(old) else None
            if before == ch or frac <= 0:
                glyph = g.masks[ch]
            else:
                glyph = self._transition(before, ch, frac, roll)
            _blit(canvas, glyph, left)
        sx = self.sign_x(new)
        if sx is not None:
            _blit(canvas, g.masks[self.fmt.sign], sx - g.pad - c0)
        return canvas

    def changed(self, lo: int, hi: int) -> tuple[int, int] | None:
        """The columns the cells that differ between ``lo`` and ``hi`` may ink, or None
        when the two are laid out differently (their lengths differ)."""
        old, new = self.fmt.number(lo), self.fmt.number(hi)
        if len(old) != len(new):
            return None
        spans = [
            (x - self.g.pad, x - self.g.pad + self.g.masks[ch].shape[1])
            for i, (ch, x) in enumerate(self.cells(new))
            if old[-1 - i] != ch
        ]
        if not spans:
            return None
        return min(a for a, _ in spans), max(b for _, b in spans)

    def _transition(self, a: str | None, b: str, frac: float, roll: str) -> Mask:
        g = self.g
        new = g.masks[b]
        old = g.masks[a] if a is not None else np.zeros_like(new)
        if old.shape != new.shape:
            w = max(old.shape[1], new.shape[1])
            old, new = (np.pad(m, ((0, 0), (0, w - m.shape[1]))) for m in (old, new))
        if roll == "fade":
            return np.asarray((1 - frac) * old + frac * new, np.float32)
        if roll == "flip":
            return _flip(old, new, frac, g.window_h // 2)
        if roll == "wheel" and a is not None and a.isdigit() and b.isdigit():
            q = frac * ((int(b) - int(a)) % 10)
            k = int(q)
            c1, c2 = str((int(a) + k) % 10), str((int(a) + k + 1) % 10)
            old, new, frac = g.masks[c1], g.masks[c2], q - k
        shift = round(frac * g.pitch)
        return np.maximum(_shift_y(old, -shift), _shift_y(new, g.pitch - shift))

    def ghost(self) -> Mask | None:
        """A segment face's unlit "8." in every digit position (None for other faces)."""
        if not self.segments:
            return None
        if self._ghost is None:
            canvas = np.zeros((self.g.window_h, self.width), np.float32)
            for ch, x in self.cells(self.slots):
                if ch.isdigit():
                    _blit(canvas, self.g.masks["8"], x - self.g.pad)
                    _blit(canvas, self.g.masks["."], x + self.g.adv["8"] - self.g.pad)
            canvas.setflags(write=False)
            self._ghost = canvas
        return self._ghost

    def extent(self, lo: int, hi: int) -> tuple[int, int]:
        """The columns the number's ink spans between ``lo`` and ``hi`` (sign excluded);
        a changing digit may be any digit, so it spans every digit's ink."""
        hit = self._extents.get((lo, hi))
        if hit is not None:
            return hit
        if len(self._extents) > 256:
            self._extents.clear()
        old, new = self.fmt.number(lo), self.fmt.number(hi)
        x0, x1 = self.width, 0
        for i, (ch, x) in enumerate(self.cells(new)):
            before = old[-1 - i] if i < len(old) else None
            a, b = self.g.digit_ink if before != ch and ch.isdigit() else self.g.ink[ch]
            if b > a:
                x0, x1 = min(x0, x + a), max(x1, x + b)
        self._extents[(lo, hi)] = (x0, x1)
        return x0, x1

    def text_extent(self, values: Iterable[int]) -> tuple[int, int]:
        """Columns any of ``values`` inks, sign included: a tight region's span."""
        x0, x1 = self.width, 0
        for v in values:
            a, b = self.extent(v, v)
            sx = self.sign_x(self.fmt.number(v))
            if sx is not None:
                sa, sb = self.g.ink[self.fmt.sign]
                a, b = min(a, sx + sa), max(b, sx + sb)
            x0, x1 = min(x0, a), max(x1, b)
        if self.segments:
            ghost = self.ghost()
            assert ghost is not None
            cols = np.flatnonzero(ghost.max(axis=0) > 0.35)
            x0, x1 = min(x0, int(cols[0])), max(x1, int(cols[-1]) + 1)
        return x0, x1


def _flip(old: Mask, new: Mask, frac: float, mid: int) -> Mask:
    """A split flap: the old top half folds down over the middle, then the new bottom half
    unfolds; behind the moving flap the new top and the old bottom show."""
    out = np.empty_like(new)
    out[:mid] = new[:mid]
    out[mid:] = old[mid:]
    c = abs(math.cos(math.pi * frac))
    if frac < 0.5:
        h = round(mid * c)
        if h > 0:
            out[mid - h : mid] = cv2.resize(old[:mid], (old.shape[1], h))
    else:
        h = round((new.shape[0] - mid) * c)
        if h > 0:
            out[mid : mid + h] = cv2.resize(new[mid:], (new.shape[1], h))
    return out
