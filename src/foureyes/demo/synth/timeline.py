"""What each meter is worth, and what its display shows, at every frame.

A meter's logical value changes at Poisson increment times (plus bursts: clusters closer
together than a roll takes to settle) and drops to its seed at resets. Its display is a
*strip* of logical values: an increment appends its value and the display animates from
where it is now toward the strip's last entry; at rest the strip collapses to that one
value. An increment arriving mid-roll therefore continues from the current picture, never
snapping back, and a frame can only ever show values of its strip. That is the truth:
``value`` is the strip's last entry (the logical value), ``alt`` the other entries from
the earliest one still on screen, and a value whose increment comes later is never in it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from foureyes.demo.synth.factors import Factors, Format, MeterFactors, Motion

__all__ = [
    "Change",
    "Display",
    "Reset",
    "Shown",
    "Track",
    "build_track",
    "build_tracks",
    "pick_threshold",
    "truth_events",
]

POPUP_SECONDS = (1.0, 3.0)  # a win popup's length
SILENT_RESETS = 0.2  # share of resets with no popup: the value just drops


@dataclass(frozen=True, slots=True)
class Change:
    """The logical value becomes ``value`` at ``frame``; ``reset`` marks a drop to the seed."""

    frame: int
    value: int
    reset: bool = False


@dataclass(frozen=True, slots=True)
class Reset:
    """A jackpot won: the win popup covers the meter from ``popup_start`` (None: no popup)
    and ``frame`` is the first frame showing the seed value ``after``."""

    meter: str
    popup_start: int | None
    frame: int
    before: int
    after: int


@dataclass(frozen=True)
class Track:
    """A meter's logical values; ``changes[0]`` is its value at frame 0."""

    meter: str
    changes: tuple[Change, ...]
    resets: tuple[Reset, ...]
    roll_frames: int
    easing: str

    @property
    def values(self) -> list[int]:
        return [c.value for c in self.changes]


@dataclass(frozen=True, slots=True)
class Shown:
    """One frame of a display: between ``lo`` and ``hi`` at ``frac`` (0 at rest, ``lo ==
    hi``); ``strip`` runs from the earliest value still visible to the logical one."""

    value: int
    strip: tuple[int, ...]
    lo: int
    hi: int
    frac: float

    @property
    def moving(self) -> bool:
        return self.hi != self.lo

    @property
    def alt(self) -> tuple[int, ...]:
        return tuple(v for v in self.strip if v != self.value)


def _ease(t: float, easing: str, fresh: bool) -> float:
    """Progress through a transition; a roll taken over mid-motion starts at speed."""
    if easing == "linear":
        return t
    if easing == "out":
        return 1 - (1 - t) ** 3
    return t * t * (3 - 2 * t) if fresh else 1 - (1 - t) ** 2


class Display:
    """Replays a :class:`Track` frame by frame (in order) as the display shows it."""

    def __init__(self, track: Track) -> None:
        self._track = track
        self._next = 1
        self._strip = [track.changes[0].value]
        self._pos = 0.0
        self._seg: tuple[int, float, int, bool] | None = None  # start, from, to, fresh
        self._frame = -1

    def at(self, frame: int) -> Shown:
        if frame != self._frame + 1:
            raise ValueError(f"frames must come in order: {frame} after {self._frame}")
        self._frame = frame
        changes, track = self._track.changes, self._track
        arrived = False
        while self._next < len(changes) and changes[self._next].frame == frame:
            c = changes[self._next]
            self._next += 1
            if c.reset:
                self._strip, self._pos, self._seg, arrived = [c.value], 0.0, None, False
            else:
                self._strip.append(c.value)
                arrived = True
        if arrived:
            self._seg = (frame, self._pos, len(self._strip) - 1, self._seg is None)
        if self._seg is not None:
            start, p0, target, fresh = self._seg
            t = min(1.0, (frame - start + 1) / track.roll_frames)
            self._pos = p0 + (target - p0) * _ease(t, track.easing, fresh)
            if t >= 1.0:
                self._strip, self._pos, self._seg = [self._strip[-1]], 0.0, None
        j = min(int(self._pos), len(self._strip) - 1)
        frac = self._pos - j
        strip, value = tuple(self._strip[j:]), self._strip[-1]
        if frac <= 1e-9 or j + 1 >= len(self._strip):
            return Shown(value, strip, strip[0], strip[0], 0.0)
        return Shown(value, strip, strip[0], strip[1], frac)


def _step(rng: random.Random, motion: Motion) -> int:
    """Mostly small steps, now and then a ten-to-thirty-fold one (a max bet)."""
    lo, hi = motion.step
    step = lo + round((hi - lo) * rng.random() ** 3)
    return step * rng.randint(10, 30) if rng.random() < motion.big_steps else step


def _increment_times(rng: random.Random, motion: Motion, seconds: float, fps: int) -> list[float]:
    times: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(motion.rate)
        if t >= seconds:
            break
        times.append(t)
    if motion.bursts > 0:
        gap = max(motion.roll_seconds, 2 / fps)
        t = 0.0
        while True:
            t += rng.expovariate(motion.bursts)
            if t >= seconds:
                break
            spacing = rng.uniform(0.15, 0.85) * gap
            times += [t + k * spacing for k in range(rng.randint(*motion.burst_size))]
    return sorted(x for x in times if 0.2 <= x < seconds)


