"""Draw a seed's :class:`~foureyes.demo.synth.factors.Factors`.

One ``random.Random(seed)`` is consumed in a fixed order, whatever the caller overrides
(``seconds``, ``sample_fps``), so a seed keeps its look when only its length changes. The
codec keeps its drawn share; frame rate and size are drawn among those whose estimated
generation cost (:func:`estimated_cost`, fitted to this pipeline's encoders) is within
:data:`COST_CAP`, because a benchmark renders hundreds of videos on two cores: the dear
combinations (1080p, 50/60 fps, H.265 above 480p) become rare rather than the average
slow. Meters then draw their face, size, format, values, motion and paint; a meter's
drawn height is lifted above its legibility floor (:mod:`.legibility`: what its video and
paint need to stay readable), the timeline fixes the widest value each reaches, and the
heights shrink until the layout fits, never below the floors.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from foureyes.demo.camera import CameraEffects
from foureyes.demo.synth.colours import draw_paint, grade, pick_colour
from foureyes.demo.synth.factors import (
    Factors,
    Format,
    MeterFactors,
    Motion,
    Scene,
    VideoFactors,
)
from foureyes.demo.synth.fonts import FontFace, catalogue, sign_face
from foureyes.demo.synth.layout import arrange, fit, render_per_output
from foureyes.demo.synth.legibility import floor, lens_scale, lift, temper
from foureyes.demo.synth.timeline import build_tracks

__all__ = ["draw_factors", "estimated_cost"]

SIZES = ((854, 480), (1280, 720), (1600, 900), (1920, 1080))
RENDER_ONLY = ((640, 360), (2560, 1440))  # render sizes for up- and downscaled videos
FPS = (24, 25, 30, 50, 60)
SAMPLE_FPS = (1, 2, 2, 3, 5, 10)
NAMES = (("grand", "GRAND"), ("major", "MAJOR"), ("minor", "MINOR"), ("mini", "MINI"))
# ms of one core per frame: (fixed, per output megapixel), measured with this pipeline
_COST = {
    "h264-ultrafast": (0.9, 5.1),
    "h264-veryfast": (1.2, 9.6),
    "h265": (3.4, 23.1),
    "vp9": (1.7, 10.8),
    "mjpeg": (2.0, 4.7),
}
_OVERHEAD = (1.2, 0.6)  # rendering, truth and handing frames over
_CAMERA = (1.5, 6.0)  # the filmed screen: whole-frame work, and a busier encoder
COST_CAP = 380.0  # ms of one core per second of video
# per meter: seeds (whole units), start multiplier range, top step (cents, whole units)
_VALUES = {
    "grand": ((10_000, 20_000, 25_000, 50_000, 100_000), (1.05, 3.0), (400, 25), 0.03),
    "major": ((500, 1_000, 2_000, 5_000), (1.05, 2.5), (150, 8), 0.15),
    "minor": ((50, 100, 200, 250), (1.05, 2.0), (40, 3), 0.5),
    "mini": ((10, 20, 25), (1.05, 1.8), (25, 2), 1.0),
}


def estimated_cost(size: tuple[int, int], fps: int, codec: str, camera: bool) -> float:
    """Generation cost in ms of one core per second of video; ``codec`` is a ``_COST``
    key (H.264 with its preset)."""
    mp = size[0] * size[1] / 1e6
    parts = [_COST[codec], _OVERHEAD, _CAMERA if camera else (0.0, 0.0)]
    return fps * sum(a + b * mp for a, b in parts)


def _pick(rng: random.Random, options: tuple[object, ...], weights: tuple[float, ...]) -> object:
    return rng.choices(options, weights)[0]


def _loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _encoding(rng: random.Random, camera: bool) -> tuple[tuple[int, int], int, str, str, int]:
    """Codec, preset and crf, then a frame rate and size whose estimated cost is within
    :data:`COST_CAP` (the codec's share stays as drawn; dear ones get smaller frames)."""
    codec = str(_pick(rng, ("h264", "h265", "vp9", "mjpeg"), (0.4, 0.15, 0.25, 0.2)))
    crf = rng.randint(18, 35)
    preset = {
        "h264": "ultrafast" if rng.random() < 0.8 else "veryfast",
        "h265": "ultrafast",
        "vp9": str(rng.randint(6, 8)),
        "mjpeg": str(round(2 + (crf - 18) * 10 / 17)),
    }[codec]
    key = f"h264-{preset}" if codec == "h264" else codec
    for _ in range(100):
        fps = FPS[rng.choices(range(5), (0.2, 0.2, 0.4, 0.1, 0.1))[0]]
        fits = [i for i in range(4) if estimated_cost(SIZES[i], fps, key, camera) <= COST_CAP]
        if fits:
            i = rng.choices(fits, [(0.3, 0.35, 0.15, 0.2)[j] for j in fits])[0]
            return SIZES[i], fps, codec, preset, crf
    return SIZES[0], 24, codec, preset, crf  # nothing fits (H.265 filmed): the cheapest


def _camera(rng: random.Random) -> CameraEffects:
    dark = rng.randint(4, 24)
    return CameraEffects(
        yaw_deg=rng.uniform(-14, 14),
        pitch_deg=rng.uniform(-9, 9),
        roll_deg=rng.uniform(-3, 3),
        fill=rng.uniform(0.82, 0.95),
        blur_sigma=rng.uniform(0.3, 1.4),
        noise_sigma=rng.uniform(0.5, 3.5),
        flicker=rng.uniform(0.01, 0.07),
        moire=rng.uniform(0.0, 7.0) if rng.random() < 0.7 else 0.0,
        surround=(dark, round(dark * 0.9), round(dark * 0.8)),
    )


def _render_size(
    rng: random.Random, size: tuple[int, int], camera: bool
) -> tuple[tuple[int, int], str]:
    options = (*RENDER_ONLY[:1], *SIZES, *RENDER_ONLY[1:])
    i = options.index(size)
    how = "none" if camera else str(_pick(rng, ("none", "up", "down"), (0.6, 0.2, 0.2)))
    resample = str(rng.choice(("linear", "cubic", "lanczos")))
    if how == "up":
        return options[i - 1], resample
    if how == "down":
        return options[min(i + 1, len(options) - 1)], resample
    return size, "none"


def _scene(rng: random.Random, brightness: float, saturation: float) -> Scene:
    base = str(rng.choice(("vertical", "horizontal", "radial", "diagonal")))
    a = grade(pick_colour(rng, (0.03, 0.3), (0.3, 1.0)), brightness, saturation)
    b = grade(pick_colour(rng, (0.05, 0.45), (0.2, 1.0)), brightness, saturation)
    title = rng.choice(("PROGRESSIVE JACKPOTS", "MEGA JACKPOT", "LINKED PROGRESSIVE", "HOT DROP"))
    return Scene(
        base=base,
        colours=(a, b),
        rays=rng.random() < 0.3,
        bokeh=rng.random() < 0.3,
        bulbs=rng.random() < 0.4,
        title=title if rng.random() < 0.55 else "",
        reels=rng.random() < 0.5,
        decoys=rng.random() < 0.65,
    )


def _video(
    rng: random.Random, seconds: float | None, sample_fps: float | None, long: bool
) -> VideoFactors:
    drawn_seconds = rng.uniform(30.0, 60.0)
    drawn_sampling = float(rng.choice(SAMPLE_FPS))
    camera = _camera(rng) if rng.random() < 0.2 else None
    size, fps, codec, preset, crf = _encoding(rng, camera is not None)
    render_size, resample = _render_size(rng, size, camera is not None)
    layout = str(_pick(rng, ("stack", "strip", "grid", "scatter"), (0.3, 0.25, 0.25, 0.2)))
    brightness, saturation = rng.uniform(0.8, 1.12), rng.uniform(0.6, 1.25)
    scene = _scene(rng, brightness, saturation)
    popup_rate = 0.0 if rng.random() < 0.25 else rng.uniform(0.03, 0.7)
    seeds = (rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32))
    secs = 600.0 if long else (seconds if seconds is not None else drawn_seconds)
    if secs <= 0:
        raise ValueError(f"seconds must be positive, got {secs}")
    if sample_fps is not None and sample_fps <= 0:
        raise ValueError(f"sample_fps must be positive, got {sample_fps}")
    ext = {"h264": "mp4", "h265": "mp4", "vp9": "webm"}.get(codec) or rng.choice(("avi", "mkv"))
    return VideoFactors(
        seconds=secs,
        fps=fps,
        frames=max(1, round(secs * fps)),
        sample_fps=float(sample_fps) if sample_fps is not None else drawn_sampling,
        size=size,
        render_size=render_size,
        resample=resample,
        codec=codec,
        crf=crf,
        preset=preset,
        container=ext,
        camera=camera,
        layout=layout,
        scene=scene,
        popup_rate=popup_rate,
        brightness=brightness,
        saturation=saturation,
        seeds=seeds,
    )


