"""A meter settles on the preparation its display needs (real model, real video)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from foureyes.config import load_config
from foureyes.demo import generate
from foureyes.model import Image, MeterKind, RawRead
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


def _results(*texts: str | None) -> dict[int, tuple[object, ParseResult]]:
    """Reads by text; a text ending in "?" was read with one unsure digit."""
    from foureyes.model import RawRead

    out = {}
    for w, t in enumerate(texts):
        text = (t or "").rstrip("?")
        weakest = 0.5 if t and t.endswith("?") else 1.0
        raw = RawRead(text=text, confidence=1.0, weakest=weakest, probs=(1.0,) * len(text))
        out[w] = (raw, parse("m", text))
    return out


@pytest.mark.parametrize(
    ("name", "reads", "value", "preferred", "disputed"),
    [
        ("all ways agree: the least processed", ["$12.50", "$12.50", "$12.50"], 12.5, 0, False),
        ("ghost 8s: the two faded ways agree", ["$812.50", "$12.50", "$12.50"], 12.5, 1, False),
        ("glow closes a 3 in one way only", ["$13.50", "$18.50", "$13.50"], 13.5, 0, False),
        ("no two agree: in doubt", ["$13.50", "$18.50", "$19.50"], 13.5, 0, True),
        ("one way parses: it stands, in doubt of nothing", [None, "$12.50", None], 12.5, 0, False),
        (
            "a sign binarised into an 8 both faded ways",
            ["$55.50", "855.50", "855.50"],
            55.5,
            0,
            False,
        ),
        (
            "a ghost 8 where the plain way has no sign",
            ["8,971.98", "$971.98", "$971.98"],
            971.98,
            1,
            False,
        ),
        (
            "two ways agree unsurely against a sure one: in doubt",
            ["1,167.46", "1.567.46?", "1.567.46?"],
            1167.46,
            0,
            True,
        ),
        (
            "ways agree, none sure: the agreement stands",
            ["12.55?", "12.50?", "12.50?"],
            12.5,
            1,
            False,
        ),
        ("a sure way among those that agree", ["$812.50", "$12.50", "$12.50?"], 12.5, 1, False),
        (
            "a sign after the number, a 5 in its place",
            ["12.50 €", "12.505", "12.50 €"],
            12.5,
            0,
            False,
        ),
    ],
)
def test_preparations_are_combined_by_agreement(
    name: str, reads: list[str | None], value: float, preferred: int, disputed: bool
) -> None:
    """A value two preparations read is the sample's, whatever display it is; where no
    two agree the sample is in doubt; the meter keeps the way that agreed most often."""
    chooser = PreparationChooser(["m"], calibration=3)
    for _ in range(3):
        chooser.disputed = set()
        _raw, parsed = chooser._calibrate("m", _results(*reads))  # type: ignore[arg-type]
        assert parsed.value == value, name
        assert ("m" in chooser.disputed) is disputed, name
    assert chooser._state["m"].preferred == preferred, name


@pytest.mark.parametrize(
    ("name", "calibration_reads", "later", "fits"),
    [
        (
            "a sign seen: a digit in its place is not this meter",
            ["$55.50", "855.50"],
            "855.51",
            False,
        ),
        ("a sign seen: the sign must be read", ["$55.50", "855.50"], "55.51", False),
        ("a sign seen: a read showing it fits", ["$55.50", "855.50"], "$ 55.51", True),
        ("no sign ever seen: anything fits", ["55.50", "55.50"], "$55.51", True),
        ("a sign after: it must be after", ["55.50€", "55.50€"], "€55.51", False),
        # the digits faded out and a lone sign was read: neither side of a number
        ("a lone sign is no side", ["€17.84", "€ 84", "€"], "€17.85", True),
    ],
)
def test_a_meter_keeps_the_form_its_calibration_saw(
    name: str, calibration_reads: list[str], later: str, fits: bool
) -> None:
    """The sides a meter shows a currency sign on are its form, which no frame changes."""
    chooser = PreparationChooser(["m"], calibration=3)
    for _ in range(3):
        chooser._calibrate("m", _results(*calibration_reads))  # type: ignore[arg-type]
    assert chooser.fits_form("m", later) is fits, name


class _Counting:
    """A reader that reads every crop as a certain "$12.50", and counts the crops."""

    name = "counting"

    def __init__(self) -> None:
        self.crops = 0

    def warmup(self) -> None: ...

    def close(self) -> None: ...

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.crops += len(crops)
        return [RawRead(text="$12.50", confidence=1.0, probs=(1.0,) * 6, weakest=1.0)] * len(crops)


def _board(contrast: int) -> Image:
    img = np.full((40, 120, 3), 40, np.uint8)
    img[10:30, 10:110:12] = 40 + contrast  # strokes
    return img


def _noise(img: Image) -> Image:
    rng = np.random.default_rng(5)
    return np.clip(img.astype(int) + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)


def _digit_changed(img: Image) -> Image:
    out = img.copy()
    out[12:28, 60:70] = 255 - out[12:28, 60:70]
    return out


def _blurred_digit_changed(img: Image) -> Image:
    """A small digit softened by scaling: thirty pixels move by under a third of the
    board's contrast."""
    out = img.astype(int)
    out[14:20, 60:65] += 60
    return np.clip(out, 0, 255).astype(np.uint8)


