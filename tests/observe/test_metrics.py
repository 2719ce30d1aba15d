"""Prometheus metrics of a real run, read back with prometheus_client's own parser."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from foureyes import load_config
from foureyes.demo import generate
from foureyes.observe.metrics import Metrics
from foureyes.runner import run

pytestmark = pytest.mark.slow


def test_metrics_count_what_the_run_wrote(tmp_path: Path) -> None:
    """Readings, events, frames and samples in /metrics match the run's own files."""
    clip = generate(tmp_path / "clip", style="classic", seconds=6, seed=4)
    result = run(
        load_config(clip.config),
        out=tmp_path / "out",
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    assert result.metrics is not None
    families = {
        f.name: f for f in text_string_to_metric_families(result.metrics.exposition().decode())
    }
    samples = {
        name: [(s.name, s.labels, s.value) for s in fam.samples] for name, fam in families.items()
    }
    readings = [
        json.loads(x) for x in (tmp_path / "out" / "readings.jsonl").read_text().split("\n") if x
    ]
    events = [
        json.loads(x) for x in (tmp_path / "out" / "events.jsonl").read_text().split("\n") if x
    ]
    reads = {
        (lab["meter"], lab["status"]): v
        for n, lab, v in samples["foureyes_reads"]
        if n.endswith("_total")
    }
    assert sum(reads.values()) == len(readings)
    assert reads.get(("grand", "ok"), 0) == sum(
        1 for r in readings if r["meter"] == "grand" and r["status"] == "ok"
    )
    assert sum(v for n, _, v in samples["foureyes_events"] if n.endswith("_total")) == len(events)
    (frames,) = [v for n, _, v in samples["foureyes_frames"] if n.endswith("_total")]
    assert frames == result.summary["frames_decoded"]
    count = [v for n, _, v in samples["foureyes_read_seconds"] if n.endswith("_count")]
    assert count == [result.summary["frames_sampled"]]
    buckets = [lab["le"] for n, lab, _ in samples["foureyes_read_seconds"] if n.endswith("_bucket")]
    assert "120.0" in buckets
    breaker = {lab["reader"]: v for _, lab, v in samples["foureyes_breaker_state"]}
    assert breaker == {"default": 0.0}
    assert families["foureyes_queue_fill_ratio"].type == "gauge"


def test_source_up_and_queue_fill_are_read_at_scrape_time() -> None:
    """A stalled source sends no batch, so these gauges ask the run when scraped."""
    metrics = Metrics("rtsp://cam/stream")
    state = {"up": True, "fill": 0.25}
    metrics.watch(source_up=lambda: bool(state["up"]), queue_fill=lambda: float(state["fill"]))

    def gauges() -> tuple[float, float]:
        families = {
            f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())
        }
        up = families["foureyes_source_up"].samples[0]
        assert up.labels == {"source": "rtsp://cam/stream"}
        return up.value, families["foureyes_queue_fill_ratio"].samples[0].value

    assert gauges() == (1.0, 0.25)
    state.update(up=False, fill=1.0)
    assert gauges() == (0.0, 1.0)