def _face(rng: random.Random, faces: tuple[FontFace, ...], digits: bool = True) -> FontFace:
    """For ``digits``, a segment face 15% of the time, else a family (uniformly) and one
    of its faces; labels take no segment face (a seven-segment face has no letters)."""
    segments = [f for f in faces if f.segments]
    plain = [f for f in faces if not f.segments] or list(faces)
    pool = segments if segments and rng.random() < 0.15 else plain
    if not digits:
        pool = plain
    families = sorted({f.family for f in pool})
    family = rng.choice(families)
    return rng.choice([f for f in pool if f.family == family])


def _format(rng: random.Random, face: FontFace) -> Format:
    sign = str(_pick(rng, ("$", "€", "£", ""), (0.45, 0.15, 0.1, 0.3)))
    suffix = bool(sign) and rng.random() < (0.5 if sign == "€" else 0.15)
    separators = rng.random() < 0.75 and face.comma
    return Format(sign, suffix, separators, 2 if rng.random() < 0.7 else 0)


def _motion(rng: random.Random, name: str, decimals: int, face: FontFace, lowest: bool) -> Motion:
    _, _, top, resets = _VALUES[name]
    if face.segments:
        roll = str(
            _pick(rng, ("instant", "fade", "odometer", "wheel", "flip"), (5, 2.5, 1, 0.75, 0.75))
        )
    else:
        roll = str(
            _pick(rng, ("odometer", "wheel", "flip", "fade", "instant"), (40, 15, 12, 13, 20))
        )
    seconds = rng.uniform(0.1, 1.0) if roll == "odometer" else rng.uniform(0.15, 0.8)
    bursty = rng.random() < 0.3
    return Motion(
        roll=roll,
        roll_seconds=seconds,
        easing=str(_pick(rng, ("smooth", "out", "linear"), (0.5, 0.3, 0.2))),
        rate=max(0.4 if lowest else 0.1, _loguniform(rng, 0.1, 3.0)),
        step=(1, top[0] if decimals else top[1]),
        big_steps=0.04,
        bursts=rng.uniform(0.03, 0.15) if bursty else 0.0,
        burst_size=(2, rng.randint(3, 6)),
        resets_per_minute=resets,
        lowest=lowest,
    )


