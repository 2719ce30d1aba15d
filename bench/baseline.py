"""The plain baseline every benchmark table shows beside FourEyes: the bare model.

RapidOCR's recognition model reads each meter's crop (the same region, rectified the same
way when the config gives corners) at the same sampled frames FourEyes read, through
RapidOCR's own public call and decoder: no trimming, no preparation, no second looks, no
covers, no temporal logic. Its text becomes a value by the meter's own format (the same
parser FourEyes uses, so the two differ only in what FourEyes adds), and a text that does
not parse is a null. Its readings.jsonl is scored by the same scorer.

    .venv/bin/python bench/baseline.py VIDEO_DIR RUN_DIR OUT_DIR
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import av
import numpy as np

from foureyes.config import Config, load_config
from foureyes.demo import score
from foureyes.model import Image
from foureyes.readers.crop import MeterCrop
from foureyes.readers.parse import parse_value

__all__ = ["BareModel", "bare_run", "sampled_frames"]


class BareModel:
    """RapidOCR recognition only (the config says where each meter is), one crop a call."""

    def __init__(self, threads: int = 1) -> None:
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.use_det": False,
            "Global.use_cls": False,
            "Global.log_level": "error",
        }
        if threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        self._engine = RapidOCR(params=params)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def read(self, crop: Image) -> tuple[str, float]:
        # RapidOCR takes an ndarray as BGR (OpenCV's order); frames here are RGB.
        out = self._engine(
            np.ascontiguousarray(crop[:, :, ::-1]), use_det=False, use_cls=False, use_rec=True
        )
        texts, scores = tuple(out.txts or ()), tuple(out.scores or ())
        return ("".join(texts), float(min(scores)) if scores else 0.0)


def sampled_frames(run_dir: Path) -> list[int]:
    """The frames FourEyes read in ``run_dir``, so the baseline reads the same samples."""
    frames: set[int] = set()
    with (run_dir / "readings.jsonl").open() as f:
        for line in f:
            if line.strip():
                frames.add(int(json.loads(line)["frame"]))
    return sorted(frames)


def _decode(video: Path, wanted: Iterable[int]) -> Iterable[tuple[int, float, Image]]:
    todo = sorted(set(wanted))
    if not todo:
        return
    k = 0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index == todo[k]:
                ts = float(frame.time) if frame.time is not None else 0.0
                yield index, ts, frame.to_ndarray(format="rgb24")
                k += 1
                if k == len(todo):
                    return


def bare_run(
    config: Config, frames: Iterable[int], out: Path, model: BareModel | None = None
) -> Path:
    """Read every meter of ``config`` at ``frames`` with the bare model into
    ``out/readings.jsonl`` (and an empty ``events.jsonl``: the bare model finds none)."""
    model = model or BareModel()
    crops = {
        name: MeterCrop(m.box, tuple(m.corners) if m.corners else None)
        for name, m in config.meters.items()
    }
    video = Path(config.source.uri)
    if not video.is_absolute():
        video = config.base_dir / video
    out.mkdir(parents=True, exist_ok=True)
    with (out / "readings.jsonl").open("w") as f:
        for index, ts, image in _decode(video, frames):
            for name, cut in crops.items():
                text, conf = model.read(cut.cut(image))
                m = config.meters[name]
                value = parse_value(text, m.kind, m.decimals).value
                row = {"ts": ts, "frame": index, "meter": name, "value": value, "text": text}
                f.write(json.dumps({**row, "confidence": round(conf, 5)}) + "\n")
    (out / "events.jsonl").write_text("")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video_dir", type=Path, help="a generated video's folder (meters.yaml)")
    parser.add_argument("run_dir", type=Path, help="a FourEyes run of it (for its samples)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    config = load_config(args.video_dir / "meters.yaml")
    bare_run(config, sampled_frames(args.run_dir), args.out)
    for line in score(args.out, args.video_dir).lines():
        print(line)


if __name__ == "__main__":
    main()
