"""A primary live stream with a standby, for real: two HTTP MPEG-TS servers on localhost,
paced like live streams, the primary taken down mid-run and brought back."""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from foureyes import load_config
from foureyes.demo.stream import PacedStream
from foureyes.model import Frame
from foureyes.runner import run
from foureyes.sources import LiveSource
from foureyes.sources.failover import FailoverSource


@pytest.fixture
def streams(media: dict[str, Path]) -> Iterator[Callable[[], PacedStream]]:
    servers: list[PacedStream] = []

    def start() -> PacedStream:
        servers.append(PacedStream.of_file(media["ts"], seconds=3.0).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def live(url: str, stop: threading.Event, fps: float = 1000) -> LiveSource:
    return LiveSource(
        url,
        sample_fps=fps,
        startup_timeout=10,
        no_frame_timeout=0.5,
        rng=random.Random(1),
        stop=stop,
    )


@pytest.mark.timeout(60)
def test_standby_serves_while_the_primary_is_down(
    streams: Callable[[], PacedStream],
) -> None:
    """Given a primary and a standby stream, when the primary goes down for a while, then
    the standby's frames follow within ``after`` seconds, the primary's come back when it
    does, and the frames handed on count on and move forward in time throughout."""
    primary, standby = streams(), streams()
    stop = threading.Event()
    source = FailoverSource(live(primary.url, stop), live(standby.url, stop), after=1.0, stop=stop)
    frames: list[Frame] = []
    with source:
        source.open()
        phase = "primary"
        for frame in source.frames():
            frames.append(frame)
            seen = {f.source for f in frames[-5:]}
            if phase == "primary" and len(frames) > 30:
                primary.down()  # the primary's encoder crashes
                phase = "down"
            elif phase == "down" and seen == {standby.url} and len(frames) > 60:
                primary.back()  # and comes back
                phase = "back"
            elif phase == "back" and seen == {primary.url}:
                stop.set()
    runs = [k for k, _ in itertools.groupby(f.source for f in frames)]
    assert runs == [primary.url, standby.url, primary.url]
    assert source.switches == 2
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(b.ts > a.ts for a, b in itertools.pairwise(frames))


@pytest.mark.timeout(180)
@pytest.mark.slow
def test_run_reports_each_switch(streams: Callable[[], PacedStream], tmp_path: Path) -> None:
    """End to end: `source.fallback` in the config; the run's events say when the standby
    took over and when the primary took back, and readings go on throughout."""
    primary, standby = streams(), streams()
    config = tmp_path / "meters.yaml"
    config.write_text(
        f"source:\n  uri: {primary.url}\n  fps: 2\n  no_frame_timeout: 0.5\n"
        f"  fallback: {{uri: {standby.url}, after: 1.0}}\n"
        "meters:\n  bars: {region: [0, 0, 64, 48], kind: integer}\n"
    )
    stop = threading.Event()

    events_file = tmp_path / "out" / "events.jsonl"

    def switched() -> int:
        text = events_file.read_text() if events_file.exists() else ""
        return text.count('"source_switched"')

    def script() -> None:
        time.sleep(4)
        primary.down()
        time.sleep(4)
        primary.back()
        # the primary's reconnect backoff (full jitter) decides when it is back
        deadline = time.monotonic() + 60
        while switched() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        stop.set()

    threading.Thread(target=script, daemon=True).start()
    result = run(
        load_config(config),
        out=tmp_path / "out",
        stop=stop,
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    import json

    events = [json.loads(x) for x in (tmp_path / "out" / "events.jsonl").read_text().splitlines()]
    switches = [(e["from"], e["to"]) for e in events if e["type"] == "source_switched"]
    assert switches == [(primary.url, standby.url), (standby.url, primary.url)]
    assert result.summary["source_health"]["switches"] == 2
    readings = (tmp_path / "out" / "readings.jsonl").read_text().splitlines()
    assert len(readings) == result.summary["frames_sampled"] >= 20
