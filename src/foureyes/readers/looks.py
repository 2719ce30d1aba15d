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
from foureyes.readers.settle import drifting, moving, moving_throughout, settled_index
from foureyes.tracking.rules import Point, consistent
from foureyes.tracking.tracker import TrackerSettings

__all__ = ["Around", "Looks", "Rereads", "SecondLooks"]

Parse = Callable[[str, str], ParseResult]  # (meter, text) -> result

_BESIDE = 2  # a read of a frame far beside the sample, not of a rest


@dataclass(slots=True)
class Looks:
    """What the display showed at rest around a doubted sample, per meter: the values read
    with certainty at each rest, how far (seconds) each rest is from the sample, and
    whether it agrees with what the sample's read saw."""

    after: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    after_in: dict[str, float] = field(default_factory=dict)
    before_by: dict[str, float] = field(default_factory=dict)
    disagree: set[tuple[str, int]] = field(default_factory=set)  # (meter, side 0 after / 1)
    # rests with a character the sample's read was sure of in another place's stead
    contradict: set[tuple[str, int]] = field(default_factory=set)
    # a certain read caught in motion that shows neither rest, or (no rest in sight)
    # whose neighbouring frames read otherwise
    mixed: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)  # a popup hides the rest on one side
    # certain reads caught in a motion of the display's own (it rests nearby, uncovered)
    moving: set[str] = field(default_factory=set)


class Rereads:
    """What reads a sample's meters again (second looks, confirmations): the meters, how
    each is prepared and parsed, and a count of the model reads made."""

    def __init__(self, meters: Sequence[str], chooser: PreparationChooser, parse: Parse) -> None:
        self.meters = tuple(meters)
        self._chooser = chooser
        self._parse = parse
        self._reads = 0

    def take_reads(self) -> int:
        """Model reads made since the last call (for the run's counters)."""
        reads, self._reads = self._reads, 0
        return reads

    def _read(self, reader: MeterReaders, jobs: Sequence[tuple[str, Image]]) -> list[RawRead]:
        """Read ``(meter, crop)`` jobs in one call per reader, and count them."""
        reads = reader.read_for([m for m, _ in jobs], [c for _, c in jobs])
        self._reads += len(reads)
        return reads


