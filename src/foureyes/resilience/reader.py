"""Readers that survive a failing model: a guarded wrapper and an ordered fallback chain.

:class:`ResilientReader` puts one reader behind a circuit breaker, a per-attempt timeout
and retries; :class:`FallbackReader` asks a list of them in order, so that a second model
serves while the first is down. Both follow the Reader protocol, so a pipeline takes them
like any reader.

The breaker counts each attempt, not each read: every attempt is a real call to the model
and says something about its health. A read that needed two retries to succeed thus
shows as two failures and a success, which is what a flaky model looks like; and once
failed attempts open the breaker, the next retry is refused at once instead of calling a
model known to be failing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import NoReturn, Self

import tenacity

from foureyes.errors import AllReadersFailed, CircuitOpen, ReaderError, ReaderTimeout
from foureyes.model import Image, RawRead
from foureyes.observe.tracing import NOOP, Tracer
from foureyes.readers.base import Reader, close_all
from foureyes.resilience.breaker import BreakerMetrics, CircuitBreaker, State
from foureyes.resilience.policy import CallPolicy, TimeoutRunner, is_transient, retrying

__all__ = ["FallbackReader", "FallbackStats", "ReaderStats", "ResilientReader"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReaderStats:
    """One reader's health since it was made, for logs and metrics.

    ``calls`` and ``failures`` count reads (a failure is a read that raised after its
    retries); ``attempts``, ``retries``, ``timeouts``, ``garbage`` (results that broke the
    protocol) and ``rejected`` (refused by the open breaker) count attempts.
    ``latencies`` are the seconds of the last completed attempts, oldest first.
    """

    name: str
    state: State
    calls: int
    failures: int
    attempts: int
    retries: int
    timeouts: int
    garbage: int
    rejected: int
    latencies: tuple[float, ...]
    breaker: BreakerMetrics


@dataclass(frozen=True, slots=True)
class FallbackStats:
    """A fallback chain's reads, the reads no reader could serve, and each reader's stats."""

    name: str
    calls: int
    all_failed: int
    readers: tuple[ReaderStats, ...]


class ResilientReader:
    """One reader behind a circuit breaker, a per-attempt timeout and retries.

    A read goes: breaker.acquire (refused at once while the breaker is open) → the inner
    read on a worker thread, waited for at most ``policy.timeout`` → a check that the
    result is one RawRead per crop → breaker.record; transient failures are tried again
    after a jittered backoff. A result that breaks the protocol is a ReaderError and not
    retried: the same crops give the same garbage. Transient errors that are not
    ReaderErrors (OSError and kin) are re-raised, after the last attempt, as ReaderError,
    as the Reader protocol promises; other exceptions are bugs and propagate as they are.

    ``workers`` is how many reads may run at once; reads beyond it queue for a worker
    thread, and the queue counts against their timeout. The breaker defaults to one named
    after the reader, on ``clock``; pass ``breaker`` to tune its settings.

    ``warmup`` calls the inner reader directly, without timeout or breaker: a model that
    cannot load should stop the run with its own error before anything is written.
    ``relabel`` names every RawRead after this wrapper (a config's endpoint name), even one
    the model named itself.
    """

    def __init__(
        self,
        inner: Reader,
        *,
        name: str | None = None,
        policy: CallPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        workers: int = 1,
        latency_window: int = 100,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        relabel: bool = False,
        tracer: Tracer = NOOP,
    ) -> None:
        self.name = name if name is not None else inner.name
        self._tracer = tracer
        self._relabel = relabel
        self.inner = inner
        self.policy = policy if policy is not None else CallPolicy()
        self.breaker = breaker if breaker is not None else CircuitBreaker(self.name, clock=clock)
        self._clock = clock
        self._sleep = sleep
        self._runner = (
            None
            if self.policy.timeout is None
            else TimeoutRunner(
                name=self.name,
                timeout=self.policy.timeout,
                max_abandoned=self.policy.max_abandoned,
                workers=workers,
            )
        )
        self._lock = threading.Lock()
        self._closed = False
        self._calls = 0
        self._failures = 0
        self._attempts = 0
        self._retries = 0
        self._timeouts = 0
        self._garbage = 0
        self._rejected = 0
        self._latencies: deque[float] = deque(maxlen=latency_window)

    def __repr__(self) -> str:
        return f"ResilientReader({self.inner!r}, name={self.name!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def warmup(self) -> None:
        self.inner.warmup()

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"reader {self.name} is closed")
            self._calls += 1
        if not crops:
            return []
        retrier = retrying(self.policy, sleep=self._sleep, before_sleep=self._before_retry)
        with self._tracer.span("foureyes.read", reader=self.name, crops=len(crops)) as span:
            try:
                reads = retrier(self._attempt, crops)
            except Exception as exc:
                span.set("outcome", type(exc).__name__)
                with self._lock:
                    self._failures += 1
                if not isinstance(exc, ReaderError) and is_transient(exc):
                    raise ReaderError(
                        f"{type(exc).__name__}: {exc} (after {self.policy.retries + 1} attempts)",
                        reader=self.name,
                    ) from exc
                raise
            span.set("outcome", "ok")
            return reads

    def close(self) -> None:
        """Close the inner reader; a call abandoned after a timeout may still be running."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._runner is not None:
            self._runner.close()
        self.inner.close()

    def stats(self) -> ReaderStats:
        breaker = self.breaker.metrics()
        with self._lock:
            return ReaderStats(
                name=self.name,
                state=breaker.state,
                calls=self._calls,
                failures=self._failures,
                attempts=self._attempts,
                retries=self._retries,
                timeouts=self._timeouts,
                garbage=self._garbage,
                rejected=self._rejected,
                latencies=tuple(self._latencies),
                breaker=breaker,
            )

    def _attempt(self, crops: Sequence[Image]) -> list[RawRead]:
        with self._lock:
            self._attempts += 1
        try:
            permit = self.breaker.acquire()
        except CircuitOpen:
            with self._lock:
                self._rejected += 1
            raise
        start = self._clock()
        try:
            if self._runner is None:
                result = self.inner.read(crops)
            else:
                result = self._runner.run(self.inner.read, crops)
            reads = self._check(result, len(crops))
        except Exception as exc:
            elapsed = self._clock() - start
            self.breaker.record(permit, elapsed, ok=not self.breaker.is_failure(exc))
            self._finished(elapsed, timeout=isinstance(exc, ReaderTimeout))
            raise
        except BaseException:
            self.breaker.release(permit)
            raise
        elapsed = self._clock() - start
        self.breaker.record(permit, elapsed, ok=True)
        self._finished(elapsed)
        return reads

    def _check(self, result: object, expected: int) -> list[RawRead]:
        """The inner reader's result as one RawRead per crop naming who read it, or an error.

        A model that answers with the wrong count would shift every meter's value onto its
        neighbour, so the result is refused rather than trimmed or padded.
        """
        if not isinstance(result, list | tuple):
            self._refuse(f"returned a {type(result).__name__} instead of a list of RawRead", result)
        if len(result) != expected:
            self._refuse(f"returned {len(result)} results for {expected} crops", result)
        wrong = sorted({type(r).__name__ for r in result if not isinstance(r, RawRead)})
        if wrong:
            self._refuse(f"returned {', '.join(wrong)} where RawRead belongs", result)
        return [
            r if r.reader and not self._relabel else dataclasses.replace(r, reader=self.name)
            for r in result
        ]

    def _refuse(self, problem: str, result: object) -> NoReturn:
        with self._lock:
            self._garbage += 1
        raise ReaderError(
            f"{problem}; the reader breaks the Reader protocol (one RawRead per crop, "
            "in order): fix or replace it",
            reader=self.name,
            response=repr(result)[:10_000],
        )

    def _finished(self, elapsed: float, *, timeout: bool = False) -> None:
        with self._lock:
            self._latencies.append(elapsed)
            self._timeouts += timeout

    def _before_retry(self, state: tenacity.RetryCallState) -> None:
        with self._lock:
            self._retries += 1
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "reader %s: attempt %d failed (%s); trying again in %.2f s",
            self.name,
            state.attempt_number,
            error,
            wait,
        )


