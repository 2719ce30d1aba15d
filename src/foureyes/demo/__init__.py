"""Jackpot-board videos with exact ground truth, and a scorer for FourEyes' outputs.

``generate`` simulates a board (:mod:`.board`), paints it (:mod:`.render`, :mod:`.sevenseg`,
:mod:`.camera`) in one of :data:`STYLES`, encodes H.264 and writes the config a reader needs
plus the truth. ``score`` compares a run's readings and events with that truth.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from foureyes.demo.board import Board, simulate
from foureyes.demo.camera import Camera, CameraEffects
from foureyes.demo.render import Box, Renderer
from foureyes.demo.score import MeterScore, Score, score
from foureyes.demo.styles import STYLES, Style, resolve_style

__all__ = [
    "STYLES",
    "CameraEffects",
    "DemoVideo",
    "MeterScore",
    "Score",
    "Style",
    "generate",
    "score",
]


@dataclass(frozen=True)
class DemoVideo:
    """The files ``generate`` wrote and what they hold."""

    video: Path
    config: Path
    truth: Path
    truth_events: Path
    style: str
    frames: int
    fps: int
    meters: tuple[str, ...]


def generate(
    out_dir: Path,
    *,
    style: Style | str = "classic",
    seconds: float = 60.0,
    fps: int = 30,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> DemoVideo:
    """Render a board video into ``out_dir`` with ``meters.yaml`` and the truth beside it.

    The same ``seed`` and style give the same truth and the same pixels before encoding.
    """
    import av

    st = resolve_style(style)
    if seconds <= 0 or fps <= 0:
        raise ValueError(f"seconds and fps must be positive, got {seconds} and {fps}")
    rng = random.Random(seed)
    board = simulate(
        seconds=seconds,
        fps=fps,
        rng=rng,
        roll_frames=st.roll_frames,
        growth=st.growth,
        win_seconds=st.win_seconds,
    )
    renderer = Renderer(board, st, random.Random(rng.random()))
    board = board.with_popups(
        rng, rate=st.popup_rate, kinds=st.popup_kinds, text_left=renderer.text_left
    )
    renderer.use(board)
    camera = None
    if st.camera is not None:
        camera = Camera(st.camera, *st.frame_size, np.random.default_rng(rng.getrandbits(64)))

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = DemoVideo(
        video=out_dir / "demo.mp4",
        config=out_dir / "meters.yaml",
        truth=out_dir / "truth.jsonl",
        truth_events=out_dir / "truth_events.jsonl",
        style=st.name,
        frames=board.frames,
        fps=fps,
        meters=board.meters,
    )
    with av.open(str(paths.video), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = st.frame_size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(st.crf), "preset": st.preset}
        stream.codec_context.thread_type = "AUTO"
        for index in range(board.frames):
            image = renderer.frame(index)
            if camera is not None:
                image = camera.apply(image)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
            if progress is not None:
                progress(index + 1, board.frames)
        container.mux(stream.encode(None))

    _write_config(paths.config, board, renderer.boxes, camera, st)
    with paths.truth.open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in board.truth_rows())
    with paths.truth_events.open("w") as f:
        f.writelines(json.dumps(e) + "\n" for e in board.truth_events())
    return paths


def _write_config(
    path: Path, board: Board, boxes: dict[str, Box], camera: Camera | None, style: Style
) -> None:
    width, height = style.frame_size
    meters: dict[str, dict[str, Any]] = {}
    for name in board.meters:
        b = boxes[name]
        entry: dict[str, Any] = {}
        if camera is None:
            entry["region"] = [b.x, b.y, b.w, b.h]
        else:
            flat = [(b.x, b.y), (b.x + b.w, b.y), (b.x + b.w, b.y + b.h), (b.x, b.y + b.h)]
            corners = camera.warp_points([(float(x), float(y)) for x, y in flat])
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            x0, y0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
            x1, y1 = min(width, math.ceil(max(xs))), min(height, math.ceil(max(ys)))
            entry["region"] = [x0, y0, x1 - x0, y1 - y0]
            entry["corners"] = [[round(x, 1), round(y, 1)] for x, y in corners]
        entry["kind"] = "currency"
        meters[name] = entry
    thresholds = {m: [t / 100 for t in levels] for m, levels in board.thresholds.items()}
    doc = {
        "source": {"uri": "demo.mp4", "fps": 2},
        "meters": meters,
        "events": {"thresholds": thresholds},
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))
