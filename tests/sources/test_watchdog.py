"""The frozen-picture watchdog: a source that keeps sending the same picture is noticed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from foureyes import load_config
from foureyes.model import EventType
from foureyes.runner import run
from foureyes.sources.watchdog import FrozenDetector


def picture(k: int, noise: int = 0, seed: int = 0) -> np.ndarray:
    """A 720p board whose bar position stands for what is on screen."""
    img = np.full((720, 1280, 3), 40, np.int16)
    img[300:400, 100 + 40 * k : 160 + 40 * k] = 220
    if noise:
        img += np.random.default_rng(seed).integers(-noise, noise + 1, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("pictures", "expected"),
    [
        # changes every half second: never frozen
        ([0, 1, 2, 3, 4, 5, 6, 7], {}),
        # the same picture from t=1.0 on: frozen once 2 s have passed, at t=3.0
        ([0, 1, 2, 2, 2, 2, 2, 2], {6: EventType.SOURCE_FROZEN}),
        # frozen, then moving again
        ([0, 0, 0, 0, 0, 0, 1, 2], {4: EventType.SOURCE_FROZEN, 6: EventType.SOURCE_RESUMED}),
        # still for 1.5 s only: not frozen
        ([0, 1, 1, 1, 1, 2, 2, 2], {}),
    ],
)
def test_frozen_and_resumed(pictures: list[int], expected: dict[int, EventType]) -> None:
    """Samples every 0.5 s; frozen after 2 s of an unchanged picture, reported once."""
    watch = FrozenDetector(2.0)
    seen = {i: w for i, k in enumerate(pictures) if (w := watch.update(picture(k), i * 0.5))}
    assert seen == expected


def test_sensor_noise_is_not_change() -> None:
    """A filmed screen's noise (±12 levels per pixel) does not hide a frozen picture."""
    watch = FrozenDetector(1.0)
    events = [watch.update(picture(3, noise=12, seed=i), i * 0.5) for i in range(6)]
    assert events.count(EventType.SOURCE_FROZEN) == 1
    assert watch.stalls == 1


def test_a_frozen_folder_gives_events(tmp_path: Path) -> None:
    """End to end: a folder of screenshots whose picture stops changing for 3 s gives a
    source_frozen event and, when it changes again, a source_resumed event."""
    folder = tmp_path / "shots"
    folder.mkdir()
    sequence = [0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5]
    for i, k in enumerate(sequence):
        Image.fromarray(picture(k)).save(folder / f"{i:03d}.png")
    config = tmp_path / "meters.yaml"
    config.write_text(
        "source: {uri: shots, fps: 2, frozen_after: 2}\n"
        "meters:\n  bar: {region: [100, 300, 600, 100], kind: integer}\n"
    )
    result = run(
        load_config(config),
        out=tmp_path / "out",
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    events = [json.loads(x) for x in (tmp_path / "out" / "events.jsonl").read_text().splitlines()]
    kinds = [(e["type"], e["frame"]) for e in events if e["type"].startswith("source_")]
    assert kinds == [("source_frozen", 7), ("source_resumed", 10)]
    assert result.summary["source_health"]["frozen"] == 1
