"""Cut a meter's value out of a frame the way a recogniser reads best.

Text recognisers scale each crop to a fixed height (48 px for PP-OCR), so a region drawn
generously around 14 px digits would shrink them to illegibility: :func:`tighten` trims
the crop to the band of text before recognition. A screen filmed at an angle is rectified
first when the config gives the region's four corners.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from foureyes.model import Image, Region

__all__ = [
    "PREPARATIONS",
    "MeterCrop",
    "clean",
    "text_rows",
    "tight_clean",
    "tight_strict",
    "tighten",
]


@dataclass(frozen=True, slots=True)
class MeterCrop:
    """How to cut one meter out of a frame: a box, optionally a perspective quad."""

    region: Region
    corners: tuple[tuple[float, float], ...] | None = None

    def cut(self, image: Image) -> Image:
        if self.corners is None:
            return np.ascontiguousarray(self.region.crop(image))
        return _rectify(image, self.corners)


def _rectify(image: Image, corners: Sequence[tuple[float, float]]) -> Image:
    src = np.asarray(corners, dtype=np.float32)
    width = int(max(np.linalg.norm(src[1] - src[0]), np.linalg.norm(src[2] - src[3])) + 0.5)
    height = int(max(np.linalg.norm(src[3] - src[0]), np.linalg.norm(src[2] - src[1])) + 0.5)
    width, height = max(width, 8), max(height, 8)
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(image, m, (width, height), flags=cv2.INTER_LINEAR)
    return np.ascontiguousarray(out, dtype=np.uint8)


def _longest_run(flags: np.ndarray, gap: int) -> tuple[int, int] | None:
    """The longest run of True, bridging gaps up to ``gap`` (a comma's tail, a thin bar)."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return None
    best = (int(idx[0]), int(idx[0]))
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev > gap + 1:
            if prev - start > best[1] - best[0]:
                best = (start, prev)
            start = i
        prev = i
    if prev - start > best[1] - best[0]:
        best = (start, prev)
    return best


_MIN_CONTRAST = 40.0  # below this nothing stands out: a blank panel, not text


def _contrast(crop: Image, *, per_row: bool = False) -> tuple[npt.NDArray[np.float32], float]:
    """Each pixel's distance from the background (the border's median colour), taken on
    the channel that differs most, and the text's contrast (its 99.5th percentile).

    ``per_row`` takes each row's own median colour as its background instead: a region
    drawn around a label on one panel and the value on another has two backgrounds, one
    above the other, and against one colour for both the lighter one stands out as text."""
    c = crop.astype(np.int16)
    if per_row:
        bg = np.median(c, axis=1, keepdims=True)
    else:
        bg = np.median(np.concatenate([c[0], c[-1], c[:, 0], c[:, -1]]), axis=0)
    diff = np.abs(c - bg).max(axis=2).astype(np.float32)
    return diff, float(np.percentile(diff, 99.5))


def _text_mask(crop: Image) -> tuple[npt.NDArray[np.bool_], tuple[int, int]] | None:
    """The pixels that stand out as text, and the rows (first, last) of its tallest line;
    None where nothing stands out (a blank panel) or the crop is too small to tell."""
    h, w = crop.shape[:2]
    if h < 8 or w < 8:
        return None
    diff, peak = _contrast(crop, per_row=True)
    if peak < _MIN_CONTRAST:
        return None
    # Half the peak keeps bright strokes and drops glow, noise and a seven-segment
    # display's unlit ghost segments.
    mask = diff > 0.5 * peak
    rows = _longest_run(mask.sum(axis=1) >= max(2, w // 100), gap=max(1, h // 30))
    return None if rows is None else (mask, rows)


def text_rows(crop: Image) -> tuple[int, int] | None:
    """The rows (first, last) of ``crop``'s tallest line of text, or None if no text
    stands out from the background."""
    found = _text_mask(crop)
    return None if found is None else found[1]


def tighten(crop: Image) -> Image:
    """Trim ``crop`` to its line of text plus a margin (the tallest line, when a label
    shares the region); return it unchanged if no text stands out from the background
    (a blank or covered meter is the reader's to judge)."""
    h, w = crop.shape[:2]
    found = _text_mask(crop)
    if found is None:
        return crop
    mask, (top, bottom) = found
    band = mask[top : bottom + 1]
    cols = np.flatnonzero(band.sum(axis=0) > 0)
    if cols.size == 0:
        return crop
    text_h = bottom - top + 1
    if text_h < 4:
        return crop
    pad_y = max(2, int(text_h * 0.25))
    pad_x = max(3, int(text_h * 0.5))
    y0, y1 = max(0, top - pad_y), min(h, bottom + 1 + pad_y)
    x0, x1 = max(0, int(cols[0]) - pad_x), min(w, int(cols[-1]) + 1 + pad_x)
    return np.ascontiguousarray(crop[y0:y1, x0:x1])


def clean(crop: Image, *, low: float = 0.35, high: float = 0.65) -> Image:
    """Redraw ``crop`` as dark text on white, fading out everything dimmer than about half
    the text's contrast: a seven-segment display's unlit "8" ghosts and ghost points, glow
    and outlines, which a recogniser otherwise reads as digits and separators."""
    diff, peak = _contrast(crop)
    if peak < _MIN_CONTRAST:
        return crop
    ink = np.clip((diff - low * peak) / ((high - low) * peak), 0.0, 1.0)
    grey = (255.0 * (1.0 - ink)).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def tight_clean(crop: Image) -> Image:
    return clean(tighten(crop))


def tight_strict(crop: Image) -> Image:
    """Like :func:`tight_clean` with a higher cut: glow that a lower cut merges into the
    strokes (closing a 3 into an 8) falls away, and so do brighter ghosts."""
    return clean(tighten(crop), low=0.5, high=0.8)


#: The ways to prepare a crop, least processed first. A new meter reads its first
#: samples every way and keeps the way that most often agreed with another
#: (:mod:`foureyes.readers.choose`); it falls back to the others only for crops whose
#: text did not parse, so a display style costs one read per frame.
PREPARATIONS: tuple[tuple[str, Callable[[Image], Image]], ...] = (
    ("tight", tighten),
    ("clean", tight_clean),
    ("strict", tight_strict),
)
