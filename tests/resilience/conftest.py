"""A fake clock for the resilience tests, so that durations and waits cost no real time."""

from __future__ import annotations

import pytest


class FakeClock:
    """A monotonic clock that moves only when a test (or a test double) advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
