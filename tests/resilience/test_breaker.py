"""The circuit breaker follows resilience4j: count window, rates, bounded half-open trial."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from foureyes.errors import CircuitOpen
from foureyes.resilience import BreakerSettings, CircuitBreaker, State

WAIT = 30.0


def make(clock: Any, **settings: Any) -> CircuitBreaker:
    base: dict[str, Any] = {
        "window_size": 4,
        "minimum_calls": 4,
        "failure_rate_threshold": 50,
        "wait_in_open": WAIT,
        "permitted_calls_in_half_open": 3,
    }
    base.update(settings)
    return CircuitBreaker("ocr", BreakerSettings(**base), clock=clock)


def feed(breaker: CircuitBreaker, outcomes: str, duration: float = 0.01) -> None:
    """Record one call per letter: ``F`` failed, ``T`` succeeded, ``S`` slow success."""
    for outcome in outcomes:
        permit = breaker.acquire()
        slow = breaker.settings.slow_call_duration + 1
        breaker.record(permit, slow if outcome == "S" else duration, ok=outcome != "F")


def trip(breaker: CircuitBreaker) -> None:
    feed(breaker, "F" * breaker.settings.window_size)
    assert breaker.state is State.OPEN


@pytest.mark.parametrize(
    "settings",
    [
        {"window_size": 0},
        {"minimum_calls": 0},
        {"failure_rate_threshold": 0},
        {"failure_rate_threshold": 101},
        {"slow_call_rate_threshold": -5},
        {"slow_call_duration": 0},
        {"wait_in_open": -1},
        {"permitted_calls_in_half_open": 0},
        {"max_wait_in_half_open": -1},
    ],
)
def test_settings_refuse_values_that_cannot_work(settings: dict[str, Any]) -> None:
    """Each setting outside its range is refused when the settings are made."""
    with pytest.raises(ValueError):
        BreakerSettings(**settings)


@pytest.mark.parametrize(
    ("outcomes", "state", "failure_rate"),
    [
        ("FFF", State.CLOSED, None),  # below minimum_calls: no rate yet
        ("FFFF", State.OPEN, None),  # 100% (window reset on opening)
        ("FFTT", State.OPEN, None),  # 50% is at the threshold
        ("FTTT", State.CLOSED, 25.0),
        ("TTTT", State.CLOSED, 0.0),
        ("FTTTTF", State.CLOSED, 25.0),  # the window holds the last 4: T T T F
        ("TTTTFF", State.OPEN, None),  # last 4: T T F F
    ],
)
def test_failure_rate_over_the_window_opens(
    clock: Any, outcomes: str, state: State, failure_rate: float | None
) -> None:
    """Rates count only once minimum_calls are in the window, over the last window_size."""
    breaker = make(clock)
    feed(breaker, outcomes)
    metrics = breaker.metrics()
    assert metrics.state is state
    assert metrics.failure_rate == failure_rate


def test_minimum_calls_beyond_the_window_acts_as_the_window(clock: Any) -> None:
    """A minimum the window can never hold would keep the breaker closed for ever."""
    breaker = make(clock, window_size=3, minimum_calls=10)
    feed(breaker, "FFF")
    assert breaker.state is State.OPEN


@pytest.mark.parametrize(
    ("outcomes", "threshold", "state"),
    [
        ("SSSS", 100, State.OPEN),
        ("SSST", 100, State.CLOSED),
        ("SSTT", 50, State.OPEN),
        ("STTT", 50, State.CLOSED),
    ],
)
def test_slow_call_rate_opens(clock: Any, outcomes: str, threshold: float, state: State) -> None:
    """Calls slower than slow_call_duration open the breaker even when they succeed."""
    breaker = make(clock, slow_call_rate_threshold=threshold, slow_call_duration=1.0)
    feed(breaker, outcomes)
    assert breaker.state is state


@pytest.mark.parametrize(("duration", "slow"), [(1.0, 0), (1.001, 1), (0.2, 0)])
def test_slow_means_longer_than_the_duration(clock: Any, duration: float, slow: int) -> None:
    """A call exactly at slow_call_duration is not slow; the clock measures call() itself."""
    breaker = make(clock, slow_call_duration=1.0)
    breaker.call(clock.advance, duration)
    assert breaker.metrics().slow_calls == slow


def test_open_rejects_then_half_opens_after_the_wait(clock: Any) -> None:
    """While open, calls are refused with the reader's name and the seconds left."""
    breaker = make(clock)
    trip(breaker)
    clock.advance(10)
    with pytest.raises(CircuitOpen) as caught:
        breaker.acquire()
    assert caught.value.reader == "ocr"
    assert caught.value.retry_in == pytest.approx(WAIT - 10)
    assert "ocr" in str(caught.value)
    assert breaker.metrics().rejected == 1
    clock.advance(WAIT - 10)
    assert breaker.state is State.OPEN  # only a call moves it on
    breaker.acquire()
    assert breaker.state is State.HALF_OPEN


