"""Second looks: read a doubted sample's meter again where its display came to rest.

A sample caught while digits roll shows parts of two values. The frames around it show
the roll starting and finishing: where the display rests just before, it shows the roll's
old value, and just after, its new one. Both are values the meter really had at the
sample, so a doubted read may take one of them (the tracker decides which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from foureyes.model import Image, RawRead
from foureyes.readers.choose import PreparationChooser
from foureyes.readers.occlusion import Palette
from foureyes.readers.parse import ParseResult
from foureyes.readers.route import MeterReaders
from foureyes.readers.settle import moving_throughout, settled_index
from foureyes.tracking.rules import Point, consistent
from foureyes.tracking.tracker import TrackerSettings

__all__ = ["Looks", "SecondLooks", "certain"]

Parse = Callable[[str, str], ParseResult]  # (meter, text) -> result


def certain(raw: RawRead, strong: float) -> bool:
    """Whether the model was sure of every digit and saw no stray glyph."""
    return (raw.weakest is None or raw.weakest >= strong) and not raw.stray


@dataclass(slots=True)
class Looks:
    """What the display showed at rest around a doubted sample, per meter."""

    after: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    mixed: set[str] = field(default_factory=set)  # a certain read showing neither
    hidden: set[str] = field(default_factory=set)  # a popup hides the rest on one side


class SecondLooks:
    """Finds and reads the rests around doubted samples, one model call per sample."""

    def __init__(
        self,
        meters: Sequence[str],
        chooser: PreparationChooser,
        palettes: Mapping[str, Palette],
        parse: Parse,
    ) -> None:
        self.meters = tuple(meters)
        self._chooser = chooser
        self._palettes = palettes
        self._parse = parse
        self._reads = 0

    def take_reads(self) -> int:
        """Model reads made since the last call (for the run's counters)."""
        reads, self._reads = self._reads, 0
        return reads

    def __call__(
        self,
        reader: MeterReaders,
        crops: dict[str, Image],
        following: Sequence[dict[str, Image]],
        preceding: Sequence[dict[str, Image]],
        results: dict[str, tuple[RawRead, ParseResult]],
        covered: dict[str, bool],
        settings: Mapping[str, TrackerSettings],
    ) -> Looks:
        """Read the display where it rested just after and just before a sample whose
        read is in doubt, when the display moved without a pause from the sample to each
        rest: a roll caught mid-way shows its old value before and its new value after.

        In doubt is a read with an uncertain digit, one cut short, and one caught in
        motion (its pixels differ from the frames on both sides). A rest value is kept
        when read with certainty and it agrees with the sample's read at every character
        the model was sure of; when the sample lies inside one motion with a rest on each
        side, both are kept if the later is a plausible step up from the earlier, even if
        the sample's read disagrees. A multi-digit roll (…1.72 → …2.80) is read as a mix
        of both values, often with a digit the model is sure of and wrong (…1.12, or
        …1.70 for …1.66 → …1.78), so agreement cannot be asked, and a certain read caught
        in motion that shows neither rest value is doubted. A rest covered by a popup is
        not read: the motion that led to it was the popup's, and the other side's rest is
        then all there is (``hidden``)."""
        todo: list[tuple[str, int, Image]] = []
        bracketed: set[str] = set()
        looks = Looks()
        for name in (m for m in self.meters if m in results):
            raw, parsed = results[name]
            if covered[name] or not any(c.isdigit() for c in raw.value_text):
                continue
            uncertain = not certain(raw, settings[name].strong_char)
            sides = [[crops[name], *(f[name] for f in frames)] for frames in (following, preceding)]
            in_motion = all(moving_throughout(seq, 1) for seq in sides)
            if parsed.ok and not uncertain and not in_motion:
                continue
            prepare = self._chooser.preparation(name)
            rests = 0
            hidden = 0
            for side, seq in enumerate(sides):
                k = settled_index(seq)
                if k is None or not moving_throughout(seq, k):
                    continue
                if self._palettes[name].covered(seq[k]):
                    hidden += 1  # the motion was a popup's arrival or departure
                    continue
                todo.append((name, side, prepare(seq[k])))
                rests += 1
            if rests == 2:
                bracketed.add(name)
            elif rests == 1 and hidden == 1:
                looks.hidden.add(name)
        if not todo:
            return looks
        reads = reader.read_for([m for m, _, _ in todo], [crop for _, _, crop in todo])
        self._reads += len(reads)
        rest: tuple[dict[str, float], dict[str, float]] = ({}, {})
        for (name, side, _), look in zip(todo, reads, strict=True):
            strong = settings[name].strong_char
            parsed = self._parse(name, look.value_text)
            if parsed.value is None or not certain(look, strong):
                continue
            rest[side][name] = parsed.value
            raw, first = results[name]
            if raw.agrees_with(look, strong, prefix=not first.ok):
                (looks.before if side else looks.after)[name] = parsed.value
        for name in bracketed:
            hi, lo = rest[0].get(name), rest[1].get(name)
            if lo is None or hi is None or not _one_step(settings[name], lo, hi):
                continue
            looks.before[name], looks.after[name] = lo, hi
            first = results[name][1]
            if first.ok and first.value not in (lo, hi):
                looks.mixed.add(name)
        return looks


def _one_step(settings: TrackerSettings, old: float, new: float) -> bool:
    """Whether a meter can go from ``old`` to ``new`` in one motion of its display:
    equal (a popup passed by) or a rise its growth rule allows within a second."""
    return old <= new and consistent(Point(0.0, old), Point(1.0, new), settings.growth)
