"""Finding where a rolling display comes to rest, and when a second read may stand in."""

from __future__ import annotations

import numpy as np
import pytest

from foureyes.model import RawRead
from foureyes.readers.settle import (
    drifting,
    grey,
    moving,
    moving_throughout,
    settled_index,
    text_changed,
)


def frame(level: int, noise: int = 0, seed: int = 0) -> np.ndarray:
    """A 20x40 crop: a digit-like bar whose position stands for the digit shown."""
    img = np.full((20, 40, 3), 30, np.int16)
    img[:, level : level + 6] = 230
    if noise:
        img += np.random.default_rng(seed).integers(-noise, noise + 1, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([0, 5, 10, 15, 15, 15, 15], 3),  # rolls for three frames, then rests
        ([0, 5, 5, 5], 1),  # one step to rest
        ([0, 0, 0, 0, 0], None),  # at rest already: nothing to look for
        ([0, 5, 10, 15, 20], None),  # still rolling when the window ends
        ([0, 5, 5, 10, 10, 10], 3),  # one still step is not rest
    ],
)
def test_settled_index(levels: list[int], expected: int | None) -> None:
    """The first frame after which the display stays unchanged for two steps."""
    assert settled_index([frame(x) for x in levels]) == expected


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([0, 5, 10, 15, 15, 15], True),  # one roll from the sample to its rest
        ([0, 5, 5, 10, 10, 10], False),  # a pause: two rolls, the rest is two values on
        ([0, 0, 5, 10, 10, 10], False),  # the sample was at rest: it shows its own value
        ([0, 5, 10], True),
    ],
)
def test_moving_throughout(levels: list[int], expected: bool) -> None:
    """A sample inside one continuous motion saw one change of value, not two."""
    crops = [frame(x) for x in levels]
    k = settled_index(crops)
    assert moving_throughout(crops, k if k is not None else len(crops) - 1) is expected


def faint(level: int, specks: int) -> np.ndarray:
    """A 50x100 crop (5,000 pixels) with a bar at ``level`` and ``specks`` pixels changed:
    the sub-pixel creep at either end of an eased roll."""
    img = np.full((50, 100, 3), 30, np.uint8)
    img[:, level : level + 6] = 230
    img[0, 50 : 50 + specks] = 230
    return img


@pytest.mark.parametrize(
    ("specks", "expected"),
    [
        (8, True),  # 1.6‰ changed: under the 2‰ of motion, but not a pause
        (0, False),  # nothing changed: a pause between two rolls
        (3, False),  # 0.6‰: below half of the motion share, a pause
    ],
)
def test_one_faint_step_inside_a_motion(specks: int, expected: bool) -> None:
    """One faint step between two moving ones is the slow end of an eased roll, not a
    pause; a step that changed nothing, or next to nothing, is a pause."""
    crops = [faint(0, 0), faint(5, 0), faint(10, 0), faint(10, specks)]
    crops += [faint(15, specks), faint(20, specks), faint(20, specks), faint(20, specks)]
    assert settled_index(crops) == 5
    assert moving_throughout(crops, 5) is expected


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (0, True),  # the sample itself was already moving
        (8, False),  # the sample moved only faintly: it may be at rest just before a roll
    ],
)
def test_faint_first_step_is_not_motion(first: int, expected: bool) -> None:
    """The step from the sample must move in full: else the sample may show its old value."""
    start = faint(0, 0) if first == 0 else faint(5, 0)
    crops = [start, faint(5, first), faint(10, first), faint(15, first), faint(15, first)]
    crops.append(faint(15, first))
    k = settled_index(crops)
    assert k is not None
    assert moving_throughout(crops, k) is expected


@pytest.mark.parametrize("until", [0, 9])
def test_moving_throughout_needs_frames(until: int) -> None:
    """No step, or a rest beyond the frames given, is no evidence of motion."""
    assert not moving_throughout([frame(0), frame(5)], until)


def test_sensor_noise_is_not_motion() -> None:
    """Noise of a filmed screen does not count as the display changing."""
    assert not moving(frame(5, noise=8, seed=1), frame(5, noise=8, seed=2))
    assert moving(frame(5, noise=8, seed=1), frame(12, noise=8, seed=2))


def read(text: str, probs: list[float]) -> RawRead:
    return RawRead(text=text, confidence=0.9, constrained=text, probs=tuple(probs))


