"""Notice a source that looks alive but shows nothing new.

A hung capture card, a frozen encoder or a paused player keeps delivering frames, so the
no-frame timeout never fires, yet every frame is the same picture: the meters would be
"read" as unchanged for as long as it lasts. The detector compares each sample with the
one before, on a small grey thumbnail (noise and compression average out), and reports
when the picture has not changed for ``frozen_after`` seconds of stream time, and again
when it changes.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import numpy.typing as npt

from foureyes.errors import redact_url
from foureyes.model import Event, EventType, Frame, Image
from foureyes.tracking.tracker import run_event

__all__ = ["FrozenDetector", "SourceMonitor"]

log = logging.getLogger(__name__)

_THUMB = (64, 36)  # width, height: enough to see any change on a meter board


class FrozenDetector:
    """Reports ``SOURCE_FROZEN`` once a picture has stood still for ``frozen_after``
    seconds and ``SOURCE_RESUMED`` when it moves again.

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

    def update(self, image: Image, ts: float) -> EventType | None:
        thumb = _thumbnail(image)
        last, self._last = self._last, thumb
        if last is None or thumb.shape != last.shape:
            self._still_since = ts
            return None
        if float(np.abs(thumb - last).max()) > self.level:
            self._still_since = ts
            if self.frozen:
                self.frozen = False
                return EventType.SOURCE_RESUMED
            return None
        assert self._still_since is not None  # set with the first thumbnail
        if not self.frozen and ts - self._still_since >= self.frozen_after:
            self.frozen = True
            self.stalls += 1
            return EventType.SOURCE_FROZEN
        return None


class SourceMonitor:
    """Turns what happens to a source into events: the picture freezing and moving again
    (:class:`FrozenDetector`), and a switch between a primary and its standby (each frame
    names the source it came from)."""

    def __init__(self, uri: str, *, frozen_after: float | None) -> None:
        self.uri = redact_url(uri)
        self.watch = FrozenDetector(frozen_after) if frozen_after is not None else None
        self._came_from: str | None = None

    def observe(self, frame: Frame) -> list[Event]:
        """The events this sample shows, in stream order."""
        events: list[Event] = []
        came_from, self._came_from = self._came_from, frame.source
        if came_from is not None and came_from != frame.source:
            log.warning("frame %d: reading %s instead of %s", frame.index, frame.source, came_from)
            events.append(
                run_event(frame, EventType.SOURCE_SWITCHED, {"from": came_from, "to": frame.source})
            )
        change = self.watch.update(frame.image, frame.ts) if self.watch is not None else None
        if change is not None:
            log.warning("%s at frame %d (%.1f s)", change, frame.index, frame.ts)
            detail: dict[str, object] = {"source": frame.source or self.uri}
            if change is EventType.SOURCE_FROZEN and self.watch is not None:
                detail["still_seconds"] = round(self.watch.frozen_after, 3)  # at least
            events.append(run_event(frame, change, detail))
        return events

    def stats(self, source: object, stream_seconds: float) -> dict[str, object]:
        """Reconnects and stalls (live streams), frozen stretches, switches to and from a
        standby, and the rates per hour of stream time."""
        reconnects = int(getattr(source, "reconnects", 0))
        stalls = int(getattr(source, "stalls", 0))
        frozen = self.watch.stalls if self.watch is not None else 0
        hours = max(stream_seconds, 0.0) / 3600
        return {
            "reconnects": reconnects,
            "stalls": stalls,
            "frozen": frozen,
            "switches": int(getattr(source, "switches", 0)),
            "per_hour": {
                "reconnects": round(reconnects / hours, 2) if hours else None,
                "stalls": round((stalls + frozen) / hours, 2) if hours else None,
            },
        }


def _thumbnail(image: Image) -> npt.NDArray[np.float32]:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    small = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)
