"""Posting alerts to a webhook from a background thread, so a slow receiver never slows a run.

A run raises an alert and moves on: :meth:`WebhookSender.send` only puts the record into
a bounded queue. When the queue is full the oldest record makes room, because during an
outage of the receiver the latest state matters more than the first alerts; drops are
counted. A sender thread posts each record as JSON, retrying what may pass (connection
errors, timeouts, HTTP 429 and 5xx) with exponential backoff and jitter, and giving up
at once on what will not (any other non-2xx answer: a wrong URL or token stays wrong).

The configured headers usually carry a token, so they are never logged, and the URL is
logged only as its origin (a Slack-style hook's path is its token), by us and, through a
filter on its logger, by httpx itself. Closing gives queued records a bounded
time to go out; the waits between attempts end as soon as that time is up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
import tenacity

from foureyes.config import WebhookConfig
from foureyes.errors import url_origin
from foureyes.resilience.policy import backoff

__all__ = ["Outcome", "WebhookSender"]

log = logging.getLogger("foureyes.alerts")

Outcome = Callable[[str, str], None]  # (key, "delivered" | "failed" | "dropped")


class _OriginsOnly(logging.Filter):
    """httpx logs each request's full URL at INFO: keep only origins in what it logs,
    should a user route that logger somewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                url_origin(str(a)) if isinstance(a, httpx.URL) or "://" in str(a) else a
                for a in record.args
            )
        return True


_HTTPX_FILTER = _OriginsOnly()


class _Stopped(Exception):
    """Close ran out of time while a record waited for its next attempt."""


class _Status(Exception):
    """The receiver answered, but not with 2xx."""

    def __init__(self, code: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {code}")
        self.code = code
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.code == 429 or self.code >= 500


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, _Status):
        return exc.transient
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` given in seconds (an HTTP date is rare from hooks: ignored)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class WebhookSender:
    """Posts queued records to ``config.url``; ``on_outcome`` hears how each one ended.

    ``on_outcome`` is called from the sender thread (and from :meth:`send` for a record a
    full queue pushed out), never while the queue's lock is held.
    """

    def __init__(
        self,
        config: WebhookConfig,
        *,
        capacity: int = 1000,
        transport: httpx.BaseTransport | None = None,
        on_outcome: Outcome | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.config = config
        self.capacity = capacity
        self._transport = transport
        self._on_outcome = on_outcome
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._closing = threading.Event()  # deliver what is queued, then stop
        self._stop = threading.Event()  # stop now: close's time is up
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._counts = {"delivered": 0, "failed": 0, "retries": 0, "dropped": 0}
        self._wait = backoff(config.backoff_initial, config.backoff_max, config.backoff_initial)

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return {**self._counts, "queued": len(self._queue)}

    def start(self) -> WebhookSender:
        logging.getLogger("httpx").addFilter(_HTTPX_FILTER)  # (added once)
        if self._closing.is_set():
            raise RuntimeError("a closed webhook sender cannot be started again")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="foureyes-alerts-webhook", daemon=True
            )
            self._thread.start()
        return self

    def send(self, key: str, payload: dict[str, Any]) -> None:
        """Queue ``payload`` for posting; never blocks on the network."""
        dropped: str | None = None
        with self._ready:
            if self._closing.is_set():
                dropped = key
            else:
                if len(self._queue) >= self.capacity:
                    dropped, _ = self._queue.popleft()
                self._queue.append((key, payload))
                self._ready.notify()
            if dropped is not None:
                self._counts["dropped"] += 1
        if dropped is not None:
            log.warning("alert webhook queue full: dropped the oldest alert %s", dropped)
            self._tell(dropped, "dropped")

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued within ``timeout`` seconds, then stop; idempotent.

        What is still queued when the time is up is counted as failed.
        """
        with self._ready:
            if self._closing.is_set():
                return
            self._deadline = time.monotonic() + max(timeout, 0.0)
            self._closing.set()
            self._ready.notify_all()
        if self._thread is not None:
            self._thread.join(max(timeout, 0.0))
            self._stop.set()
            with self._ready:
                self._ready.notify_all()
            # An attempt in flight is bounded by the deadline too; this only lets it end.
            self._thread.join(1.0)
            if self._thread.is_alive():
                log.warning("alert webhook sender still busy after close; left to finish")
        with self._ready:
            left = [key for key, _ in self._queue]
            self._queue.clear()
            self._counts["failed"] += len(left)
        if left:
            log.warning(
                "%d alerts not delivered to %s before close", len(left), url_origin(self.config.url)
            )
        for key in left:
            self._tell(key, "failed")

    # -- the sender thread ----------------------------------------------------------------
    def _run(self) -> None:
        with httpx.Client(
            transport=self._transport,
            timeout=self.config.timeout,
            headers=self.config.headers,
        ) as client:
            while (item := self._take()) is not None:
                key, payload = item
                outcome = self._deliver(client, key, payload)
                with self._lock:
                    self._counts[outcome] += 1
                self._tell(key, outcome)

    def _take(self) -> tuple[str, dict[str, Any]] | None:
        with self._ready:
            while not self._queue and not self._closing.is_set():
                self._ready.wait()
            if self._stop.is_set() or not self._queue:
                return None
            return self._queue.popleft()

    def _deliver(self, client: httpx.Client, key: str, payload: dict[str, Any]) -> str:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.config.retries + 1),
            wait=self._wait_for,
            retry=tenacity.retry_if_exception(_transient),
            sleep=self._sleep,
            reraise=True,
        )
        url = url_origin(self.config.url)
        try:
            retrying(self._post, client, payload)
        except _Stopped:
            log.warning("alert %s: not delivered to %s, closed while retrying", key, url)
        except _Status as exc:
            log.warning("alert %s: %s answered %s; not delivered", key, url, exc)
        except Exception as exc:  # any failure is this record's outcome, not the run's
            # Only the type: an httpx message can quote the URL, credentials and all.
            log.warning("alert %s: posting to %s failed (%s)", key, url, type(exc).__name__)
        else:
            return "delivered"
        return "failed"

    def _post(self, client: httpx.Client, payload: dict[str, Any]) -> None:
        timeout: float = self.config.timeout
        if self._deadline is not None:  # closing: no attempt outlives close's bound
            timeout = min(timeout, max(self._deadline - time.monotonic(), 0.001))
        response = client.post(self.config.url, json=payload, timeout=timeout)
        if not response.is_success:
            raise _Status(response.status_code, _seconds(response.headers.get("retry-after")))

    def _wait_for(self, state: tenacity.RetryCallState) -> float:
        """The backoff, or longer when a 429 or 503 says when to come back (a
        ``Retry-After`` in seconds), up to ``backoff_max``."""
        wait = self._wait(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _Status) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, self.config.backoff_max))
        return wait

    def _sleep(self, seconds: float) -> None:
        """tenacity's sleep, cut short by close; counts the retry that follows."""
        if self._stop.wait(seconds):
            raise _Stopped
        with self._lock:
            self._counts["retries"] += 1

    def _tell(self, key: str, outcome: str) -> None:
        if self._on_outcome is not None:
            self._on_outcome(key, outcome)