def _one_pixel(img: Image) -> Image:
    out = img.copy()
    out[0, 0] = 255
    return out


@pytest.mark.parametrize(
    ("name", "contrast", "change", "read_again"),
    [
        ("the same picture", 200, lambda i: i.copy(), False),
        ("codec noise", 200, _noise, False),
        ("one pixel flips", 200, _one_pixel, False),
        ("a digit changes", 200, _digit_changed, True),
        ("a digit changes on a faint face", 30, _digit_changed, True),
        ("a small blurred digit changes", 200, _blurred_digit_changed, True),
    ],
)
def test_an_unchanged_picture_is_not_read_again(
    name: str, contrast: int, change: Callable[[Image], Image], read_again: bool
) -> None:
    """The meter's last certain read stands while its picture stays the same; a changed
    digit, however faint the face, is read."""
    reader = _Counting()
    chooser = PreparationChooser(["m"], calibration=0)
    first = _board(contrast)
    chooser.read(reader, {"m": first}, parse)
    assert reader.crops == 1
    chooser.read(reader, {"m": change(first)}, parse)
    assert (reader.crops == 2) is read_again, name
    assert chooser.recalled == (0 if read_again else 1), name


def _placed(text: str, steps: list[int]) -> RawRead:
    return RawRead(
        text=text, confidence=1.0, probs=(1.0,) * len(text), weakest=1.0, steps=tuple(steps)
    )


@pytest.mark.parametrize(
    ("name", "calibration", "later", "holed"),
    [
        (
            "an even number read evenly",
            _placed("$299.67", [0, 2, 4, 6, 7, 9, 11]),
            _placed("$300.44", [0, 2, 4, 6, 7, 9, 11]),
            False,
        ),
        (
            "a popup in the meter's colours hides two digits after the sign",
            _placed("$299.67", [0, 2, 4, 6, 7, 9, 11]),
            _placed("$3.44", [0, 5, 6, 8, 10]),
            True,
        ),
        (
            "a form with a space after its sign keeps it",
            _placed("$ 2845.04", [0, 2, 4, 6, 8, 10, 11, 13, 15]),
            _placed("$ 2846.04", [0, 2, 4, 6, 8, 10, 11, 13, 15]),
            False,
        ),
        (
            "a form with a space: a hole must be a digit wider still",
            _placed("$ 2845.04", [0, 2, 4, 6, 8, 10, 11, 13, 15]),
            _placed("$ 5.04", [0, 2, 8, 9, 11, 13]),
            True,
        ),
        (
            "an unplaced read is never called holed",
            _placed("$299.67", [0, 2, 4, 6, 7, 9, 11]),
            RawRead(text="$3.44", confidence=1.0, weakest=1.0),
            False,
        ),
    ],
)
def test_a_hole_in_the_number_is_a_cover(
    name: str, calibration: RawRead, later: RawRead, holed: bool
) -> None:
    """A popup in the meter's own colours shows no foreign colour, but the characters
    left around it are spaced wider than the meter ever prints them."""
    chooser = PreparationChooser(["m"], calibration=3)
    for _ in range(3):
        results = {w: (calibration, parse("m", calibration.text)) for w in range(3)}
        chooser._calibrate("m", results)
    assert chooser.holed("m", later) is holed, name


