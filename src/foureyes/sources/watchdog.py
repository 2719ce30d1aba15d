"""Notice a source that looks alive but shows nothing new.

A hung capture card, a frozen encoder or a paused player keeps delivering frames, so the
no-frame timeout never fires, yet every frame is the same picture: the meters would be
"read" as unchanged for as long as it lasts. The detector compares each sample with the
one before, on a small grey thumbnail (noise and compression average out), and reports
when the picture has not changed for ``frozen_after`` seconds of stream time, and again
when it changes.
"""

from __future__ import annotations

import enum

import cv2
import numpy as np
import numpy.typing as npt

from foureyes.model import Image

__all__ = ["FrozenDetector", "Watch"]

_THUMB = (64, 36)  # width, height: enough to see any change on a meter board


class Watch(enum.StrEnum):
    FROZEN = "source_frozen"
    RESUMED = "source_resumed"


class FrozenDetector:
    """Reports ``Watch.FROZEN`` once a picture has stood still for ``frozen_after`` seconds
    and ``Watch.RESUMED`` when it moves again.

    Still means: no thumbnail pixel moved by more than ``level`` grey levels. A screen
    filmed by a camera has sensor noise of a few levels per pixel, which a 20x downscaled
    average shrinks well below the default; a single digit changing on a 720p board moves
    its thumbnail pixels by tens of levels.
    """

    def __init__(self, frozen_after: float, *, level: float = 3.0) -> None:
        if frozen_after <= 0:
            raise ValueError(f"frozen_after must be positive, got {frozen_after}")
        self.frozen_after = frozen_after
        self.level = level
        self.frozen = False
        self.stalls = 0  # frozen stretches seen
        self._last: npt.NDArray[np.float32] | None = None
        self._still_since: float | None = None

    def update(self, image: Image, ts: float) -> Watch | None:
        thumb = _thumbnail(image)
        last, self._last = self._last, thumb
        if last is None or thumb.shape != last.shape:
            self._still_since = ts
            return None
        if float(np.abs(thumb - last).max()) > self.level:
            self._still_since = ts
            if self.frozen:
                self.frozen = False
                return Watch.RESUMED
            return None
        since = self._still_since if self._still_since is not None else ts
        self._still_since = since
        if not self.frozen and ts - since >= self.frozen_after:
            self.frozen = True
            self.stalls += 1
            return Watch.FROZEN
        return None

    def still_for(self, ts: float) -> float:
        """Seconds of stream time the picture has not changed, as of ``ts``."""
        return ts - self._still_since if self._still_since is not None else 0.0


def _thumbnail(image: Image) -> npt.NDArray[np.float32]:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    small = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)
