"""Confirm an uncertain read of a display at rest by reading it again other ways.

Small or soft text makes the model unsure of a digit even when the display is still: the
likeliest digit is usually right (the bare model, which ignores doubt, gets it), but
"usually" is not what FourEyes reports. A display at rest shows the same value in the
frames around the sample, so the doubt can be settled by agreement instead of a guess:
the same crop prepared the other ways, and a neighbouring frame of the same rest (other
codec and sensor noise), are read too, and the read stands as certain only if every one
of them that reads a number reads the same value and at least one of them is sure of it
(or the read itself nearly is, see ``Confirmations.at_rest``). Any other value leaves it
as doubtful as it was; a look never changes the value, it only confirms it. A way that
reads no number at all (a crop that keeps a seven-segment face's unlit 8s) is no
evidence either way, and neither is a look that reads otherwise only in characters it is
itself unsure of and the read is sure of (or lacks): the tight crop of a fourteen-segment
"42,674" reads its unlit leading 8 as "842.674", the 8 at 0.6 and every other character
as the read shows it. A look sure of a character the read lacks, lacking one it shows,
or reading the read's own doubtful digit otherwise, reads another value.

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

    # A read this sure of its digits, of a display still over four frames, needs no look
    # surer than itself, only their agreement. The tracker's bar (0.95) is set for reads
    # caught mid-fade or mid-flip, whose half-gone digit scores 0.90-0.92; a display at
    # rest is not caught in anything, and a seven-segment face reads its digits at
    # 0.90-0.95 on every frame and every way (the demo's sevenseg style).
    at_rest: float = 0.9

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
        sure = {n for n, _ in todo if results[n][0].certain(self.at_rest)}
        for (name, _), look in zip(todo, reads, strict=True):
            value = self._parse(name, look.value_text).value
            if value is None:
                continue  # a way that reads no number here (ghost 8s) says nothing of it
            same = value == results[name][1].value
            if not same and _unsure_only(results[name][0], look, strong[name]):
                continue  # it differs only where it doubts itself: no evidence either way
            agreeing[name] = agreeing.get(name, True) and same
            if look.certain(strong[name]):
                sure.add(name)
        return {name for name, ok in agreeing.items() if ok and name in sure}

    @staticmethod
    def _still(name: str, crop: Image, around: Around) -> Image | None:
        """A neighbouring frame of the same rest: the display did not change from the
        frame before the sample to the one after it (and the one after that), neither
        from frame to frame nor from the first of them to the last: a slow roll starting
        moves its digits a pixel a frame, which no one step shows but three do."""
        after, before = around.frames
        if len(after) < 2 or not before:
            return None
        seq = [before[0][name], crop, after[0][name], after[1][name]]
        if any(moving(a, b) for a, b in [*pairwise(seq), (seq[0], seq[-1])]):
            return None
        return after[1][name]


def _unsure_only(read: RawRead, look: RawRead, strong: float) -> bool:
    """Whether ``look`` differs from ``read`` only in characters it was itself unsure of
    (under ``strong``) where the read was sure, or saw nothing (an unlit 8 before the
    number): lined up from the right, as a number's places are. A look that reads the
    read's own doubtful digit otherwise, or lacks a character the read saw, differs."""
    mine, theirs = read.value_text, look.value_text
    if len(look.probs) != len(theirs) or len(read.probs) != len(mine):
        return False
    extra = len(theirs) - len(mine)
    if extra < 0:
        return False
    for i, (c, p) in enumerate(zip(theirs, look.probs, strict=True)):
        j = i - extra
        if j >= 0 and mine[j] == c:
            continue
        if p >= strong or (j >= 0 and read.probs[j] < strong):
            return False
    return True
