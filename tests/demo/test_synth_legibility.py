"""Legibility floors and the OCR survey of faces: what keeps every meter readable at rest."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from foureyes.demo.camera import Camera, CameraEffects
from foureyes.demo.synth import draw_factors
from foureyes.demo.synth import fonts as font_module
from foureyes.demo.synth.factors import Paint, VideoFactors
from foureyes.demo.synth.fonts import FontFace
from foureyes.demo.synth.legibility import FLAT, GLOW_DEGRADED, floor, lens_scale, lift, temper
from foureyes.demo.synth.survey import SurveyModel, cache_file, reads_right, survey
from foureyes.errors import ReaderError
from foureyes.model import Image, RawRead

DEJAVU = font_module.FONT_ROOT / "truetype" / "dejavu"

# -- floors -------------------------------------------------------------------------------


def _video(**changes: object) -> VideoFactors:
    v = draw_factors(4).video  # a flat 480p H.265 video at crf 20
    assert v.camera is None and v.codec == "h265" and v.crf == 20
    return replace(v, **changes)  # type: ignore[arg-type]


def _paint(
    glow: float = 0.0, bevel: float = 0.0, shadow: float = 0.0, outline: float = 0.0
) -> Paint:
    p = draw_factors(4).meters[0].paint
    return replace(p, glow=glow, bevel=bevel, shadow=shadow, outline=outline)


def _camera(blur: float) -> CameraEffects:
    return CameraEffects(yaw_deg=10, pitch_deg=6, fill=0.9, blur_sigma=blur, noise_sigma=2.0)


@pytest.mark.parametrize(
    ("video", "paint", "expected"),
    [
        ({}, {}, 12.0),
        ({"crf": 35}, {}, 12.0),
        ({"codec": "mjpeg", "preset": "12", "crf": 35}, {}, 12.0),
        ({"render_size": (1280, 720)}, {}, 12.0),
        ({}, {"shadow": 0.1, "outline": 0.08, "glow": 0.15, "bevel": 0.5}, 12.0),
        ({"camera": _camera(0.5)}, {}, 12.0),
        ({"camera": _camera(1.4)}, {}, 19.6),
        ({"camera": _camera(0.5), "codec": "h264", "crf": 31}, {}, 16.0),
        ({"camera": _camera(1.0), "codec": "mjpeg", "preset": "9"}, {}, 16.0),
        ({"camera": _camera(0.5), "crf": 33}, {}, 16.0),
        ({"camera": _camera(1.0), "crf": 33}, {}, 22.0),
        ({"camera": _camera(0.5)}, {"glow": 0.06}, 18.0),
        ({"crf": 28}, {"glow": 0.06}, 18.0),
        ({"codec": "vp9", "crf": 30}, {"glow": 0.06, "bevel": 0.5}, 12.0),
        ({"crf": 32}, {"bevel": 0.5}, 16.0),
    ],
)
def test_floor_grows_with_what_blurs_small_text(
    video: dict[str, object], paint: dict[str, float], expected: float
) -> None:
    """12 px on a flat screen at any quality, with any effect on a sharp picture; a
    camera's blur, compression of its picture, and glow or bevel on a blurred or heavily
    compressed picture each raise the floor."""
    assert floor(_video(**video), _paint(**paint)) == expected


def test_glow_is_tempered_on_a_degraded_picture() -> None:
    """A wide glow stays on a sharp picture and narrows to 0.08 of the height on a filmed
    or heavily compressed one; a narrow glow is left alone."""
    wide, narrow = _paint(glow=0.15), _paint(glow=0.06)
    assert temper(wide, _video()).glow == 0.15
    assert temper(wide, _video(camera=_camera(0.5))).glow == GLOW_DEGRADED
    assert temper(wide, _video(crf=30)).glow == GLOW_DEGRADED  # H.265 at crf 26 and up
    assert temper(narrow, _video(crf=35)) == narrow


def test_lift_keeps_the_range_above_the_floor() -> None:
    """Drawn heights map onto floor-90 px in order; with a 12 px floor they are kept."""
    assert lift(15.0, FLAT) == 15.0
    assert lift(12.0, 22.0) == pytest.approx(22.0) and lift(90.0, 22.0) == pytest.approx(90.0)
    lifted = [lift(h, 22.0) for h in (12, 14, 20, 35, 60, 90)]
    assert lifted == sorted(lifted) and all(22 <= h <= 90 for h in lifted)


def test_lens_scale_is_the_cameras_own_warp() -> None:
    """The lens scale at a point is how long the camera makes a short vertical segment
    there; with no camera it is the output over the rendered size."""
    v = _video(camera=_camera(0.8), size=(1280, 720), render_size=(1280, 720))
    cam = Camera(v.camera, *v.size, np.random.default_rng(0))  # type: ignore[arg-type]
    for x, y in ((100.0, 80.0), (640.0, 360.0), (1200.0, 700.0)):
        (x0, y0), (x1, y1) = cam.warp_points([(x, y - 0.5), (x, y + 0.5)])
        assert lens_scale(v, [(x, y)]) == pytest.approx(np.hypot(x1 - x0, y1 - y0), rel=1e-3)
    assert lens_scale(v) < v.camera.fill  # type: ignore[union-attr]
    assert lens_scale(_video(render_size=(1280, 720))) == pytest.approx(480 / 720)


# -- the survey ---------------------------------------------------------------------------


class _Reader:
    """Reads each image as ``answer`` says (by the image's identity)."""

    name = "fake"

    def __init__(self, answer: Callable[[Image], str], calls: list[int]) -> None:
        self.answer, self.calls = answer, calls

    def warmup(self) -> None:
        pass

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.calls.append(len(crops))
        return [RawRead(text=self.answer(c), confidence=1.0) for c in crops]

    def close(self) -> None:
        pass


def _model(answer: Callable[[Image], str], calls: list[int]) -> SurveyModel:
    return SurveyModel("fake 1", lambda: _Reader(answer, calls))


def _refused() -> SurveyModel:
    def load() -> _Reader:
        raise AssertionError("the survey read the model")

    return SurveyModel("fake 1", load)


@pytest.fixture
def two_dejavus(tmp_path: Path) -> Path:
    root = tmp_path / "fonts"
    root.mkdir()
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (root / name).symlink_to(DEJAVU / name)
    return root


@pytest.fixture
def misread_bold(monkeypatch: pytest.MonkeyPatch) -> Callable[[Image], str]:
    """A reader's answers: every specimen read right except the bold face's, whose 3s
    read as 8s (the specimens are spied on as the catalogue draws them)."""
    shown: dict[int, tuple[str, str]] = {}
    real = font_module.specimens

    def spy(face: FontFace, faces: tuple[FontFace, ...]) -> list[tuple[Image, str]]:
        out = real(face, faces)
        shown.update({id(image): (face.style, number) for image, number in out})
        return out

    monkeypatch.setattr(font_module, "specimens", spy)

    def answer(image: Image) -> str:
        style, number = shown[id(image)]
        return number.replace("3", "8") if style == "Bold" else "$" + number

    return answer


def test_survey_drops_a_face_the_model_misreads(
    two_dejavus: Path, tmp_path: Path, misread_bold: Callable[[Image], str]
) -> None:
    """A face whose digits the model misreads large and clean leaves the catalogue, with
    the reason recorded; DejaVu Sans stays."""
    calls: list[int] = []
    model = _model(misread_bold, calls)
    faces = font_module.catalogue(two_dejavus, cache_dir=tmp_path / "cache", model=model)
    assert [(f.family, f.style) for f in faces] == [("DejaVu Sans", "Book")]
    (path, why), *_ = font_module.exclusions(two_dejavus, cache_dir=tmp_path / "cache", model=model)
    assert path.endswith("DejaVuSans-Bold.ttf") and "misreads" in why and "1,284.56" in why
    assert calls == [2 * 3]  # both faces' three samples, in one call of the model


def test_the_cache_spares_the_model(
    two_dejavus: Path, tmp_path: Path, misread_bold: Callable[[Image], str]
) -> None:
    """A second survey of the same fonts (another process, say) reads no model."""
    cache = tmp_path / "cache"
    first = font_module.catalogue(two_dejavus, cache_dir=cache, model=_model(misread_bold, []))
    again = font_module.catalogue(two_dejavus, cache_dir=cache, model=_refused())
    assert again == first
    doc = json.loads(cache_file(cache, _refused()).read_text())
    assert len(doc) == 2 and all(set(e) == {"stamp", "reads", "numbers"} for e in doc.values())


def test_a_changed_font_is_read_again(tmp_path: Path) -> None:
    """The cache keys a verdict by the font file's size and mtime; an entry it cannot
    use is read again rather than trusted."""
    font = tmp_path / "face.ttf"
    font.write_bytes(b"not really a font")
    calls: list[int] = []

    def render(path: str) -> list[tuple[Image, str]]:
        return [(np.zeros((4, 4, 3), np.uint8), "1,234.56")]

    model = _model(lambda _: "$1234.56", calls)
    for _ in range(2):
        assert survey([str(font)], render, cache=tmp_path, model=model)[str(font)].ok
    assert calls == [1]
    os.utime(font, ns=(1, 1))
    survey([str(font)], render, cache=tmp_path, model=model)
    assert calls == [1, 1]
    file = cache_file(tmp_path, model)
    file.write_text(json.dumps({str(font): {"stamp": [17, 1], "reads": "garbled"}}))
    survey([str(font)], render, cache=tmp_path, model=model)  # a malformed entry: read again
    assert calls == [1, 1, 1]


def test_without_the_model_the_survey_fails_clearly(two_dejavus: Path, tmp_path: Path) -> None:
    """If the OCR model cannot load, the catalogue refuses rather than keep every face."""

    def load() -> _Reader:
        raise ImportError("No module named 'rapidocr'")

    with pytest.raises(ReaderError, match=r"cannot survey the fonts.*rapidocr"):
        font_module.catalogue(two_dejavus, cache_dir=tmp_path, model=SurveyModel("none", load))


@pytest.mark.parametrize(
    ("text", "number", "right"),
    [
        ("$1,234.56", "1,234.56", True),
        ("€ 1.234.56", "1,234.56", True),  # a comma read as a point
        ("$123456", "1,234.56", True),  # separators lost: the meter's decimals recover them
        ("81,234.56", "1,234.56", False),  # the sign read as a digit
        ("$1123456", "1,234.56", False),  # a comma read as a 1
        ("$1,284.56", "1,234.56", False),
    ],
)
def test_what_reads_right(text: str, number: str, right: bool) -> None:
    assert reads_right(text, number) is right


@pytest.mark.slow
def test_the_real_model_keeps_dejavu_sans(tmp_path: Path) -> None:
    """RapidOCR reads DejaVu Sans' specimens right (and fills the cache)."""
    root = tmp_path / "fonts"
    root.mkdir()
    (root / "DejaVuSans.ttf").symlink_to(DEJAVU / "DejaVuSans.ttf")
    faces = font_module.catalogue(root, cache_dir=tmp_path / "cache")
    assert [f.name for f in faces] == ["DejaVu Sans Book"]
    assert len(list((tmp_path / "cache").glob("synth-fonts-*.json"))) == 1
