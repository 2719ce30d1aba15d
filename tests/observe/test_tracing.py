"""Tracing against a real OTLP/HTTP collector in the test process, decoded with OTel's protos."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from receivers import Collector, attributes

from foureyes.observe.tracing import NOOP, Tracer, start_tracing


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_spans_arrive_with_names_attributes_and_resource(collector: Collector) -> None:
    """Span names, call-time and after-the-fact attributes, and the run's resource arrive."""
    tracer = start_tracing(
        collector.url, service_name="fe-test", resource={"foureyes.run_id": "r1"}
    )
    assert tracer.enabled
    with tracer.span("foureyes.sample", frame=7, stream_ts=3.5, source=None) as span:
        span.set("outcome", "ok")
        span.set("skipped", None)
    tracer.close()
    spans = collector.wait(1)
    assert attributes(spans["foureyes.sample"].attributes) == {
        "frame": 7,
        "stream_ts": 3.5,
        "outcome": "ok",
    }
    resource, _ = collector.spans[0]
    assert resource["service.name"] == "fe-test"
    assert resource["foureyes.run_id"] == "r1"
    assert resource["service.version"]


def test_read_span_is_child_of_sample_span(collector: Collector) -> None:
    """A read opened inside a sample is its child, in the sample's trace."""
    with (
        start_tracing(collector.url) as tracer,
        tracer.span("foureyes.sample"),
        tracer.span("foureyes.read", meter="grand"),
    ):
        pass
    spans = collector.wait(2)
    sample, read = spans["foureyes.sample"], spans["foureyes.read"]
    assert read.parent_span_id == sample.span_id
    assert read.trace_id == sample.trace_id
    assert not sample.parent_span_id


def test_exception_marks_span_error_and_reraises(collector: Collector) -> None:
    """An exception leaving the block fails the span, is recorded on it, and still propagates."""
    tracer = start_tracing(collector.url)
    with pytest.raises(ValueError, match="blurry"), tracer.span("foureyes.read"):
        raise ValueError("blurry crop")
    tracer.close()
    span = collector.wait(1)["foureyes.read"]
    assert span.status.code == Status.STATUS_CODE_ERROR
    (event,) = span.events
    assert event.name == "exception"
    assert attributes(event.attributes)["exception.type"] == "ValueError"


@pytest.mark.parametrize("suffix", ["", "/", "/v1/traces", "/v1/traces/"])
def test_base_or_full_endpoint_and_headers_reach_the_collector(
    collector: Collector, suffix: str
) -> None:
    """The base URL or the full traces URL both work, and configured headers are sent."""
    tracer = start_tracing(collector.url + suffix, headers={"Authorization": "Bearer s3cret"})
    with tracer.span("foureyes.sample"):
        pass
    tracer.close()
    assert "foureyes.sample" in collector.wait(1)
    assert collector.headers[0]["authorization"] == "Bearer s3cret"


def test_two_tracers_do_not_mix(collector: Collector) -> None:
    """Each tracer has its own provider: spans go to its collector, the global one is untouched."""
    from opentelemetry import trace

    dead = start_tracing(f"http://127.0.0.1:{closed_port()}")
    live = start_tracing(collector.url, resource={"foureyes.run_id": "live"})
    with dead.span("dead"), live.span("live"):
        pass
    live.close()
    dead.close(timeout=0.5)
    assert set(collector.wait(1)) == {"live"}
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"


@pytest.mark.parametrize("endpoint", [None, ""])
def test_no_endpoint_is_the_shared_noop(endpoint: str | None) -> None:
    """Without an endpoint every span call hands back the same preallocated objects."""
    tracer = start_tracing(endpoint)
    assert tracer is NOOP
    assert not tracer.enabled
    assert tracer.span("a") is tracer.span("b", frame=1)
    with tracer.span("foureyes.sample") as span:
        span.set("outcome", "ok")
    with pytest.raises(KeyError), tracer.span("foureyes.read"):
        raise KeyError("still raised")
    tracer.close()


def test_no_endpoint_imports_no_opentelemetry() -> None:
    """Tracing off imports nothing of OpenTelemetry, so it costs nothing at start-up."""
    script = """
import sys
from foureyes.observe.tracing import start_tracing
tracer = start_tracing(None)
with tracer.span("foureyes.sample", frame=1) as span:
    span.set("outcome", "ok")
tracer.close()
loaded = [m for m in sys.modules if m.startswith("opentelemetry")]
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:{dead}",  # connection refused: retried, then given up on close
        "http://user:hunter2@127.0.0.1:{dead}/v1/traces",
        "{live}/not-otlp",  # answers 404: the SDK logs a failed export as ERROR
    ],
)
def test_failed_export_neither_raises_nor_logs_errors_or_secrets(
    collector: Collector, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Spans a collector cannot take are dropped quietly: no exception, nothing above a
    warning, no credentials or header values in the log."""
    caplog.set_level(logging.DEBUG)
    tracer: Tracer = start_tracing(
        endpoint.format(dead=closed_port(), live=collector.url),
        headers={"Authorization": "Bearer s3cret"},
    )
    for frame in range(100):
        with tracer.span("foureyes.sample", frame=frame), tracer.span("foureyes.read"):
            pass
    tracer.close(timeout=0.5)
    tracer.close(timeout=0.5)
    assert not tracer.enabled
    assert all(r.levelno <= logging.WARNING for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "hunter2" not in text
    assert "s3cret" not in text
