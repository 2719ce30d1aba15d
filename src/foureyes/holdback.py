"""What the pipeline holds back: readings until every meter has decided a frame, and the
recent crops until an event needs them as evidence."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image as PILImage

from foureyes.model import Event, Image, Reading

__all__ = ["Aligner", "Evidence"]


@dataclass(slots=True)
class Aligner:
    """Releases readings frame by frame once every meter has decided that frame."""

    meters: tuple[str, ...]
    queues: dict[str, deque[Reading]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queues = {m: deque() for m in self.meters}

    def add(self, readings: list[Reading]) -> None:
        for r in readings:
            self.queues[r.meter].append(r)

    def ready(self) -> list[Reading]:
        out: list[Reading] = []
        while all(self.queues[m] for m in self.meters):
            out.extend(self.queues[m].popleft() for m in self.meters)
        return out


class Evidence:
    """Keeps the crops of the samples no tracker has decided yet, so an event can be saved
    with the pixels that prove it. An event is dated at an undecided sample, so once every
    tracker has decided a frame its crops can go: what is kept follows the trackers' lag
    (seconds of samples, whatever the rate), bounded by ``keep`` frames."""

    def __init__(self, folder: Path | None, keep: int = 4096) -> None:
        self.folder = folder
        self._crops: dict[int, dict[str, Image]] = {}
        self._order: deque[int] = deque()
        self._keep = keep

    def remember(self, frame: int, crops: dict[str, Image]) -> None:
        if self.folder is None:
            return
        self._crops[frame] = crops
        self._order.append(frame)
        while len(self._order) > self._keep:
            self._crops.pop(self._order.popleft(), None)

    def release(self, before: int) -> None:
        """Forget the crops of frames before ``before`` (every tracker decided them)."""
        while self._order and self._order[0] < before:
            self._crops.pop(self._order.popleft(), None)

    def attach(self, event: Event) -> Event:
        crop = self._crops.get(event.frame, {}).get(event.meter)
        if self.folder is None or crop is None:
            return event
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{event.id}.png"
        PILImage.fromarray(crop).save(self.folder / name)
        return replace(event, evidence=f"{self.folder.name}/{name}")
