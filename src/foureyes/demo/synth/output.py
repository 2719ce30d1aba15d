"""From the rendered board to the encoder's 4:2:0 frame, touching only what changed.

The board is composed in RGB at its render size; only value windows and popups change
between frames. Each frame's changed rectangles (on even pixels) are converted to YUV and
written into one persistent 4:2:0 buffer, so a still 1080p frame costs nothing but the
copy the encoder takes. A scaled video resamples just those rectangles with the same
inverse map a whole-frame resample would use (so there are no seams); a filmed one keeps a
warped, blurred copy of the board updated the same way, and adds flicker, sensor noise and
moiré to the whole frame, as a camera would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

from foureyes.demo.camera import Camera
from foureyes.demo.synth.layout import Rect

__all__ = ["Flat", "Lens", "Output", "Planes", "Scaled", "to_i420"]

RGB = npt.NDArray[np.uint8]
_FILTERS = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}


@cache
def _full_range() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Lookup tables from limited-range (16-235, 16-240) Y and CbCr to full range."""
    levels = np.arange(256, dtype=np.float64)
    y = np.clip(np.round((levels - 16) * 255 / 219), 0, 255).astype(np.uint8)
    c = np.clip(np.round((levels - 128) * 255 / 224 + 128), 0, 255).astype(np.uint8)
    return y, c


def to_i420(rgb: RGB, full_range: bool) -> npt.NDArray[np.uint8]:
    """BT.601 4:2:0, limited range (as H.264 assumes) or full (as JPEG does)."""
    out = np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420), np.uint8)
    if full_range:
        h = rgb.shape[0]
        luma, chroma = _full_range()
        out[:h] = cv2.LUT(out[:h], luma)
        out[h:] = cv2.LUT(out[h:], chroma)
    return out