def _values(rng: random.Random, name: str, decimals: int) -> tuple[int, int]:
    seeds, (lo, hi), _, _ = _VALUES[name]
    unit = 10**decimals
    seed = rng.choice(seeds) * unit
    start = round(seed * rng.uniform(lo, hi) / unit) * unit + rng.randrange(unit)
    return seed, max(start, seed + 1)


def _typography(
    rng: random.Random, shared: dict[str, object], faces: tuple[FontFace, ...]
) -> tuple[FontFace, Format, FontFace]:
    """The digits' face and format and the label's face: the board's shared ones, if any."""
    face, fmt, label = shared.get("face"), shared.get("fmt"), shared.get("label")
    face = face if isinstance(face, FontFace) else _face(rng, faces)
    fmt = fmt if isinstance(fmt, Format) else _format(rng, face)
    if fmt.separators and not face.comma:
        fmt = replace(fmt, separators=False)
    label = label if isinstance(label, FontFace) else _face(rng, faces, False)
    return face, fmt, label


def _spacing(rng: random.Random, segments: bool) -> tuple[float, float]:
    """(stretch, tracking): mostly the face as designed, now and then condensed or
    expanded, spaced out or tight (segment faces keep their geometry)."""
    stretch = 1.0 if segments or rng.random() < 0.75 else rng.uniform(0.78, 1.22)
    spacing = rng.random()
    if spacing < 0.7:
        return stretch, 0.0
    if spacing < 0.9 or segments:
        return stretch, rng.uniform(0.04, 0.18)
    return stretch, rng.uniform(-0.06, -0.01)


