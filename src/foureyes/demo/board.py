"""What the jackpot board shows at every frame, decided before anything is drawn.

The board is simulated from one seeded ``random.Random`` so that the ground truth is exact
and the renderer only paints it. Values are integer cents. A meter grows by small discrete
increments at Poisson times; a win covers it with a popup, after which it shows its seed
value. Ordinary popups hide part or all of a meter without changing it.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "DEFAULT_METERS",
    "Board",
    "MeterSpec",
    "MeterState",
    "Popup",
    "Reset",
    "Track",
    "format_cents",
    "simulate",
]

GROW_IN_FRAMES = 3  # a popup scales in over this many frames


@dataclass(frozen=True, slots=True)
class MeterSpec:
    """One progressive meter: its seed, where it starts, how fast and how often it grows.

    ``resets_per_minute`` is the expected number of wins; ``guaranteed`` meters get at least
    ``round(seconds * rate)`` wins so a short video still shows the hard case.
    """

    name: str
    label: str
    seed: int  # cents
    start: tuple[int, int]  # cents, a range above the seed
    rate: float  # increments per second
    step: tuple[int, int]  # cents per increment
    resets_per_minute: float


DEFAULT_METERS: tuple[MeterSpec, ...] = (
    MeterSpec("grand", "GRAND", 1_000_000, (1_200_000, 4_800_000), 2.5, (5, 400), 0.02),
    MeterSpec("major", "MAJOR", 50_000, (95_000, 99_800), 1.5, (2, 150), 0.15),
    MeterSpec("minor", "MINOR", 5_000, (8_800, 9_900), 1.0, (1, 40), 1.0),
    MeterSpec("mini", "MINI", 1_000, (1_100, 2_500), 0.6, (1, 10), 2.0),
)


def format_cents(cents: int) -> str:
    """``123456`` → ``$1,234.56``: how every meter prints its value."""
    return f"${cents // 100:,}.{cents % 100:02d}"


@dataclass(frozen=True, slots=True)
class Popup:
    """An opaque banner over a meter's value box from ``start`` up to (not incl.) ``end``.

    ``span`` is the covered horizontal interval as fractions of the value box width; the
    banner always spans the box's full height. ``kind`` is "win", "full", "partial" or "coins".
    """

    meter: str
    start: int
    end: int
    span: tuple[float, float]
    text: str
    kind: str

    def span_at(self, frame: int) -> tuple[float, float] | None:
        if not self.start <= frame < self.end:
            return None
        k = frame - self.start + 1
        if k >= GROW_IN_FRAMES:
            return self.span
        a, b = self.span
        centre, half = (a + b) / 2, (b - a) / 2 * k / GROW_IN_FRAMES
        return (centre - half, centre + half)


@dataclass(frozen=True, slots=True)
class Reset:
    meter: str
    frame: int  # the first frame showing the seed
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class Track:
    """A meter's value over time: ``(frame, cents, rolls)`` changes, the first at frame 0."""

    changes: tuple[tuple[int, int, bool], ...]

    def index_at(self, frame: int) -> int:
        return bisect.bisect_right(self.changes, (frame, 1 << 62, True)) - 1

    def value_at(self, frame: int) -> int:
        return self.changes[self.index_at(frame)][1]

    def values(self) -> list[int]:
        return [c[1] for c in self.changes]


@dataclass(frozen=True, slots=True)
class MeterState:
    """What one meter shows at one frame.

    ``progress`` runs from 0 to 1 through an odometer roll from ``old`` to ``value``; outside
    a roll ``old`` is None and ``progress`` is 1.
    """

    value: int
    old: int | None
    progress: float
    spans: tuple[tuple[float, float], ...]
    popups: tuple[Popup, ...]

    @property
    def covered(self) -> float:
        return min(1.0, sum(max(0.0, min(b, 1.0) - max(a, 0.0)) for a, b in self.spans))


