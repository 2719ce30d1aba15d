"""A phone or CCTV camera pointed at the board: tilt, blur, sensor noise, flicker, moiré.

The board is rendered flat and then seen through a fixed perspective (a rotation of the
screen plane in 3D, projected with a pinhole), so every meter becomes a quadrilateral whose
corners the config can give to a reader. The per-frame effects are drawn from an injected
numpy Generator; sensor noise and moiré come from a small bank of precomputed fields, each
frame taking a randomly shifted window, so that a minute of video stays cheap to render.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Camera", "CameraEffects"]

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CameraEffects:
    yaw_deg: float = 8.0  # turn about the vertical axis
    pitch_deg: float = 5.0  # tilt about the horizontal axis
    roll_deg: float = 1.5  # the camera is not quite level
    fill: float = 0.9  # how much of the frame the warped board may span
    blur_sigma: float = 0.9
    noise_sigma: float = 5.0
    flicker: float = 0.06  # relative brightness swing from frame to frame
    moire: float = 5.0  # amplitude in grey levels of the screen-door/moiré pattern
    surround: tuple[int, int, int] = (14, 12, 10)  # the dark room around the screen


class Camera:
    """Applies one camera's view to every frame of a ``width`` x ``height`` video."""

    def __init__(
        self, effects: CameraEffects, width: int, height: int, rng: np.random.Generator
    ) -> None:
        self.effects = effects
        self.size = (width, height)
        self._rng = rng
        self.matrix = _homography(effects, width, height)
        pad = 64
        yy, xx = np.mgrid[0 : height + pad, 0 : width + pad].astype(np.float32)
        angle = rng.uniform(0.05, 0.2)
        period = rng.uniform(3.2, 4.5)  # near the pixel pitch: a beat pattern, not stripes
        phase = (xx * math.cos(angle) + yy * math.sin(angle)) * (2 * math.pi / period)
        moire = (np.sin(phase) * effects.moire)[..., None]
        # sensor noise plus moiré, as signed offsets; a frame takes a shifted window of one
        self._grain = [
            np.round(rng.normal(0, effects.noise_sigma, (height + pad, width + pad, 3)) + moire)
            .clip(-128, 127)
            .astype(np.int16)
            for _ in range(3)
        ]
        self._pad = pad
        self._gain = 1.0

    def warp_points(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        out = cv2.perspectiveTransform(pts, self.matrix).reshape(-1, 2)
        return [(float(x), float(y)) for x, y in out]

    def apply(self, frame: Image) -> Image:
        e, rng = self.effects, self._rng
        warped = cv2.warpPerspective(
            frame,
            self.matrix,
            self.size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=e.surround,
        )
        if e.blur_sigma > 0:
            warped = cv2.GaussianBlur(warped, (0, 0), e.blur_sigma)
        # brightness wanders smoothly with occasional mains-flicker jumps
        self._gain = 0.8 * self._gain + 0.2 * (1.0 + rng.normal(0, e.flicker))
        gain = self._gain * (1.0 + (rng.random() < 0.05) * rng.normal(0, e.flicker))
        lit = cv2.convertScaleAbs(warped, alpha=float(gain))
        w, h = self.size
        dy, dx = (int(v) for v in rng.integers(0, self._pad, 2))
        grain = self._grain[int(rng.integers(0, len(self._grain)))][dy : dy + h, dx : dx + w]
        return np.asarray(cv2.add(lit, grain, dtype=cv2.CV_8U), dtype=np.uint8)


def _homography(e: CameraEffects, width: int, height: int) -> npt.NDArray[np.float64]:
    """Where the flat frame's corners land when the screen is turned and seen by a pinhole."""
    f = 1.2 * width
    cx, cy = width / 2, height / 2
    yaw, pitch, roll = (math.radians(a) for a in (e.yaw_deg, e.pitch_deg, e.roll_deg))
    ry = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    rx = np.array(
        [[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]]
    )
    rz = np.array(
        [[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]]
    )
    rot = rz @ rx @ ry
    src = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    plane = np.column_stack([src[:, 0] - cx, src[:, 1] - cy, np.zeros(4)])
    cam = plane @ rot.T + np.array([0, 0, f])
    proj = np.column_stack([f * cam[:, 0] / cam[:, 2], f * cam[:, 1] / cam[:, 2]])
    span = proj.max(axis=0) - proj.min(axis=0)
    scale = e.fill * min(width / span[0], height / span[1])
    centre = (proj.max(axis=0) + proj.min(axis=0)) / 2
    dst = (proj - centre) * scale + np.array([cx, cy])
    m = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    return np.asarray(m, dtype=np.float64)
