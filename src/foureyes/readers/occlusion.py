"""Notice when something covers part of a meter.

A popup over the last digits can make "$17.66" read, confidently and repeatedly, as
"$17.65": the text is still a well-formed number, so neither the parser nor the model's
confidence catches it. What does change is the crop's colours. A :class:`Palette` learns
which colours a meter's region shows (its panel, its digits, their anti-aliased blends,
with a tolerance for flicker and noise) and reports the share of a new crop's pixels in
colours the meter never shows. A read of a crop above ``threshold`` is treated as
uncertain: trusted only if a certain neighbour shows the same value.

Only foreign pixels in the rows the meter's text occupies count. A region is drawn with a
margin, and a popup over the next meter, a flashing bulb or a title may reach into the
margin above or below the digits without hiding any of them: the read is then as good as
any (seen on the randomised boards: a "JACKPOT!" banner over MINOR reaching the bottom
margin of MAJOR left eight sure, right reads of MAJOR in doubt). The rows are learned
from the same clean crops as the colours.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import numpy.typing as npt

from foureyes.model import Image
from foureyes.readers.crop import text_rows

__all__ = ["Palette"]

_LEVELS = 8  # per channel: 32-level bins, coarse enough for compression and noise
_SHIFT = 8 - 3  # log2(256 / _LEVELS)
# The text rows of this many clean crops make the band. Finding them costs as much as the
# rest of learning (8 ms for a 120 x 400 crop, a per-row median), and the band of a meter
# barely moves, so once it is known only every _SPANS-th clean crop is measured.
_SPANS = 16


class Palette:
    """A meter's usual colours, learned from its clean crops with exponential forgetting.

    ``threshold`` is the share of foreign pixels that marks a crop as covered: on every
    benchmark style uncovered crops stayed at or under 0.3%, partial popups above 1% unless
    drawn in the meter's own colours.
    """

    def __init__(
        self, *, threshold: float = 0.01, rare: float = 0.0005, decay: float = 0.9, warmup: int = 3
    ) -> None:
        self.threshold = threshold
        self._rare = rare
        self._decay = decay
        self._warmup = warmup
        self._hist = np.zeros(_LEVELS**3, np.float64)
        self._seen = 0
        self._familiar: npt.NDArray[np.bool_] | None = None
        # (crop height, first text row, last text row) of recent clean crops
        self._spans: deque[tuple[int, int, int]] = deque(maxlen=_SPANS)

    def band(self, height: int) -> tuple[int, int] | None:
        """The rows (start, stop) where this meter's text has been seen in crops of
        ``height`` rows, and one more on each side for blur; None if unknown. No wider
        margin: the crops it is learned from include frames caught mid-roll, whose
        glyphs reach as far as a rolling digit does."""
        spans = [(top, bottom) for h, top, bottom in self._spans if h == height]
        if not spans:
            return None
        top, bottom = min(t for t, _ in spans), max(b for _, b in spans)
        return max(0, top - 1), min(height, bottom + 2)

    @staticmethod
    def _bins(crop: Image) -> npt.NDArray[np.intp]:
        q = (crop >> _SHIFT).astype(np.intp)
        return (q[..., 0] * _LEVELS + q[..., 1]) * _LEVELS + q[..., 2]

    def foreign(self, crop: Image) -> float:
        """The share of ``crop``'s pixels that are in colours this meter does not show and
        lie in the rows of its text (0 until the palette has seen a few crops)."""
        if self._seen < self._warmup or crop.size == 0:
            return 0.0
        if self._familiar is None:
            self._familiar = self._dilate(self._hist / self._hist.sum() > self._rare)
        foreign = ~self._familiar[self._bins(crop)]
        band = self.band(crop.shape[0])
        if band is not None:
            foreign = foreign[band[0] : band[1]]  # a share of the whole crop, as before
        return int(np.count_nonzero(foreign)) / int(crop.shape[0] * crop.shape[1])

    def covered(self, crop: Image) -> bool:
        return self.foreign(crop) > self.threshold

    def learn(self, crop: Image) -> None:
        counts = np.bincount(self._bins(crop).ravel(), minlength=_LEVELS**3)
        self._hist = self._hist * self._decay + counts / max(int(counts.sum()), 1)
        self._seen += 1
        if len(self._spans) < _SPANS or self._seen % _SPANS == 0:
            rows = text_rows(crop)
            if rows is not None:
                self._spans.append((crop.shape[0], *rows))
        self._familiar = None

    @staticmethod
    def _dilate(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Grow the familiar colours by one bin in every direction: a flicker or a codec's
        shift of a few levels must not look like a popup."""
        cube = np.pad(mask.reshape(_LEVELS, _LEVELS, _LEVELS), 1)
        out = np.zeros((_LEVELS, _LEVELS, _LEVELS), bool)
        for dx, dy, dz in itertools.product(range(3), repeat=3):
            out |= cube[dx : dx + _LEVELS, dy : dy + _LEVELS, dz : dz + _LEVELS]
        return out.ravel()