@dataclass(frozen=True)
class Board:
    fps: int
    frames: int
    roll_frames: int
    specs: tuple[MeterSpec, ...]
    tracks: Mapping[str, Track]
    resets: tuple[Reset, ...]
    popups: tuple[Popup, ...]
    thresholds: Mapping[str, tuple[int, ...]]

    @property
    def meters(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    def state(self, meter: str, frame: int) -> MeterState:
        track = self.tracks[meter]
        i = track.index_at(frame)
        start, value, rolls = track.changes[i]
        old: int | None = None
        progress = 1.0
        k = frame - start + 1
        if rolls and i > 0 and self.roll_frames > 1 and k < self.roll_frames:
            old, progress = track.changes[i - 1][1], k / self.roll_frames
        popups = tuple(p for p in self.popups if p.meter == meter and p.start <= frame < p.end)
        spans = tuple(s for p in popups if (s := p.span_at(frame)) is not None)
        return MeterState(value, old, progress, spans, popups)

    def max_value(self, meter: str) -> int:
        return max(self.tracks[meter].values())

    def min_value(self, meter: str) -> int:
        return min(self.tracks[meter].values())

    def with_popups(
        self, rng: random.Random, *, rate: float, kinds: tuple[str, ...], text_left: float
    ) -> Board:
        """Add ordinary popups; partial ones always overlap digits right of ``text_left``."""
        busy = {
            m: [(p.start - 2, p.end + 2) for p in self.popups if p.meter == m] for m in self.meters
        }
        added: list[Popup] = []
        t = 0.0
        while rate > 0 and kinds:
            t += rng.expovariate(rate)
            start = int(t * self.fps)
            if start >= self.frames:
                break
            meter = rng.choice(self.meters)
            kind = rng.choice(kinds)
            end = min(self.frames, start + int(rng.uniform(0.5, 2.0) * self.fps))
            if end - start < 2 or any(a < end and start < b for a, b in busy[meter]):
                continue
            if kind == "full":
                span, text = (-0.04, 1.04), rng.choice(("BONUS!", "FREE SPINS", "BIG WIN"))
            else:
                width = rng.uniform(0.18, 0.5) * (1 - text_left)
                a = rng.uniform(text_left, 1 - width)
                span = (a, a + width)
                text = "" if kind == "coins" else rng.choice(("BONUS!", "x2", "5 FREE GAMES"))
            added.append(Popup(meter, start, end, span, text, kind))
            busy[meter].append((start - 2, end + 2))
        popups = tuple(sorted((*self.popups, *added), key=lambda p: (p.start, p.meter)))
        return replace(self, popups=popups)

    def truth_rows(self) -> Iterator[dict[str, Any]]:
        for frame in range(self.frames):
            for meter in self.meters:
                st = self.state(meter, frame)
                covered = round(st.covered, 4)
                yield {
                    "frame": frame,
                    "ts": frame / self.fps,
                    "meter": meter,
                    "value": st.value / 100,
                    "alt": [] if st.old is None else [st.old / 100],
                    "visible": covered == 0,
                    "covered": covered,
                }

    def truth_events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [
            {
                "meter": r.meter,
                "type": "reset",
                "frame": r.frame,
                "ts": r.frame / self.fps,
                "before": r.before / 100,
                "after": r.after / 100,
            }
            for r in self.resets
        ]
        for meter, levels in self.thresholds.items():
            changes = self.tracks[meter].changes
            for (_, before, _), (frame, after, _) in itertools.pairwise(changes):
                for t in levels:
                    if before < t <= after:
                        events.append(
                            {
                                "type": "threshold",
                                "meter": meter,
                                "frame": frame,
                                "ts": frame / self.fps,
                                "threshold": t / 100,
                                "before": before / 100,
                                "after": after / 100,
                            }
                        )
        return sorted(events, key=lambda e: (e["frame"], e["meter"], e["type"]))


def simulate(
    *,
    seconds: float,
    fps: int,
    rng: random.Random,
    roll_frames: int = 8,
    growth: float = 1.0,
    win_seconds: tuple[float, float] = (1.0, 2.0),
    specs: tuple[MeterSpec, ...] = DEFAULT_METERS,
) -> Board:
    """Simulate values, wins and the GRAND threshold; ordinary popups come from ``with_popups``.

    Increments on one meter are kept ``roll_frames + 2`` frames apart so that rolls never
    overlap: a roll always goes from one shown value to the next.
    """
    frames = max(1, round(seconds * fps))
    wins = _schedule_wins(rng, specs, frames, fps, win_seconds)
    gap = max(roll_frames, 1) + 2
    tracks: dict[str, Track] = {}
    resets: list[Reset] = []
    popups: list[Popup] = []
    for spec in specs:
        value = rng.randint(*spec.start)
        changes: list[tuple[int, int, bool]] = [(0, value, False)]
        blocked = [(s, e) for m, s, e in wins if m == spec.name]
        t = 0.0
        last = 0
        while True:
            t += rng.expovariate(spec.rate * growth)
            frame = max(int(t * fps), last + gap)
            for s, e in blocked:
                if s - gap < frame < e + gap:
                    frame = e + gap
            if blocked and blocked[0][1] <= frame:
                s, e = blocked.pop(0)
                label = rng.choice(("WINNER", f"{spec.label} WON!", "JACKPOT!"))
                popups.append(Popup(spec.name, s, e, (-0.06, 1.06), label, "win"))
                if e < frames:
                    resets.append(Reset(spec.name, e, value, spec.seed))
                    value = spec.seed
                    changes.append((e, value, False))
                    last = e
                continue
            if frame >= frames:
                break
            value += _step(rng, spec.step)
            changes.append((frame, value, True))
            last = frame
            t = max(t, frame / fps)
        tracks[spec.name] = Track(tuple(changes))
    thresholds = _pick_thresholds(tracks, specs[0].name)
    return Board(
        fps=fps,
        frames=frames,
        roll_frames=roll_frames,
        specs=specs,
        tracks=tracks,
        resets=tuple(sorted(resets, key=lambda r: r.frame)),
        popups=tuple(sorted(popups, key=lambda p: (p.start, p.meter))),
        thresholds=thresholds,
    )


def _step(rng: random.Random, bounds: tuple[int, int]) -> int:
    """Mostly small steps, now and then a bigger one (a max bet feeding the pool)."""
    lo, hi = bounds
    return lo + round((hi - lo) * rng.random() ** 3)


def _schedule_wins(
    rng: random.Random,
    specs: tuple[MeterSpec, ...],
    frames: int,
    fps: int,
    win_seconds: tuple[float, float],
) -> list[tuple[str, int, int]]:
    """Win popups ``(meter, start, end)``: stratified over the video so none is missed.

    A win needs room: it starts after 2 s and its reset shows at least 3 s before the end.
    Every video of 20 s or more gets at least one (MINI's), and about one per 30 s of MINI.
    """
    seconds = frames / fps
    lo, hi = 2.0, seconds - 3.0 - win_seconds[1]
    if hi <= lo:
        return []
    wins: list[tuple[str, int, int]] = []
    for i, spec in enumerate(specs):
        expected = seconds * spec.resets_per_minute / 60
        count = int(expected) + (rng.random() < expected - int(expected))
        if i == len(specs) - 1 and seconds >= 20:
            count = max(count, 1)
        width = (hi - lo) / max(count, 1)
        for k in range(count):
            t = lo + width * (k + rng.uniform(0.15, 0.85))
            start = int(t * fps)
            wins.append((spec.name, start, start + int(rng.uniform(*win_seconds) * fps)))
    return wins


def _pick_thresholds(tracks: Mapping[str, Track], meter: str) -> dict[str, tuple[int, ...]]:
    """A round level that ``meter`` crosses upward before its first reset, near mid-video."""
    changes = tracks[meter].changes
    run = [changes[0]]
    for c in changes[1:]:
        if not c[2]:
            break
        run.append(c)
    first, last = run[0][1], run[-1][1]
    if last <= first:
        return {}
    q1, q3 = first + (last - first) // 4, first + 3 * (last - first) // 4
    for unit in (100_000, 10_000, 1_000, 500, 100, 10, 1):
        level = (q1 // unit + 1) * unit
        if level <= q3:
            return {meter: (level,)}
    return {meter: (last,)}
