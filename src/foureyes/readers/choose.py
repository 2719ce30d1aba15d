"""Which way to prepare each meter's crop before reading it.

A display style decides what works: gold digits read best as they are, a seven-segment
display only once its unlit "8" ghosts are faded out (:func:`~foureyes.readers.crop.clean`),
a glow font only with the plain crop (a cut at half the contrast closes a 3 into an 8).
Worse, the wrong preparation can still give a well-formed number ("8,971.98" for "$971.98"
behind a ghost 8), so a meter must not settle on the first preparation that parses. Each
meter starts by reading its first samples every way, and the ways are combined by
agreement, never by a rule that one display type justifies: a value two ways read is the
sample's, and each way that read it earns a vote; where no two agree the sample is in
doubt. The way with the most votes (the least processed of a tie) is then used alone,
with the others as a fallback for crops it cannot read, and the choice is made again if
it keeps failing where another way reads the crop (a popup that no way can read through
is not the way's failure).

Agreement can be fooled where two ways share their processing: a currency sign that
binarises into a blob reads "855,511.57" both ways a clean crop is made, where the plain
crop reads "$55,511.57" without a doubt; a seven-segment ghost 8 does the reverse. A way
that reads a sign the model is sure of is direct evidence of the display's *form*, which
no frame changes: a read with a digit where a sign was seen is then not a read of this
meter. The sides a meter shows a sign on are learned while calibrating (seen in at least
half of those samples) and kept, and every read after must show it. A sign read unsurely
where another way reads a digit settles nothing: the sample is in doubt, and a meter
whose calibration is mostly such samples goes on being read every way.

The spacing of its characters is part of a meter's form too: its digits sit evenly (a
space after a sign is the one wide gap some show). A popup drawn in the meter's own
colours leaves no foreign colour to see, but it leaves a hole: "$3.44" read over
"$300.44" with a gap of two and a half digits after the sign. The widest gap in the
certain reads of the calibration is learned; a read with a gap a whole digit wider is of a
partly covered number.

A picture that has not changed since the meter's last certain read is not read again: the
same pixels give the same value, and on a board that rests most of the time that is most
of the model's work. "Not changed" is strict: no more than a few pixels moved by more than
a quarter of the crop's contrast (a digit that changes moves dozens), so a noisy codec or
a moving background only ever costs a read, never hides a change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from foureyes.model import Image, RawRead
from foureyes.readers.base import Reader
from foureyes.readers.crop import PREPARATIONS
from foureyes.readers.parse import CURRENCY, ParseResult
from foureyes.readers.route import MeterReaders
from foureyes.readers.settle import grey

__all__ = ["PreparationChooser", "no_sign", "sign_sides"]

Parse = Callable[[str, str], ParseResult]  # (meter, text) -> result


def sign_sides(text: str, probs: Sequence[float] = (), strong: float | None = None) -> set[str]:
    """The ends ("before", "after") of a read's text that carry a currency sign; with
    ``strong``, only signs read at least that surely (``probs``: per character)."""
    if len(probs) != len(text):
        probs = ()
    if not any(c.isdigit() for c in text):
        # A sign is before or after a number: a read of a lone "€" (the digits faded
        # out, or hidden) has no sides, and counting it on both once taught a meter that
        # it shows a sign after its number too, failing every read of it after that.
        return set()
    ends = {"before": _first(text), "after": _last(text)}
    out = set()
    for side, i in ends.items():
        if i is None or text[i] not in CURRENCY:
            continue
        if strong is None or (probs and probs[i] >= strong):
            out.add(side)
    return out


def no_sign(text: str) -> str:
    return f"no currency sign where the meter shows one: {text!r}"


def _first(text: str) -> int | None:
    return next((i for i, c in enumerate(text) if not c.isspace()), None)


def _last(text: str) -> int | None:
    return next((i for i in range(len(text) - 1, -1, -1) if not text[i].isspace()), None)


@dataclass(slots=True)
class _State:
    votes: list[int]
    calibrating: int
    preferred: int = 0
    failures: int = 0
    ambiguous: int = 0  # calibration samples where ways disagreed on sign or digit
    # the crop of the last certain read, and that read, to give again while unchanged
    picture: npt.NDArray[np.int16] | None = None
    jump: float = 0.0  # picture_jump(picture), once
    kept: tuple[RawRead, ParseResult] | None = None


def picture_jump(picture: npt.NDArray[np.int16]) -> float:
    """A quarter of a grey crop's contrast: the change that counts against it being the
    same picture. A quarter, not a half: a 12 px digit blurred by scaling changes from 0
    to 2 with only two pixels moving by half the contrast, but fifty by a quarter, where
    a still frame under H.265 moves one."""
    lo, hi = np.percentile(picture, (1, 99))
    return max(float(hi - lo) / 4, 8.0)


def same_picture(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16], jump: float) -> bool:
    """Whether two grey crops of a region show the same picture: at most one pixel in
    2000 (and at least one) differs by more than ``jump`` (see :func:`picture_jump`)."""
    if a.shape != b.shape or a.size == 0:
        return False
    return int(np.count_nonzero(np.abs(a - b) > jump)) <= max(1, a.size // 2000)


@dataclass(slots=True)
class PreparationChooser:
    meters: Sequence[str]
    calibration: int = 6  # samples read every way before a meter settles on one
    refail: int = 8  # chosen-way failures where another way read, in a row, before re-choosing
    strong: float = 0.9  # a sign read at least this surely is evidence of the form
    reads: int = 0
    recalled: int = 0  # reads given again for an unchanged picture
    _state: dict[str, _State] = field(default_factory=dict)
    # per meter: calibration samples seen, and in how many a sign was read surely, by side
    _sign_seen: dict[str, dict[str, int]] = field(default_factory=dict)
    # per meter: the widest gap (in typical gaps) of certain calibration reads, and how many
    _spacing: dict[str, tuple[float, int]] = field(default_factory=dict)
    #: the meters of the last ``read`` whose ways disagreed with no two alike
    disputed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for m in self.meters:
            self._reset(m)
            self._sign_seen[m] = {"samples": 0, "before": 0, "after": 0}

    def signs(self, meter: str) -> set[str]:
        """The sides this meter has been seen to show a currency sign on."""
        seen = self._sign_seen[meter]
        if not seen["samples"]:
            return set()
        return {s for s in ("before", "after") if 2 * seen[s] >= max(seen["samples"], 2)}

    def holed(self, meter: str, raw: RawRead) -> bool:
        """Whether ``raw`` has a gap a whole digit wider than this meter's form shows:
        something hides part of the number."""
        widest, seen = self._spacing.get(meter, (0.0, 0))
        gap = raw.widest_gap
        return seen >= 2 and gap is not None and gap >= widest + 1.0

    def fits_form(self, meter: str, text: str) -> bool:
        """Whether ``text`` shows every sign this meter shows (a digit in a sign's place,
        or no sign, is not a read of it)."""
        return self.signs(meter) <= sign_sides(text)

    def _reset(self, meter: str) -> None:
        self._state[meter] = _State([0] * len(PREPARATIONS), self.calibration)

    def preparation(self, meter: str) -> Callable[[Image], Image]:
        return PREPARATIONS[self._state[meter].preferred][1]

    def read(
        self, reader: Reader | MeterReaders, crops: dict[str, Image], parse: Parse
    ) -> dict[str, tuple[RawRead, ParseResult]]:
        """Read every meter in ``crops`` once (more while calibrating or falling back),
        in one batch per attempt and reader."""
        if not isinstance(reader, MeterReaders):
            reader = MeterReaders.uniform(reader, self.meters)
        meters = [m for m in self.meters if m in crops]
        out: dict[str, tuple[RawRead, ParseResult]] = {}
        greys = {m: grey(crops[m]) for m in meters}
        jobs: list[tuple[str, int]] = []
        for m in meters:
            st = self._state[m]
            if self._unchanged(m, greys[m], parse):
                assert st.kept is not None
                out[m] = st.kept
                self.recalled += 1
                continue
            ways = range(len(PREPARATIONS)) if st.calibrating else [st.preferred]
            jobs += [(m, w) for w in ways]
        results = self._run(reader, crops, jobs, parse)
        self.disputed = set()
        fallback: list[tuple[str, int]] = []
        failed: list[str] = []  # meters whose chosen way read no number
        for m in meters:
            if m in out:
                continue
            st = self._state[m]
            mine = {w: r for (mm, w), r in results.items() if mm == m}
            if st.calibrating:
                out[m] = self._calibrate(m, mine)
                continue
            raw, parsed = mine[st.preferred]
            out[m] = (raw, parsed)
            if parsed.ok:
                st.failures = 0
            else:
                failed.append(m)
                fallback += [(m, w) for w in range(len(PREPARATIONS)) if w != st.preferred]
        for (m, _w), (raw, parsed) in self._run(reader, crops, fallback, parse).items():
            if parsed.ok and not out[m][1].ok:
                out[m] = (raw, parsed)
        for m in failed:
            # The chosen way failed. It is to blame only if another way read the picture:
            # where no way can (a popup over the meter, a blank screen), choosing again
            # would only throw away what calibration learned, and calibrating right after
            # a popup leaves the next samples in doubt while the ways disagree.
            if out[m][1].ok:
                st = self._state[m]
                st.failures += 1
                if st.failures >= self.refail:
                    self._reset(m)
        for m in meters:
            self._keep(m, greys[m], out[m])
        return out

    def _sure(self, raw: RawRead) -> bool:
        """Certain, from a reader that gives per-digit doubt (one without it is never
        remembered or learned from)."""
        return raw.weakest is not None and raw.certain(self.strong)

    def _unchanged(self, meter: str, picture: npt.NDArray[np.int16], parse: Parse) -> bool:
        st = self._state[meter]
        if st.kept is None or st.picture is None:
            return False
        if not same_picture(st.picture, picture, st.jump):
            return False
        return parse(meter, st.kept[0].value_text).ok  # a form learned since still applies

    def _keep(
        self, meter: str, picture: npt.NDArray[np.int16], result: tuple[RawRead, ParseResult]
    ) -> None:
        """Remember a certain read outside calibration, to give again while the picture
        stays; anything else forgets."""
        st = self._state[meter]
        raw, parsed = result
        if st.calibrating or meter in self.disputed or not (parsed.ok and self._sure(raw)):
            st.picture, st.kept = None, None
        elif st.kept is not result:
            st.picture, st.jump, st.kept = picture, picture_jump(picture), result

    def _run(
        self,
        reader: MeterReaders,
        crops: dict[str, Image],
        jobs: list[tuple[str, int]],
        parse: Parse,
    ) -> dict[tuple[str, int], tuple[RawRead, ParseResult]]:
        if not jobs:
            return {}
        raws = reader.read_for(
            [m for m, _ in jobs], [PREPARATIONS[w][1](crops[m]) for m, w in jobs]
        )
        self.reads += len(raws)
        return {
            job: (raw, parse(job[0], raw.value_text)) for job, raw in zip(jobs, raws, strict=True)
        }

    def _calibrate(
        self, meter: str, results: dict[int, tuple[RawRead, ParseResult]]
    ) -> tuple[RawRead, ParseResult]:
        st = self._state[meter]
        formless, ambiguous = self._learn_signs(meter, results)
        if ambiguous:
            st.ambiguous += 1
            self.disputed.add(meter)
        parsed = [w for w in sorted(results) if results[w][1].ok]
        by_value: dict[float | None, list[int]] = {}
        for w in parsed:
            by_value.setdefault(results[w][1].value, []).append(w)
        agreed = max(by_value.values(), key=len, default=[])
        sure = [w for w in parsed if results[w][0].certain(self.strong)]
        if sure and len(agreed) >= 2 and not set(sure) & set(agreed):
            # Ways that agree only unsurely, against a way the model is sure of, repeat
            # one doubt about a glyph their shared processing made ("1.567.46" where the
            # plain crop reads "1,167.46" for certain): nothing here is agreement.
            # The sample stays in doubt, but the way that was sure earns the vote.
            self.disputed.add(meter)
            winner = sure[0]
            st.votes[winner] += 1
        elif len(agreed) >= 2 or (formless and len(parsed) == 1):
            for w in agreed:
                st.votes[w] += 1
            winner = agreed[0]  # the least processed of those that agree
        else:
            if len(parsed) > 1:
                self.disputed.add(meter)  # every way read its own number
            winner = parsed[0] if parsed else st.preferred
        self._learn_spacing(meter, *results[winner])
        st.calibrating -= 1
        if not st.calibrating and 2 * st.ambiguous >= self.calibration:
            self._reset(meter)  # no way can be trusted alone: go on reading every way
        elif not st.calibrating and not max(st.votes):
            st.calibrating = 1  # no sample yet showed a way that reads it (a popup): go on
        elif not st.calibrating:
            best = max(st.votes)
            st.preferred = min(w for w, v in enumerate(st.votes) if v == best)
        return results[winner]

    def _learn_signs(
        self, meter: str, results: dict[int, tuple[RawRead, ParseResult]]
    ) -> tuple[bool, bool]:
        """Count the sides some way read a sign on surely, and fail the reads of this
        sample that show a digit or nothing there. Whether any read was failed, and
        whether the sample is ambiguous: a way read a sign unsurely where another read a
        digit, and nothing says which it is."""
        seen = self._sign_seen[meter]
        if not any(parsed.ok for _, parsed in results.values()):
            return False, False  # nothing read (covered, blank): no evidence of the form
        sure: set[str] = set()
        shown: set[str] = set()
        for raw, _ in results.values():
            sure |= sign_sides(raw.value_text, raw.probs, self.strong)
            shown |= sign_sides(raw.value_text)
        seen["samples"] += 1
        for side in sure:
            seen[side] += 1
        signed = {
            parsed.value
            for raw, parsed in results.values()
            if parsed.ok and shown <= sign_sides(raw.value_text)
        }
        failed = ambiguous = False
        for w, (raw, parsed) in results.items():
            if not parsed.ok:
                continue
            sides = sign_sides(raw.value_text)
            if not sure <= sides:
                results[w] = (raw, ParseResult(None, reason=no_sign(raw.value_text)))
                failed = True
            elif not shown <= sides and signed and parsed.value not in signed:
                ambiguous = True  # "813.12" beside "$13.12": a sign, or an 8?
        return failed, ambiguous

    def _learn_spacing(self, meter: str, raw: RawRead, parsed: ParseResult) -> None:
        gap = raw.widest_gap
        if parsed.ok and self._sure(raw) and gap is not None:
            widest, count = self._spacing.get(meter, (0.0, 0))
            self._spacing[meter] = (max(widest, gap), count + 1)
