"""The alert rules that watch a condition which starts and ends (see
:mod:`foureyes.observe.alerts`): each says whether its condition holds now, and in what
words. They keep no clock of their own: :class:`~foureyes.observe.alerts.Alerts` feeds
them the time and what it observed."""

from __future__ import annotations

from collections import deque
from typing import Any

from foureyes.config import NoReadingRule, ReadP95Rule, SourceDownRule

__all__ = ["NoReading", "SlowReads", "SourceDown", "Watch"]

P95_SAMPLES = 10_000  # read times kept per read_p95_above rule, whatever its window


class Watch:
    """One state rule: whether its condition holds now, and its firing record, if any."""

    type = ""

    def __init__(self, key: str, label: str, meter: str | None, threshold: float) -> None:
        self.key = key
        self.label = label
        self.meter = meter
        self.threshold = threshold
        self.firing: dict[str, Any] | None = None
        self.seq = 0

    def check(self, now: float) -> tuple[bool, float | None]:
        """Whether the condition holds at ``now``, and the value it was judged on."""
        raise NotImplementedError

    def message(self, breached: bool, value: float | None) -> str:
        raise NotImplementedError


class SourceDown(Watch):
    type = "source_down"

    def __init__(self, key: str, label: str, rule: SourceDownRule, source: str) -> None:
        super().__init__(key, label, None, rule.for_seconds)
        self.source = source
        self.frames = 0
        self.since = 0.0

    def decoded(self, frames: int, now: float) -> None:
        if frames != self.frames:
            self.frames, self.since = frames, now

    def check(self, now: float) -> tuple[bool, float | None]:
        quiet = now - self.since
        return quiet >= self.threshold, quiet

    def message(self, breached: bool, value: float | None) -> str:
        if breached:
            return f"source {self.source} delivered no new frame for {_duration(value)}"
        return f"source {self.source} delivers frames again"


class SlowReads(Watch):
    type = "read_p95_above"

    def __init__(self, key: str, label: str, rule: ReadP95Rule) -> None:
        super().__init__(key, label, None, rule.seconds)
        self.window = rule.window_seconds
        self.min_samples = rule.min_samples
        self.samples: deque[tuple[float, float]] = deque(maxlen=P95_SAMPLES)

    def check(self, now: float) -> tuple[bool, float | None]:
        # Like Prometheus over an empty range: too few samples is no evidence of slowness.
        while self.samples and self.samples[0][0] < now - self.window:
            self.samples.popleft()
        if len(self.samples) < self.min_samples:
            return False, None
        p95 = _p95([s for _, s in self.samples])
        return p95 > self.threshold, p95

    def message(self, breached: bool, value: float | None) -> str:
        if value is None:
            return (
                f"read time p95 not measured: fewer than {self.min_samples} reads "
                f"in the last {_duration(self.window)}"
            )
        if breached:
            return (
                f"read time p95 {value:.2f} s over the last {_duration(self.window)} is above "
                f"{self.threshold:g} s ({len(self.samples)} reads)"
            )
        return f"read time p95 {value:.2f} s is back at or below {self.threshold:g} s"


class NoReading(Watch):
    type = "no_reading"

    def __init__(self, key: str, label: str, rule: NoReadingRule) -> None:
        super().__init__(key, label, rule.meter, rule.for_minutes * 60)
        self.since = 0.0

    def check(self, now: float) -> tuple[bool, float | None]:
        unread = now - self.since
        return unread >= self.threshold, unread

    def message(self, breached: bool, value: float | None) -> str:
        if breached:
            return f"{self.meter} had no reading for {_duration(value)}"
        return f"{self.meter} is read again"


def _p95(values: list[float]) -> float:
    """The 95th percentile, interpolated between ranks (numpy's default)."""
    xs = sorted(values)
    pos = 0.95 * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
