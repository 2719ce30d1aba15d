"""The truth follows what the encoded video shows: a frame whose decoded picture still
shows an earlier value also takes that value (foureyes.demo.synth.lag)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from foureyes.demo.synth.lag import MIN_PIXELS, LagWatch, _shows, amend_truth
from foureyes.demo.synth.plan import FrameState
from foureyes.demo.synth.timeline import Shown
from foureyes.errors import FourEyesError

H, W = 32, 64


def _glyph(col: int) -> npt.NDArray[np.uint8]:
    """A dark face with one bright bar at column ``col``: two of them differ as two
    digits do, in a few strong pixels."""
    img = np.full((H, W), 30, np.uint8)
    img[6:26, col : col + 4] = 220
    return img


OLD, NEW = _glyph(10), _glyph(40)


@pytest.mark.parametrize(
    ("decoded", "expected"),
    [
        (OLD, True),
        (NEW, False),
        ((OLD * 0.6 + NEW * 0.4).astype(np.uint8), True),  # more than half way back
        ((OLD * 0.4 + NEW * 0.6).astype(np.uint8), False),
        (np.clip(NEW.astype(int) + 12, 0, 255).astype(np.uint8), False),  # coding error
    ],
    ids=["old", "new", "mostly-old", "mostly-new", "new-with-noise"],
)
def test_shows_compares_where_the_pictures_differ(
    decoded: npt.NDArray[np.uint8], expected: bool
) -> None:
    assert _shows(decoded, OLD, NEW) is expected


def test_a_difference_of_a_few_pixels_is_not_a_glyph() -> None:
    speck = OLD.copy()
    speck[0, : MIN_PIXELS - 1] = 255
    assert not _shows(speck, speck, OLD)


def _state(index: int, value: int, covered: float = 0.0) -> FrameState:
    shown = Shown(value=value, strip=(value,), lo=value, hi=value, frac=0.0)
    return FrameState(index=index, shown={"m": shown}, covered={"m": covered}, popups=())


def _yuv(luma: npt.NDArray[np.uint8]) -> Any:
    rgb = np.repeat(luma[:, :, None], 3, axis=2)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def _watch(frames: list[tuple[FrameState, npt.NDArray[np.uint8], npt.NDArray[np.uint8]]]) -> Any:
    """Encode each (state, drawn, encoded) with real H.264, telling the watch the frame
    was drawn as ``drawn`` while the encoder is given ``encoded`` (a picture that lags, as
    a low-quality encoder's output does); return the watch once the stream is decoded."""
    enc: Any = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = W, H, "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.options = {"crf": "16", "preset": "ultrafast", "threads": "1"}
    dec: Any = av.CodecContext.create("h264", "r")
    watch = LagWatch({"m": (0, 0, W, H)}, dec)
    for i, (state, drawn, encoded) in enumerate(frames):
        watch.sent(state, _yuv(drawn).to_ndarray()[:H])
        frame = _yuv(encoded)
        frame.pts = i
        watch.packets(enc.encode(frame))
    watch.packets(enc.encode(None))
    watch.finish()
    return watch


def test_a_frame_that_still_shows_the_old_value_takes_it() -> None:
    frames = [(_state(i, 1), OLD, OLD) for i in range(4)]
    frames += [(_state(4, 2), NEW, OLD), (_state(5, 2), NEW, OLD)]  # two frames late
    frames += [(_state(i, 2), NEW, NEW) for i in range(6, 10)]
    lags = _watch(frames).lags
    assert lags == {(4, "m"): (1, (), 0.0), (5, "m"): (1, (), 0.0)}


def test_a_popup_still_on_screen_keeps_its_cover() -> None:
    covered = OLD.copy()
    covered[:, 20:50] = 250
    frames = [(_state(0, 1), OLD, OLD), (_state(1, 1, 0.5), covered, covered)]
    frames += [(_state(2, 1), OLD, covered), (_state(3, 1), OLD, OLD)]
    assert _watch(frames).lags == {(2, "m"): (1, (), 0.5)}


def test_an_encode_that_keeps_up_changes_nothing() -> None:
    frames = [
        (_state(i, 1 + i // 3), p, p) for i, p in enumerate([OLD] * 3 + [NEW] * 3 + [OLD] * 3)
    ]
    assert _watch(frames).lags == {}


def test_amend_truth_adds_the_shown_value_and_cover(tmp_path: Path) -> None:
    rows = [
        {"frame": 4, "meter": "m", "value": 0.02, "alt": [], "covered": 0.0, "visible": True},
        {"frame": 4, "meter": "n", "value": 0.07, "alt": [], "covered": 0.0, "visible": True},
        {"frame": 5, "meter": "m", "value": 0.02, "alt": [0.03], "covered": 0.0, "visible": True},
    ]
    path = tmp_path / "truth.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    lags = {(4, "m"): (1, (), 0.0), (5, "m"): (1, (3,), 0.4)}
    changed = amend_truth(path, lags, {"m": lambda v: v / 100})
    out = [json.loads(line) for line in path.read_text().splitlines()]
    assert changed == 2
    assert out[0]["alt"] == [0.01] and out[0]["visible"]
    assert out[1] == rows[1]
    assert out[2]["alt"] == [0.03, 0.01] and out[2]["covered"] == 0.4 and not out[2]["visible"]


def test_a_stream_that_lost_frames_is_an_error() -> None:
    dec: Any = av.CodecContext.create("h264", "r")
    watch = LagWatch({"m": (0, 0, W, H)}, dec)
    watch.sent(_state(0, 1), OLD)
    with pytest.raises(FourEyesError, match="decodes to 0 frames where 1 were drawn"):
        watch.finish()
