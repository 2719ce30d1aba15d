"""OpenTelemetry spans of a run over OTLP/HTTP, free when no collector is configured.

A run opens a ``foureyes.sample`` span per sampled frame and a ``foureyes.read`` span per
model call inside it. Without an endpoint :data:`NOOP` answers every call with the same
preallocated objects and the OpenTelemetry SDK is never imported, so call sites need no
``if`` and pay one method call. With one, :func:`start_tracing` builds a private
``TracerProvider`` (never the global one: two runs in one process must not mix) whose
bounded batch queue drops spans rather than block the reading thread, and whose export
failures are at most a rate-limited warning: a lost span must never cost a reading.

Spans nest through OpenTelemetry's context, which is per thread: a span is opened on the
thread that waits for the work (a reader call's timeout worker runs inside its span).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import metadata
from typing import TYPE_CHECKING

from foureyes.errors import redact_url

if TYPE_CHECKING:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span as OtelSpan

__all__ = ["NOOP", "AttributeValue", "Span", "Tracer", "start_tracing"]

AttributeValue = str | int | float | bool | None

log = logging.getLogger(__name__)

TRACES_PATH = "/v1/traces"
QUEUE_SIZE = 2048  # spans waiting for export; beyond it new ones are dropped, never waited for
EXPORT_TIMEOUT = 5.0  # seconds one export may take, retries included
# Where the SDK logs export failures (as ERROR, on every retry).
_OTEL_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.sdk._shared_internal",
)


class Span:
    """An open span's handle; this one, handed out while tracing is off, keeps nothing."""

    __slots__ = ()

    def set(self, key: str, value: AttributeValue) -> None:
        """Add what is known only once the work is done: the outcome, the value read."""


_NOOP_CONTEXT: AbstractContextManager[Span] = nullcontext(Span())  # reused by every call


class Tracer:
    """What call sites hold; this base class, :data:`NOOP`, records and allocates nothing."""

    __slots__ = ()

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded: not when off, nor once closed."""
        return False

    def span(self, name: str, **attributes: AttributeValue) -> AbstractContextManager[Span]:
        """A span around a ``with`` block, child of this thread's open span.

        An exception escaping the block marks the span failed and still propagates. ``None``
        attribute values are left out, so optional facts can be passed unconditionally.
        """
        return _NOOP_CONTEXT

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued, waiting at most ``timeout`` seconds; later spans are dropped."""

    def __enter__(self) -> Tracer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


NOOP = Tracer()


class _LiveSpan(Span):
    __slots__ = ("_span",)

    def __init__(self, span: OtelSpan) -> None:
        self._span = span

    def set(self, key: str, value: AttributeValue) -> None:
        if value is not None:
            self._span.set_attribute(key, value)


class _ExportingTracer(Tracer):
    __slots__ = ("_closed", "_exporter", "_lock", "_provider", "_tracer")

    def __init__(self, provider: TracerProvider, exporter: OTLPSpanExporter) -> None:
        self._provider = provider
        self._exporter = exporter
        self._tracer = provider.get_tracer("foureyes")
        self._lock = threading.Lock()
        self._closed = False

    @property
    def enabled(self) -> bool:
        return not self._closed

    def span(self, name: str, **attributes: AttributeValue) -> AbstractContextManager[Span]:
        return _NOOP_CONTEXT if self._closed else self._open(name, attributes)

    @contextmanager
    def _open(self, name: str, attributes: dict[str, AttributeValue]) -> Iterator[Span]:
        attrs = {k: v for k, v in attributes.items() if v is not None}
        # The SDK records an escaping exception, sets status ERROR, and re-raises it.
        with self._tracer.start_as_current_span(name, attributes=attrs) as span:
            yield _LiveSpan(span)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        # The SDK's shutdown waits up to 30 s on a dead collector; ours is bounded.
        closing = threading.Thread(
            target=self._provider.shutdown, name="foureyes-traces-close", daemon=True
        )
        closing.start()
        closing.join(timeout)
        if closing.is_alive():
            log.warning("traces not sent within %.1f s were dropped", timeout)
            self._exporter.shutdown()  # type: ignore[no-untyped-call]  # ends retry waits


class _QuietExportLog(logging.Filter):
    """Demote the SDK's export errors to warnings, one per kind a minute, URLs redacted.

    A collector that is down for an hour would otherwise log an error every few seconds
    into the run's console and decision log, for spans nobody is waiting for.
    """

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self._every = every
        self._last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now, key = time.monotonic(), (record.name, record.msg)
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            return False
        self._last[key] = now
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} {record.exc_info[1]!r}"
        record.msg, record.args = redact_url(message), ()
        record.exc_info = record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_QUIET = _QuietExportLog()


def _traces_url(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def _version() -> str:
    try:
        return metadata.version("foureyes")
    except metadata.PackageNotFoundError:
        return "unknown"


def start_tracing(
    endpoint: str | None,
    *,
    headers: Mapping[str, str] | None = None,
    service_name: str = "foureyes",
    resource: Mapping[str, str] | None = None,
) -> Tracer:
    """A tracer exporting to ``endpoint`` (``http://host:4318``, ``/v1/traces`` optional).

    Without an endpoint, :data:`NOOP`. ``resource`` adds attributes shared by every span of
    the run (run id, source). Close the tracer, or use it as a context manager, to send
    the last spans.
    """
    if not endpoint:
        return NOOP
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    for name in _OTEL_LOGGERS:
        if _QUIET not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(_QUIET)
    url = _traces_url(endpoint)
    attrs = {**(resource or {}), "service.name": service_name, "service.version": _version()}
    # shutdown_on_exit=False: an atexit flush to a dead collector would hold exit for 30 s.
    provider = TracerProvider(resource=Resource.create(attrs), shutdown_on_exit=False)
    exporter = OTLPSpanExporter(endpoint=url, headers=dict(headers or {}), timeout=EXPORT_TIMEOUT)
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=QUEUE_SIZE))
    log.info("tracing to %s", redact_url(url))
    return _ExportingTracer(provider, exporter)