def _meter(
    rng: random.Random,
    k: int,
    height_out: float,
    shared: dict[str, object],
    video: VideoFactors,
    lowest: bool,
) -> MeterFactors:
    faces = catalogue()
    name, label = NAMES[k]
    face, fmt, label_face = _typography(rng, shared, faces)
    seed, start = _values(rng, name, fmt.decimals)
    motion = _motion(rng, name, fmt.decimals, face, lowest)
    seg = face.segments > 0
    bv, sv = video.brightness, video.saturation
    paint = temper(draw_paint(rng, seg, bv, sv), video)
    align = "right" if seg or rng.random() < 0.6 else "centre"
    stretch, tracking = _spacing(rng, seg)
    low = floor(video, paint)
    height_out = lift(height_out, low)
    return MeterFactors(
        name=name,
        label=label,
        face=face,
        sign_face=sign_face(faces, fmt.sign, face),
        label_face=label_face,
        height=max(8, math.ceil(height_out * render_per_output(video) - 1e-6)),
        height_out=height_out,
        floor=low,
        stretch=stretch,
        tracking=tracking,
        align=align,
        sign_fixed=align == "right" and not fmt.suffix and rng.random() < 0.15,
        fmt=fmt,
        seed_value=seed,
        start_value=start,
        motion=motion,
        paint=paint,
        window_pad=(rng.uniform(0.15, 0.8), rng.uniform(0.2, 0.6)),
        label_pos="left" if rng.random() < 0.3 else "above",
        label_scale=rng.uniform(0.4, 0.8),
        panel=str(_pick(rng, ("panel", "window", "bare"), (0.6, 0.25, 0.15))),
        panel_colour=grade(pick_colour(rng, (0.1, 0.55), (0.3, 1.0)), bv, sv),
        border=grade(pick_colour(rng, (0.6, 0.95), (0.0, 0.8)), bv, sv),
        label_colour=grade(pick_colour(rng, (0.75, 1.0), (0.0, 0.5)), bv, sv),
        region=str(_pick(rng, ("tight", "generous", "label"), (0.45, 0.4, 0.15))),
        region_pad=rng.uniform(0.08, 0.6),
    )


def _heights(rng: random.Random, n: int) -> list[float]:
    """Digit heights in output px: GRAND's drawn first, the others mostly smaller."""
    heights = [_loguniform(rng, 14, 90)]
    for _ in range(n - 1):
        if rng.random() < 0.7:
            heights.append(max(12.0, heights[-1] * rng.uniform(0.6, 1.0)))
        else:
            heights.append(_loguniform(rng, 12, 90))
    return heights


def draw_factors(
    seed: int,
    *,
    seconds: float | None = None,
    sample_fps: float | None = None,
    long: bool = False,
) -> Factors:
    """Every choice behind seed ``seed``'s video; see :mod:`foureyes.demo.synth`."""
    rng = random.Random(seed)
    video = _video(rng, seconds, sample_fps, long)
    n = int(_pick(rng, (4, 3, 2, 1), (0.6, 0.15, 0.15, 0.1)))  # type: ignore[call-overload]
    which = sorted(rng.sample(range(4), n))
    heights = _heights(rng, n)
    shared: dict[str, object] = {}
    faces = catalogue()
    if rng.random() < 0.7:
        shared["face"] = _face(rng, faces)
    if rng.random() < 0.85:
        face = shared.get("face")
        shared["fmt"] = _format(rng, face if isinstance(face, FontFace) else faces[0])
    if rng.random() < 0.8:
        shared["label"] = _face(rng, faces, False)
    meters = tuple(
        _meter(rng, k, h, shared, video, lowest=i == n - 1)
        for i, (k, h) in enumerate(zip(which, heights, strict=True))
    )
    draft = Factors(seed, video, meters)
    widest = {name: max(t.values) for name, t in build_tracks(draft).items()}
    return _effective(fit(draft, widest), widest)


def _effective(f: Factors, widest: dict[str, int]) -> Factors:
    """``f`` with each meter's effective height where it sits: through a camera the lens
    shows a window at least as large as the screen's far corner, where the floor is met."""
    board = arrange(f, widest) if f.video.camera is not None else None
    meters = []
    for m in f.meters:
        corners = None
        if board is not None:
            w = board.boxes[m.name].window
            corners = ((w.x0, w.y0), (w.x1, w.y0), (w.x0, w.y1), (w.x1, w.y1))
        scale = lens_scale(f.video, corners)
        meters.append(replace(m, height_out=math.floor(m.height * scale * 10 + 1e-6) / 10))
    return replace(f, meters=tuple(meters))
