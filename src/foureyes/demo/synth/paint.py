"""Colour a meter's digit mask into an opaque-cored layer: fills, glow, shadow, outline,
bevel, and a segment face's ghosts.

Every effect is a coloured alpha layer stacked with the "over" operator into one
premultiplied colour and one alpha. Laid over any background (a still window or an
animated one) with ``out = bg * (1 - alpha) + colour``, the digits' cores stay exactly
their fill colour: the background never shows through a digit.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from foureyes.demo.synth.factors import Colour, Paint
from foureyes.demo.synth.glyphs import Mask

__all__ = ["Layer", "Painter", "over"]

Image = npt.NDArray[np.uint8]
Layer = tuple[npt.NDArray[np.float32], Mask]  # premultiplied colour (h, w, 3), alpha (h, w)
GHOST_ALPHA = 0.85


def _rgb(c: Colour) -> npt.NDArray[np.float32]:
    return np.asarray(c, np.float32).reshape(1, 1, 3)


def _stack(colour: npt.NDArray[np.float32], alpha: Mask, layer: Layer | None) -> Layer:
    """``colour`` at ``alpha`` over ``layer`` (whose arrays it updates in place)."""
    a = alpha[..., None]
    if layer is None:
        return np.asarray(colour * a, np.float32), alpha
    p, base = layer
    keep = 1.0 - alpha
    p *= keep[..., None]
    p += colour * a
    base *= keep
    base += alpha
    return p, base


class Painter:
    """One meter's paint at its digit ``height``, for masks of ``shape`` (rows, cols)."""

    def __init__(
        self, paint: Paint, height: int, band: tuple[int, int], shape: tuple[int, int]
    ) -> None:
        self.paint, self.height = paint, height
        rows, cols = shape
        a, b = _rgb(paint.fill), _rgb(paint.fill_end)
        self.fill: npt.NDArray[np.float32]
        if paint.gradient == "vertical":
            t = np.clip(
                (np.arange(rows, dtype=np.float32) - band[0]) / max(1, band[1] - band[0]), 0, 1
            )
            self.fill = np.asarray(a * (1 - t[:, None, None]) + b * t[:, None, None], np.float32)
        elif paint.gradient == "horizontal":
            u = np.linspace(0, 1, cols, dtype=np.float32)[None, :, None]
            self.fill = np.asarray(a * (1 - u) + b * u, np.float32)
        else:
            self.fill = a
        self._ghost_rgb = _rgb(paint.ghost)
        self._edge = _rgb(paint.edge)
        glow = tuple(min(255, round(c * 1.1 + 25)) for c in paint.fill)
        self._glow = _rgb((glow[0], glow[1], glow[2]))
        # how far (px) an effect carries a change of the mask: a layer painted from a band
        # of columns is exact this far inside the band's edges
        p = paint
        sigmas = (p.glow * height, 0.05 * height, height / 22 if p.bevel else 0)
        self.reach = math.ceil(4 * max(sigmas) + (p.shadow + p.outline) * height) + 4

    def layer(self, lit: Mask, ghost: Mask | None, x0: int = 0) -> Layer:
        """``lit`` (and ``ghost``) painted; ``x0`` is the mask's first window column."""
        p, h = self.paint, self.height
        layer: Layer | None = None
        if ghost is not None:
            layer = _stack(self._ghost_rgb, ghost * GHOST_ALPHA, layer)
        if p.glow > 0:
            halo = np.asarray(cv2.GaussianBlur(lit, (0, 0), max(0.8, p.glow * h)), np.float32)
            layer = _stack(self._glow, np.minimum(1.0, halo * 1.6), layer)
        if p.shadow > 0:
            d = max(1, round(p.shadow * h))
            moved = np.zeros_like(lit)
            moved[d:, d:] = lit[:-d, :-d]
            soft = np.asarray(cv2.GaussianBlur(moved, (0, 0), max(0.6, 0.05 * h)), np.float32)
            layer = _stack(self._edge, soft * 0.85, layer)
        if p.outline > 0:
            k = max(1, round(p.outline * h))
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
            layer = _stack(self._edge, np.asarray(cv2.dilate(lit, kernel), np.float32), layer)
        fill = self.fill
        if fill.shape[1] > 1:
            fill = fill[:, x0 : x0 + lit.shape[1]]
        if p.bevel > 0:
            fill = self._bevelled(lit, fill)
        return _stack(np.broadcast_to(fill, (*lit.shape, 3)), lit, layer)

    def _bevelled(self, lit: Mask, fill: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The fill lit from the top left: brighter where the mask's edge faces the light."""
        soft = np.asarray(cv2.GaussianBlur(lit, (0, 0), max(0.8, self.height / 22)), np.float32)
        gx = np.asarray(cv2.Sobel(soft, cv2.CV_32F, 1, 0, ksize=3), np.float32)
        gy = np.asarray(cv2.Sobel(soft, cv2.CV_32F, 0, 1, ksize=3), np.float32)
        shade = np.clip((gx + gy) * (self.paint.bevel * 2.5 / math.sqrt(2)), -0.6, 0.6)
        full = np.broadcast_to(fill, (*lit.shape, 3))
        return np.asarray(np.clip(full * (1 + shade[..., None]), 0, 255), np.float32)


def over(bg: Image, layer: Layer) -> Image:
    """``layer`` over the background patch ``bg``."""
    p, a = layer
    out = bg.astype(np.float32)
    out *= (1.0 - a)[..., None]
    out += p
    out += 0.5
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