class Planes:
    """A frame's Y, U and V planes (views into the encoder's frame, or owned arrays)."""

    def __init__(
        self, y: npt.NDArray[np.uint8], u: npt.NDArray[np.uint8], v: npt.NDArray[np.uint8]
    ) -> None:
        self.y, self.u, self.v = y, u, v

    @classmethod
    def alloc(cls, width: int, height: int) -> Planes:
        return cls(
            np.zeros((height, width), np.uint8),
            np.zeros((height // 2, width // 2), np.uint8),
            np.zeros((height // 2, width // 2), np.uint8),
        )

    @staticmethod
    def split(i420: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], ...]:
        """Views of the planes of a contiguous (h * 3 / 2, w) 4:2:0 array."""
        h, w = i420.shape[0] * 2 // 3, i420.shape[1]
        flat, q = i420.reshape(-1), h * w // 4
        u = flat[h * w : h * w + q].reshape(h // 2, w // 2)
        return i420[:h], u, flat[h * w + q :].reshape(h // 2, w // 2)

    def paste(self, i420: npt.NDArray[np.uint8], r: Rect) -> None:
        y, u, v = self.split(i420)
        self.y[r.y0 : r.y1, r.x0 : r.x1] = y
        self.u[r.y0 // 2 : r.y1 // 2, r.x0 // 2 : r.x1 // 2] = u
        self.v[r.y0 // 2 : r.y1 // 2, r.x0 // 2 : r.x1 // 2] = v

    def i420(self) -> npt.NDArray[np.uint8]:
        """A contiguous copy, (h * 3 / 2, w)."""
        return np.concatenate([self.y.reshape(-1), self.u.reshape(-1), self.v.reshape(-1)]).reshape(
            -1, self.y.shape[1]
        )


class Output:
    """Turns the composed RGB canvas into the frame to encode, written into ``planes``."""

    def __init__(self, size: tuple[int, int], full_range: bool, planes: Planes | None) -> None:
        self.size, self.full = size, full_range
        self.frame_rect = Rect(0, 0, size[0], size[1])
        self.planes = planes if planes is not None else Planes.alloc(*size)

    def update(self, canvas: RGB, rects: Iterable[Rect]) -> Planes:
        raise NotImplementedError


class Flat(Output):
    """The canvas is the output: convert the changed rectangles."""

    def __init__(self, bg: RGB, full_range: bool, planes: Planes | None = None) -> None:
        super().__init__((bg.shape[1], bg.shape[0]), full_range, planes)
        self.planes.paste(to_i420(bg, full_range), self.frame_rect)

    def update(self, canvas: RGB, rects: Iterable[Rect]) -> Planes:
        for r in rects:
            r = r.even().clip(self.frame_rect)
            if r.w > 0 and r.h > 0:
                self.planes.paste(to_i420(canvas[r.y0 : r.y1, r.x0 : r.x1], self.full), r)
        return self.planes


class Scaled(Output):
    """The canvas resampled to ``size`` with ``resample``; rectangles resampled alone."""

    def __init__(
        self,
        bg: RGB,
        size: tuple[int, int],
        resample: str,
        full_range: bool,
        planes: Planes | None = None,
    ) -> None:
        super().__init__(size, full_range, planes)
        self.kx, self.ky = bg.shape[1] / size[0], bg.shape[0] / size[1]
        self.flags = _FILTERS[resample] | cv2.WARP_INVERSE_MAP
        self.src = Rect(0, 0, bg.shape[1], bg.shape[0])
        whole = self._resample(bg, self.frame_rect, self.src)
        self.planes.paste(to_i420(whole, full_range), self.frame_rect)

    def _resample(self, canvas: RGB, out: Rect, src: Rect) -> RGB:
        """Output pixels ``out`` from canvas pixels ``src`` (which hold their support)."""
        m = np.array(
            [
                [self.kx, 0, (out.x0 + 0.5) * self.kx - 0.5 - src.x0],
                [0, self.ky, (out.y0 + 0.5) * self.ky - 0.5 - src.y0],
            ]
        )
        crop = np.ascontiguousarray(canvas[src.y0 : src.y1, src.x0 : src.x1])
        warped = cv2.warpAffine(
            crop, m, (out.w, out.h), flags=self.flags, borderMode=cv2.BORDER_REPLICATE
        )
        return np.asarray(warped, np.uint8)

    def update(self, canvas: RGB, rects: Iterable[Rect]) -> Planes:
        for r in rects:
            out = Rect(
                math.floor((r.x0 - 5) / self.kx),
                math.floor((r.y0 - 5) / self.ky),
                math.ceil((r.x1 + 5) / self.kx),
                math.ceil((r.y1 + 5) / self.ky),
            )
            out = out.even().clip(self.frame_rect)
            src = Rect(
                math.floor(out.x0 * self.kx) - 6,
                math.floor(out.y0 * self.ky) - 6,
                math.ceil(out.x1 * self.kx) + 6,
                math.ceil(out.y1 * self.ky) + 6,
            ).clip(self.src)
            if out.w > 0 and out.h > 0 and src.w > 0 and src.h > 0:
                self.planes.paste(to_i420(self._resample(canvas, out, src), self.full), out)
        return self.planes


class Lens(Output):
    """The board filmed through ``camera``: a warped, blurred copy of the canvas kept up
    to date rectangle by rectangle, then flicker and grain over the whole frame."""

    def __init__(
        self,
        bg: RGB,
        camera: Camera,
        rng: np.random.Generator,
        full_range: bool,
        planes: Planes | None = None,
    ) -> None:
        super().__init__((bg.shape[1], bg.shape[0]), full_range, planes)
        self.camera, self.rng = camera, rng
        e = camera.effects
        self.margin = math.ceil(3 * e.blur_sigma) + 3
        self.clean = self._film(bg, self.frame_rect)
        w, h = self.size
        self._pad = 64
        self._gain = 1.0
        self._noise_y = [self._noise(h, w, e.noise_sigma) for _ in range(3)]
        self._noise_c = [self._noise(h // 2, w // 2, e.noise_sigma * 0.4) for _ in range(3)]
        self._moire = self._beat(h, w, e.moire)

    def _noise(self, h: int, w: int, sigma: float) -> npt.NDArray[np.int16]:
        """Sensor noise, a window of which (shifted every frame) lands on each frame."""
        field = self.rng.normal(0, sigma, (h + self._pad, w + self._pad))
        return np.asarray(np.round(field).clip(-128, 127), np.int16)

    def _beat(self, h: int, w: int, amplitude: float) -> npt.NDArray[np.int16]:
        """Moiré: the screen's pixel grid beating with the sensor's. The camera and the
        screen hold still, so the pattern does too (it is fixed to the frame)."""
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle, period = self.rng.uniform(0.05, 0.2), self.rng.uniform(3.2, 4.5)
        phase = (xx * math.cos(angle) + yy * math.sin(angle)) * (2 * math.pi / period)
        return np.asarray(np.round(np.sin(phase) * amplitude), np.int16)

    def _film(self, canvas: RGB, out: Rect) -> RGB:
        """Output pixels ``out`` of the warped, blurred canvas (``out`` is grown by the blur's
        reach first, so the blur sees what a whole-frame blur would)."""
        ext = out.grow(self.margin, self.margin).clip(self.frame_rect)
        shift = np.array([[1, 0, -ext.x0], [0, 1, -ext.y0], [0, 0, 1]], np.float64)
        e = self.camera.effects
        warped = cv2.warpPerspective(
            canvas,
            shift @ self.camera.matrix,
            (ext.w, ext.h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=e.surround,
        )
        if e.blur_sigma > 0:
            warped = cv2.GaussianBlur(warped, (0, 0), e.blur_sigma)
        inner = warped[out.y0 - ext.y0 : out.y1 - ext.y0, out.x0 - ext.x0 : out.x1 - ext.x0]
        return np.ascontiguousarray(inner, dtype=np.uint8)

    def update(self, canvas: RGB, rects: Iterable[Rect]) -> Planes:
        for r in rects:
            corners = [(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1)]
            pts = self.camera.warp_points([(float(x), float(y)) for x, y in corners])
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            out = Rect(
                math.floor(min(xs)) - 2,
                math.floor(min(ys)) - 2,
                math.ceil(max(xs)) + 2,
                math.ceil(max(ys)) + 2,
            )
            out = out.grow(self.margin, self.margin).clip(self.frame_rect)
            if out.w > 0 and out.h > 0:
                self.clean[out.y0 : out.y1, out.x0 : out.x1] = self._film(canvas, out)
        return self._expose()

    def _expose(self) -> Planes:
        """Flicker (brightness wandering, now and then a mains jump) and grain, in YUV."""
        e, rng = self.camera.effects, self.rng
        self._gain = 0.8 * self._gain + 0.2 * (1.0 + rng.normal(0, e.flicker))
        gain = self._gain * (1.0 + (rng.random() < 0.05) * rng.normal(0, e.flicker))
        w, h = self.size
        dy, dx = (int(v) // 2 * 2 for v in rng.integers(0, self._pad, 2))
        y, u, v = Planes.split(to_i420(self.clean, False))
        grain = self._noise_y[int(rng.integers(0, 3))][dy : dy + h, dx : dx + w] + self._moire
        lit = cv2.convertScaleAbs(y, alpha=gain, beta=16 * (1 - gain))
        out = [cv2.add(lit, grain, dtype=cv2.CV_8U)]
        for chroma in (u, v):
            g = self._noise_c[int(rng.integers(0, 3))][
                dy // 2 : dy // 2 + h // 2, dx // 2 : dx // 2 + w // 2
            ]
            moved = cv2.convertScaleAbs(chroma, alpha=gain, beta=128 * (1 - gain))
            out.append(cv2.add(moved, g, dtype=cv2.CV_8U))
        luma, chroma = _full_range()
        luts = (luma, chroma, chroma)
        for target, plane, lut in zip(
            (self.planes.y, self.planes.u, self.planes.v), out, luts, strict=True
        ):
            target[:] = cv2.LUT(plane, lut) if self.full else plane
        return self.planes
