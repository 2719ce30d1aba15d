"""Tracing against a real OTLP/HTTP receiver in the test process, decoded with OTel's protos."""

from __future__ import annotations

import gzip
import logging
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from foureyes.observe.tracing import NOOP, Tracer, start_tracing

DECODE = {"gzip": gzip.decompress, "deflate": zlib.decompress}


def attributes(pairs: Any) -> dict[str, Any]:
    """KeyValue protos as a plain dict of their set values."""
    out = {}
    for kv in pairs:
        assert isinstance(kv, KeyValue)
        out[kv.key] = getattr(kv.value, kv.value.WhichOneof("value"))
    return out


@dataclass
class Receiver:
    """What a collector saw: each span with its resource's attributes, and request headers."""

    url: str
    spans: list[tuple[dict[str, Any], SpanProto]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, count: int, limit: float = 10.0) -> dict[str, SpanProto]:
        """The spans received by name, once ``count`` arrived or ``limit`` seconds passed."""
        deadline = time.monotonic() + limit
        while len(self.spans) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        with self.lock:
            return {s.name: s for _, s in self.spans}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An OTLP/HTTP collector on a free local port, answering as a real one does."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            body = DECODE.get(self.headers.get("Content-Encoding", ""), bytes)(body)
            if self.path != "/v1/traces":
                self.send_error(404)
                return
            request = ExportTraceServiceRequest.FromString(body)
            with found.lock:
                found.headers.append({k.lower(): v for k, v in self.headers.items()})
                for rs in request.resource_spans:
                    res = attributes(rs.resource.attributes)
                    found.spans += [(res, s) for ss in rs.scope_spans for s in ss.spans]
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(5)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_spans_arrive_with_names_attributes_and_resource(receiver: Receiver) -> None:
    """Span names, call-time and after-the-fact attributes, and the run's resource arrive."""
    tracer = start_tracing(receiver.url, service_name="fe-test", resource={"foureyes.run_id": "r1"})
    assert tracer.enabled
    with tracer.span("foureyes.sample", frame=7, stream_ts=3.5, source=None) as span:
        span.set("outcome", "ok")
        span.set("skipped", None)
    tracer.close()
    spans = receiver.wait(1)
    assert attributes(spans["foureyes.sample"].attributes) == {
        "frame": 7,
        "stream_ts": 3.5,
        "outcome": "ok",
    }
    resource, _ = receiver.spans[0]
    assert resource["service.name"] == "fe-test"
    assert resource["foureyes.run_id"] == "r1"
    assert resource["service.version"]


def test_read_span_is_child_of_sample_span(receiver: Receiver) -> None:
    """A read opened inside a sample, on this thread or a worker given ``parent``, is its child."""
    with start_tracing(receiver.url) as tracer, tracer.span("foureyes.sample"):
        with tracer.span("foureyes.read", meter="grand"):
            pass
        parent = tracer.current()

        def worker() -> None:
            with tracer.span("foureyes.read.worker", parent=parent):
                pass

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    spans = receiver.wait(3)
    sample = spans["foureyes.sample"]
    for name in ("foureyes.read", "foureyes.read.worker"):
        assert spans[name].parent_span_id == sample.span_id
        assert spans[name].trace_id == sample.trace_id
    assert not sample.parent_span_id


def test_exception_marks_span_error_and_reraises(receiver: Receiver) -> None:
    """An exception leaving the block fails the span, is recorded on it, and still propagates."""
    tracer = start_tracing(receiver.url)
    with pytest.raises(ValueError, match="blurry"), tracer.span("foureyes.read"):
        raise ValueError("blurry crop")
    tracer.close()
    span = receiver.wait(1)["foureyes.read"]
    assert span.status.code == Status.STATUS_CODE_ERROR
    (event,) = span.events
    assert event.name == "exception"
    assert attributes(event.attributes)["exception.type"] == "ValueError"


@pytest.mark.parametrize("suffix", ["", "/", "/v1/traces", "/v1/traces/"])
def test_base_or_full_endpoint_and_headers_reach_the_collector(
    receiver: Receiver, suffix: str
) -> None:
    """The base URL or the full traces URL both work, and configured headers are sent."""
    tracer = start_tracing(receiver.url + suffix, headers={"Authorization": "Bearer s3cret"})
    with tracer.span("foureyes.sample"):
        pass
    tracer.close()
    assert "foureyes.sample" in receiver.wait(1)
    assert receiver.headers[0]["authorization"] == "Bearer s3cret"


def test_two_tracers_do_not_mix(receiver: Receiver) -> None:
    """Each tracer has its own provider: spans go to its collector, the global one is untouched."""
    from opentelemetry import trace

    dead = start_tracing(f"http://127.0.0.1:{closed_port()}")
    live = start_tracing(receiver.url, resource={"foureyes.run_id": "live"})
    with dead.span("dead"), live.span("live"):
        pass
    live.close()
    dead.close(timeout=0.5)
    assert set(receiver.wait(1)) == {"live"}
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"


@pytest.mark.parametrize("endpoint", [None, ""])
def test_no_endpoint_is_the_shared_noop(endpoint: str | None) -> None:
    """Without an endpoint every span call hands back the same preallocated objects."""
    tracer = start_tracing(endpoint)
    assert tracer is NOOP
    assert not tracer.enabled
    assert tracer.span("a") is tracer.span("b", parent=tracer.current(), frame=1)
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
    receiver: Receiver, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Spans a collector cannot take are dropped quietly: no exception, nothing above a
    warning, no credentials or header values in the log."""
    caplog.set_level(logging.DEBUG)
    tracer: Tracer = start_tracing(
        endpoint.format(dead=closed_port(), live=receiver.url),
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