@pytest.mark.parametrize(
    ("trials", "state"),
    [
        ("TTT", State.CLOSED),
        ("FTT", State.CLOSED),  # 33% < 50%
        ("FFT", State.OPEN),
        ("FTF", State.OPEN),
    ],
)
def test_half_open_decides_when_every_trial_call_is_back(
    clock: Any, trials: str, state: State
) -> None:
    """The trial's rates decide only after all permitted calls were recorded."""
    breaker = make(clock)
    trip(breaker)
    clock.advance(WAIT)
    permits = [breaker.acquire() for _ in trials]
    for permit, outcome in zip(permits[:-1], trials[:-1], strict=True):
        breaker.record(permit, 0.01, ok=outcome == "T")
        assert breaker.state is State.HALF_OPEN
    breaker.record(permits[-1], 0.01, ok=trials[-1] == "T")
    assert breaker.state is state
    if state is State.CLOSED:
        assert breaker.metrics().buffered_calls == 0  # a fresh window


def test_half_open_admits_exactly_the_permitted_concurrent_trials(clock: Any) -> None:
    """Of five calls arriving at once, three run as trials and two are refused."""
    breaker = make(clock)
    trip(breaker)
    clock.advance(WAIT)
    arrived = threading.Barrier(6, timeout=5)
    release = threading.Event()
    refused: list[CircuitOpen] = []

    def hold() -> None:
        arrived.wait()
        release.wait(5)

    def caller() -> None:
        try:
            breaker.call(hold)
        except CircuitOpen as exc:
            refused.append(exc)
            arrived.wait()

    threads = [threading.Thread(target=caller) for _ in range(5)]
    for thread in threads:
        thread.start()
    try:
        arrived.wait()  # every caller is either inside hold() or refused
        assert len(refused) == 2
        assert all(exc.half_open for exc in refused)
        assert breaker.state is State.HALF_OPEN
    finally:
        release.set()
        for thread in threads:
            thread.join(5)
    assert breaker.state is State.CLOSED


def test_a_released_trial_permit_frees_its_slot(clock: Any) -> None:
    """A cancelled trial call says nothing about the reader, so another may take its place."""
    breaker = make(clock, permitted_calls_in_half_open=1)
    trip(breaker)
    clock.advance(WAIT)
    permit = breaker.acquire()
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    breaker.release(permit)
    breaker.record(breaker.acquire(), 0.01, ok=True)
    assert breaker.state is State.CLOSED
    assert breaker.metrics().calls == 4 + 1  # the trip and one trial; the release is not a call


def test_a_call_admitted_before_a_transition_decides_nothing_after_it(clock: Any) -> None:
    """A slow call from the closed state cannot close or reopen the half-open breaker."""
    breaker = make(clock, permitted_calls_in_half_open=1)
    stale = breaker.acquire()
    trip(breaker)
    clock.advance(WAIT)
    trial = breaker.acquire()
    breaker.record(stale, 0.01, ok=False)
    assert breaker.state is State.HALF_OPEN
    assert breaker.metrics().failures == 5  # counted in the totals all the same
    breaker.record(trial, 0.01, ok=True)
    assert breaker.state is State.CLOSED


def test_half_open_reopens_after_max_wait(clock: Any) -> None:
    """A trial call that never returns cannot hold the breaker half-open for ever."""
    breaker = make(clock, max_wait_in_half_open=5)
    trip(breaker)
    clock.advance(WAIT)
    breaker.acquire()
    clock.advance(4.9)
    assert breaker.state is State.HALF_OPEN
    clock.advance(0.1)
    assert breaker.state is State.OPEN
    with pytest.raises(CircuitOpen):
        breaker.acquire()


