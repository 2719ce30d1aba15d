"""Randomised jackpot-board videos with exact per-frame truth, drawn from an integer seed.

A meter reader that scores 100% on one generator's boards has learnt that generator. This
one varies what real screens vary, each from the seed (:mod:`.draw`): faces (every usable
installed font the OCR model reads large and clean, segment faces with ghosts), digit
heights 12-90 px (above a legibility floor: 12 px on a flat screen, more through a blurry
camera or with glow under heavy compression), colours and polarity,
glow/shadow/outline/bevel/gradients, moving backgrounds behind the digits, number formats,
increment rates with bursts, odometer/wheel/flip/fade/instant rolls, resets with and
without a win popup, ordinary popups (some in the meter's own colours), codecs and their
quality, resolution, frame rate, resampling, a filmed screen, layouts and scenes.

Seeds below :data:`HELD_OUT_START` are for development (:data:`DEV_SEEDS`); seeds from it
up are held out for reporting. The same seed gives the same factors, truth and (before
encoding) pixels on the same machine and fonts.

Modules: :mod:`.fonts` and :mod:`.survey` (the faces; the OCR survey keeps those the
model reads), :mod:`.factors` (the records), :mod:`.draw` and :mod:`.colours` (the seeded
choices), :mod:`.legibility` (effective heights and their floors), :mod:`.timeline`
(values, display strips, truth), :mod:`.glyphs` and :mod:`.paint` (digits and effects),
:mod:`.layout`, :mod:`.scene`, :mod:`.backdrop`, :mod:`.popups`, :mod:`.plan` (the
per-frame state), :mod:`.render` and :mod:`.output` (pixels), :mod:`.encode`,
:mod:`.files`. ``python -m foureyes.demo.synth OUT --seed N`` renders one seed from the
command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from foureyes.demo.synth.draw import draw_factors
from foureyes.demo.synth.factors import Factors, MeterFactors, VideoFactors

if TYPE_CHECKING:
    from foureyes.demo.camera import Camera
    from foureyes.demo.synth.plan import Plan

__all__ = [
    "DEV_SEEDS",
    "HELD_OUT_START",
    "Factors",
    "MeterFactors",
    "SynthVideo",
    "VideoFactors",
    "draw_factors",
    "generate_random",
    "render_factors",
]

DEV_SEEDS = range(0, 10_000)
HELD_OUT_START = 10_000


@dataclass(frozen=True)
class SynthVideo:
    """The files :func:`generate_random` wrote and what they hold."""

    video: Path
    config: Path
    truth: Path
    truth_events: Path
    factors: Path
    seed: int
    frames: int
    fps: int
    meters: tuple[str, ...]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """OpenCV on one thread while generating: a benchmark runs several side by side."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def render_factors(
    out_dir: Path,
    factors: Factors,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SynthVideo:
    """Render ``factors`` into ``out_dir``: the video, ``meters.yaml`` and the truth."""
    from foureyes.demo.synth.encode import Encoder
    from foureyes.demo.synth.files import TruthWriter, write_config, write_events, write_factors
    from foureyes.demo.synth.lag import LagWatch, amend_truth
    from foureyes.demo.synth.plan import frames, make_plan
    from foureyes.demo.synth.render import Renderer, camera_for

    v = factors.video
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = SynthVideo(
        video=out_dir / f"seed{factors.seed}.{v.container}",
        config=out_dir / "meters.yaml",
        truth=out_dir / "truth.jsonl",
        truth_events=out_dir / "truth_events.jsonl",
        factors=out_dir / "factors.json",
        seed=factors.seed,
        frames=v.frames,
        fps=v.fps,
        meters=tuple(m.name for m in factors.meters),
    )
    with _one_thread():
        plan = make_plan(factors)
        camera = camera_for(plan)
        with Encoder(paths.video, v) as encoder, TruthWriter(paths.truth, plan) as truth:
            renderer = Renderer(plan, camera, encoder.planes)
            watch = LagWatch(
                _regions(plan, paths.video.name, camera),
                encoder.decoder(),
                extradata=encoder.extradata,
            )
            encoder.tap = watch.packets
            for state in frames(plan):
                planes = renderer.frame(state)
                watch.sent(state, planes.y)
                encoder.write()
                truth.write(state)
                if progress is not None:
                    progress(state.index + 1, v.frames)
            encoder.close()
            watch.finish()
    # the truth follows the decoded video where the encoder showed a change late
    amend_truth(paths.truth, watch.lags, {m.name: m.fmt.display for m in factors.meters})
    write_config(paths.config, plan, paths.video.name, camera)
    write_events(paths.truth_events, plan)
    write_factors(paths.factors, plan)
    return paths


def _regions(
    plan: Plan, video_name: str, camera: Camera | None
) -> dict[str, tuple[int, int, int, int]]:
    """Each meter's region in output pixels, as ``meters.yaml`` gives it: where
    :class:`~foureyes.demo.synth.lag.LagWatch` compares the decoded video with the drawing."""
    from foureyes.demo.synth.files import config_doc

    doc = config_doc(plan, video_name, camera)
    return {name: tuple(entry["region"]) for name, entry in doc["meters"].items()}


def generate_random(
    out_dir: Path,
    seed: int,
    *,
    seconds: float | None = None,
    sample_fps: float | None = None,
    long: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SynthVideo:
    """Draw seed ``seed``'s factors and render its video into ``out_dir``.

    ``seconds`` overrides the drawn 30-60 s (``long``: 600 s); ``sample_fps`` overrides
    the drawn sampling rate written to ``meters.yaml`` (pass the video's fps to read
    every frame).
    """
    factors = draw_factors(seed, seconds=seconds, sample_fps=sample_fps, long=long)
    return render_factors(out_dir, factors, progress=progress)
