"""Degradation levels: do less when reading cannot keep up with a live stream.

A live stream does not wait. When the model gets slower (a busy GPU, a CPU shared with
other work, a VLM fallback serving) each sample takes longer to read than the time
between samples, the frame queue fills, and the reading falls further and further behind
the screen. Rather than fall behind without end, FourEyes steps down through levels that
each do less work, and steps back up when it has room again:

==========  ==================================================================
normal      everything the config asks for
reduced     no second looks (each one is an extra model read)
minimal     also every second sample only, and no reader marked ``expensive``
emergency   also every fourth sample only, and only the meters in ``keep``
==========  ==================================================================

The load is the time a sample's reads took over the time between samples, smoothed
(an exponential moving average), together with how full the frame queue is. A level is
entered after ``up_after`` samples in a row say so, and left after ``down_after`` samples
in a row have room at the level below: slow to relax, so that it does not flap.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from foureyes.model import Event, EventType, Frame
from foureyes.tracking.tracker import run_event

log = logging.getLogger(__name__)

__all__ = ["Degrader", "Level", "LevelChange", "degradation_event"]


class Level(enum.IntEnum):
    NORMAL = 0
    REDUCED = 1
    MINIMAL = 2
    EMERGENCY = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def stride(self) -> int:
        """Process one sample in this many."""
        return {Level.MINIMAL: 2, Level.EMERGENCY: 4}.get(self, 1)


# Load (read time / sample period) at which each level is due; the queue fill ratio
# at which it is due regardless of the load.
_LOAD = {Level.REDUCED: 0.8, Level.MINIMAL: 1.2, Level.EMERGENCY: 2.5}
_FILL = {Level.REDUCED: 0.5, Level.MINIMAL: 0.75, Level.EMERGENCY: 0.95}


@dataclass(frozen=True, slots=True)
class LevelChange:
    before: Level
    after: Level
    load: float
    fill: float


class Degrader:
    """Decides the level from each processed sample's read time and the queue's fill."""

    def __init__(self, *, up_after: int = 3, down_after: int = 10, smoothing: float = 0.3) -> None:
        if up_after < 1 or down_after < 1:
            raise ValueError("up_after and down_after must be at least 1")
        if not 0 < smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        self.level = Level.NORMAL
        self.up_after = up_after
        self.down_after = down_after
        self.smoothing = smoothing
        self.load: float | None = None
        self.changes = 0
        self._above = 0
        self._below = 0
        self._seen = 0

    def take(self) -> bool:
        """Whether to process the next sample, at this level's stride."""
        self._seen += 1
        return self._seen % self.level.stride == 0

    def due(self, load: float, fill: float) -> Level:
        """The level these measurements alone call for."""
        due = Level.NORMAL
        for level in (Level.REDUCED, Level.MINIMAL, Level.EMERGENCY):
            if load >= _LOAD[level] or fill >= _FILL[level]:
                due = level
        return due

    def observe(self, read_seconds: float, period: float, fill: float) -> LevelChange | None:
        """Take one processed sample's read time (at the current level's work), the time
        between processed samples, and the frame queue's fill ratio (0-1)."""
        raw = read_seconds / period if period > 0 else 0.0
        self.load = raw if self.load is None else self.load + self.smoothing * (raw - self.load)
        due = self.due(self.load, fill)
        if due > self.level:
            self._above += 1
            self._below = 0
            if self._above >= self.up_after:
                return self._move(self.level + 1, fill)
        elif due < self.level and self.due(self._projected(), fill) < self.level:
            self._below += 1
            self._above = 0
            if self._below >= self.down_after:
                return self._move(self.level - 1, fill)
        else:
            self._above = self._below = 0
        return None

    def _projected(self) -> float:
        """The load one level down: the load was measured doing this level's work, and
        one level down processes more samples (a shorter period) and reads more per
        sample (second looks, expensive readers), here taken as a fifth more."""
        below = Level(self.level - 1)
        return (self.load or 0.0) * self.level.stride / below.stride * 1.2

    def _move(self, to: int, fill: float) -> LevelChange:
        before, self.level = self.level, Level(to)
        self._above = self._below = 0
        self.changes += 1
        return LevelChange(before, self.level, round(self.load or 0.0, 3), round(fill, 3))


def degradation_event(change: LevelChange, frame: Frame) -> Event:
    """The event for a change of level, at the sample that decided it."""
    log.warning(
        "degradation %s -> %s at frame %d (load %.2f, queue %.0f%%)",
        change.before.label,
        change.after.label,
        frame.index,
        change.load,
        100 * change.fill,
    )
    detail: dict[str, object] = {
        "from": change.before.label,
        "to": change.after.label,
        "load": change.load,
        "queue_fill": change.fill,
    }
    return run_event(
        frame,
        EventType.DEGRADATION,
        detail,
        before=float(change.before),
        after=float(change.after),
    )
