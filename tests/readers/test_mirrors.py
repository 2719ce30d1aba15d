"""Two captures of one screen, end to end: a noisy second capture agrees and fills in; a
capture that shows something else is outvoted or left in doubt, never believed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console

from foureyes import load_config
from foureyes.demo import DemoVideo, generate, score
from foureyes.demo.styles import FONT_DIR
from foureyes.runner import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    return generate(tmp_path_factory.mktemp("clip"), style="classic", seconds=10, seed=11)


def recapture(clip: DemoVideo, out: Path, *, fake: tuple[int, int, list[int]] | None) -> Path:
    """The clip filmed again: sensor noise on every frame; with ``fake`` (first, last
    frame, region), that region shows "$99,999.99" for those frames, as a second screen
    that is not the same board would."""
    rng = np.random.default_rng(3)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 48)
    with av.open(str(clip.video)) as src, av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            img = frame.to_ndarray(format="rgb24").astype(np.int16)
            img += rng.integers(-6, 7, img.shape, dtype=np.int16)
            pic = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
            if fake is not None and fake[0] <= i < fake[1]:
                x, y, w, h = fake[2]
                draw = ImageDraw.Draw(pic)
                draw.rectangle((x, y, x + w, y + h), fill=(20, 20, 20))
                draw.text((x + 10, y + 8), "$99,999.99", font=font, fill=(255, 240, 160))
            for packet in stream.encode(av.VideoFrame.from_image(pic)):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def mirrored(clip: DemoVideo, mirror: Path, tmp: Path) -> Path:
    data = yaml.safe_load(clip.config.read_text())
    data["source"]["uri"] = str(clip.video)
    data["source"]["mirrors"] = [{"uri": str(mirror)}]
    path = tmp / "mirrored.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def quiet_run(config: Path, out: Path) -> dict[str, object]:
    result = run(
        load_config(config),
        out=out,
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    return result.summary


def test_a_second_capture_agrees(clip: DemoVideo, tmp_path: Path) -> None:
    """Given a noisy second capture of the same screen, the captures agree on most
    samples and the readings are as right as without it: no wrong value."""
    mirror = recapture(clip, tmp_path / "second.mp4", fake=None)
    summary = quiet_run(mirrored(clip, mirror, tmp_path), tmp_path / "out")
    sc = score(tmp_path / "out", clip.truth.parent)
    assert sc.overall.wrong == 0
    assert sc.accuracy >= 0.95
    meters = summary["mirrors"]["meters"]  # type: ignore[index]
    agreed = sum(m.get("agreed", 0) for m in meters.values())
    disagreed = sum(m.get("disagreed", 0) for m in meters.values())
    assert agreed > 0.8 * (agreed + disagreed)


def test_a_capture_that_shows_something_else_is_not_believed(
    clip: DemoVideo, tmp_path: Path
) -> None:
    """Given a second capture whose GRAND shows another number for two seconds, the
    readings never take that number, and the disagreement is recorded on them."""
    grand = list(load_config(clip.config).meters["grand"].region)
    mirror = recapture(clip, tmp_path / "other.mp4", fake=(90, 150, grand))
    summary = quiet_run(mirrored(clip, mirror, tmp_path), tmp_path / "out")
    readings = [
        json.loads(x) for x in (tmp_path / "out" / "readings.jsonl").read_text().splitlines()
    ]
    assert all(r["value"] != 99999.99 for r in readings)
    noted = [r for r in readings if "captures read" in r.get("reason", "")]
    assert any("99999.99" in r["reason"] for r in noted)
    sc = score(tmp_path / "out", clip.truth.parent)
    assert sc.overall.wrong == 0
    assert summary["mirrors"]["meters"]["grand"]["disagreed"] >= 3  # type: ignore[index]
