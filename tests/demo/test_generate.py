"""generate() writes a decodable H.264 video, a loadable config and one truth row per frame."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
import yaml

from foureyes.config import load_config
from foureyes.demo import STYLES, DemoVideo, generate


@pytest.fixture(scope="module", params=["small", "sevenseg", "camera"])
def video(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    out = tmp_path_factory.mktemp(request.param)
    calls: list[tuple[int, int]] = []
    v = generate(
        out,
        style=request.param,
        seconds=3,
        fps=10,
        seed=1,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (v.frames, v.frames) and len(calls) == v.frames
    return v


def test_video_decodes_with_every_frame(video: DemoVideo) -> None:
    width, height = STYLES[video.style].frame_size
    with av.open(str(video.video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = list(container.decode(stream))
    assert video.frames == 30 and len(frames) == video.frames
    assert all((f.width, f.height) == (width, height) for f in frames)
    assert frames[0].format.name == "yuv420p"


def test_truth_has_a_row_per_frame_and_meter(video: DemoVideo) -> None:
    rows = [json.loads(line) for line in video.truth.read_text().splitlines()]
    assert len(rows) == video.frames * len(video.meters)
    assert {r["meter"] for r in rows} == set(video.meters) == {"grand", "major", "minor", "mini"}
    assert all(
        set(r) == {"frame", "ts", "meter", "value", "alt", "visible", "covered"} for r in rows
    )
    video.truth_events.read_text()  # exists, maybe empty for 3 s


def test_config_regions_lie_inside_the_frame(video: DemoVideo) -> None:
    width, height = STYLES[video.style].frame_size
    doc = yaml.safe_load(video.config.read_text())
    assert doc["source"] == {"uri": "demo.mp4", "fps": 2}
    assert set(doc["meters"]) == set(video.meters)
    for meter in doc["meters"].values():
        x, y, w, h = meter["region"]
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= width and y + h <= height
        assert meter["kind"] == "currency"
        if video.style == "camera":
            xs, ys = zip(*meter["corners"], strict=True)
            assert x <= min(xs) and max(xs) <= x + w and y <= min(ys) and max(ys) <= y + h
        else:
            assert "corners" not in meter
    cfg = load_config(video.config)  # FourEyes itself accepts it
    cfg.check_frame_size(width, height)


def test_regions_do_not_overlap(video: DemoVideo) -> None:
    boxes = [m["region"] for m in yaml.safe_load(video.config.read_text())["meters"].values()]
    for i, (ax, ay, aw, ah) in enumerate(boxes):
        for bx, by, bw, bh in boxes[i + 1 :]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


def test_unknown_style_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown style"):
        generate(tmp_path, style="nope", seconds=1)
