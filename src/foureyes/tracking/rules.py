"""Pure rules about how a meter may move, shared by the tracker and its tests.

A meter grows in small steps between resets. Two reads of it are *consistent* when the
later one is not lower and not higher than the meter could have grown in between; a read
that conflicts with two or more of its neighbours is a glitch, and a pair that conflicts
only with each other cannot be told apart, so neither is trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Growth", "Point", "conflict_degrees", "consistent", "prune_conflicts"]


@dataclass(frozen=True, slots=True)
class Growth:
    """How fast a meter may rise: ``max(rel * value, floor)`` per second, over at least
    ``min_dt`` seconds (so two samples close together still allow one step).

    The floor is counted in the display's smallest steps (:meth:`for_decimals`): fifty
    cents a second is fifty steps of a meter with cents, and the same fifty steps are
    fifty units of one without, which moves a whole unit at every increment."""

    rel: float = 0.05
    floor: float = 0.5
    absolute: float | None = None
    min_dt: float = 1.0

    @classmethod
    def for_decimals(cls, decimals: int | None, absolute: float | None = None) -> Growth:
        """The default growth of a meter showing ``decimals`` places (None: unknown, the
        floor of a meter with cents)."""
        steps = 50.0  # the floor, in smallest steps of the display per second
        floor = steps * 10.0 ** -(2 if decimals is None else decimals)
        return cls(floor=floor, absolute=absolute)

    def bound(self, value: float, dt: float) -> float:
        rate = (
            self.absolute if self.absolute is not None else max(self.rel * abs(value), self.floor)
        )
        return rate * max(dt, self.min_dt)


@dataclass(frozen=True, slots=True)
class Point:
    ts: float
    value: float
    confidence: float = 1.0


def consistent(a: Point, b: Point, growth: Growth, eps: float = 1e-9) -> bool:
    """Whether ``a`` and ``b`` (in either order) can both be true readings of one meter
    with no reset between them."""
    first, second = (a, b) if a.ts <= b.ts else (b, a)
    rise = second.value - first.value
    return -eps <= rise <= growth.bound(first.value, second.ts - first.ts) + eps


def conflict_degrees(points: Sequence[Point], growth: Growth, alive: Sequence[bool]) -> list[int]:
    n = len(points)
    deg = [0] * n
    for i in range(n):
        if not alive[i]:
            continue
        for j in range(i + 1, n):
            if alive[j] and not consistent(points[i], points[j], growth):
                deg[i] += 1
                deg[j] += 1
    return deg


def prune_conflicts(points: Sequence[Point], growth: Growth) -> tuple[list[bool], list[int]]:
    """Drop glitches: repeatedly remove the point with the most conflicts while some point
    has two or more (ties go to the lower confidence, then the later point, so the judged
    point at index 0 is never kept on a tie it cannot win).

    Returns which points survive and each survivor's remaining conflicts (0 or 1).
    """
    alive = [True] * len(points)
    if not points:
        return alive, []
    while True:
        deg = conflict_degrees(points, growth, alive)
        worst = max(range(len(points)), key=lambda k: (deg[k], -points[k].confidence, k == 0, k))
        if deg[worst] < 2:
            return alive, deg
        alive[worst] = False