class FallbackReader:
    """Reads with the first reader of a list that can, so a second model covers the first.

    A reader whose breaker is open refuses at once, so while the first model is down
    every read goes straight to the next without waiting. Only ReaderErrors (which the
    resilient readers raise for every failure of a model) move on to the next reader; any
    other exception is a bug and propagates rather than being served around. Each RawRead
    names the reader that served it. ``warmup`` succeeds when at least one reader warms up.
    """

    def __init__(self, readers: Sequence[ResilientReader], *, name: str | None = None) -> None:
        if not readers:
            raise ValueError("a FallbackReader needs at least one reader")
        names = [r.name for r in readers]
        if len(set(names)) != len(names):
            raise ValueError(f"the readers of a FallbackReader need distinct names, got {names}")
        self.readers = tuple(readers)
        self.name = name if name is not None else "|".join(names)
        self._lock = threading.Lock()
        self._calls = 0
        self._all_failed = 0

    def __repr__(self) -> str:
        return f"FallbackReader({list(self.readers)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def warmup(self) -> None:
        errors: dict[str, Exception] = {}
        for reader in self.readers:
            try:
                reader.warmup()
            except ReaderError as exc:
                errors[reader.name] = exc
                log.warning(
                    "reader %s did not warm up, its fallbacks will serve: %s", reader.name, exc
                )
        if len(errors) == len(self.readers):
            raise AllReadersFailed(errors, reader=self.name)

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        with self._lock:
            self._calls += 1
        errors: dict[str, Exception] = {}
        for reader in self.readers:
            try:
                return reader.read(crops)
            except ReaderError as exc:
                errors[reader.name] = exc
                level = logging.DEBUG if isinstance(exc, CircuitOpen) else logging.WARNING
                log.log(level, "reader %s failed, trying the next: %s", reader.name, exc)
        with self._lock:
            self._all_failed += 1
        raise AllReadersFailed(errors, reader=self.name)

    def close(self) -> None:
        """Close every reader, even if closing one fails; the first error is raised after."""
        close_all(self.readers)

    def stats(self) -> FallbackStats:
        readers = tuple(r.stats() for r in self.readers)
        with self._lock:
            return FallbackStats(
                name=self.name, calls=self._calls, all_failed=self._all_failed, readers=readers
            )
