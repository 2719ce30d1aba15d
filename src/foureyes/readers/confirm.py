"""Confirm an uncertain read of a display at rest by reading it again other ways.

Small or soft text makes the model unsure of a digit even when the display is still: the
likeliest digit is usually right (the bare model, which ignores doubt, gets it), but
"usually" is not what FourEyes reports. A display at rest shows the same value in the
frames around the sample, so the doubt can be settled by agreement instead of a guess:
the same crop prepared the other ways, and a neighbouring frame of the same rest (other
codec and sensor noise), are read too, and the read stands as certain only if every one
of them reads the same value and at least one of them is sure of it. Any disagreement
leaves it as doubtful as it was; a look never changes the value, it only confirms it.

Agreement alone is not enough: the looks go to the same model, and where the doubt is the
model's own about a glyph (a fourteen-segment 6 it takes for a 5) every look repeats the
same likeliest digit, just as unsure. Only noise is settled by reading again, and noise
shows as a look that reads the digit clearly.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from foureyes.model import Image, RawRead
from foureyes.readers.crop import PREPARATIONS
from foureyes.readers.looks import Around, Rereads
from foureyes.readers.parse import ParseResult
from foureyes.readers.route import MeterReaders
from foureyes.readers.settle import moving

__all__ = ["Confirmations"]


class Confirmations(Rereads):
    """Reads doubtful reads of displays at rest again, all meters of a sample in one call."""

    def __call__(
        self,
        reader: MeterReaders,
        crops: Mapping[str, Image],
        around: Around,
        results: Mapping[str, tuple[RawRead, ParseResult]],
        covered: Mapping[str, bool],
        strong: Mapping[str, float],
    ) -> set[str]:
        """The meters whose uncertain read every other look at the same rest agrees with,
        one of them with certainty."""
        todo: list[tuple[str, Image]] = []
        for name in (m for m in self.meters if m in results):
            raw, parsed = results[name]
            if not parsed.ok or covered[name] or raw.certain(strong[name]):
                continue
            still = self._still(name, crops[name], around)
            if still is None:
                continue  # in motion, or no frames around it: second looks' business
            preferred = self._chooser.preparation(name)
            others = [p for _, p in PREPARATIONS if p is not preferred]
            todo += [(name, prepare(crops[name])) for prepare in others]
            todo.append((name, preferred(still)))
        if not todo:
            return set()
        reads = self._read(reader, todo)
        agreeing: dict[str, bool] = {}
        sure: set[str] = set()
        for (name, _), look in zip(todo, reads, strict=True):
            same = self._parse(name, look.value_text).value == results[name][1].value
            agreeing[name] = agreeing.get(name, True) and same
            if look.certain(strong[name]):
                sure.add(name)
        return {name for name, ok in agreeing.items() if ok and name in sure}

    @staticmethod
    def _still(name: str, crop: Image, around: Around) -> Image | None:
        """A neighbouring frame of the same rest: the display did not change from the
        frame before the sample to the one after it (and the one after that)."""
        after, before = around.frames
        if len(after) < 2 or not before:
            return None
        seq = [before[0][name], crop, after[0][name], after[1][name]]
        if any(moving(a, b) for a, b in pairwise(seq)):
            return None
        return after[1][name]