@pytest.mark.parametrize(
    ("mine", "probs", "theirs", "contradicts"),
    [
        ("$1,883.60", [1, 1, 1, 1, 1, 1, 1, 1, 0.6], "$1,883.47", True),  # a sure 6 for a 4
        ("$1,883.60", [1, 1, 1, 1, 1, 1, 1, 0.6, 0.6], "$1,883.47", False),  # unsure there
        ("$1,883.47", [1] * 9, "$1,883.47", False),
        ("$999.99", [1] * 7, "$1,000.00", True),  # cannot be lined up
    ],
)
def test_contradiction(mine: str, probs: list[float], theirs: str, contradicts: bool) -> None:
    """A rest lacks what the read was sure of: the display no longer showed it."""
    assert read(mine, probs).contradicts(read(theirs, [1.0] * len(theirs)), 0.9) is contradicts


@pytest.mark.parametrize(
    ("mine", "probs", "theirs", "prefix", "agrees"),
    [
        ("$98.10", [1, 1, 1, 1, 0.4, 0.5], "$98.20", False, True),  # only uncertain differ
        ("$98.10", [1, 1, 1, 1, 1, 0.5], "$98.20", False, False),  # a certain digit differs
        ("$98.10", [1, 1, 1, 1, 0.4, 0.5], "$98.2", False, False),  # lengths differ
        ("$53.7", [1] * 5, "$53.79", True, True),  # a lost last digit
        ("$17.", [1] * 4, "$17.42", True, True),
        ("$47,15.0", [1] * 8, "$47,157.10", True, True),  # a digit lost mid-way
        ("$12.5", [1] * 5, "$21.59", True, False),  # not in order
        ("$9908", [1, 1, 1, 1, 0.3], "$990.97", True, False),  # not a clean prefix
        ("$5", [1, 1], "$53.79", True, False),  # too much lost
        ("$42,18.2", [1] * 7 + [0.4], "$42,183.13", True, True),  # unsure remains of a roll
        ("$42,18.2", [1] * 8, "$42,183.13", True, False),  # sure of a 2 it does not show
    ],
)
def test_agreement(mine: str, probs: list[float], theirs: str, prefix: bool, agrees: bool) -> None:
    """A second read may stand in only where it agrees with what the first was sure of."""
    assert (
        read(mine, probs).agrees_with(read(theirs, [1.0] * len(theirs)), 0.9, prefix=prefix)
        is agrees
    )


@pytest.mark.parametrize(
    ("text", "constrained", "stray"),
    [
        ("$42,198.27", "$42,198.27", False),  # the model read only meter glyphs
        ("$42,198x27", "$42,198.27", True),  # a separator it did not see as one
        ("$24.8÷", "$24.85", True),  # a half-rolled digit read as a symbol
        ("$ 981.69", "$981.69", False),  # spaces do not count
        ("$98.10", None, False),  # a reader without a constrained reading
        ("f1,250.00", "£1,250.00", False),  # a sign read as a letter changes no digit
        ("1,250.00e", "1,250.00€", False),  # nor after the number
        ("l1,250.00", "11,250.00", True),  # a leading digit read as a letter does
        ("£12.5", "£12.50", True),  # the model saw fewer glyphs: nothing lines up
    ],
)
def test_stray_glyph(text: str, constrained: str | None, stray: bool) -> None:
    """A glyph no meter shows, where the constrained read has a digit, is a sign of doubt."""
    assert RawRead(text=text, confidence=0.9, constrained=constrained).stray is stray


@pytest.mark.parametrize(
    ("pattern", "motions"),
    [
        ("aaaabcdddd", [(3, 6)]),  # one change: from the rest's last frame to the next's first
        ("aaaabbbbcccc", [(3, 4), (7, 8)]),  # two changes, each from rest to rest
        ("abcdddd", []),  # it was already moving: when the motion began is unknown
        ("aaaabcbdeeee", [(3, 8)]),  # a burst: one long motion
        ("aaaabbcddd", []),  # a pause of one step: neither a rest nor one motion
        ("aaaabcd", []),  # not at rest yet
    ],
)
def test_motions_are_timed_from_rest_to_rest(pattern: str, motions: list[tuple[int, int]]) -> None:
    """A meter's display is followed frame by frame; each motion between two rests (two
    frame steps without change, as second looks see one) is reported once, with the last
    frame of the rest before and the first of the rest after."""
    from foureyes.readers.settle import MotionTimer

    rng = np.random.default_rng(3)
    pictures = {ch: rng.integers(0, 255, (12, 30, 3), dtype=np.uint8) for ch in set(pattern)}
    timer = MotionTimer()
    seen = []
    for i, ch in enumerate(pattern):
        motion = timer.add(i / 30, pictures[ch])
        if motion is not None:
            seen.append((round(motion.start * 30), round(motion.end * 30)))
            assert motion.before is pictures[pattern[round(motion.start * 30)]]
            assert motion.after is pictures[pattern[round(motion.end * 30)]]
    assert seen == motions


