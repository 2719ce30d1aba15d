"""Every random choice behind one synthetic video, as frozen records.

A seed decides a :class:`Factors`: the video's (size, frame rate, codec, camera, layout,
scene, popups, sampling) and each meter's (face, size, format, values, motion, paint,
panel, region). Nothing else is random except what is seeded from ``VideoFactors.seeds``,
so the records are the whole story of a video and :meth:`Factors.labels` can file every
meter's score under the factors that made it hard.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from foureyes.demo.camera import CameraEffects
from foureyes.demo.synth.fonts import FontFace

__all__ = [
    "Colour",
    "Factors",
    "Format",
    "MeterFactors",
    "Motion",
    "Paint",
    "Scene",
    "VideoFactors",
]

Colour = tuple[int, int, int]
ROLLS = ("odometer", "wheel", "flip", "fade", "instant")
ANIMATIONS = ("gradient", "stripes", "stars", "sparkles")
CODECS = ("h264", "h265", "vp9", "mjpeg")


@dataclass(frozen=True, slots=True)
class Format:
    """How a value is printed: ``sign`` ("" for none) before or after (``suffix``) the
    number, thousands ``separators`` or not, ``decimals`` 0 or 2."""

    sign: str
    suffix: bool
    separators: bool
    decimals: int

    def number(self, units: int) -> str:
        """The digits and separators of ``units`` (smallest units), without the sign."""
        whole, frac = divmod(units, 10**self.decimals)
        text = f"{whole:,}" if self.separators else str(whole)
        return f"{text}.{frac:0{self.decimals}d}" if self.decimals else text

    def display(self, units: int) -> int | float:
        """The value as the truth files give it: 1234.56, or 1234 without decimals."""
        return units if self.decimals == 0 else round(units / 10**self.decimals, self.decimals)

    @property
    def template(self) -> str:
        body = "#,###" if self.separators else "####"
        if self.decimals:
            body += "." + "#" * self.decimals
        if not self.sign:
            return body
        return f"{body} {self.sign}" if self.suffix else f"{self.sign}{body}"

    @property
    def kind(self) -> str:
        """The config's ``kind``: currency when a sign is shown."""
        return "currency" if self.sign else ("number" if self.decimals else "integer")


@dataclass(frozen=True, slots=True)
class Motion:
    """How a meter's value moves. ``rate`` is Poisson increments per second; ``bursts``
    is clusters per second (0: none) of ``burst_size`` increments spaced closer than a roll
    settles; ``roll_seconds`` is a transition's duration; ``step`` bounds an increment in
    smallest units, ``big_steps`` the share of ten-to-thirty-fold ones."""

    roll: str
    roll_seconds: float
    easing: str  # "smooth", "out" or "linear"
    rate: float
    step: tuple[int, int]
    big_steps: float
    bursts: float
    burst_size: tuple[int, int]
    resets_per_minute: float
    lowest: bool  # the board's lowest meter: pops at least once every ~30 s

    def roll_frames(self, fps: int) -> int:
        """Frames a transition takes; 1 means the display snaps."""
        if self.roll == "instant":
            return 1
        return max(2, round(self.roll_seconds * fps))


@dataclass(frozen=True, slots=True)
class Paint:
    """How one meter's digits and the window behind them are coloured.

    Effects are sizes relative to the digit height (0: off). ``animated`` names the moving
    background behind the digits ("none" for a still one) and ``accent`` its second colour.
    """

    dark_on_light: bool
    window: Colour
    window_end: Colour  # the window's bottom colour (== window: flat)
    fill: Colour
    fill_end: Colour
    gradient: str  # "flat", "vertical", "horizontal"
    glow: float
    shadow: float
    outline: float
    bevel: float
    edge: Colour  # outline and shadow
    ghost: Colour  # unlit segments of a segment face
    animated: str
    accent: Colour

    @property
    def effects(self) -> tuple[str, ...]:
        on = (("bevel", self.bevel), ("glow", self.glow), ("outline", self.outline))
        return tuple(n for n, v in (*on, ("shadow", self.shadow)) if v > 0)


@dataclass(frozen=True, slots=True)
class MeterFactors:
    """One meter. ``height`` is the digit height in rendered pixels, ``height_out`` its
    effective height in the output video's (after scaling, and through the camera where
    the meter is smallest), never below ``floor``, the smallest legible height for its
    video and paint (:mod:`.legibility`). Values are in smallest units (cents for two
    decimals)."""

    name: str
    label: str
    face: FontFace
    sign_face: FontFace
    label_face: FontFace
    height: int
    height_out: float
    floor: float
    stretch: float  # horizontal scale of the glyphs
    tracking: float  # extra advance per character / height
    align: str  # "right" or "centre"
    sign_fixed: bool  # a prefix sign stays at the window's left edge
    fmt: Format
    seed_value: int
    start_value: int
    motion: Motion
    paint: Paint
    window_pad: tuple[float, float]  # window padding (x, y) / height
    label_pos: str  # "above" or "left"
    label_scale: float  # label cap height / digit height
    panel: str  # "panel", "window" (a value window only) or "bare"
    panel_colour: Colour
    border: Colour
    label_colour: Colour
    region: str  # "tight", "generous" or "label"
    region_pad: float  # / height


@dataclass(frozen=True, slots=True)
class Scene:
    """The still picture around the meters."""

    base: str  # "vertical", "horizontal", "radial", "diagonal"
    colours: tuple[Colour, Colour]
    rays: bool
    bokeh: bool
    bulbs: bool
    title: str  # "" for none
    reels: bool
    decoys: bool


