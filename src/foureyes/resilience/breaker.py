"""A circuit breaker for reader calls, with resilience4j's semantics.

A model that has started failing (a crashed server, a GPU out of memory) should not be
called for every crop of every frame: each call costs a timeout, and a fallback reader
could serve meanwhile. The breaker watches the outcomes of the last calls and, when too
many failed or were too slow, refuses calls for a while, then lets a few trial calls
through to decide whether the reader has recovered.

Why we wrote our own: no maintained Python library has these semantics for both threads
and asyncio without serialising calls. pybreaker holds its lock around each call, so one
slow model call blocks every other caller; purgatory's half-open state admits every call
instead of a bounded set of trial calls. resilience4j's model (a count-based sliding
window, a minimum number of calls, failure-rate and slow-call-rate thresholds, a bounded
half-open trial) is well understood, so we follow it rather than invent one.

The lock guards only the bookkeeping: :meth:`CircuitBreaker.acquire` and
:meth:`CircuitBreaker.record` hold it for a few attribute updates, never around the call,
so any number of threads or tasks may be inside the breaker at once.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from foureyes.errors import CircuitOpen

__all__ = [
    "BreakerMetrics",
    "BreakerSettings",
    "CircuitBreaker",
    "Permit",
    "State",
    "StateListener",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class State(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


StateListener = Callable[[str, State, State], None]
"""Called as ``listener(name, old_state, new_state)`` on every transition."""


def _every_exception(exc: Exception) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """When a breaker opens and how it recovers (resilience4j's names, in seconds).

    ``minimum_calls`` larger than ``window_size`` acts as ``window_size``, as in
    resilience4j, since the window can never hold more. ``max_wait_in_half_open`` of 0
    keeps the breaker half-open until its trial calls have all completed; otherwise it
    reopens after that long, so that a trial call that never returns cannot hold the
    breaker half-open for ever.
    """

    window_size: int = 20
    minimum_calls: int = 10
    failure_rate_threshold: float = 50.0
    slow_call_rate_threshold: float = 100.0
    slow_call_duration: float = 60.0
    wait_in_open: float = 30.0
    permitted_calls_in_half_open: int = 3
    max_wait_in_half_open: float = 0.0

    def __post_init__(self) -> None:
        if self.window_size < 1 or self.minimum_calls < 1:
            raise ValueError(
                f"window_size and minimum_calls must be at least 1, got {self.window_size} "
                f"and {self.minimum_calls}"
            )
        for key in ("failure_rate_threshold", "slow_call_rate_threshold"):
            value = getattr(self, key)
            if not 0 < value <= 100:
                raise ValueError(f"{key} is a percentage in (0, 100], got {value}")
        if self.slow_call_duration <= 0:
            raise ValueError(f"slow_call_duration must be positive, got {self.slow_call_duration}")
        if self.wait_in_open < 0 or self.max_wait_in_half_open < 0:
            raise ValueError("wait_in_open and max_wait_in_half_open must not be negative")
        if self.permitted_calls_in_half_open < 1:
            raise ValueError(
                "permitted_calls_in_half_open must be at least 1, got "
                f"{self.permitted_calls_in_half_open}"
            )


@dataclass(frozen=True, slots=True)
class BreakerMetrics:
    """A snapshot for dashboards: totals since the breaker was made, and the current window.

    ``failure_rate`` and ``slow_call_rate`` are percentages over the calls in the current
    window (the trial calls while half-open), or None until enough calls were made to
    judge. ``calls`` counts recorded outcomes only; refused calls are ``rejected``.
    """

    name: str
    state: State
    calls: int
    failures: int
    slow_calls: int
    rejected: int
    buffered_calls: int
    failure_rate: float | None
    slow_call_rate: float | None


class Permit:
    """Leave to make one call, handed back to :meth:`CircuitBreaker.record` once.

    It remembers which episode of the breaker admitted it, so that a call admitted before
    the breaker changed state cannot sway the new state's decision.
    """

    __slots__ = ("_spent", "epoch", "state")

    def __init__(self, state: State, epoch: int) -> None:
        self.state = state
        self.epoch = epoch
        self._spent = False

    def __repr__(self) -> str:
        return f"Permit(state={self.state}, epoch={self.epoch}, spent={self._spent})"


class _Window:
    """Outcomes of the last N calls with running counts, so a rate costs O(1)."""

    __slots__ = ("_outcomes", "failures", "size", "slow")

    def __init__(self, size: int) -> None:
        self.size = size
        self._outcomes: deque[tuple[bool, bool]] = deque()
        self.failures = 0
        self.slow = 0

    def __len__(self) -> int:
        return len(self._outcomes)

    def add(self, failed: bool, slow: bool) -> None:
        if len(self._outcomes) == self.size:
            old_failed, old_slow = self._outcomes.popleft()
            self.failures -= old_failed
            self.slow -= old_slow
        self._outcomes.append((failed, slow))
        self.failures += failed
        self.slow += slow

    def rates(self, minimum: int) -> tuple[float, float] | None:
        n = len(self._outcomes)
        if n < minimum:
            return None
        return 100.0 * self.failures / n, 100.0 * self.slow / n


class CircuitBreaker:
    """Refuses calls to a reader that has been failing, until trial calls show it recovered.

    CLOSED: every call is admitted; once the window holds ``minimum_calls`` outcomes, a
    failure rate or slow-call rate at or above its threshold opens the breaker. OPEN: calls
    are refused with :class:`CircuitOpen` until ``wait_in_open`` has passed; the next
    :meth:`acquire` then moves to HALF_OPEN. HALF_OPEN: ``permitted_calls_in_half_open``
    trial calls are admitted, the rest refused; when every trial call has been recorded,
    their rates decide CLOSED (with an empty window) or OPEN again.

    Which exceptions count as failures is ``is_failure``'s call; as in resilience4j, an
    exception it does not count is recorded as a success. A BaseException that is not an
    Exception (cancellation, KeyboardInterrupt) says nothing about the reader: its permit
    is released unrecorded.

    Listeners run under the breaker's lock, so they see transitions in order; they must
    be quick, and must not wait on another thread that uses this breaker.
    """

    def __init__(
        self,
        name: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        is_failure: Callable[[Exception], bool] = _every_exception,
        listeners: tuple[StateListener, ...] = (),
    ) -> None:
        self.name = name
        self.settings = settings if settings is not None else BreakerSettings()
        self._clock = clock
        self._is_failure = is_failure
        self._listeners = list(listeners)
        self._lock = threading.RLock()
        s = self.settings
        self._minimum = min(s.minimum_calls, s.window_size)
        self._state = State.CLOSED
        self._epoch = 0
        self._window = _Window(s.window_size)
        self._open_until = 0.0
        self._half_open_since = 0.0
        self._trial_left = 0
        self._calls = 0
        self._failures = 0
        self._slow_calls = 0
        self._rejected = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state})"

    @property
    def state(self) -> State:
        with self._lock:
            self._expire_half_open(self._clock())
            return self._state

    def add_listener(self, listener: StateListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def is_failure(self, exc: Exception) -> bool:
        """Whether ``exc`` counts against the reader (the predicate given at construction)."""
        return self._is_failure(exc)

    def acquire(self) -> Permit:
        """Admit one call or raise :class:`CircuitOpen`; hand the permit to :meth:`record`."""
        with self._lock:
            now = self._clock()
            self._expire_half_open(now)
            if self._state is State.OPEN:
                if now < self._open_until:
                    self._rejected += 1
                    raise CircuitOpen(reader=self.name, retry_in=self._open_until - now)
                self._transition(State.HALF_OPEN, now)
            if self._state is State.HALF_OPEN:
                if self._trial_left == 0:
                    self._rejected += 1
                    raise CircuitOpen(reader=self.name, retry_in=0.0, half_open=True)
                self._trial_left -= 1
            return Permit(self._state, self._epoch)

    def record(self, permit: Permit, duration: float, ok: bool) -> None:
        """Count one finished call; ``duration`` in seconds decides whether it was slow."""
        with self._lock:
            self._spend(permit)
            now = self._clock()
            slow = duration > self.settings.slow_call_duration
            self._calls += 1
            self._failures += not ok
            self._slow_calls += slow
            self._expire_half_open(now)
            if permit.epoch != self._epoch:
                return  # admitted under an earlier state: counted, but it decides nothing
            self._window.add(not ok, slow)
            if self._state is State.HALF_OPEN:
                if len(self._window) < self.settings.permitted_calls_in_half_open:
                    return
                self._decide(now, self._window.rates(self.settings.permitted_calls_in_half_open))
            else:
                self._decide(now, self._window.rates(self._minimum))

    def release(self, permit: Permit) -> None:
        """Give back a permit whose call said nothing about the reader (it was cancelled).

        A half-open trial slot it held is freed for another trial call.
        """
        with self._lock:
            self._spend(permit)
            self._expire_half_open(self._clock())
            if permit.epoch == self._epoch and self._state is State.HALF_OPEN:
                self._trial_left += 1

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a block as one call: ``with breaker.guard(): ...`` or ``@breaker.guard()``.

        The block's duration is read from the breaker's clock.
        """
        permit = self.acquire()
        start = self._clock()
        try:
            yield
        except Exception as exc:
            self.record(permit, self._clock() - start, ok=not self._is_failure(exc))
            raise
        except BaseException:
            self.release(permit)
            raise
        self.record(permit, self._clock() - start, ok=True)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.guard():
            return fn(*args, **kwargs)

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self.guard():
            return await fn(*args, **kwargs)

    def metrics(self) -> BreakerMetrics:
        with self._lock:
            self._expire_half_open(self._clock())
            minimum = (
                self.settings.permitted_calls_in_half_open
                if self._state is State.HALF_OPEN
                else self._minimum
            )
            rates = self._window.rates(minimum)
            return BreakerMetrics(
                name=self.name,
                state=self._state,
                calls=self._calls,
                failures=self._failures,
                slow_calls=self._slow_calls,
                rejected=self._rejected,
                buffered_calls=len(self._window),
                failure_rate=None if rates is None else rates[0],
                slow_call_rate=None if rates is None else rates[1],
            )

    # --- under the lock -------------------------------------------------------------

    def _spend(self, permit: Permit) -> None:
        if permit._spent:
            raise RuntimeError(f"{permit!r} was already recorded or released")
        permit._spent = True

    def _expire_half_open(self, now: float) -> None:
        limit = self.settings.max_wait_in_half_open
        if self._state is State.HALF_OPEN and limit > 0 and now - self._half_open_since >= limit:
            self._transition(State.OPEN, now)

    def _decide(self, now: float, rates: tuple[float, float] | None) -> None:
        s = self.settings
        if rates is not None:
            failure_rate, slow_rate = rates
            if failure_rate >= s.failure_rate_threshold or slow_rate >= s.slow_call_rate_threshold:
                self._transition(State.OPEN, now)
                return
        if self._state is State.HALF_OPEN:
            self._transition(State.CLOSED, now)

    def _transition(self, new: State, now: float) -> None:
        old = self._state
        self._state = new
        self._epoch += 1
        self._window = _Window(
            self.settings.permitted_calls_in_half_open
            if new is State.HALF_OPEN
            else self.settings.window_size
        )
        if new is State.OPEN:
            self._open_until = now + self.settings.wait_in_open
        elif new is State.HALF_OPEN:
            self._half_open_since = now
            self._trial_left = self.settings.permitted_calls_in_half_open
        level = logging.WARNING if new is State.OPEN else logging.INFO
        log.log(level, "reader %s: circuit %s -> %s", self.name, old, new)
        for listener in self._listeners:
            try:
                listener(self.name, old, new)
            except Exception:
                # A broken metrics hook must not turn a reader call into a failure.
                log.exception("circuit listener %r failed on %s -> %s", listener, old, new)
