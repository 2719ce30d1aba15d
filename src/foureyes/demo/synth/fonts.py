"""The faces a randomised board may draw its digits in: every installed font that can.

A reader that learnt one typeface has learnt nothing general, so the generator draws from
everything under ``/usr/share/fonts`` (sorted by path, so a seed maps to the same face on
the same machine). A face qualifies when its ten digits are present, distinct from one
another and from the font's missing-glyph box, recognisably digits (each matches its own
digit of a reference face better than the others; seven- and fourteen-segment DSEG faces
are exempt, they are digits by construction), not hairline thin, and read right by the OCR
model large and clean (:mod:`.survey`, cached on disk: a face the model misreads even then
would measure the model, not the reader). Symbol and script families are skipped by name.
With no font installed at all, PIL's built-in face serves (unsurveyed: the last resort).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from foureyes.demo.synth.survey import PX, SAMPLES, SurveyModel, default_cache, rapidocr, survey

__all__ = [
    "FONT_ROOT",
    "Font",
    "FontFace",
    "catalogue",
    "exclusions",
    "has_glyph",
    "load",
    "sign_face",
    "specimens",
]

FONT_ROOT = Path("/usr/share/fonts")
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
DIGITS = "0123456789"

# Families whose code points do not draw the characters they name, draw them as script, or
# dress them up beyond what a meter shows.
_SKIP_NAMES = (
    "symbol",
    "dingbat",
    "weather",
    "emoji",
    "awesome",
    "icon",
    "lobster",
    "script",
    "chancery",
    "z003",
    "d050000l",
    "seggchan",  # DSEG's 7SEGG-CHAN: segment digits drawn as faces with eyes
)
_PROBE = 32  # px: the size faces are judged at
_MIN_STROKE = 0.045  # of the digit height, as _stroke measures it: thin faces vanish
_MIN_SHAPE = 6  # of 10 digits must look like the reference face's own digit
_MISSING = "\U0010fffd"  # a private-use code point no face draws: its .notdef box
_SIGN_FALLBACKS = ("DejaVuSans-Bold", "LiberationSans-Bold", "FreeSansBold", "DejaVuSans")

Mask = npt.NDArray[np.float32]
# FreeType's own layout: the same advances wherever the generator runs (raqm is optional)
_BASIC = ImageFont.Layout.BASIC


@dataclass(frozen=True, slots=True)
class FontFace:
    """One installed face. ``path`` is empty for PIL's built-in face; ``segments`` is 7 or
    14 for a DSEG segment face (which has no currency signs and draws "." and "," without
    advancing), else 0; ``signs`` are the currency signs the face itself draws."""

    path: str
    family: str
    style: str
    segments: int = 0
    signs: str = ""
    comma: bool = True

    @property
    def name(self) -> str:
        return f"{self.family} {self.style}".strip()


@lru_cache(maxsize=96)
def load(face: FontFace, size: int) -> Font:
    """``face`` at ``size`` px (PIL's built-in face when the file cannot be read)."""
    if face.path:
        try:
            return ImageFont.truetype(face.path, size, layout_engine=_BASIC)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _ink(font: Font, ch: str) -> npt.NDArray[np.uint8]:
    m = font.getmask(ch)
    w, h = m.size
    if w * h == 0:
        return np.zeros((0, 0), np.uint8)
    return np.asarray(m, dtype=np.uint8).reshape(h, w)


def _same(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> bool:
    """Two glyph images are the same shape, up to a few stray pixels."""
    if a.shape != b.shape:
        return False
    ink = max(int(a.sum()), int(b.sum()), 1)
    return float(np.abs(a.astype(np.int32) - b.astype(np.int32)).sum()) / ink < 0.06


def has_glyph(font: Font, ch: str, missing: npt.NDArray[np.uint8] | None = None) -> bool:
    """The font draws ``ch`` itself: some ink, and not its missing-glyph box."""
    ink = _ink(font, ch)
    box = _ink(font, _MISSING) if missing is None else missing
    return ink.size > 0 and int(ink.max()) >= 128 and not _same(ink, box)


def _normalised(ink: npt.NDArray[np.uint8]) -> Mask:
    ys, xs = np.nonzero(ink > 64)
    if ys.size == 0:
        return np.zeros(24 * 16, np.float32)
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    small = np.asarray(cv2.resize(crop, (16, 24), interpolation=cv2.INTER_AREA), np.float32)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return (small / norm if norm else small).ravel()


def _shape_score(inks: list[npt.NDArray[np.uint8]], reference: Mask | None) -> int:
    """How many digits look more like the reference face's same digit than any other."""
    if reference is None:
        return 10
    faces = np.stack([_normalised(i) for i in inks])
    return int((np.argmax(faces @ reference.T, axis=1) == np.arange(10)).sum())


def _stroke(inks: list[npt.NDArray[np.uint8]]) -> float:
    """Stroke width of "0", "1" and "8" as a fraction of their height: twice the ink's
    area over its outline's length, both read off the antialiased grey levels."""
    ratios = []
    for ink in inks:
        a = np.pad(ink.astype(np.float32) / 255, 1)
        outline = float(np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum())
        ratios.append(2 * float(a.sum()) / max(outline, 1e-6) / max(1, ink.shape[0]))
    return float(sorted(ratios)[1])


def _row(font: Font, chars: str) -> list[npt.NDArray[np.uint8]]:
    """Each of ``chars`` cropped to its ink (empty for a blank glyph), from one render of
    them all spaced far apart: one FreeType pass per font instead of one per glyph."""
    size = _PROBE
    space = max(1.0, float(font.getlength(" ")))
    spacer = " " * max(2, round(2 * size / space))
    starts = [0.0]
    for ch in chars[:-1]:
        starts.append(starts[-1] + float(font.getlength(ch)) + len(spacer) * space)
    img = Image.new("L", (round(starts[-1]) + 4 * size, 2 * size), 0)
    ImageDraw.Draw(img).text((size, size // 2), spacer.join(chars), font=font, fill=255)
    line = np.asarray(img, dtype=np.uint8)
    bounds = [round(size + x) for x in starts] + [line.shape[1] + size]
    out = []
    for x0, x1 in itertools.pairwise(bounds):
        cell = line[:, max(0, x0 - size // 2) : x1 - size // 2]
        rows, cols = np.flatnonzero(cell.any(axis=1)), np.flatnonzero(cell.any(axis=0))
        empty = rows.size == 0
        out.append(cell[:0, :0] if empty else cell[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    return out


def _judge(path: str, reference: Mask | None) -> FontFace | str:
    """The face at ``path``, or why it cannot draw a meter."""
    if any(s in Path(path).name.lower() for s in _SKIP_NAMES):
        return "a symbol, script or novelty family"
    try:
        font = ImageFont.truetype(path, _PROBE, layout_engine=_BASIC)
    except OSError as exc:
        return f"unreadable ({exc})"
    family, style = (str(s) for s in font.getname())
    if any(s in family.lower() for s in _SKIP_NAMES):
        return "a symbol, script or novelty family"
    inks = _row(font, DIGITS)
    *marks, missing = _row(font, "$€£," + _MISSING)
    if any(i.size == 0 or int(i.max()) < 128 or _same(i, missing) for i in inks):
        return "digits missing or faint"
    if any(_same(inks[i], inks[j]) for i in range(10) for j in range(i + 1, 10)):
        return "digits drawn alike"
    segments = 14 if family.startswith("DSEG14") else 7 if family.startswith("DSEG7") else 0
    if not segments and _shape_score(inks, reference) < _MIN_SHAPE:
        return "digits do not look like digits"
    if _stroke([inks[0], inks[1], inks[8]]) < _MIN_STROKE:
        return "hairline strokes"
    drawn = [m.size > 0 and int(m.max()) >= 128 and not _same(m, missing) for m in marks]
    signs = "".join(c for c, ok in zip("$€£", drawn[:3], strict=True) if ok and not segments)
    return FontFace(path, family, style, segments, signs, drawn[3])


def _reference(paths: list[str]) -> Mask | None:
    """The digits every face is compared with: DejaVu Sans, else the built-in face."""
    named = [p for p in paths if Path(p).name == "DejaVuSans.ttf"]
    font: Font = (
        ImageFont.truetype(named[0], _PROBE, layout_engine=_BASIC)
        if named
        else load(_DEFAULT, _PROBE)
    )
    return np.stack([_normalised(_ink(font, d)) for d in DIGITS])


_DEFAULT = FontFace("", "PIL default", "Regular")


def _scan(root: Path) -> tuple[list[FontFace], list[tuple[str, str]]]:
    """The faces under ``root`` that draw digits, and the fonts that do not (and why)."""
    paths = sorted(
        {
            os.path.realpath(p)
            for p in (str(q) for q in root.rglob("*"))
            if p.lower().endswith((".ttf", ".otf"))
        }
    )
    reference = _reference(paths) if paths else None
    faces: list[FontFace] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        judged = _judge(path, reference)
        if isinstance(judged, FontFace):
            faces.append(judged)
        else:
            skipped.append((path, judged))
    return faces, skipped


def specimens(
    face: FontFace, faces: tuple[FontFace, ...]
) -> list[tuple[npt.NDArray[np.uint8], str]]:
    """:data:`.survey.SAMPLES` drawn in ``face`` with digits :data:`.survey.PX` px tall,
    dark on white (RGB), each with the number it shows; the sign comes from ``face`` if it
    has one, else from the face a board would take it from (:func:`sign_face`)."""
    font = _sized(face)
    out = []
    for sign, number in SAMPLES:
        text = number if face.comma else number.replace(",", "")
        signer = sign_face(faces, sign, face)
        shown = sign if sign in signer.signs else ""
        out.append((_specimen(font, _sized(signer), shown, text), text))
    return out


def _sized(face: FontFace) -> Font:
    """``face`` at the size whose "0" is :data:`.survey.PX` px tall."""
    _, top, _, bottom = load(face, 100).getbbox("0")
    return load(face, max(6, round(100 * PX / max(1.0, float(bottom) - float(top)))))


def _specimen(font: Font, sfont: Font, sign: str, text: str) -> npt.NDArray[np.uint8]:
    gap = round(0.12 * PX) if sign else 0
    sign_w = round(sfont.getlength(sign)) if sign else 0
    img = Image.new("L", (PX + sign_w + gap + round(font.getlength(text)), 2 * PX), 255)
    draw = ImageDraw.Draw(img)
    baseline = round(1.5 * PX)
    if sign:
        draw.text((PX // 2, baseline), sign, font=sfont, fill=20, anchor="ls")
    draw.text((PX // 2 + sign_w + gap, baseline), text, font=font, fill=20, anchor="ls")
    grey = np.asarray(img, dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))


@cache
def _catalogue(
    root: Path, cache_dir: Path | None, model: SurveyModel | None
) -> tuple[tuple[FontFace, ...], tuple[tuple[str, str], ...]]:
    drawn, skipped = _scan(root)
    if drawn:
        shaped = {f.path: f for f in drawn}
        faces = tuple(drawn)
        verdicts = survey(
            shaped,
            lambda path: specimens(shaped[path], faces),
            cache=cache_dir or default_cache(),
            model=model or rapidocr(),
        )
        misread = {p for p, v in verdicts.items() if not v.ok}
        drawn = [f for f in drawn if f.path not in misread]
        skipped += [
            (p, f"the OCR model misreads it at {PX} px: {verdicts[p].reads}") for p in misread
        ]
    if not drawn:
        font = load(_DEFAULT, _PROBE)
        family, style = (str(s) for s in getattr(font, "getname", lambda: ("PIL", ""))())
        signs = "".join(c for c in "$€£" if has_glyph(font, c))
        drawn.append(FontFace("", family, style, 0, signs, True))
    return tuple(drawn), tuple(sorted(skipped))


def catalogue(
    root: Path | None = None,
    *,
    cache_dir: Path | None = None,
    model: SurveyModel | None = None,
) -> tuple[FontFace, ...]:
    """Every usable face under ``root`` (default :data:`FONT_ROOT`), sorted by path; the
    OCR survey's verdicts are cached in ``cache_dir`` (default
    :func:`.survey.default_cache`) and read, when missing, by ``model`` (default RapidOCR)."""
    return _catalogue(root or FONT_ROOT, cache_dir, model)[0]


def exclusions(
    root: Path | None = None,
    *,
    cache_dir: Path | None = None,
    model: SurveyModel | None = None,
) -> tuple[tuple[str, str], ...]:
    """The fonts :func:`catalogue` left out and why, for the record."""
    return _catalogue(root or FONT_ROOT, cache_dir, model)[1]


def sign_face(faces: tuple[FontFace, ...], sign: str, own: FontFace) -> FontFace:
    """The face that draws ``sign`` beside ``own``'s digits: ``own`` when it has the sign,
    else a plain bold sans that has it, else any face that has it, else ``own``."""
    if sign in own.signs or not sign:
        return own
    having = [f for f in faces if sign in f.signs and not f.segments]
    for stem in _SIGN_FALLBACKS:
        for f in having:
            if Path(f.path).stem == stem:
                return f
    return having[0] if having else own
