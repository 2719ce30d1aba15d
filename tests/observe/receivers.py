"""Real receivers on localhost for what FourEyes sends out: an OTLP/HTTP collector
(decoded with OpenTelemetry's own protos) and a webhook endpoint with scripted answers."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

DECODE = {"gzip": gzip.decompress, "deflate": zlib.decompress}


def attributes(pairs: Any) -> dict[str, Any]:
    """KeyValue protos as a plain dict of their set values."""
    out = {}
    for kv in pairs:
        assert isinstance(kv, KeyValue)
        out[kv.key] = getattr(kv.value, kv.value.WhichOneof("value"))
    return out


@dataclass
class Collector:
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


def start_collector() -> Iterator[Collector]:
    """An OTLP/HTTP collector on a free local port, answering as a real one does, until
    the generator is closed."""

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
    found = Collector(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(5)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTs and answers from a script."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.script: deque[int] = deque()  # status codes to answer, then ``otherwise``
        self.otherwise = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.bodies.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                    code = receiver.script.popleft() if receiver.script else receiver.otherwise
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def posts(self) -> int:
        with self._lock:
            return len(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
