"""Confirmations: an uncertain read of a display at rest stands as certain only when
every other look at that rest that reads a number reads the same value, and one of them
(or the read itself, nearly) is sure of it."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pytest

from foureyes.model import Image, MeterKind, RawRead
from foureyes.readers.choose import PreparationChooser
from foureyes.readers.confirm import Confirmations
from foureyes.readers.crop import PREPARATIONS
from foureyes.readers.looks import Around
from foureyes.readers.parse import ParseResult, parse_value, restore_point
from foureyes.readers.route import MeterReaders


class Scripted:
    """A reader that answers each call with the next texts of a script, and counts. A
    text ending in "?" is read unsure of one digit."""

    name = "scripted"

    def __init__(self, texts: list[str | RawRead]) -> None:
        self.texts = texts
        self.crops: list[int] = []
        self.seen: list[Image] = []  # every crop read, in order

    def warmup(self) -> None: ...

    def close(self) -> None: ...

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.crops.append(len(crops))
        self.seen.extend(crops)
        out = [_read(t) for t in self.texts[: len(crops)]]
        self.texts = self.texts[len(crops) :]
        return out


def _read(text: str | RawRead) -> RawRead:
    if isinstance(text, RawRead):
        return text
    weakest = 0.6 if text.endswith("?") else 1.0
    text = text.rstrip("?")
    probs = (1.0,) * (len(text) - 1) + (weakest,)
    return RawRead(text=text, confidence=weakest, probs=probs, weakest=weakest)


def parse(meter: str, text: str) -> ParseResult:
    return parse_value(text, MeterKind.CURRENCY)


def _frames(moving: bool) -> tuple[Image, Around]:
    rng = np.random.default_rng(1)
    still = rng.integers(0, 255, (30, 90, 3), dtype=np.uint8)
    other = rng.integers(0, 255, (30, 90, 3), dtype=np.uint8)
    after = [{"m": other if moving else still}, {"m": still}]
    return still, Around(1.0, (after, [{"m": still}]), ([1.03, 1.07], [0.97]))


UNSURE = RawRead(text="$12.50", confidence=0.8, probs=(1, 1, 1, 0.6, 1, 1), weakest=0.6)
# a look that reads the read's doubtful digit otherwise, as unsure of it
OTHER_UNSURE = RawRead(text="$11.50", confidence=0.8, probs=(1, 1, 1, 0.6, 1, 1), weakest=0.6)
# a seven- or fourteen-segment face with no sign, unsure of its 2; a look that reads an
# unlit leading 8 before the number, unsurely (0.6) and surely (0.99)
UNSIGNED = RawRead(text="12.50", confidence=0.8, probs=(1, 0.6, 1, 1, 1), weakest=0.6)
GHOST = RawRead(text="812.50", confidence=0.9, probs=(0.6, 1, 1, 1, 1, 1), weakest=0.6)
SURE_8 = RawRead(text="812.50", confidence=1.0, probs=(0.99, 1, 1, 1, 1, 1), weakest=0.99)
NEARLY = RawRead(text="$12.50", confidence=0.9, probs=(1, 1, 1, 0.92, 1, 1), weakest=0.92)


@pytest.mark.parametrize(
    ("name", "raw", "moving", "covered", "script", "confirmed", "reads"),
    [
        ("at rest, every look agrees", UNSURE, False, False, ["$12.50"] * 3, True, 3),
        (
            "at rest, one look agrees surely, the others unsure",
            UNSURE,
            False,
            False,
            ["$12.50?", "$12.50", "$12.50?"],
            True,
            3,
        ),
        (
            "at rest, every look agrees, none is sure: the model's own doubt",
            UNSURE,
            False,
            False,
            ["$12.50?"] * 3,
            False,
            3,
        ),
        (
            "at rest, one look reads otherwise",
            UNSURE,
            False,
            False,
            ["$12.50", "$12.58", "$12.50"],
            False,
            3,
        ),
        (
            "at rest, one way reads no number: no evidence either way",
            UNSURE,
            False,
            False,
            ["$12.50", "", "$12.50"],
            True,
            3,
        ),
        ("at rest, no look reads a number", UNSURE, False, False, [""] * 3, False, 3),
        (
            "at rest, one way adds an unlit 8 it is unsure of: no evidence either way",
            UNSIGNED,
            False,
            False,
            [GHOST, "12.50", "12.50?"],
            True,
            3,
        ),
        (
            "at rest, one way is sure of a digit before the number: another value",
            UNSIGNED,
            False,
            False,
            [SURE_8, "12.50", "12.50?"],
            False,
            3,
        ),
        (
            "at rest, one look unsure of a digit the read is sure of reads it otherwise",
            UNSURE,
            False,
            False,
            ["$12.58?", "$12.50", "$12.50?"],
            True,
            3,
        ),
        (
            "at rest, one look reads the read's doubtful digit otherwise, unsurely",
            UNSURE,
            False,
            False,
            [OTHER_UNSURE, "$12.50", "$12.50?"],
            False,
            3,
        ),
        (
            "at rest, the only look that reads a number differs where it doubts itself",
            UNSIGNED,
            False,
            False,
            [GHOST, "", ""],
            False,
            3,
        ),
        (
            "at rest, nearly sure (0.92), every look repeats it unsurely",
            NEARLY,
            False,
            False,
            ["$12.50?"] * 3,
            True,
            3,
        ),
        (
            "at rest, nearly sure (0.92), one look reads otherwise",
            NEARLY,
            False,
            False,
            ["$12.50?", OTHER_UNSURE, ""],
            False,
            3,
        ),
        ("in motion: second looks' business", UNSURE, True, False, [], False, 0),
        ("covered: nothing to confirm", UNSURE, False, True, [], False, 0),
        (
            "already certain",
            RawRead(text="$12.50", confidence=1.0, weakest=1.0),
            False,
            False,
            [],
            False,
            0,
        ),
    ],
)
def test_an_uncertain_read_at_rest_is_confirmed_only_by_agreement(
    name: str,
    raw: RawRead,
    moving: bool,
    covered: bool,
    script: list[str | RawRead],
    confirmed: bool,
    reads: int,
) -> None:
    """The other preparations of the same crop and a neighbouring frame of the same rest
    must all read the value; anything else leaves the read as doubtful as it was."""
    crop, around = _frames(moving)
    reader = Scripted(script)
    confirm = Confirmations(["m"], PreparationChooser(["m"]), parse)
    got = confirm(
        MeterReaders.uniform(reader, ["m"]),
        {"m": crop},
        around,
        {"m": (raw, parse("m", raw.text))},
        {"m": covered},
        {"m": 0.95},
    )
    assert (got == {"m"}) is confirmed, name
    assert sum(reader.crops) == reads == (len(PREPARATIONS) if reads else 0), name
    assert confirm.take_reads() == reads


def _motion() -> tuple[Image, Around]:
    """A display that rests at one picture, moves for three frames, and rests at another."""
    rng = np.random.default_rng(2)
    a, b, c, d, e = (rng.integers(0, 255, (30, 90, 3), dtype=np.uint8) for _ in range(5))
    after = [{"m": c}, {"m": d}, {"m": e}, {"m": e}, {"m": e}]
    before = [{"m": a}, {"m": a}, {"m": a}, {"m": a}]  # most recent first
    times = ([1.0 + k / 30 for k in range(1, 6)], [1.0 - k / 30 for k in range(1, 5)])
    return b, Around(1.0, (after, before), times)


def pointed(meter: str, text: str) -> ParseResult:
    """The parse the pipeline gives second looks: a lost decimal point put back."""
    parsed = parse(meter, text)
    return parsed if parsed.ok else restore_point(text, MeterKind.CURRENCY, 2)


@pytest.mark.parametrize("point", [True, False])  # False: a face that never shows it
@pytest.mark.parametrize(
    ("first", "mixed"),
    [
        ("$12.55", True),  # sure of a value no rest shows: a mix of the two
        ("$12.60", False),  # it shows the rest after: what the display rolled to
        ("$12.50", False),  # it shows the rest before: what it rolled from
    ],
)
def test_a_certain_read_caught_in_motion_must_show_a_rest(
    first: str, mixed: bool, point: bool
) -> None:
    """However sure the model is, a read of a display in motion that shows neither value
    the display rested at around it is in doubt; the rests are timed from the sample. A
    face whose point merges with its digit is held to its rests alike, its point put
    back in the read and in the rests."""
    from foureyes.readers.looks import SecondLooks
    from foureyes.readers.occlusion import Palette
    from foureyes.tracking.tracker import TrackerSettings

    def shown(text: str) -> str:
        return text if point else text.replace("$", "").replace(".", "")

    crop, around = _motion()
    reader = Scripted([shown("$12.60"), shown("$12.50")])  # the rest after, then before
    looks = SecondLooks(["m"], PreparationChooser(["m"]), {"m": Palette()}, pointed)
    first = shown(first)
    raw = RawRead(text=first, confidence=1.0, probs=(1.0,) * len(first), weakest=1.0)
    got = looks(
        MeterReaders.uniform(reader, ["m"]),
        {"m": crop},
        around,
        {"m": (raw, pointed("m", first))},
        {"m": False},
        {"m": TrackerSettings()},
    )
    assert ("m" in got.mixed) is mixed
    assert (got.after, got.before) == ({"m": 12.6}, {"m": 12.5})
    assert got.after_in["m"] == pytest.approx(3 / 30) and got.before_by["m"] == pytest.approx(
        1 / 30
    )


@pytest.mark.parametrize(
    ("name", "beside", "mixed"),
    [
        ("only the background moves: both neighbours read it surely", ["$12.55"] * 2, False),
        ("a display counting on: a neighbour reads on", ["$12.56", "$12.55"], True),
        ("a neighbour unsure of a digit", ["$12.55", "$12.55?"], True),
        ("a neighbour reads no number", ["$12.55", ""], True),
    ],
)
def test_a_certain_read_in_motion_with_no_rest_in_sight_needs_its_neighbours(
    name: str, beside: list[str], mixed: bool
) -> None:
    """A display that never settles around a sample (counting on and on, or a moving
    background) has no rest to compare with: the farthest frames on either side must
    read the sample's value surely, or the read is a mix (a slow wheel shows one digit
    whole for several frames on its way past, so the frames next to it prove nothing)."""
    from foureyes.readers.looks import SecondLooks
    from foureyes.readers.occlusion import Palette
    from foureyes.tracking.tracker import TrackerSettings

    rng = np.random.default_rng(3)
    pics = [rng.integers(0, 255, (30, 90, 3), dtype=np.uint8) for _ in range(9)]
    after = [{"m": p} for p in pics[1:5]]
    before = [{"m": p} for p in pics[5:9]]
    times = ([1.0 + k / 30 for k in range(1, 5)], [1.0 - k / 30 for k in range(1, 5)])
    reader = Scripted(list(beside))
    looks = SecondLooks(["m"], PreparationChooser(["m"]), {"m": Palette()}, parse)
    raw = _read("$12.55")
    got = looks(
        MeterReaders.uniform(reader, ["m"]),
        {"m": pics[0]},
        Around(1.0, (after, before), times),
        {"m": (raw, parse("m", raw.text))},
        {"m": False},
        {"m": TrackerSettings()},
    )
    assert ("m" in got.mixed) is mixed, name
    assert sum(reader.crops) == 2 and not got.after and not got.before, name
    prepare = PreparationChooser(["m"]).preparation("m")
    for crop, far in zip(reader.seen, (pics[4], pics[8]), strict=True):
        assert np.array_equal(crop, prepare(far)), name


def test_a_slow_roll_starting_is_not_a_rest() -> None:
    """A slow odometer starting moves its digits a pixel a frame: no two neighbouring
    frames differ by enough to count as motion, but the first and the last of the look
    window do, so the read is not confirmed as one of a display at rest."""
    from foureyes.readers.settle import moving

    frames = []
    for k in range(4):  # each frame lights four more pixels than the one before
        f = np.zeros((30, 90, 3), dtype=np.uint8)
        f[0, : 4 * k] = 255
        frames.append(f)
    assert not any(moving(a, b) for a, b in pairwise(frames))

    def around(before: Image, after: Image, after2: Image) -> Around:
        return Around(1.0, ([{"m": after}, {"m": after2}], [{"m": before}]), ((), ()))

    rest = frames[0]
    assert Confirmations._still("m", rest, around(rest, rest, rest)) is not None
    drift = around(frames[0], frames[2], frames[3])
    assert Confirmations._still("m", frames[1], drift) is None


@pytest.mark.parametrize(
    ("name", "after", "before", "rests"),
    [
        # pictures: the sample is "b"; frames after it, then before it, nearest first
        ("caught in motion: both rests stand in", "cdeee", "aaaa", (12.6, 12.5)),
        ("a change ended a frame before the sample: it is a rest", "bbbb", "aaaa", ()),
        ("a change begins a frame after the sample: it is a rest", "cccc", "bbbb", ()),
        ("one frame between two rests is in motion", "cccc", "aaaa", (12.6, 12.5)),
    ],
)
def test_a_rest_stands_in_only_for_a_sample_in_motion(
    name: str, after: str, before: str, rests: tuple[float, ...]
) -> None:
    """An unsure read is replaced by a rest's value only where the display was moving at
    the sample, towards both sides: a sample that is a rest itself shows its own value
    ("30" read unsure of a settled 31 a frame after the display left 30), however near
    the rest beside it."""
    from foureyes.readers.looks import SecondLooks
    from foureyes.readers.occlusion import Palette
    from foureyes.tracking.tracker import TrackerSettings

    rng = np.random.default_rng(4)
    pic = {k: rng.integers(0, 255, (30, 90, 3), dtype=np.uint8) for k in "abcde"}
    times = ([1.0 + k / 30 for k in range(1, 6)], [1.0 - k / 30 for k in range(1, 6)])
    around = Around(1.0, ([{"m": pic[k]} for k in after], [{"m": pic[k]} for k in before]), times)
    reader = Scripted(["$12.60", "$12.50"])  # the rest after, then the rest before
    looks = SecondLooks(["m"], PreparationChooser(["m"]), {"m": Palette()}, parse)
    got = looks(
        MeterReaders.uniform(reader, ["m"]),
        {"m": pic["b"]},
        around,
        {"m": (UNSURE, parse("m", UNSURE.text))},
        {"m": False},
        {"m": TrackerSettings()},
    )
    assert tuple(got.after.values()) + tuple(got.before.values()) == rests, name
    assert sum(reader.crops) == len(rests), name