def _reset_times(
    rng: random.Random, motion: Motion, seconds: float
) -> list[tuple[float | None, float]]:
    """``(popup start or None, reset time)`` in seconds, spread over the video.

    The lowest meter pops at least once every ~30 s (once in any video of 20 s or more);
    the others at ``resets_per_minute``. A reset needs room: 2 s before, 4 s after.
    """
    lo, hi = 2.0, seconds - 4.0 - POPUP_SECONDS[1]
    if hi <= lo:
        return []
    if motion.lowest and seconds >= 20:
        count = max(1, math.ceil(seconds / rng.uniform(18.0, 30.0)))
    else:
        expected = seconds * motion.resets_per_minute / 60
        count = int(expected) + (rng.random() < expected - int(expected))
    count = min(count, int((hi - lo) // 6.0))
    out: list[tuple[float | None, float]] = []
    width = (hi - lo) / max(count, 1)
    for k in range(count):
        t = lo + width * (k + rng.uniform(0.15, 0.85))
        if rng.random() < SILENT_RESETS:
            out.append((None, t))
        else:
            out.append((t, t + rng.uniform(*POPUP_SECONDS)))
    return out


def build_track(meter: MeterFactors, fps: int, frames: int, rng: random.Random) -> Track:
    """Simulate one meter: increments and resets, as frames (first frame at or after)."""
    motion = meter.motion
    seconds = frames / fps
    resets = _reset_times(rng, motion, seconds)
    settle = motion.roll_frames(fps) / fps
    blocked = [((s if s is not None else r) - settle - 0.25, r + 0.5) for s, r in resets]
    times = _increment_times(rng, motion, seconds, fps)
    events: list[tuple[float, float | None, bool]] = [
        (t, None, False) for t in times if not any(a <= t <= b for a, b in blocked)
    ]
    events += [(r, s, True) for s, r in resets]
    value = meter.start_value
    changes = [Change(0, value)]
    records: list[Reset] = []
    for t, start, is_reset in sorted(events, key=lambda e: e[0]):
        frame = math.ceil(t * fps - 1e-9)
        if frame >= frames:
            continue
        if is_reset:
            if value < meter.seed_value * 1.02 + 1:  # hardly grown since the last win:
                continue  # no visible drop, so no reset (its popup goes with it)
            popup = None if start is None else math.ceil(start * fps - 1e-9)
            records.append(Reset(meter.name, popup, frame, value, meter.seed_value))
            value = meter.seed_value
            changes.append(Change(frame, value, reset=True))
        else:
            value += _step(rng, motion)
            changes.append(Change(frame, value))
    return Track(meter.name, tuple(changes), tuple(records), motion.roll_frames(fps), motion.easing)


def build_tracks(f: Factors) -> dict[str, Track]:
    """Every meter's track; each meter has its own generator, seeded from the video's."""
    v = f.video
    return {
        m.name: build_track(m, v.fps, v.frames, random.Random(v.seeds[0] * 8 + i))
        for i, m in enumerate(f.meters)
    }


def pick_threshold(track: Track) -> int | None:
    """A round level the meter crosses upward before its first reset, near mid-run."""
    run = [track.changes[0].value]
    for c in track.changes[1:]:
        if c.reset:
            break
        run.append(c.value)
    first, last = run[0], run[-1]
    if last <= first:
        return None
    q1, q3 = first + (last - first) // 4, first + 3 * (last - first) // 4
    for unit in (10**7, 10**6, 100_000, 10_000, 1_000, 500, 100, 10, 1):
        level = (q1 // unit + 1) * unit
        if level <= q3:
            return level
    return None


def truth_events(
    tracks: Mapping[str, Track],
    formats: Mapping[str, Format],
    thresholds: Mapping[str, int],
    fps: int,
) -> list[dict[str, Any]]:
    """Resets and threshold crossings, in the demo's ``truth_events.jsonl`` shape."""
    events: list[dict[str, Any]] = []
    for name, track in tracks.items():
        fmt = formats[name]
        for r in track.resets:
            events.append(
                {
                    "meter": name,
                    "type": "reset",
                    "frame": r.frame,
                    "ts": r.frame / fps,
                    "before": fmt.display(r.before),
                    "after": fmt.display(r.after),
                }
            )
    for name, level in thresholds.items():
        fmt = formats[name]
        for before, after in _pairs(tracks[name]):
            if before.value < level <= after.value:
                events.append(
                    {
                        "type": "threshold",
                        "meter": name,
                        "frame": after.frame,
                        "ts": after.frame / fps,
                        "threshold": fmt.display(level),
                        "before": fmt.display(before.value),
                        "after": fmt.display(after.value),
                    }
                )
    return sorted(events, key=lambda e: (e["frame"], e["meter"], e["type"]))


def _pairs(track: Track) -> Iterator[tuple[Change, Change]]:
    yield from zip(track.changes, track.changes[1:], strict=False)
