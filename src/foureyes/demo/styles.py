"""Looks of a demo board: fonts, colours, layout, motion, camera and compression.

A style is a plain frozen value so the benchmark can name one and get the same video for the
same seed. Each style stresses a reader in a different way: tiny text, LED ghost segments,
slow rolls mid-frame, frequent occlusion, a filmed screen, glowing serif digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from foureyes.demo.camera import CameraEffects

__all__ = ["FONT_DIR", "STYLES", "Colour", "Style", "load_font", "resolve_style"]

Colour = tuple[int, int, int]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SEVENSEG = "sevenseg"


@dataclass(frozen=True)
class Style:
    """Everything that decides how a board looks and moves, except the random seed.

    ``text_height`` is the height in pixels of GRAND's digits; ``meter_scale`` shrinks the
    others (in board order grand, major, minor, mini). ``roll_frames`` is how many frames an
    odometer roll lasts (0 or 1: digits snap). ``popup_rate`` counts ordinary popups per
    second over the whole board; wins (resets) are scheduled by the board itself.
    """

    name: str
    font: str = "DejaVuSans-Bold.ttf"  # a TTF name in FONT_DIR, a path, or "sevenseg"
    label_font: str = "DejaVuSans-Bold.ttf"
    text_height: int = 64
    meter_scale: tuple[float, float, float, float] = (1.0, 0.85, 0.7, 0.7)
    frame_size: tuple[int, int] = (1280, 720)
    layout: str = "stack"  # "stack": big panels one above the other; "strip": a row on top
    background: tuple[Colour, Colour] = ((18, 6, 40), (60, 10, 30))
    panel_colours: tuple[Colour, Colour, Colour, Colour] = (
        (150, 12, 20),
        (90, 20, 140),
        (20, 110, 40),
        (20, 70, 150),
    )
    border: Colour = (235, 190, 70)
    label_colour: Colour = (255, 235, 170)
    digits: tuple[Colour, Colour] = ((255, 245, 170), (230, 150, 20))  # top, bottom
    outline: Colour | None = (40, 15, 0)
    ghost: Colour = (40, 10, 8)  # seven-segment unlit segments
    lit: tuple[Colour, Colour, Colour, Colour] | None = None  # seven-segment per meter
    glow: float = 0.0  # Gaussian sigma of a halo around digits, in px
    roll_frames: int = 8
    popup_rate: float = 1 / 8
    popup_kinds: tuple[str, ...] = ("partial", "full")
    win_seconds: tuple[float, float] = (1.0, 2.0)
    growth: float = 1.0  # multiplies every meter's increment rate
    decoys: bool = True  # BET / CREDIT / WIN numbers around, never inside, the meters
    camera: CameraEffects | None = None
    crf: int = 28
    preset: str = "veryfast"

    def __post_init__(self) -> None:
        w, h = self.frame_size
        if w % 2 or h % 2:
            raise ValueError(f"style {self.name}: frame size must be even for yuv420p, got {w}x{h}")
        if self.text_height < 8:
            raise ValueError(f"style {self.name}: text_height {self.text_height} is too small")
        if self.layout not in ("stack", "strip"):
            raise ValueError(f"style {self.name}: unknown layout {self.layout!r}")


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(name="classic"),
        Style(
            name="sevenseg",
            font=SEVENSEG,
            text_height=60,
            background=((4, 4, 6), (12, 10, 14)),
            panel_colours=((10, 10, 12),) * 4,
            border=(90, 90, 100),
            label_colour=(220, 220, 220),
            lit=((255, 40, 30), (255, 150, 20), (255, 40, 30), (255, 150, 20)),
            ghost=(38, 12, 8),
            glow=2.0,
            roll_frames=0,
            popup_rate=1 / 10,
        ),
        Style(
            name="small",
            text_height=14,
            meter_scale=(1.0, 1.0, 1.0, 1.0),
            layout="strip",
            roll_frames=6,
            crf=30,
        ),
        Style(
            name="camera",
            camera=CameraEffects(),
            crf=30,
        ),
        Style(
            name="rolling",
            font="DejaVuSansMono-Bold.ttf",
            roll_frames=24,
            growth=0.7,
            popup_rate=1 / 12,
        ),
        Style(
            name="popups",
            popup_rate=1 / 1.5,
            popup_kinds=("partial", "partial", "full", "coins"),
        ),
        Style(
            name="neon",
            font="DejaVuSerif-Bold.ttf",
            label_font="DejaVuSerif-Bold.ttf",
            background=((5, 0, 20), (0, 20, 40)),
            panel_colours=((40, 0, 50), (0, 30, 60), (30, 0, 60), (0, 40, 50)),
            border=(0, 255, 230),
            label_colour=(255, 120, 255),
            digits=((200, 255, 255), (40, 220, 255)),
            outline=None,
            glow=4.0,
            crf=32,
        ),
    )
}


def resolve_style(style: Style | str) -> Style:
    if isinstance(style, Style):
        return style
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}") from None


@lru_cache(maxsize=64)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The named DejaVu face, or PIL's built-in font when the machine lacks DejaVu."""
    path = Path(name) if "/" in name else FONT_DIR / name
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size=size)
