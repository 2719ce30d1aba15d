"""A meter settles on the preparation its display needs (real model, real video)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foureyes.config import load_config
from foureyes.demo import generate
from foureyes.model import MeterKind
from foureyes.readers.choose import PreparationChooser
from foureyes.readers.crop import PREPARATIONS, MeterCrop
from foureyes.readers.parse import ParseResult, parse_value
from foureyes.readers.rapid import RapidOCRReader
from foureyes.sources import open_source

pytestmark = pytest.mark.slow


def parse(meter: str, text: str) -> ParseResult:
    return parse_value(text, MeterKind.CURRENCY)


def wrong_raw_values(folder: Path, calibration: int) -> tuple[int, PreparationChooser]:
    cfg = load_config(folder / "meters.yaml")
    truth = {
        (d["frame"], d["meter"]): d["value"]
        for d in map(json.loads, (folder / "truth.jsonl").read_text().splitlines())
    }
    cuts = {name: MeterCrop(m.box) for name, m in cfg.meters.items()}
    reader = RapidOCRReader()
    chooser = PreparationChooser(list(cfg.meters), calibration=calibration)
    wrong = 0
    with open_source(str(folder / "demo.mp4"), sample_fps=2) as source:
        for frame in source.frames():
            crops = {name: cut.cut(frame.image) for name, cut in cuts.items()}
            for meter, (_, parsed) in chooser.read(reader, crops, parse).items():
                if (
                    parsed.value is not None
                    and abs(parsed.value - truth[(frame.index, meter)]) > 1e-6
                ):
                    wrong += 1
    return wrong, chooser


def test_seven_segment_ghosts_need_the_faded_preparation(tmp_path: Path) -> None:
    """Behind a ghost "8" the plain crop reads "8,971.98" for "$971.98", a well-formed
    number; reading the first samples every way settles the meter on fading ghosts out."""
    # given a seven-segment board whose MAJOR shows three digits behind ghost 8s
    generate(tmp_path, style="sevenseg", seconds=5, seed=2)
    # when read without and with calibration
    wrong_plain, _ = wrong_raw_values(tmp_path, calibration=0)
    wrong_chosen, chooser = wrong_raw_values(tmp_path, calibration=6)
    # then only the calibrated reader is right
    assert wrong_plain > 0
    assert wrong_chosen == 0
    assert chooser.preparation("major") is dict(PREPARATIONS)["clean"]