def _unsure_sign(text: str) -> RawRead:
    probs = (0.75,) + (1.0,) * (len(text) - 1)
    return RawRead(text=text, confidence=0.95, probs=probs, weakest=1.0)


@pytest.mark.parametrize(
    ("name", "texts", "disputed"),
    [
        ("an unsure sign where two ways read an 8", ["$13.12", "813.12", "813.12"], True),
        ("an unsure sign another way leaves out", ["$13.12", "13.12", "13.12"], False),
    ],
)
def test_an_unsure_sign_against_a_digit_is_doubt(
    name: str, texts: list[str], disputed: bool
) -> None:
    """Whether the first glyph is "$" or "8" is the value's first digit: a sign read
    unsurely settles nothing, so the sample is in doubt, and a meter whose calibration
    is all doubt keeps reading every way."""
    chooser = PreparationChooser(["m"], calibration=3)
    for _ in range(3):
        chooser.disputed = set()
        reads = [_unsure_sign(texts[0]), *(_placed(t, list(range(len(t)))) for t in texts[1:])]
        chooser._calibrate("m", {w: (r, parse("m", r.text)) for w, r in enumerate(reads)})
        assert ("m" in chooser.disputed) is disputed, name
    assert (chooser._state["m"].calibrating > 0) is disputed, name


def test_a_meter_settles_only_once_some_ways_agree() -> None:
    """A popup over the whole calibration leaves no way that read anything: the meter
    goes on reading every way until two agree, instead of settling on the first way."""
    chooser = PreparationChooser(["m"], calibration=2)
    # given a calibration spent under a popup: no way parses
    for _ in range(4):
        chooser._calibrate("m", _results(None, None, None))  # type: ignore[arg-type]
    # then the meter is still calibrating, and has learned no form from it
    assert chooser._state["m"].calibrating == 1
    assert chooser._sign_seen["m"]["samples"] == 0
    # when the popup is gone and the faded ways agree
    chooser._calibrate("m", _results("$812.50", "$12.50", "$12.50"))  # type: ignore[arg-type]
    # then it settles on them
    assert chooser._state["m"].calibrating == 0
    assert chooser._state["m"].preferred == 1


class _Fails:
    """A reader whose chosen way (a call with one crop) reads nothing, and whose other
    ways (the fallback call) read ``fallback``; every way reads "$12.50" while calibrating."""

    name = "fails"

    def __init__(self, fallback: str) -> None:
        self.fallback = fallback

    def warmup(self) -> None: ...

    def close(self) -> None: ...

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        text = {1: "BONUS", 2: self.fallback}.get(len(crops), "$12.50")
        return [RawRead(text=text, confidence=1.0, weakest=1.0)] * len(crops)


@pytest.mark.parametrize(
    ("name", "fallback", "chooses_again"),
    [
        ("a popup no way reads through", "BONUS", False),
        ("the other ways read the crop", "$12.50", True),
    ],
)
def test_the_chosen_way_is_blamed_only_where_another_way_reads(
    name: str, fallback: str, chooses_again: bool
) -> None:
    """A popup over a meter for longer than ``refail`` samples is no reason to choose its
    preparation again: calibrating afresh after it would leave the next samples in doubt.
    A way that fails where the others read is."""
    rng = np.random.default_rng(0)
    chooser = PreparationChooser(["m"], calibration=1, refail=3)
    # given a meter settled on the plain crop
    chooser.read(_Fails(fallback), {"m": rng.integers(0, 255, (40, 120, 3), np.uint8)}, parse)
    assert chooser._state["m"].calibrating == 0, name
    # when its chosen way fails on refail samples in a row
    for _ in range(3):
        crops = {"m": rng.integers(0, 255, (40, 120, 3), np.uint8)}
        chooser.read(_Fails(fallback), crops, parse)
    # then it calibrates again only if the other ways read what it could not
    assert (chooser._state["m"].calibrating > 0) is chooses_again, name