def _face(segment: int, *, lit: int = 70, dark: int = 30) -> np.ndarray:
    """A dim seven-segment-like face 16 px high: a few bars, one of them switchable."""
    img = np.full((16, 120, 3), dark, np.uint8)
    for x in (10, 40, 70):
        img[2:14, x : x + 3] = lit
    if segment:
        img[2:4, 90:100] = lit  # a segment that turns on, as a 7 becomes a 9
    return img


def _noisy(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (_face(0), _face(1), True),  # one dim segment: 40 levels, under moving()'s jump
        (_face(0), _face(0), False),
        (_noisy(_face(0), 3, 1), _noisy(_face(0), 3, 2), False),  # sensor noise
        (_face(0), np.clip(_face(0).astype(int) + 30, 0, 255).astype(np.uint8), False),
        (_face(0), _face(0)[:, :100], True),  # another size: not the same picture
    ],
    ids=["segment", "same", "noise", "flicker", "shape"],
)
def test_text_changed_sees_a_dim_segment_but_not_noise(
    a: np.ndarray, b: np.ndarray, expected: bool
) -> None:
    assert text_changed(grey(a), grey(b)) is expected
    if expected and a.shape == b.shape:
        assert not moving(a, b)  # why a second test exists: the motion test misses it


def _glyphs(digit: int) -> np.ndarray:
    """A bright face 20 px high: bars standing for a digit, a different set per digit."""
    img = np.full((20, 60, 3), 20, np.uint8)
    for k in range(4):
        if digit >> k & 1:
            img[3:17, 8 + 12 * k : 14 + 12 * k] = 230
    return img


def _fade(start: int) -> list[np.ndarray]:
    """41 pictures of a fade from 5 to 10 that begins at frame ``start`` and takes 20."""
    a, b = _glyphs(5).astype(float), _glyphs(10).astype(float)
    t = [min(1.0, max(0.0, (i - start) / 20)) for i in range(41)]
    return [((1 - x) * a + x * b).astype(np.uint8) for x in t]


def _sides(pictures: list[np.ndarray], at: int) -> list[list[np.ndarray]]:
    """The sample's frames after and before it, nearest first, each side led by it."""
    return [pictures[at:], pictures[at::-1]]


@pytest.mark.parametrize(
    ("pictures", "at", "expected"),
    [
        (_fade(10), 20, True),  # halfway through a fade
        (_fade(100), 20, False),  # at rest
        (_fade(23), 20, False),  # at rest, a fade begins 3 frames later
        (_fade(-3), 20, False),  # at rest, a fade ended 3 frames before
        (
            [np.clip(p.astype(int) // 3 + 60, 0, 255).astype(np.uint8) for p in _fade(10)],
            20,
            True,
        ),  # a dim face: 70 levels of contrast in all
        ([_noisy(_glyphs(5), 3, i) for i in range(41)], 20, False),  # sensor noise
    ],
    ids=["mid-fade", "rest", "fade-after", "fade-before", "dim-fade", "noise"],
)
def test_drifting_sees_a_fade_that_no_frame_step_shows(
    pictures: list[np.ndarray], at: int, expected: bool
) -> None:
    """A fade moves each pixel a few levels a frame, under the jump :func:`moving`
    asks for; two frames away on each side the text has changed all the same."""
    sides = _sides(pictures, at)
    assert drifting(sides) is expected
    if expected:
        assert not all(moving_throughout(seq, 1) for seq in sides)


def test_drifting_needs_frames_on_both_sides() -> None:
    pictures = _fade(10)
    assert not drifting([pictures[20:], [pictures[20]]])
    assert not drifting([pictures[20:]])
