"""Moving backgrounds behind a meter's digits: a drifting gradient, scrolling stripes,
twinkling stars, drifting sparkles.

They change every frame, so a reader cannot take "the window changed" for "the value
changed", and they stay behind the digits, which are composited over them opaque at their
core. Colours stay near the window's (the accent is drawn within a band of it) and the
bright specks at half the digits' contrast, so the digits remain the strongest edges.
Each kind precomputes what it can; a frame costs a table lookup or a few small blits.
"""

from __future__ import annotations

import math
import random

import numpy as np
import numpy.typing as npt

from foureyes.demo.synth.colours import mix
from foureyes.demo.synth.factors import Paint

__all__ = ["Backdrop"]

RGB = npt.NDArray[np.uint8]


class Backdrop:
    """The animated window of one meter, ``shape`` (rows, cols), at ``fps``."""

    def __init__(self, paint: Paint, still: RGB, fps: int, rng: random.Random) -> None:
        self.kind = paint.animated
        self.still = still
        h, w = still.shape[:2]
        self._h, self._w = h, w
        window = np.asarray(paint.window, np.float32)
        accent = np.asarray(paint.accent, np.float32)
        self._speck = np.asarray(mix(paint.window, paint.fill, 0.5), np.float32)
        self._per_frame = rng.uniform(0.1, 0.5) / fps  # cycles per frame
        if self.kind == "gradient":
            x = np.arange(w, dtype=np.float32)
            self._x = x / max(8.0, w * rng.uniform(0.3, 1.0))
            self._ends = (window, accent)
        elif self.kind == "stripes":
            period = max(6, round(h * rng.uniform(0.3, 0.9)))
            slope = rng.uniform(-1.2, 1.2)
            yy, xx = np.mgrid[0:h, 0:w]
            self._d = (xx + np.round(yy * slope)).astype(np.int64) % period
            t = 0.5 + 0.5 * np.cos(2 * np.pi * np.arange(period) / period)
            self._lut = np.round(window * (1 - t[:, None]) + accent * t[:, None]).astype(np.uint8)
            self._period, self._speed = period, rng.uniform(0.5, 2.5)
        else:
            n = max(4, round(w * h / rng.uniform(300, 900)))
            self._pts = np.column_stack(
                [[rng.uniform(0, w) for _ in range(n)], [rng.uniform(0, h) for _ in range(n)]]
            )
            self._phase = np.asarray([rng.uniform(0, 2 * math.pi) for _ in range(n)])
            v = [(rng.uniform(-1, 1), rng.uniform(-0.6, 0.2)) for _ in range(n)]
            self._vel = np.asarray(v) * (h / fps) * rng.uniform(0.2, 0.8)

    def frame(self, index: int) -> RGB:
        if self.kind == "gradient":
            t = 0.5 + 0.5 * np.sin(2 * np.pi * (self._x - index * self._per_frame))
            a, b = self._ends
            row = np.round(a * (1 - t[:, None]) + b * t[:, None]).astype(np.uint8)
            return np.ascontiguousarray(np.broadcast_to(row, (self._h, self._w, 3)))
        if self.kind == "stripes":
            shift = round(index * self._speed) % self._period
            return np.ascontiguousarray(self._lut[(self._d + shift) % self._period])
        return self._specks(index)

    def _specks(self, index: int) -> RGB:
        """Stars twinkle in place; sparkles drift (and wrap) while they twinkle."""
        out = self.still.astype(np.float32)
        pts = self._pts
        if self.kind == "sparkles":
            pts = (pts + self._vel * index) % (self._w, self._h)
        glow = 0.5 + 0.5 * np.sin(self._phase + index * self._per_frame * 2 * math.pi * 3)
        for (x, y), g in zip(pts.astype(int), glow, strict=True):
            y0, y1, x0, x1 = max(0, y - 1), min(self._h, y + 2), max(0, x - 1), min(self._w, x + 2)
            out[y0:y1, x0:x1] += (self._speck - out[y0:y1, x0:x1]) * (0.5 * g)
            if 0 <= y < self._h and 0 <= x < self._w:
                out[y, x] += (self._speck - out[y, x]) * g
        return np.asarray(np.clip(out + 0.5, 0, 255), np.uint8)
