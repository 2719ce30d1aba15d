"""The records that flow through a pipeline: frames, raw reads, readings and events.

They are small frozen dataclasses so that a stage can hand them on without copying and a
test can build them by hand. Pydantic stays at the edges (config, HTTP).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Event",
    "EventType",
    "Frame",
    "MeterKind",
    "RawRead",
    "Reading",
    "Region",
    "Status",
]

Image = npt.NDArray[np.uint8]


class MeterKind(enum.StrEnum):
    """How a meter's text is parsed into a number."""

    CURRENCY = "currency"  # $12,345.67 or 12345.67: a fixed count of decimals
    NUMBER = "number"  # 12,345.6 or 12345: decimals allowed, count fixed once seen
    INTEGER = "integer"  # 12,345: no decimals


class Status(enum.StrEnum):
    """What FourEyes concluded about one meter at one sampled frame.

    ``ok``: the value is confirmed. ``held``: the raw read was doubtful or missing but the
    meter provably kept its value (the trusted readings on both sides agree), so that value
    is reported. ``rejected``: a number was read but contradicts the meter's history or its
    neighbours, so the value is null. ``unreadable``: no number could be read (covered,
    blank, partial), and the value is null.
    """

    OK = "ok"
    HELD = "held"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"


class EventType(enum.StrEnum):
    RESET = "reset"
    THRESHOLD = "threshold"
    JUMP = "jump"  # a persistent rise faster than the meter grows
    SOURCE_FROZEN = "source_frozen"  # frames keep coming, the picture stopped changing
    SOURCE_RESUMED = "source_resumed"  # the picture changes again
    SOURCE_SWITCHED = "source_switched"  # the standby source took over, or handed back
    DEGRADATION = "degradation"  # the pipeline does less (or again more) to keep up


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle in source-frame pixels."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"region width and height must be positive, got {self}")
        if self.x < 0 or self.y < 0:
            raise ValueError(f"region x and y must not be negative, got {self}")

    def fits(self, width: int, height: int) -> bool:
        return self.x + self.width <= width and self.y + self.height <= height

    def crop(self, image: Image) -> Image:
        return image[self.y : self.y + self.height, self.x : self.x + self.width]


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded frame: RGB pixels (H, W, 3) and its position in the stream.

    ``index`` counts every decoded frame from 0, sampled or not; ``ts`` is the stream's own
    presentation time in seconds, never the wall clock.
    """

    index: int
    ts: float
    image: Image
    source: str = ""

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class RawRead:
    """What a reader saw in one crop, before any judgement.

    ``text`` is the model's own reading; a reader that can restrict its vocabulary to a
    meter's characters also gives that reading as ``constrained``, and ``weakest`` is the
    probability of its least certain digit (a digit caught mid-roll).
    """

    text: str
    confidence: float
    reader: str = ""
    constrained: str | None = None
    weakest: float | None = None
    probs: tuple[float, ...] = ()  # per character of ``constrained``
    runner_up: tuple[str, ...] = ()  # per character of ``constrained``: the second choice
    steps: tuple[int, ...] = ()  # per character of ``constrained``: where (model time step)

    def certain(self, strong: float) -> bool:
        """Whether the model was sure of every digit (each at least ``strong``) and saw
        no stray glyph."""
        return (self.weakest is None or self.weakest >= strong) and not self.stray

    @property
    def widest_gap(self) -> float | None:
        """The widest gap between neighbouring characters, in typical gaps (1.0 for a
        number printed evenly; more where something hides characters or the form has a
        space); None with fewer than three characters placed."""
        text = self.value_text
        if len(self.steps) != len(text):
            return None
        at = [s for c, s in zip(text, self.steps, strict=True) if not c.isspace()]
        gaps = sorted(b - a for a, b in pairwise(at))
        if len(gaps) < 2 or gaps[len(gaps) // 2] <= 0:
            return None
        return gaps[-1] / gaps[len(gaps) // 2]

    def agrees_with(self, other: RawRead, certain: float, *, prefix: bool = False) -> bool:
        """Whether ``other`` shows what this read saw: the same characters wherever it is
        certain, and where it is not, its best or its runner-up digit (a digit caught
        mid-roll shows parts of two glyphs, the one it rolls from and the one it rolls
        to; a value whose digit is neither was not on screen).

        With ``prefix``, this read is ``other`` with a half-rolled digit or two lost: what
        it lost are digits (separators do not roll), and every character it kept is as
        ``other`` shows it, in order, but for a digit it was unsure of, which may stand for
        any digit (the remains of a roll, a mix of two).
        """
        mine, theirs = self.value_text, other.value_text
        if prefix:
            sure = [p >= certain for p in self.probs] if len(self.probs) == len(mine) else None
            return 0 < len(theirs) - len(mine) <= 2 and _lost_digits(mine, theirs, sure)
        if len(self.probs) != len(mine) or len(mine) != len(theirs):
            return False
        ups = self.runner_up if len(self.runner_up) == len(mine) else ("",) * len(mine)
        return all(
            a == b or (p < certain and (not up or up == b))
            for a, b, p, up in zip(mine, theirs, self.probs, ups, strict=True)
        )

    def contradicts(self, other: RawRead, certain: float) -> bool:
        """Whether ``other`` lacks a character this read was sure of, in its place: the
        display this read saw no longer showed ``other`` (a different length cannot be
        lined up, so it counts as showing something else)."""
        mine, theirs = self.value_text, other.value_text
        if len(mine) != len(theirs) or len(self.probs) != len(mine):
            return True
        return any(
            a != b and p >= certain for a, b, p in zip(mine, theirs, self.probs, strict=True)
        )

    @property
    def stray(self) -> bool:
        """Whether the model's own reading has a glyph the constrained one replaced within
        the number (from its first digit to its last): there it saw something no meter
        shows (a digit half rolled, the edge of a popup), so the constrained character is
        a guess however likely it scores among meter glyphs. Outside the number, a glyph
        read otherwise (a "£" as "f") changes no digit, so it is no doubt about the value."""
        if self.constrained is None:
            return False
        raw, con = self.text.replace(" ", ""), self.constrained.replace(" ", "")
        if raw == con:
            return False
        digits = [i for i, ch in enumerate(con) if ch.isdigit()]
        if len(raw) != len(con) or not digits:
            return True
        first, last = digits[0], digits[-1] + 1
        return raw[first:last] != con[first:last]

    @property
    def value_text(self) -> str:
        """The text to parse as a number."""
        return self.constrained if self.constrained is not None else self.text


@dataclass(frozen=True, slots=True)
class Reading:
    """FourEyes' judgement of one meter at one sampled frame (one line of readings.jsonl)."""

    ts: float
    frame: int
    meter: str
    value: float | None
    text: str
    confidence: float
    status: Status
    reason: str = ""
    reader: str = ""  # the reader that served the read, when a chain has several

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ts": round(self.ts, 6),
            "frame": self.frame,
            "meter": self.meter,
            "value": self.value,
            "text": self.text,
            "confidence": round(self.confidence, 5),
            "status": str(self.status),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.reader:
            out["reader"] = self.reader
        return out


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a meter (one line of events.jsonl).

    ``id`` is derived from (meter, type, stream position, detail) only, so a re-run over
    the same input yields the same ids and a store can reject duplicates.
    """

    id: str
    ts: float
    frame: int
    meter: str
    type: EventType
    before: float | None
    after: float | None
    confidence: float = 1.0
    detail: dict[str, Any] = field(default_factory=dict)
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "ts": round(self.ts, 6),
            "frame": self.frame,
            "meter": self.meter,
            "type": str(self.type),
            "before": self.before,
            "after": self.after,
            "confidence": round(self.confidence, 5),
        }
        out.update(self.detail)
        if self.evidence is not None:
            out["evidence"] = self.evidence
        return out


def _lost_digits(mine: str, theirs: str, sure: list[bool] | None) -> bool:
    """Whether ``theirs`` is ``mine`` with some digits put back (see ``agrees_with``)."""

    @cache
    def fits(i: int, j: int) -> bool:
        if i == len(mine):
            return all(ch.isdigit() for ch in theirs[j:])
        if j == len(theirs):
            return False
        a, b = mine[i], theirs[j]
        unsure = sure is not None and not sure[i] and a.isdigit() and b.isdigit()
        if (a == b or unsure) and fits(i + 1, j + 1):
            return True
        return b.isdigit() and fits(i, j + 1)

    return fits(0, 0)
