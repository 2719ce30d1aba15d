"""How long one reader call may take and how often a failed one is tried again.

Retries are for failures that may pass (a model server restarting, a dropped connection,
a call that timed out); a wrong answer or a bug happens again the same way, and an open
circuit already says "not now", so neither is retried. Waits between attempts grow
exponentially with random jitter (tenacity's ``wait_exponential_jitter``), so that readers
failing together do not retry in step.

A synchronous call cannot be interrupted in Python: to time one out it runs on a worker
thread and the caller stops waiting for it. The thread runs on until the model returns,
if ever; it cannot be killed. :class:`TimeoutRunner` therefore counts such abandoned calls
and, once ``max_abandoned`` are still running, fails new calls at once rather than
starting thread after thread for a model that has hung. Its threads are ordinary
``concurrent.futures`` workers, which the interpreter joins at exit: a call that never
returns also delays the exit of the process.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import tenacity

from foureyes.errors import CircuitOpen, ReaderError, ReaderTimeout, TransientReaderError

__all__ = ["CallPolicy", "TimeoutRunner", "backoff", "is_transient", "retrying"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# OSErrors that say something about the machine, not a passing condition: retrying a
# missing model file or a permission error only delays the same error.
_PERMANENT_OS_ERRORS = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may not recur if the same call is made again."""
    if isinstance(exc, CircuitOpen):
        return False
    if isinstance(exc, ReaderError):
        return isinstance(exc, TransientReaderError)
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, _PERMANENT_OS_ERRORS)


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """Per-attempt timeout and retries for one reader (seconds).

    ``timeout`` None calls the reader on the caller's thread with no limit. A read is
    tried at most ``retries + 1`` times; the n-th wait is
    ``min(backoff_initial * 2**(n-1) + uniform(0, jitter), backoff_max)``. The defaults
    suit a local model answering in tens of milliseconds: a read that keeps failing gives
    up after three attempts and well under a second of waiting, so a failing model costs
    a frame, not the run. ``max_abandoned`` bounds the timed-out calls whose threads may
    still be running; with the defaults, a hung model costs two timeouts per read until
    one of them returns, then reads fail at once (and the breaker soon opens).
    """

    timeout: float | None = 10.0
    retries: int = 2
    backoff_initial: float = 0.1
    backoff_max: float = 2.0
    jitter: float = 0.1
    max_abandoned: int = 2

    def __post_init__(self) -> None:
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive or None, got {self.timeout}")
        if self.retries < 0:
            raise ValueError(f"retries must not be negative, got {self.retries}")
        if self.backoff_initial < 0 or self.backoff_max < 0 or self.jitter < 0:
            raise ValueError("backoff_initial, backoff_max and jitter must not be negative")
        if self.max_abandoned < 1:
            raise ValueError(f"max_abandoned must be at least 1, got {self.max_abandoned}")


def retrying(
    policy: CallPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity retrier for ``policy``: call it as ``retrying(policy)(fn, *args)``.

    The last attempt's exception is raised as itself, not wrapped in tenacity's
    RetryError, so callers see the reader's own error.
    """
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.retries + 1),
        wait=backoff(policy.backoff_initial, policy.backoff_max, policy.jitter),
        retry=tenacity.retry_if_exception(is_transient),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def backoff(initial: float, maximum: float, jitter: float) -> tenacity.wait.wait_base:
    """Exponential backoff from ``initial`` to ``maximum`` seconds, plus up to ``jitter``."""
    # Recent tenacity (9.2.1 here) renamed wait_exponential_jitter's ``initial`` to
    # ``multiplier`` and warns on the old name, the only one releases from 8.2 accept.
    return tenacity.wait_exponential_jitter(
        max=maximum, jitter=jitter, **{_jitter_scale_name(): initial}
    )


@functools.cache
def _jitter_scale_name() -> str:
    params = inspect.signature(tenacity.wait_exponential_jitter).parameters
    return "multiplier" if "multiplier" in params else "initial"


class TimeoutRunner:
    """Runs calls on worker threads so that the caller can stop waiting after ``timeout``.

    ``workers`` threads serve calls made at the same time (the pipeline makes one at a
    time); ``max_abandoned`` more may be held by calls that timed out and still run, so
    the pool never grows past ``workers + max_abandoned`` threads. Once that many calls
    are abandoned, :meth:`run` raises a plain (not transient) :class:`ReaderError` without
    starting the call, until one of them returns.
    """

    def __init__(
        self,
        *,
        name: str,
        timeout: float,
        max_abandoned: int = 2,
        workers: int = 1,
    ) -> None:
        if timeout <= 0 or workers < 1 or max_abandoned < 1:
            raise ValueError("timeout must be positive, workers and max_abandoned at least 1")
        self.name = name
        self.timeout = timeout
        self.max_abandoned = max_abandoned
        self._workers = workers
        self._lock = threading.Lock()
        self._abandoned = 0
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def abandoned(self) -> int:
        """Calls that timed out and whose threads have not returned yet."""
        with self._lock:
            return self._abandoned

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the timeout runner of reader {self.name} is closed")
            if self._abandoned >= self.max_abandoned:
                raise ReaderError(
                    f"{self._abandoned} calls that timed out are still running; not starting "
                    "another until one returns (the model looks hung: restart it)",
                    reader=self.name,
                )
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._workers + self.max_abandoned,
                    thread_name_prefix=f"foureyes-reader-{self.name}",
                )
            future = self._pool.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            if not future.cancel():  # it started: its thread is now abandoned
                with self._lock:
                    self._abandoned += 1
                future.add_done_callback(self._returned)
            raise ReaderTimeout(self.timeout, reader=self.name) from None

    def close(self) -> None:
        """Stop taking calls; abandoned calls keep their threads until they return."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _returned(self, future: Future[Any]) -> None:
        with self._lock:
            self._abandoned -= 1
        log.info("reader %s: a call abandoned after its timeout has returned", self.name)