def test_a_permit_is_recorded_once(clock: Any) -> None:
    """Recording a permit twice would count one call twice."""
    breaker = make(clock)
    permit = breaker.acquire()
    breaker.record(permit, 0.01, ok=True)
    with pytest.raises(RuntimeError):
        breaker.record(permit, 0.01, ok=True)


def test_listeners_see_every_transition_in_order(clock: Any) -> None:
    """Listeners get (name, old, new); a failing listener does not fail the call."""
    seen: list[tuple[str, State, State]] = []

    def broken(name: str, old: State, new: State) -> None:
        raise RuntimeError("metrics backend down")

    breaker = make(clock, permitted_calls_in_half_open=1)
    breaker.add_listener(broken)
    breaker.add_listener(lambda *change: seen.append(change))
    trip(breaker)
    clock.advance(WAIT)
    feed(breaker, "F")
    clock.advance(WAIT)
    feed(breaker, "T")
    assert seen == [
        ("ocr", State.CLOSED, State.OPEN),
        ("ocr", State.OPEN, State.HALF_OPEN),
        ("ocr", State.HALF_OPEN, State.OPEN),
        ("ocr", State.OPEN, State.HALF_OPEN),
        ("ocr", State.HALF_OPEN, State.CLOSED),
    ]


@pytest.mark.parametrize(
    ("error", "failures", "state"),
    [(KeyError("x"), 0, State.CLOSED), (OSError("down"), 4, State.OPEN)],
)
def test_the_failure_predicate_decides_what_counts(
    clock: Any, error: Exception, failures: int, state: State
) -> None:
    """An exception the predicate does not count is a success; it still propagates."""
    breaker = CircuitBreaker(
        "ocr",
        BreakerSettings(window_size=4, minimum_calls=4),
        clock=clock,
        is_failure=lambda exc: not isinstance(exc, KeyError),
    )

    def fail() -> None:
        raise error

    for _ in range(4):
        with pytest.raises(type(error)):
            breaker.call(fail)
    metrics = breaker.metrics()
    assert (metrics.calls, metrics.failures, metrics.state) == (4, failures, state)


def test_guard_works_as_a_decorator(clock: Any) -> None:
    """``@breaker.guard()`` guards every call of the function, each as its own call."""
    breaker = make(clock)

    @breaker.guard()
    def boom() -> None:
        raise OSError("down")

    for _ in range(4):
        with pytest.raises(OSError):
            boom()
    assert breaker.state is State.OPEN
    with pytest.raises(CircuitOpen):
        boom()


def test_calls_are_not_serialised_while_closed(clock: Any) -> None:
    """Two threads are inside call() at once: each waits at a barrier only both can pass."""
    breaker = make(clock)
    both_inside = threading.Barrier(2, timeout=5)
    results: list[int] = []

    def caller() -> None:
        results.append(breaker.call(both_inside.wait))

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(results) == [0, 1]  # a serialised breaker would break the barrier
    assert breaker.metrics().calls == 2


def test_async_calls_are_not_serialised(clock: Any) -> None:
    """Two tasks are inside call_async() at once, and failures open the breaker."""
    breaker = make(clock)

    async def main() -> None:
        both_inside = asyncio.Barrier(2)

        async def meet() -> int:
            return await both_inside.wait()

        async def fail() -> None:
            raise ConnectionError("server gone")

        ranks = await asyncio.wait_for(
            asyncio.gather(breaker.call_async(meet), breaker.call_async(meet)), 5
        )
        assert sorted(ranks) == [0, 1]
        for _ in range(2):  # the window holds T T F F: 50%
            with pytest.raises(ConnectionError):
                await breaker.call_async(fail)
        with pytest.raises(CircuitOpen):
            await breaker.call_async(meet)

    asyncio.run(main())
    assert breaker.state is State.OPEN


def test_a_cancelled_async_call_is_not_an_outcome(clock: Any) -> None:
    """Cancellation says nothing about the reader: the permit is released unrecorded."""
    breaker = make(clock)

    async def main() -> None:
        started = asyncio.Event()

        async def forever() -> None:
            started.set()
            await asyncio.Event().wait()

        task = asyncio.create_task(breaker.call_async(forever))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert breaker.metrics().calls == 0
