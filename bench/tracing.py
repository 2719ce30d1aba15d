"""What one span costs the reading thread, with tracing off and on.

Times ``--spans`` ``with tracer.span(...)`` enter/exit pairs on one thread, bare and with
the attributes a read span carries (two at call time, one ``set`` after), for the
no-op tracer, a tracer exporting to an OTLP/HTTP receiver in this process, and one
exporting to a closed port. Spans are timed in chunks of 1,000: the median chunk is the
caller's cost, the mean also carries the export thread's encoding competing for the GIL
(and shared CPUs). Prints a markdown table, with how many spans the receiver got: a
burst this size overruns the bounded queue, whose overflow is dropped by design.

    .venv/bin/python bench/tracing.py [--spans 100000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from foureyes.observe.tracing import NOOP, Tracer, start_tracing

received = 0


class Receiver(BaseHTTPRequestHandler):
    """Counts the spans of each export and answers like a collector."""

    def do_POST(self) -> None:
        global received
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        received += sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


def bare(tracer: Tracer, n: int) -> None:
    for _ in range(n):
        with tracer.span("foureyes.read"):
            pass


def attributed(tracer: Tracer, n: int) -> None:
    for i in range(n):
        with tracer.span("foureyes.read", reader="default", crops=i) as span:
            span.set("outcome", "ok")


def ns_per_span(tracer: Tracer, loop: Callable[[Tracer, int], None], n: int) -> list[float]:
    loop(tracer, 1000)  # warm up
    costs = []
    for _ in range(n // 1000):
        t0 = time.perf_counter_ns()
        loop(tracer, 1000)
        costs.append((time.perf_counter_ns() - t0) / 1000)
    return costs


def main() -> None:
    global received
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=100_000)
    n = parser.parse_args().spans
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    targets: dict[str, Callable[[], Tracer]] = {
        "off (NOOP)": lambda: NOOP,
        "on, local receiver": lambda: start_tracing(f"http://127.0.0.1:{server.server_port}"),
        "on, closed port": lambda: start_tracing(f"http://127.0.0.1:{closed}"),
    }
    print(f"{n:,} spans per cell, one thread, ns per span as median chunk / mean\n")
    print("| tracing | bare | 3 attrs + set() | spans received |")
    print("|---|---:|---:|---:|")
    for label, make in targets.items():
        cells, received, sent = [], 0, 0
        for loop in (bare, attributed):
            tracer = make()
            costs = ns_per_span(tracer, loop, n)
            sent += 1000 * (len(costs) + 1)
            cells.append(f"{statistics.median(costs):,.0f} / {statistics.fmean(costs):,.0f}")
            tracer.close(timeout=5.0 if "receiver" in label else 0.5)
        got = f"{received:,} of {sent:,}" if "receiver" in label else "-"
        print(f"| {label} | {cells[0]} | {cells[1]} | {got} |")
    server.shutdown()


if __name__ == "__main__":
    main()
