"""Degradation levels: step down when reads take longer than the time between samples,
back up (slowly) when there is room again."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from foureyes import load_config
from foureyes.demo import generate
from foureyes.demo.stream import PacedStream, to_mpegts
from foureyes.model import Image, RawRead
from foureyes.readers.base import Reader, create_reader
from foureyes.resilience.degrade import Degrader, Level
from foureyes.runner import run

N, R, M, E = Level.NORMAL, Level.REDUCED, Level.MINIMAL, Level.EMERGENCY


def levels(loads: list[float], fill: float = 0.0, **kw: int) -> list[Level]:
    """Feed read times (as a fraction of the sample period) and note the level after each."""
    d = Degrader(smoothing=1.0, **kw)  # no smoothing: each sample speaks for itself
    out = []
    for load in loads:
        d.observe(load * d.level.stride * 0.5, d.level.stride * 0.5, fill)
        out.append(d.level)
    return out


@pytest.mark.parametrize(
    ("loads", "expected"),
    [
        ([0.3] * 5, [N] * 5),  # plenty of room
        ([0.9, 0.9, 0.9, 0.3], [N, N, R, R]),  # three samples in a row over 80% step down
        ([0.9, 0.3, 0.9, 0.9], [N, N, N, N]),  # not in a row: no change
        ([3.0] * 9, [N, N, R, R, R, M, M, M, E]),  # one level at a time
        ([3.0] * 9 + [0.1] * 3, [N, N, R, R, R, M, M, M, E, E, M, M]),
    ],
)
def test_levels_follow_the_load(loads: list[float], expected: list[Level]) -> None:
    assert levels(loads, up_after=3, down_after=2) == expected


def test_a_full_queue_degrades_even_with_fast_reads() -> None:
    """A queue that stays full means the reads fall behind whatever they measure."""
    assert levels([0.1] * 3, fill=1.0, up_after=3) == [N, N, R]


def test_no_flapping_near_a_threshold() -> None:
    """Just under the threshold one level up is not room enough to step back down: the
    lower level would do more work and be over it again."""
    got = levels([0.9] * 3 + [0.75] * 20, up_after=3, down_after=2)
    assert got[-1] is R


def test_stride_skips_samples_at_low_levels() -> None:
    """Minimal reads every second sample, emergency every fourth."""
    d = Degrader()
    d.level = Level.MINIMAL
    assert [d.take() for _ in range(4)] == [False, True, False, True]
    d.level = Level.EMERGENCY
    assert sum(d.take() for _ in range(8)) == 2


@pytest.mark.parametrize("bad", [{"up_after": 0}, {"down_after": 0}, {"smoothing": 0}])
def test_bad_settings(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Degrader(**bad)  # type: ignore[arg-type]


class Sluggish:
    """The real model, slowed down while ``slow`` is set (a GPU shared with a game)."""

    name = "sluggish"

    def __init__(self, inner: Reader) -> None:
        self.inner = inner
        self.slow = threading.Event()

    def warmup(self) -> None:
        self.inner.warmup()

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        if self.slow.is_set():
            time.sleep(0.6)
        return self.inner.read(crops)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_slow_model_on_a_live_stream_degrades_and_recovers(tmp_path: Path) -> None:
    """Given a live stream and a model that turns slow, the run steps down (events say
    so, and emergency reads only the kept meter), and steps back up once the model is fast
    again; readings never stop."""
    clip = generate(tmp_path / "clip", style="classic", seconds=8, seed=7)
    ts = to_mpegts(clip.video, tmp_path / "live.ts")
    reader = Sluggish(create_reader("rapidocr"))
    stop = threading.Event()
    events_file = tmp_path / "out" / "events.jsonl"

    def degradations() -> list[dict[str, object]]:
        text = events_file.read_text() if events_file.exists() else ""
        return [e for e in map(json.loads, text.splitlines()) if e["type"] == "degradation"]

    def script() -> None:
        time.sleep(3)
        reader.slow.set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(
            e["to"] == "emergency" for e in degradations()
        ):
            time.sleep(0.2)
        reader.slow.clear()
        while time.monotonic() < deadline and degradations()[-1]["to"] != "normal":
            time.sleep(0.2)
        stop.set()

    with PacedStream.of_file(ts, seconds=8) as server:
        config = load_config(clip.config)
        config = config.model_copy(
            update={
                "source": config.source.model_copy(update={"uri": server.url}),
                "degrade": config.degrade.model_copy(
                    update={"up_after": 2, "down_after": 3, "keep": ["grand"]}
                ),
            }
        )
        threading.Thread(target=script, daemon=True).start()
        result = run(
            config,
            out=tmp_path / "out",
            reader=reader,
            stop=stop,
            console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
            show_progress=False,
        )
    steps = [(e["from"], e["to"]) for e in degradations()]
    assert steps[:3] == [("normal", "reduced"), ("reduced", "minimal"), ("minimal", "emergency")]
    assert steps[-1][1] == "normal"
    readings = [
        json.loads(x) for x in (tmp_path / "out" / "readings.jsonl").read_text().split("\n") if x
    ]
    skipped = [r for r in readings if "emergency degradation" in r.get("reason", "")]
    assert skipped and {r["meter"] for r in skipped} <= {"major", "minor", "mini"}
    assert result.summary["degradation"]["level"] == "normal"
