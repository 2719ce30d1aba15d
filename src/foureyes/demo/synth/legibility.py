"""How small a meter's digits may be: effective heights and the floors they keep above.

A meter no careful person could read at rest measures the OCR model, not the reader: the
model's misreading of a blur is consistent and confident, so no reading logic can catch
it. The benchmark keeps text small (12 px on a flat screen) and still requires every
meter to be legible, by drawing each meter's height above a floor that grows with what
blurs small text and compounds: a filmed screen's lens, heavy compression of the filmed
noise, and effects that thicken strokes.

**Effective height** is the "0"'s height in output pixels where the meter is smallest:
the rendered height times output over rendered size, through a camera times the lens's
smallest vertical scale (:func:`lens_scale`). The camera's ``fill`` alone overstates it:
the turned screen's far side is 10-35% smaller than ``fill`` says.

**The floors** (output px) were chosen on controlled boards: 16 faces (sans, serif, mono,
light, condensed, geometric, seven- and fourteen-segment; Mekanus ADF, Quicksand Light and
Bebas Neue the first to fail) showing values with every digit, at 12-30 px under each
condition, read at rest with the bare model and with RapidOCR on the tightened crop, the
crops looked at too. A floor is the smallest height from which every face's digits read
right in every frame (a lost decimal point is not a misread digit: the meter's decimals
are known). :func:`floor` gives each step and what it rests on. Scaling up or down, 480p,
shadows, outlines and polarity moved no floor; a seven-segment face's ghosts are the
reader's problem, not legibility.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from foureyes.demo.camera import _homography
from foureyes.demo.synth.factors import Paint, VideoFactors

__all__ = ["FLAT", "GLOW_DEGRADED", "TOP", "degraded", "floor", "lens_scale", "lift", "temper"]

FLAT = 12.0  # px: the smallest text the benchmark shows (the issue asks for 12 px)
TOP = 90.0  # px: the largest drawn height
GLOW_DEGRADED = 0.08  # the widest glow (of the height) on a filmed or heavily compressed picture


def lens_scale(v: VideoFactors, points: Iterable[tuple[float, float]] | None = None) -> float:
    """Output pixels per rendered pixel, vertically, at the smallest of ``points`` (in
    rendered pixels; default the frame's corners, so anywhere on the screen)."""
    flat = v.size[1] / v.render_size[1]
    if v.camera is None:
        return flat
    w, h = v.render_size
    pts = np.asarray(list(points or ((0, 0), (w, 0), (0, h), (w, h))), np.float64) * flat
    m = _homography(v.camera, *v.size)
    x, y = pts[:, 0], pts[:, 1]
    den = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    num_x = m[0, 0] * x + m[0, 1] * y + m[0, 2]
    num_y = m[1, 0] * x + m[1, 1] * y + m[1, 2]
    # d(X, Y)/dy of the projective map: how long a vertical unit becomes
    dx = (m[0, 1] * den - num_x * m[2, 1]) / den**2
    dy = (m[1, 1] * den - num_y * m[2, 1]) / den**2
    return flat * float(np.min(np.hypot(dx, dy)))


def _compression(v: VideoFactors) -> int:
    """0: mild; 1: heavy (H.264 or VP9 at crf 31-35, H.265 at 26-32, MJPEG at qscale 9 and
    up); 2: severe (H.265 at crf 33-35). x265's crf runs about 5 above x264's for the same
    quality, and H.265 at 33-35 (ultrafast) smears a filmed picture most of all."""
    if v.codec == "mjpeg":
        return int(int(v.preset) >= 9)
    if v.codec == "h265":
        return 2 if v.crf >= 33 else int(v.crf >= 26)
    return int(v.crf >= 31)


def degraded(v: VideoFactors) -> bool:
    """A picture that blurs small detail: filmed, or heavily compressed."""
    return v.camera is not None or _compression(v) > 0


def temper(paint: Paint, v: VideoFactors) -> Paint:
    """``paint`` with its glow at most :data:`GLOW_DEGRADED` on a degraded picture: a
    wider halo, as bright as the digit, merges a condensed bold face's strokes into blobs
    at any size once blurred (Bebas Neue's 8, 5 and 6 at 26 px through a camera, at 22 px
    flat under H.265 at crf 35); on a sharp picture every face read through glow 0.18."""
    if paint.glow > GLOW_DEGRADED and degraded(v):
        return replace(paint, glow=GLOW_DEGRADED)
    return paint


def floor(v: VideoFactors, paint: Paint) -> float:
    """The smallest effective height (output px) at which a meter of ``paint`` in video
    ``v`` is legible at rest."""
    out = FLAT  # flat: every face read at 12 px at any codec and quality, scaled, at 480p
    level, cam = _compression(v), v.camera
    if cam is not None:
        # the lens's blur closes the counters once its sigma passes ~7% of the height
        # (sigma 1.0: 14 px, 1.4: 18 px needed, whatever the codec up to heavy)
        out = max(out, 14.0 * cam.blur_sigma)
        if level == 1:  # heavy compression of the filmed noise: 16 px at sigma 1.0
            out = max(out, 16.0)
        if level == 2:  # H.265 at 33-35 filmed: Mekanus' $ read as 8 at 18-19 px
            out = max(out, 22.0 if cam.blur_sigma >= 0.6 else 16.0)
    if paint.glow > 0 and degraded(v):
        out = max(out, 18.0)  # a (tempered) halo blurred: Mekanus' $ read as 8 at 14-15 px
    if paint.bevel > 0 and level > 0:
        out = max(out, 16.0)  # bevel shading compressed: a $ read as 6 or 9 at 12-14 px
    return round(out, 1)


def lift(height: float, low: float) -> float:
    """``height`` drawn for the range 12-90 px, mapped onto ``low``-90 px keeping its place
    on the log scale: the drawn distribution stays as broad, only above the floor."""
    if low <= FLAT:
        return height
    t = (math.log(max(height, FLAT)) - math.log(FLAT)) / (math.log(TOP) - math.log(FLAT))
    return math.exp(math.log(low) + min(1.0, t) * (math.log(TOP) - math.log(low)))