@dataclass(frozen=True, slots=True)
class VideoFactors:
    """The whole video. The board is rendered at ``render_size`` and resampled to ``size``
    with ``resample`` ("none" when they are equal); ``seeds`` seed the timeline, popups,
    scene and camera generators so each can change without disturbing the others."""

    seconds: float
    fps: int
    frames: int
    sample_fps: float
    size: tuple[int, int]
    render_size: tuple[int, int]
    resample: str
    codec: str
    crf: int
    preset: str  # x264/x265 preset, VP9 cpu-used, or MJPEG's qscale
    container: str  # file extension
    camera: CameraEffects | None
    layout: str  # "stack", "strip", "grid", "scatter"
    scene: Scene
    popup_rate: float  # ordinary popups per second over the board
    brightness: float
    saturation: float
    seeds: tuple[int, int, int, int]  # timeline, popups, scene, camera

    @property
    def scaling(self) -> str:
        if self.render_size == self.size:
            return "none"
        return "up" if self.size[0] > self.render_size[0] else "down"


def _band(x: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    for edge, name in zip(edges, names, strict=False):
        if x < edge:
            return name
    return names[-1]


def _sampling(sample_fps: float, fps: int) -> str:
    if sample_fps >= fps:
        return "every"
    if sample_fps < 1:
        return "<1/s"
    if sample_fps in (1, 2, 10):
        return f"{sample_fps:g}/s"
    return "3-5/s" if 3 <= sample_fps <= 5 else f"{sample_fps:g}/s"


def _crf_band(crf: int) -> str:
    return "18-25" if crf <= 25 else "26-30" if crf <= 30 else "31-35"


def _legibility(height: float, floor: float) -> str:
    """How far above its floor a meter is drawn: within 25% of it, up to twice, beyond."""
    ratio = height / max(floor, 1e-6)
    return "floor" if ratio < 1.25 else "1.25-2x" if ratio < 2 else ">2x"


def _popup_band(rate: float) -> str:
    return "none" if rate <= 0 else _band(rate, (0.1, 0.3), ("<0.1/s", "0.1-0.3/s", ">0.3/s"))


@dataclass(frozen=True)
class Factors:
    """All of one seed's choices; ``meters`` in board order (largest first)."""

    seed: int
    video: VideoFactors
    meters: tuple[MeterFactors, ...]

    def meter(self, name: str) -> MeterFactors:
        return next(m for m in self.meters if m.name == name)

    def video_labels(self) -> dict[str, str]:
        v = self.video
        return {
            "codec": f"{v.codec}-crf{_crf_band(v.crf)}",
            "camera": "flat" if v.camera is None else "camera",
            "sampling": _sampling(v.sample_fps, v.fps),
            "resolution": f"{v.size[0]}x{v.size[1]}",
            "fps": str(v.fps),
            "scaling": v.scaling if v.resample == "none" else f"{v.scaling}-{v.resample}",
            "layout": v.layout,
            "scene": v.scene.base + ("+reels" if v.scene.reels else ""),
            "popups": _popup_band(v.popup_rate),
            "meters": str(len(self.meters)),
            "grade": _band(v.brightness, (0.9, 1.02), ("dim", "normal", "bright")),
        }

    def meter_labels(self, m: MeterFactors) -> dict[str, str]:
        mo, p = m.motion, m.paint
        roll = mo.roll
        if roll == "odometer":
            roll += "-fast" if mo.roll_seconds < 0.4 else "-slow"
        rate = _band(mo.rate, (0.5, 1.5), ("<0.5/s", "0.5-1.5/s", ">1.5/s"))
        slant = "italic" if any(s in m.face.style for s in ("Italic", "Oblique")) else "upright"
        width = _band(m.stretch, (0.9, 1.1), ("condensed", "normal", "expanded"))
        return {
            "font": m.face.family,
            "slant": slant,
            "width": width,
            "height": _band(m.height_out, (20, 30, 50), ("12-19", "20-29", "30-49", "50-90")),
            "legibility": _legibility(m.height_out, m.floor),
            "roll": roll,
            "rate": rate + ("+bursts" if mo.bursts > 0 else ""),
            "bursts": "bursts" if mo.bursts > 0 else "none",
            "effects": "+".join(p.effects) or "flat",
            "fill": p.gradient,
            "polarity": "dark-on-light" if p.dark_on_light else "light-on-dark",
            "background": f"anim-{p.animated}" if p.animated != "none" else "still",
            "format": m.fmt.template,
            "spacing": _band(m.tracking, (-0.01, 0.04), ("tight", "normal", "wide")),
            "align": m.align,
            "region": m.region,
            "panel": m.panel,
            "resets": "often" if mo.lowest else "rare",
            "popups": _popup_band(self.video.popup_rate),
        }

    def labels(self) -> dict[str, Any]:
        """Short band labels for a factor table: ``{"video": {...}, "meters": {name: {...}}}``."""
        return {
            "video": self.video_labels(),
            "meters": {m.name: self.meter_labels(m) for m in self.meters},
        }

    def to_dict(self) -> dict[str, Any]:
        """The record as ``factors.json`` stores it: the choices and their labels."""
        meters = {m.name: _plain(dataclasses.asdict(m)) for m in self.meters}
        return {
            "seed": self.seed,
            "video": _plain(dataclasses.asdict(self.video)),
            "meters": meters,
            "labels": self.labels(),
        }


def _plain(value: Any) -> Any:
    """Tuples to lists and floats rounded, so the JSON is short and diffable."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value
