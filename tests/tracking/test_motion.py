"""What a display shows mid-change is learnt from single changes, and only a display that
shows nothing but a change's ends is read while it moves through a burst."""

from __future__ import annotations

import pytest

from foureyes.model import MeterKind
from foureyes.readers.parse import parse_value
from foureyes.tracking.motion import MotionStyle, passes_between
from foureyes.tracking.tracker import MeterTracker, Observation, run_tracker


@pytest.mark.parametrize(
    ("before", "after", "decimals", "passes"),
    [
        (100.00, 100.01, 2, False),  # one digit forward: nothing in between
        (100.00, 100.03, 2, True),  # 0 -> 3 passes 1 and 2
        (100.09, 100.10, 2, False),  # 9 -> 0 and 0 -> 1: each one step
        (100.08, 100.10, 2, True),  # 8 -> 0 passes 9
        (999.0, 1000.0, 0, False),  # a new leading digit from nothing is one step
        (1999.0, 2004.0, 0, True),  # the units move five
        (100.5, 100.5, 1, False),
    ],
)
def test_passes_between(before: float, after: float, decimals: int, passes: bool) -> None:
    assert passes_between(before, after, decimals) is passes


def test_ends_only_needs_chances_and_few_reads_in_between() -> None:
    style = MotionStyle(need=3, odds=4)
    style.learn(100.0, 100.0, 100.01, 2)  # no chance: one step
    style.learn(100.0, 100.0, 100.0, 2)  # the display did not change
    assert (style.chances, style.between) == (0, 0)
    for _ in range(3):
        style.learn(100.03, 100.0, 100.03, 2)
    assert style.ends_only
    style.learn(100.02, 100.0, 100.03, 2)  # a value in between: a burst, or a wheel
    assert not style.ends_only  # 3 chances for 1 read in between: fewer than 4 each
    for _ in range(3):
        style.learn(100.03, 100.0, 100.03, 2)
    assert style.ends_only
    for _ in range(4):
        style.learn(100.01, 100.0, 100.03, 2)
    assert not style.ends_only


def _obs(i: int, text: str, **kw: object) -> Observation:
    return Observation(
        frame=i * 15,
        ts=i * 0.5,
        text=text,
        confidence=0.99,
        parsed=parse_value(text, MeterKind.CURRENCY),
        weakest=0.99,
        **kw,  # type: ignore[arg-type]
    )


def _run(wheel: bool, twin: bool = True) -> list[float | None]:
    """Twelve single changes of 3 cents, each caught once mid-way by a certain read (of
    its old value, or on a ``wheel`` every other time a value in between), then a burst:
    certain reads mid-way through it (two alike with ``twin``), with no rest in sight."""
    obs = [_obs(0, "$100.00", transitions=(0.3,) * 3)]
    value = 100.0
    for k in range(24 if wheel else 12):
        new = round(value + 0.03, 2)
        shown = round(value + 0.01, 2) if wheel and k % 2 else value
        looks = {"look_back": value, "second_look": new, "before_by": 0.1, "after_in": 0.1}
        obs.append(
            _obs(len(obs), f"${shown:.2f}", moving=True, mixed=shown != value, **looks)  # type: ignore[arg-type]
        )
        obs.append(_obs(len(obs), f"${new:.2f}"))
        value = new
    burst = len(obs)
    obs.append(_obs(burst, f"${value + 0.02:.2f}", moving=True, mixed=True))
    second = value + 0.02 if twin else value + 0.03
    obs.append(_obs(burst + 1, f"${second:.2f}", moving=True, mixed=True))
    for k in range(1, 5):
        obs.append(_obs(len(obs), f"${value + 0.04 + 0.01 * k:.2f}"))
    readings, _ = run_tracker(MeterTracker("m"), obs)
    return [r.value for r in readings if r.frame == burst * 15]


@pytest.mark.parametrize(
    ("wheel", "twin", "value"),
    [(False, True, 100.38), (True, True, None), (False, False, None)],
)
def test_a_certain_read_in_a_burst_counts_only_on_a_display_that_shows_its_ends(
    wheel: bool, twin: bool, value: float | None
) -> None:
    """A display that never showed a value in between while it changed once is read as it
    moves through a burst, where a sample beside it read the same; a display seen to show
    digits in between (a wheel) gives null, and so does a read no neighbour repeats (a
    column caught half gone, read as a third digit)."""
    assert _run(wheel, twin) == [value]
