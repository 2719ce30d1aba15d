"""Prometheus metrics of a run: what it read, how fast, and how healthy each part is.

Names follow Prometheus practice: base units (seconds), ``_total`` counters, labels for
the dimensions a dashboard slices by (meter, status, type, source, reader). Each run has
its own registry, so two pipelines in one process (tests, the Python API) do not mix.
The read-time histogram's buckets reach 120 s because a VLM reader can take that long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from foureyes.model import Event, Reading
from foureyes.resilience.degrade import Level

__all__ = ["READ_BUCKETS", "Metrics"]

READ_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_BREAKER = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    def __init__(self, source: str) -> None:
        self.source = source
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.frames = Counter(
            "foureyes_frames", "Frames decoded from the source.", ["source"], registry=r
        )
        self.samples = Counter(
            "foureyes_samples", "Samples read (frames the meters were read on).", ["source"],
            registry=r,
        )  # fmt: skip
        self.reads = Counter(
            "foureyes_reads", "Readings decided, by meter and status.", ["meter", "status"],
            registry=r,
        )  # fmt: skip
        self.read_seconds = Histogram(
            "foureyes_read_seconds",
            "Time to read one sample's meters (every model call for it).",
            buckets=READ_BUCKETS,
            registry=r,
        )
        self.events = Counter(
            "foureyes_events", "Events emitted, by meter and type.", ["meter", "type"], registry=r
        )
        self.source_up = Gauge(
            "foureyes_source_up", "1 while the source delivers frames.", ["source"], registry=r
        )
        self.queue_fill = Gauge(
            "foureyes_queue_fill_ratio", "How full the decoded-frame queue is (0-1).", registry=r
        )
        self.log_fill = Gauge(
            "foureyes_log_fill_ratio", "How full the decision log's buffer is.", registry=r
        )
        self.log_dropped = Counter(
            "foureyes_log_dropped", "Decision log records dropped, by level.", ["level"],
            registry=r,
        )  # fmt: skip
        self._dropped_seen: dict[str, int] = {}
        self.breaker = Gauge(
            "foureyes_breaker_state", "A reader's circuit: 0 closed, 1 half-open, 2 open.",
            ["reader"], registry=r,
        )  # fmt: skip
        self.degradation = Gauge(
            "foureyes_degradation_level",
            "0 normal, 1 reduced, 2 minimal, 3 emergency.",
            registry=r,
        )
        self._frames_seen = 0

    def batch(
        self,
        readings: Sequence[Reading],
        events: Sequence[Event],
        *,
        read_seconds: float | None,
        decoded: int,
    ) -> None:
        """Count one committed sample's batch (``read_seconds`` None: the final batch)."""
        for reading in readings:
            self.reads.labels(reading.meter, str(reading.status)).inc()
        for event in events:
            self.events.labels(event.meter, str(event.type)).inc()
        if read_seconds is not None:
            self.samples.labels(self.source).inc()
            self.read_seconds.observe(read_seconds)
        if decoded > self._frames_seen:
            self.frames.labels(self.source).inc(decoded - self._frames_seen)
            self._frames_seen = decoded

    def watch(self, *, source_up: Callable[[], bool], queue_fill: Callable[[], float]) -> None:
        """Read these at each scrape: a stalled source sends no batch to update a gauge."""
        self.source_up.labels(self.source).set_function(lambda: 1.0 if source_up() else 0.0)
        self.queue_fill.set_function(queue_fill)

    def health(
        self,
        *,
        readers: Mapping[str, Mapping[str, Any]],
        degradation: Mapping[str, Any] | None,
        log_fill: float,
        log_dropped: Mapping[str, int],
    ) -> None:
        for name, st in readers.items():
            self.breaker.labels(name).set(_BREAKER.get(str(st.get("state")), 0))
        if degradation is not None:
            level = str(degradation.get("level", "normal"))
            self.degradation.set(Level[level.upper()])
        self.log_fill.set(log_fill)
        for level, n in log_dropped.items():
            seen = self._dropped_seen.get(level, 0)
            if n > seen:
                self.log_dropped.labels(level.lower()).inc(n - seen)
                self._dropped_seen[level] = n

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (what ``GET /metrics`` serves)."""
        return generate_latest(self.registry)
