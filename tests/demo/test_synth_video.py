"""Short randomised videos: every codec and output path decodes, configs load, the OCR
reads a frame at rest as the truth says."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from foureyes.config import load_config
from foureyes.demo.synth import Factors, SynthVideo, draw_factors, generate_random
from foureyes.demo.synth.__main__ import main

DECODER = {"h264": "h264", "h265": "hevc", "vp9": "vp9", "mjpeg": "mjpeg"}
EXTENSIONS = {"h264": (".mp4",), "h265": (".mp4",), "vp9": (".webm",), "mjpeg": (".avi", ".mkv")}


def first_seed(test: Callable[[Factors], bool]) -> int:
    return next(s for s in range(300) if test(draw_factors(s)))


CASES: dict[str, Callable[[Factors], bool]] = {
    "h264": lambda f: f.video.codec == "h264" and f.video.camera is None,
    "h265": lambda f: f.video.codec == "h265",
    "vp9": lambda f: f.video.codec == "vp9",
    "mjpeg": lambda f: f.video.codec == "mjpeg",
    "camera": lambda f: f.video.camera is not None,
    "scaled": lambda f: f.video.scaling != "none",
}


@pytest.fixture(scope="module", params=list(CASES))
def video(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SynthVideo:
    seed = first_seed(CASES[request.param])
    calls: list[tuple[int, int]] = []
    v = generate_random(
        tmp_path_factory.mktemp(request.param),
        seed,
        seconds=3,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(calls) == v.frames and calls[-1] == (v.frames, v.frames)
    return v


def _factors(v: SynthVideo) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(v.factors.read_text())
    return doc


def test_video_decodes_to_every_frame(video: SynthVideo) -> None:
    """The file decodes with PyAV to exactly ``frames`` frames of the drawn size and rate,
    timestamps from 0; the extension goes with the codec."""
    f = _factors(video)["video"]
    assert video.video.suffix in EXTENSIONS[f["codec"]]
    with av.open(str(video.video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == DECODER[f["codec"]]
        assert stream.average_rate == video.fps
        decoded = list(container.decode(stream))
    assert len(decoded) == video.frames == round(3 * video.fps)
    assert decoded[0].pts == 0 and decoded[0].time == 0
    assert all((d.width, d.height) == tuple(f["size"]) for d in decoded)


def test_config_loads_and_regions_fit(video: SynthVideo) -> None:
    """``meters.yaml`` loads in FourEyes; regions (and corners) lie inside the frame."""
    f = _factors(video)
    width, height = f["video"]["size"]
    cfg = load_config(video.config)
    cfg.check_frame_size(width, height)
    assert cfg.source.uri == video.video.name and cfg.source.fps == f["video"]["sample_fps"]
    assert list(cfg.meters) == list(video.meters)
    for name, meter in cfg.meters.items():
        fmt = f["meters"][name]["fmt"]
        assert meter.kind.value == (
            "currency" if fmt["sign"] else "number" if fmt["decimals"] else "integer"
        )
        assert meter.decimals == fmt["decimals"]
        assert (meter.corners is not None) == (f["video"]["camera"] is not None)


def test_truth_has_a_row_per_frame_and_meter(video: SynthVideo) -> None:
    rows = [json.loads(line) for line in video.truth.read_text().splitlines()]
    assert len(rows) == video.frames * len(video.meters)
    keys = {"frame", "ts", "meter", "value", "alt", "visible", "covered"}
    assert all(set(r) == keys and r["visible"] == (r["covered"] == 0) for r in rows)
    assert [r["frame"] for r in rows[:: len(video.meters)]] == list(range(video.frames))
    labels = _factors(video)["labels"]
    assert set(labels["meters"]) == set(video.meters) and "codec" in labels["video"]


def test_cli_prints_paths_and_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m foureyes.demo.synth OUT --seed N`` renders and reports."""
    assert main([str(tmp_path), "--seed", "3", "--seconds", "1", "--sample-fps", "5"]) == 0
    out = capsys.readouterr().out
    assert "meters.yaml" in out and '"codec"' in out
    assert load_config(tmp_path / "meters.yaml").source.fps == 5


# -- the repo's own OCR reads a frame at rest ---------------------------------------------

PLAIN = ("DejaVu Sans", "Liberation Sans", "Roboto", "Open Sans", "Lato", "FreeSans", "Carlito")


def _simple(f: Factors) -> bool:
    v = f.video
    return (
        v.camera is None
        and v.scaling == "none"
        and v.crf <= 28
        and all(
            m.face.family in PLAIN
            and m.height_out >= 20
            and m.region != "label"
            and m.paint.animated == "none"
            for m in f.meters
        )
    )


@pytest.mark.slow
def test_ocr_reads_a_settled_frame_as_the_truth(tmp_path: Path) -> None:
    """For a few plain seeds, RapidOCR on the tightened region of a frame at rest reads
    the truth's value."""
    from foureyes.readers.crop import tighten
    from foureyes.readers.parse import parse_value
    from foureyes.readers.rapid import RapidOCRReader

    seeds = [s for s in range(300) if _simple(draw_factors(s, seconds=2))][:3]
    assert len(seeds) == 3
    reader = RapidOCRReader(threads=1)
    checked = 0
    for seed in seeds:
        v = generate_random(tmp_path / str(seed), seed, seconds=2)
        cfg = load_config(v.config)
        rows = [json.loads(line) for line in v.truth.read_text().splitlines()]
        with av.open(str(v.video)) as container:
            pictures = [d.to_ndarray(format="rgb24") for d in container.decode(video=0)]
        for name, meter in cfg.meters.items():
            settled = [r for r in rows if r["meter"] == name and not r["alt"] and r["visible"]]
            row = settled[len(settled) // 2]
            crop = np.ascontiguousarray(meter.box.crop(pictures[row["frame"]]))
            read = reader.read([tighten(crop)])[0]
            parsed = parse_value(read.constrained or read.text, meter.kind, meter.decimals)
            assert parsed.value == pytest.approx(row["value"]), (seed, name, read.text, row)
            checked += 1
    assert checked >= 3