class SecondLooks(Rereads):
    """Finds and reads the rests around doubted samples, one model call per sample."""

    def __init__(
        self,
        meters: Sequence[str],
        chooser: PreparationChooser,
        palettes: Mapping[str, Palette],
        parse: Parse,
    ) -> None:
        super().__init__(meters, chooser, parse)
        self._palettes = palettes

    def __call__(
        self,
        reader: MeterReaders,
        crops: dict[str, Image],
        around: Around,
        results: dict[str, tuple[RawRead, ParseResult]],
        covered: dict[str, bool],
        settings: Mapping[str, TrackerSettings],
    ) -> Looks:
        """Read the display where it rested just after and just before a sample whose
        read is in doubt, when the display moved without a pause from the sample to each
        rest: a roll caught mid-way shows its old value before and its new value after,
        unless the motion held more than one change (a burst), whose far rest the meter
        reached only later. Which rest may stand in is the tracker's to decide, from how
        far each is and how long this meter's changes take.

        In doubt is a read with an uncertain digit, one cut short, and one caught in
        motion (its pixels differ from the frames on both sides). A rest value is kept
        when read with certainty; it *agrees* when it shows what the sample's read saw
        (the digits it was sure of, its best or runner-up digit elsewhere). A rest covered
        by a popup is not read: the motion that led to it was the popup's, and the other
        side's rest is then all there is (``hidden``). A certain read in motion with no
        rest in sight is checked against the frames beside it instead."""
        todo, looks = self._find_rests(crops, around, results, covered, settings)
        if not todo:
            return looks
        reads = self._read(reader, [(m, crop) for m, _, crop, _ in todo])
        for (name, side, _, distance), look in zip(todo, reads, strict=True):
            strong = settings[name].strong_char
            parsed = self._parse(name, look.value_text)
            if side == _BESIDE:
                if parsed.value != results[name][1].value or not look.certain(strong):
                    looks.mixed.add(name)  # beside it the display read otherwise
                continue
            if parsed.value is None or not look.certain(strong):
                continue
            if self._chooser.holed(name, look):
                continue  # the rest has a hole: a popup in the meter's colours is there
            (looks.before if side else looks.after)[name] = parsed.value
            (looks.before_by if side else looks.after_in)[name] = distance
            raw, first = results[name]
            if not raw.agrees_with(look, strong, prefix=not first.ok):
                looks.disagree.add((name, side))
                if first.ok and raw.contradicts(look, strong):
                    looks.contradict.add((name, side))
        for name in list(looks.after):
            _bracket(name, looks, settings[name])
        for name in looks.moving:
            # Caught in motion, a certain read that shows no rest the display came to
            # is a mix of two values, however sure the model was of it.
            value = results[name][1].value
            if value not in (looks.after.get(name), looks.before.get(name)):
                looks.mixed.add(name)
        return looks

    def _find_rests(
        self,
        crops: dict[str, Image],
        around: Around,
        results: dict[str, tuple[RawRead, ParseResult]],
        covered: dict[str, bool],
        settings: Mapping[str, TrackerSettings],
    ) -> tuple[list[tuple[str, int, Image, float]], Looks]:
        """The rest crops to read, (meter, side, prepared crop, seconds from the sample)."""
        todo: list[tuple[str, int, Image, float]] = []
        looks = Looks()
        for name in (m for m in self.meters if m in results):
            raw, parsed = results[name]
            if covered[name] or not any(c.isdigit() for c in raw.value_text):
                continue
            uncertain = not raw.certain(settings[name].strong_char)
            sides = [[crops[name], *(f[name] for f in frames)] for frames in around.frames]
            in_motion = all(moving_throughout(seq, 1) for seq in sides) or drifting(
                sides, self._palettes[name].band(crops[name].shape[0])
            )
            if parsed.ok and not uncertain and not in_motion:
                continue
            prepare = self._chooser.preparation(name)
            rests = hidden = 0
            # A rest stands in for the sample only if the display was in motion at the
            # sample: moving towards the other side too. A sample at rest itself shows
            # its own value, one frame after a change ended as one frame before the next
            # began ("30" read unsure of a settled 31, a frame after the rest at 30).
            at_rest = [len(seq) < 2 or not moving(seq[0], seq[1]) for seq in sides]
            for side, seq in enumerate(sides):
                if at_rest[1 - side]:
                    continue
                k = settled_index(seq)
                if k is None or not moving_throughout(seq, k):
                    continue
                if self._palettes[name].covered(seq[k]):
                    hidden += 1  # the motion was a popup's arrival or departure
                    continue
                distance = abs(around.times[side][k - 1] - around.ts)  # seq[0] is the sample
                todo.append((name, side, prepare(seq[k]), distance))
                rests += 1
            if rests == 1 and hidden == 1:
                looks.hidden.add(name)
            if rests and in_motion and parsed.ok and not uncertain:
                looks.moving.add(name)
            elif in_motion and parsed.ok and not uncertain and not hidden:
                # Moving with no rest in sight: a display counting on and on, or only its
                # background moves. The farthest frames of the window tell them apart: a
                # display at rest under a moving background reads the same value there,
                # surely; anything else and the read is a mix. Not the frames beside it:
                # a slow wheel shows one whole digit for several frames on its way past.
                todo += [(name, _BESIDE, prepare(seq[-1]), 0.0) for seq in sides if len(seq) > 1]
        return todo, looks


@dataclass(frozen=True, slots=True)
class Around:
    """The meter crops of the frames after and before a sample (most recent first) and
    their stream times, with the sample's own time."""

    ts: float
    frames: tuple[Sequence[dict[str, Image]], Sequence[dict[str, Image]]]
    times: tuple[Sequence[float], Sequence[float]]


def _bracket(name: str, looks: Looks, settings: TrackerSettings) -> None:
    """Rests on both sides: drop both unless the later is a step the meter can make from
    the earlier."""
    hi, lo = looks.after.get(name), looks.before.get(name)
    if lo is not None and hi is not None and not _one_step(settings, lo, hi):
        for side in (looks.after, looks.before, looks.after_in, looks.before_by):
            side.pop(name, None)


def _one_step(settings: TrackerSettings, old: float, new: float) -> bool:
    """Whether a meter can go from ``old`` to ``new`` in one motion of its display:
    equal (a popup passed by) or a rise its growth rule allows within a second."""
    return old <= new and consistent(Point(0.0, old), Point(1.0, new), settings.growth)
