"""A whole run sends what it is configured to send: alerts to a real webhook receiver,
spans to a real OTLP/HTTP collector, and the dashboard's API shows the alerts."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from receivers import Collector, Receiver
from rich.console import Console

from foureyes import load_config
from foureyes.demo import generate
from foureyes.runner import run
from foureyes.server import create_app

pytestmark = pytest.mark.slow


def api(folder: Path, url: str) -> Any:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(folder))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            return await ac.get(url)

    return anyio.run(go).json()


@pytest.mark.timeout(300)
def test_a_run_posts_alerts_and_exports_spans(
    tmp_path: Path, receiver: Receiver, collector: Collector
) -> None:
    # given a clip where "mini" resets at 19 s, a config with a reset rule for it, a rule
    # for a meter's silence that cannot fire in time, a webhook and a collector
    clip = generate(tmp_path / "clip", style="classic", seconds=24, seed=5)
    data = yaml.safe_load(clip.config.read_text())
    data["alerts"] = {
        "webhook": {
            "url": receiver.url,
            "headers": {"Authorization": "Bearer hook-secret"},
            "backoff_initial": 0.01,
        },
        "rules": [
            {"type": "reset", "meter": "mini", "name": "mini-pop"},
            {"type": "no_reading", "meter": "grand", "for_minutes": 60},
        ],
    }
    data["traces"] = {"endpoint": collector.url, "headers": {"X-Collector-Token": "otlp-secret"}}
    config = clip.config.with_name("signals.yaml")  # beside the video it names
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    # when the run reads it to the end
    result = run(
        load_config(config),
        out=out,
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    # then the webhook got one alert: the reset of mini, with its before and after
    truth = [json.loads(x) for x in clip.truth_events.read_text().splitlines()]
    pop = next(t for t in truth if t["type"] == "reset" and t["meter"] == "mini")
    assert [b["rule"] for b in receiver.bodies] == ["mini-pop"]
    (body,) = receiver.bodies
    assert (body["type"], body["status"], body["meter"]) == ("reset", "firing", "mini")
    assert (body["before"], body["after"]) == (pop["before"], pop["after"])
    assert receiver.headers[0]["Authorization"] == "Bearer hook-secret"
    assert result.summary["alerts"]["delivered"] == 1
    # and the dashboard's API shows it among the recent alerts, none firing now
    alerts = api(out, "/api/alerts")
    assert alerts["active"] == [] and [a["rule"] for a in alerts["recent"]] == ["mini-pop"]
    # and the collector got a span per sample, each reader call a child of its sample
    spans = collector.wait(result.summary["frames_sampled"], limit=15)
    with collector.lock:
        received = [s for _, s in collector.spans]
        resource = collector.spans[0][0]
    samples = {s.span_id: s for s in received if s.name == "foureyes.sample"}
    reads = [s for s in received if s.name == "foureyes.read"]
    assert len(samples) == result.summary["frames_sampled"]
    assert reads and all(r.parent_span_id in samples for r in reads)
    assert "foureyes.sample" in spans and resource["foureyes.run_id"] == result.summary["run_id"]
    assert collector.headers[0]["x-collector-token"] == "otlp-secret"
    # and no secret reached the run's own files or its store
    db = sqlite3.connect(out / "foureyes.db")
    (stored,) = db.execute("SELECT config FROM runs").fetchone()
    db.close()
    texts = {name: (out / name).read_text() for name in ("log.jsonl", "alerts.jsonl")}
    texts |= {"summary.json": (out / "summary.json").read_text(), "runs.config": stored}
    for name, text in texts.items():
        assert "hook-secret" not in text and "otlp-secret" not in text, name
