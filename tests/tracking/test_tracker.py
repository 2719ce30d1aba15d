"""The tracker turns raw reads into trusted values: tables of glitches, rolls, occlusions,
resets and thresholds, each with what must come out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from foureyes.model import EventType, MeterKind, Status
from foureyes.readers.parse import parse_value, restore_point
from foureyes.tracking.tracker import (
    MeterTracker,
    Observation,
    TrackerSettings,
    event_id,
    run_tracker,
)

OK, HELD, REJ, UNR = Status.OK, Status.HELD, Status.REJECTED, Status.UNREADABLE


def observations(texts: list[str], *, dt: float = 0.5, conf: float = 0.99) -> list[Observation]:
    return [
        Observation(
            frame=i * 15,
            ts=i * dt,
            text=t,
            confidence=conf,
            parsed=parse_value(t, MeterKind.CURRENCY),
        )
        for i, t in enumerate(texts)
    ]


def track(texts: list[str], **settings: object) -> tuple[list, list]:  # type: ignore[type-arg]
    tracker = MeterTracker("mini", TrackerSettings(**settings))  # type: ignore[arg-type]
    return run_tracker(tracker, observations(texts))


@pytest.mark.parametrize(
    ("name", "texts", "statuses"),
    [
        (
            "clean growth",
            ["$100.00", "$100.05", "$100.09", "$100.12", "$100.15", "$100.20"],
            [OK, OK, OK, OK, OK, OK],
        ),
        (
            "one over-read (a 6 read as 9)",
            ["$100.00", "$100.05", "$100.95", "$100.12", "$100.15", "$100.20"],
            [OK, OK, REJ, OK, OK, OK],
        ),
        (
            "one under-read",
            ["$100.00", "$100.05", "$100.09", "$100.02", "$100.15", "$100.20", "$100.22"],
            [OK, OK, OK, REJ, OK, OK, OK],
        ),
        (
            "a digit misread far up (thousands)",
            ["$1,100.00", "$1,100.05", "$7,100.09", "$1,100.12", "$1,100.15", "$1,100.20"],
            [OK, OK, REJ, OK, OK, OK],
        ),
        (
            "mid-roll read of 100.19 -> 100.20 as 100.29",
            ["$100.15", "$100.19", "$100.29", "$100.20", "$100.22", "$100.25"],
            [OK, OK, REJ, OK, OK, OK],
        ),
        (
            "a popup covers the meter while it does not change: held",
            ["$100.00", "$100.05", "BONUS", "", "$100.05", "$100.08", "$100.10"],
            [OK, OK, HELD, HELD, OK, OK, OK],
        ),
        (
            "a popup covers the meter while it grows: unknown, so null",
            ["$100.00", "$100.05", "BONUS", "", "$100.15", "$100.18", "$100.20"],
            [OK, OK, UNR, UNR, OK, OK, OK],
        ),
        (
            "partial numbers are unreadable",
            ["$100.00", "$100.05", "$100.0", "$1", "$100.05", "$100.08", "$100.10"],
            [OK, OK, HELD, HELD, OK, OK, OK],
        ),
        (
            "two reads that contradict only each other: neither trusted",
            ["$100.00", "$100.05", "$100.17", "$100.16", "$100.20", "$100.22", "$100.25"],
            [OK, OK, REJ, REJ, OK, OK, OK],
        ),
        (
            "a glitch at the very start",
            ["$900.00", "$100.00", "$100.05", "$100.09", "$100.12", "$100.15"],
            [REJ, OK, OK, OK, OK, OK],
        ),
    ],
)
def test_statuses(name: str, texts: list[str], statuses: list[Status]) -> None:
    """Each sample gets the status the table says; values are never doubtful ones."""
    readings, events = track(texts)
    assert [r.status for r in readings] == statuses, name
    assert [r.frame for r in readings] == [i * 15 for i in range(len(texts))]
    for r, t in zip(readings, texts, strict=True):
        if r.status is OK:
            assert r.value == parse_value(t, MeterKind.CURRENCY).value
        elif r.status is not HELD:
            assert r.value is None
    assert [e for e in events if e.type is EventType.RESET] == []


def test_held_value_is_the_unchanged_value() -> None:
    """A held sample reports the value both trusted neighbours agree on."""
    readings, _ = track(["$100.00", "$100.05", "BONUS", "$100.05", "$100.08", "$100.10"])
    assert readings[2].status is HELD
    assert readings[2].value == 100.05


def test_reset_reported_once_at_first_lower_frame() -> None:
    """A drop that persists and grows again is one reset, dated where the drop began."""
    # given a meter that pops after a covering popup
    texts = ["$100.00", "$100.05", "$100.09", "WINNER", "WINNER", "$10.00", "$10.02"]
    texts += ["$10.05", "$10.07", "$10.10"]
    # when tracked
    readings, events = track(texts)
    # then one reset, before and after the pop
    resets = [e for e in events if e.type is EventType.RESET]
    assert len(resets) == 1
    reset = resets[0]
    assert (reset.frame, reset.before, reset.after) == (75, 100.09, 10.0)
    assert reset.id == event_id("mini", "reset", 75)
    assert [r.value for r in readings[5:]] == [10.0, 10.02, 10.05, 10.07, 10.1]
    assert readings[3].status is UNR and readings[3].value is None


@pytest.mark.parametrize(
    ("name", "texts"),
    [
        (
            "a one-sample drop",
            ["$100.00", "$100.05", "$10.00", "$100.09", "$100.12", "$100.15", "$100.20"],
        ),
        (
            "a two-sample drop that comes back",
            ["$100.00", "$100.05", "$10.00", "$10.00", "$100.12", "$100.15", "$100.20"],
        ),
        (
            "a popup hides the leading digits for two seconds",
            [
                *["$1,100.00", "$1,100.05", "$100.05", "$100.06", "$100.06", "$100.07"],
                *["$100.09", "$1,100.10", "$1,100.12"],
            ],
        ),
        (
            "a drop at the end of the stream that never confirms",
            ["$100.00", "$100.05", "$100.09", "$100.12", "$10.00"],
        ),
    ],
)
def test_no_false_reset(name: str, texts: list[str]) -> None:
    """Drops that do not persist, or look like hidden digits, are not resets."""
    readings, events = track(texts)
    assert events == [], name
    trusted = [r.value for r in readings if r.status is OK]
    assert trusted == sorted(trusted), name  # never a falling trusted series


@pytest.mark.parametrize(
    ("name", "before", "events"),
    [
        ("a 3 misread as 5, read once, then a popup", ["$152.85", "$152.85"], []),
        ("a drop below the value before the one read too is a reset", ["$154.00"] * 2, [1]),
    ],
)
def test_a_drop_that_undoes_a_single_misread_is_not_a_reset(
    name: str, before: list[str], events: list[int]
) -> None:
    """A value read once (a mid-roll "155.12" for 153.12), trusted because a popup hid
    the samples after it, and then a drop to where the meter was just before it: the one
    read was the misreading. A reset falls to the seed, below the value before too."""
    texts = [*before, "$155.12", *["x2"] * 6, *["$153.13", "$153.43", "$153.50", "$153.62"]]
    readings, found = track(texts)
    assert [1 for e in found if e.type is EventType.RESET] == events, name
    if not events:
        back = next(r for r in readings if r.value == 153.13)
        assert "a misread, not a reset" in back.reason, name


def test_two_resets_and_threshold_crossings() -> None:
    """Thresholds fire on each upward crossing, again after a reset; resets fire once each."""
    texts = ["$10.00", "$10.05", "$10.10", "$10.15", "$10.20", "$10.25"]
    texts += ["$5.00", "$5.05", "$5.10", "$5.15"]
    texts += ["$10.05", "$10.10"]  # (jump: a persistent fast rise)
    _, events = track(texts, thresholds=(10.12,))
    kinds = [(e.type, e.frame) for e in events]
    assert (EventType.THRESHOLD, 45) in kinds
    assert [k for k in kinds if k[0] is EventType.RESET] == [(EventType.RESET, 90)]
    assert len({e.id for e in events}) == len(events)


def test_persistent_fast_rise_is_a_jump_not_a_glitch() -> None:
    """A rise too fast for the meter that then holds is accepted and reported as a jump."""
    texts = ["$100.00", "$100.05", "$100.07", "$100.09", "$100.12"]
    texts += ["$900.00", "$900.02", "$900.05", "$900.07", "$900.09"]
    readings, events = track(texts)
    assert [(e.type, e.before, e.after) for e in events] == [(EventType.JUMP, 100.12, 900.0)]
    assert readings[5].status is OK and readings[5].value == 900.0


def test_a_rise_that_time_makes_reachable_still_persisted() -> None:
    """A big step (a max bet: $25.16 to $27.27) read surely at five samples a second. By
    the time the new level has held for the confirmation's 1.5 s, the meter could have
    grown that far from the old value too: the later reads fit both levels, which is no
    sign that the old one came back, and the new level's first reads stand."""
    texts = ["$25.10", "$25.12", "$25.14", "$25.16"] + ["$27.27"] * 12
    tracker = MeterTracker("mini", TrackerSettings())
    readings, events = run_tracker(tracker, observations(texts, dt=0.2))
    assert [(e.type, e.before, e.after) for e in events] == [(EventType.JUMP, 25.16, 27.27)]
    assert [(r.status, r.value) for r in readings[4:]] == [(OK, 27.27)] * 12


def test_ids_are_deterministic() -> None:
    """The same stream gives the same event ids: a re-run can be deduplicated."""
    texts = ["$100.00", "$100.05", "$100.09", "$10.00", "$10.02", "$10.05", "$10.07"]
    assert [e.id for e in track(texts)[1]] == [e.id for e in track(texts)[1]]


def test_low_confidence_reads_are_not_trusted() -> None:
    """A read below the meter's confidence floor is rejected, whatever it says."""
    tracker = MeterTracker("m", TrackerSettings(min_confidence=0.9))
    readings, _ = run_tracker(tracker, observations(["$1.00", "$1.01", "$1.02"], conf=0.5))
    assert {r.status for r in readings} == {REJ}
    assert all("low confidence" in r.reason for r in readings)


def test_output_is_bounded_by_max_pending() -> None:
    """A long covered stretch cannot hold readings back without bound."""
    tracker = MeterTracker("m", TrackerSettings(max_pending=3.0))  # 6 samples at 2 a second
    out = []
    for obs in observations(["$1.00", "$1.01", "$1.02", "$1.03"] + ["X"] * 30):
        out += tracker.update(obs)[0]
    assert len(out) >= 34 - 6 - 3


@pytest.mark.parametrize("known_from", ["an earlier reset", "the config"])
def test_reset_to_a_known_seed_that_grows_back_past_the_old_value(known_from: str) -> None:
    """A pop back to the meter's seed is a reset even if the meter soon passes its old value.

    Without the seed, 10.17 -> 10.00 -> 10.19 looks like a one-sample dip."""
    texts = ["$10.14", "$10.15", "$10.17", "WIN", "WIN", "$10.00", "$10.19", "$10.20", "$10.21"]
    texts += ["$10.22", "$10.23"]
    if known_from == "an earlier reset":
        first = ["$17.70", "$17.75", "$17.82", "WIN", "$10.00", "$10.02", "$10.05", "$10.08"]
        _, events = track([*first, "$10.11", "$10.14", *texts])
    else:
        _, events = track(texts, reset_to=(10.0,))
    resets = [(e.before, e.after) for e in events if e.type is EventType.RESET]
    assert resets[-1] == (10.17, 10.0)
    assert len(resets) == (2 if known_from == "an earlier reset" else 1)


def test_a_glitch_to_the_seed_that_does_not_persist_is_not_a_reset() -> None:
    """One read of the seed value followed by lower values is not a reset."""
    texts = ["$10.14", "$10.15", "$10.17", "$10.00", "$9.50", "$10.18", "$10.19", "$10.20"]
    _, events = track(texts, reset_to=(10.0,))
    assert [e for e in events if e.type is EventType.RESET] == []


def weak_case(middle: str, weakest: float = 0.4, **looks: float) -> list[Observation]:
    """Certain reads around one uncertain read (a digit caught mid-roll), with what the
    pipeline's second looks saw, if anything."""
    texts = ["$100.00", "$100.05", middle, "$100.20", "$100.22", "$100.25"]
    obs = observations(texts)
    obs[2] = Observation(
        frame=obs[2].frame,
        ts=obs[2].ts,
        text=middle,
        confidence=0.9,
        parsed=parse_value(middle, MeterKind.CURRENCY),
        weakest=weakest,
        **looks,  # type: ignore[arg-type]
    )
    return obs


@pytest.mark.parametrize(
    ("middle", "status", "value"),
    [
        ("$100.05", OK, 100.05),  # the roll's old value, as before
        ("$100.20", OK, 100.20),  # the roll's new value, as the next certain read
        ("$100.15", REJ, None),  # a value between them, whatever its runner-up digits say
        ("$100.10", REJ, None),  # a mix of old and new digits
        ("$100.25", REJ, None),  # even if in order with nothing: no neighbour agrees
    ],
)
def test_uncertain_digit_needs_an_agreeing_neighbour(
    middle: str, status: Status, value: float | None
) -> None:
    """A read with an uncertain digit is trusted only at a value a certain neighbour shows
    (its runner-up digits are no evidence: taken so, they were wrong 5 times in 11)."""
    obs = weak_case(middle)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)
    assert [r.status for r in readings[:2] + readings[3:]] == [OK] * 5


@pytest.mark.parametrize(
    ("middle", "look", "status", "value"),
    [
        ("$100.10", 100.20, OK, 100.20),  # a mix of digits; the display at rest shows 100.20
        ("$100.1", 100.18, UNR, None),  # cut short: needs a rest before as well
        ("$100.10", 99.00, REJ, None),  # a second look below the trusted value: refused
        ("$100.1", None, UNR, None),  # cut short and no second look: unreadable
    ],
)
def test_second_look_stands_in_for_a_mid_roll_read(
    middle: str, look: float | None, status: Status, value: float | None
) -> None:
    """A read caught mid-roll takes the value the display shows once at rest, if plausible."""
    obs = weak_case(middle, **({} if look is None else {"second_look": look}))
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)


@pytest.mark.parametrize(
    ("middle", "looks", "value"),
    [
        # a read that happens to equal the next certain read, but the display came to
        # rest at 100.12: the meter changed again before the next sample
        ("$100.20", {"second_look": 100.12, "look_back": 100.05}, 100.12),
        # the read equals the rest before: the roll had not begun to show yet
        ("$100.05", {"second_look": 100.12, "look_back": 100.05}, 100.05),
    ],
)
def test_rest_values_outrank_neighbours(middle: str, looks: dict[str, float], value: float) -> None:
    """The display at rest a few frames from the sample is better evidence than a sample
    half a second away."""
    readings, _ = run_tracker(MeterTracker("m"), weak_case(middle, **looks))
    assert (readings[2].status, readings[2].value) == (OK, value)


@pytest.mark.parametrize(("doubted", "status", "value"), [(False, OK, 100.10), (True, REJ, None)])
def test_a_doubted_certain_read_needs_a_neighbour(
    doubted: bool, status: Status, value: float | None
) -> None:
    """A read the model was sure of, but that showed a stray glyph or was caught moving as
    neither rest value, is judged as an uncertain one: here no neighbour shows 100.10."""
    obs = weak_case("$100.10", weakest=0.99)
    obs[2] = replace(obs[2], doubted=doubted)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)


def test_cut_short_read_needs_rests_on_both_sides() -> None:
    """A read that lost its last digit takes the value at rest after the roll only if the
    display also rested, with the same beginning, before it."""
    obs = weak_case("$100.1", weakest=0.99, second_look=100.18, look_back=100.12)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (OK, 100.18)


@pytest.mark.parametrize(
    ("middle", "back", "status", "value"),
    [
        ("$100.10", 100.12, OK, 100.12),  # the display rested at 100.12 before this roll
        ("$100.1", 100.12, UNR, None),  # cut short: needs a rest after as well
        ("$100.10", 100.30, REJ, None),  # above the next certain read: refused
    ],
)
def test_look_back_stands_in_for_a_mid_roll_read(
    middle: str, back: float, status: Status, value: float | None
) -> None:
    """A read caught mid-roll may take the value the display rested at before the roll."""
    obs = weak_case(middle, look_back=back)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)


@pytest.mark.parametrize(
    ("looks", "status", "value"),
    [
        ({"second_look": 100.18, "look_back": 100.12}, OK, 100.18),  # rests on both sides
        ({"second_look": 100.18}, REJ, None),  # one side only: could be a popup's doing
        ({}, REJ, None),  # nothing to go on
    ],
)
def test_low_confidence_read_bracketed_by_rests(
    looks: dict[str, float], status: Status, value: float | None
) -> None:
    """A read too unsure to use (here a wrong number at 0.54) caught inside one roll takes
    the display's rest after it, when the display also rested before it."""
    obs = weak_case("$962.31", weakest=0.26, **looks)
    obs[2] = replace(obs[2], confidence=0.54)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)
    assert [r.status for r in readings[:2] + readings[3:]] == [OK] * 5


@pytest.mark.parametrize(
    ("looks", "hidden", "value"),
    [
        ({"look_back": 100.12}, True, 100.12),  # a popup arrived after: the rest before
        ({"second_look": 100.18}, True, 100.18),  # a popup left before: the rest after
        ({"look_back": 100.12}, False, None),  # one rest and no popup to explain the other
    ],
)
def test_cut_short_read_next_to_a_popup(
    looks: dict[str, float], hidden: bool, value: float | None
) -> None:
    """A read cut short mid-roll takes its one rest when a popup seen on the other side
    explains why there is no second one."""
    obs = weak_case("$100.1", weakest=0.99, **looks)
    obs[2] = replace(obs[2], rest_hidden=hidden)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert readings[2].value == value


def test_a_doubtful_reading_waits_only_until_the_meter_moves_on() -> None:
    """A sample that can still turn out "held" waits for a later trusted value; once one
    differs (the meter grew), it comes out at once instead of after ``max_pending``
    samples, which held back every meter's readings on a live dashboard."""
    # given a popup over one sample, after which the meter grows
    texts = ["$100.00", "$100.00", "BONUS", "$100.05"] + [
        f"${100.05 + k / 100:.2f}" for k in range(1, 30)
    ]
    tracker = MeterTracker("mini", TrackerSettings())
    out_at = None
    # when the samples come one by one
    for step, obs in enumerate(observations(texts)):
        readings, _ = tracker.update(obs)
        if any(r.frame == 30 for r in readings):
            out_at = step
            (covered,) = [r for r in readings if r.frame == 30]
    # then the covered sample is out a few samples after the meter moved (step 3)
    lookahead = round(TrackerSettings().lookahead / 0.5)  # in samples, at 2 a second
    assert out_at is not None and out_at <= 3 + lookahead + 1
    assert covered.status is UNR and covered.value is None


def _timeline(fps: float, seconds: float = 12.0) -> list[Observation]:
    """One meter's reads at ``fps``: growth of a cent every 0.4 s from 100.00, a misread
    (a 1 read as 7) for 0.1 s at 2 s, a popup over it for 3-4 s, and a reset to 20.00
    at 7 s that persists."""
    out = []
    for i in range(round(seconds * fps)):
        ts = i / fps
        cents = 10_000 + int(ts / 0.4) if ts < 7 else 2_000 + int((ts - 7) / 0.4)
        text = f"${cents // 100:,}.{cents % 100:02d}"
        if 2.0 <= ts < 2.1:
            text = "$7" + text[2:]
        if 3.0 <= ts < 4.0:
            text = "BONUS"
        out.append(
            Observation(
                frame=round(ts * 30),
                ts=ts,
                text=text,
                confidence=0.99,
                parsed=parse_value(text, MeterKind.CURRENCY),
            )
        )
    return out


@pytest.mark.parametrize("fps", [1, 2, 5, 10, 30])
def test_the_sampling_rate_does_not_change_the_answers(fps: float) -> None:
    """Settings are in stream seconds, so a meter is judged alike at 1 sample a second and
    at every frame: no wrong value, the misread rejected, every other read trusted but
    the covered ones, and the reset found once where the lower value first shows."""
    readings, events = run_tracker(MeterTracker("m"), _timeline(fps))
    truth = {round(o.ts, 6): o for o in _timeline(fps)}
    for r in readings:
        obs = truth[round(r.ts, 6)]
        if r.value is not None:
            assert obs.parsed.value == r.value, (r.ts, r.value, obs.text)
        elif not (2.0 <= r.ts < 2.1 or 3.0 <= r.ts < 4.0):
            assert r.ts >= 12 - 1.5, f"null at {r.ts}: {r.reason}"  # only the undecided end
    resets = [e for e in events if e.type is EventType.RESET]
    last = max((o for o in truth.values() if o.ts < 7), key=lambda o: o.ts)
    assert [(e.before, e.after) for e in resets] == [(last.parsed.value, 20.0)]
    assert resets[0].ts == pytest.approx(7.0, abs=1 / fps + 1e-9)
    glitch = [r for r in readings if 2.0 <= r.ts < 2.1]
    assert all(r.status is REJ for r in glitch)


def _timed(middle: str, *, learnt: float | None, doubted: bool = False, **looks: object) -> list:  # type: ignore[type-arg]
    """``weak_case`` on a meter whose changes were timed at ``learnt`` seconds by three
    earlier motions (None: not timed yet), the middle read with its rests' distances."""
    obs = weak_case(middle, weakest=0.99 if doubted else 0.4)
    obs[2] = replace(obs[2], doubted=doubted, **looks)  # type: ignore[arg-type]
    if learnt is not None:
        obs[0] = replace(obs[0], transitions=(learnt,) * 3)
    return obs


_BURST = {"second_look": 100.18, "look_back": 100.12}


@pytest.mark.parametrize(
    ("name", "middle", "learnt", "looks", "value"),
    [
        (
            "one change caught mid-way: the rest after was on screen",
            "$100.10",
            0.3,
            {**_BURST, "after_in": 0.15, "before_by": 0.15, "after_agrees": False},
            100.18,
        ),
        (
            "a near rest the read is sure is gone (a wheel that moved on): not on screen",
            "$100.10",
            0.3,
            {
                "look_back": 100.12,
                "before_by": 0.1,
                "before_agrees": False,
                "before_contradicts": True,
            },
            None,
        ),
        (
            "a near rest that disagrees only where the read is unsure: on screen",
            "$100.10",
            0.3,
            {"look_back": 100.12, "before_by": 0.1, "before_agrees": False},
            100.12,
        ),
        (
            "a burst: the rest after is three changes on, the rest before still showed",
            "$100.10",
            0.3,
            {**_BURST, "after_in": 0.9, "before_by": 0.1, "after_agrees": False},
            100.12,
        ),
        (
            "a burst caught in its middle: neither rest was on screen, so null",
            "$100.10",
            0.3,
            {
                **_BURST,
                "after_in": 0.6,
                "before_by": 0.6,
                "after_agrees": False,
                "before_agrees": False,
            },
            None,
        ),
        (
            "an interrupted roll: the rest after agrees with the read and came within one change",
            "$100.1",
            0.3,
            {**_BURST, "after_in": 0.28, "before_by": 0.05},
            100.18,
        ),
        (
            "the next change began a frame after the sample: its rest is a later value",
            "$100.10",
            0.3,
            {
                **_BURST,
                "after_in": 0.28,
                "before_by": 0.6,
                "after_agrees": False,
                "before_agrees": False,
                "frame_step": 0.04,
            },
            None,
        ),
        (
            "a rest within one change, but for the frame a timing may miss",
            "$100.1",
            0.3,
            {
                **_BURST,
                "after_in": 0.33,
                "before_by": 0.05,
                "frame_step": 0.04,
            },
            100.18,
        ),
        (
            "in a burst a near rest before that disagrees: the roll ran on past it",
            "$100.10",
            0.3,
            {
                **_BURST,
                "after_in": 0.5,
                "before_by": 0.1,
                "after_agrees": False,
                "before_agrees": False,
            },
            None,
        ),
        (
            "an agreeing rest after a long burst is still a later value",
            "$100.10",
            0.3,
            {"second_look": 100.18, "after_in": 0.9},
            None,
        ),
        (
            "untimed: only rests that agree with the read may stand in",
            "$100.10",
            None,
            {
                **_BURST,
                "after_in": 0.15,
                "before_by": 0.15,
                "after_agrees": False,
                "before_agrees": False,
            },
            None,
        ),
        (
            "untimed: an agreeing rest stands in",
            "$100.10",
            None,
            {**_BURST, "after_in": 0.15, "before_by": 0.15, "before_agrees": False},
            100.18,
        ),
    ],
)
def test_a_rest_stands_in_only_if_it_was_on_screen(
    name: str, middle: str, learnt: float | None, looks: dict[str, object], value: float | None
) -> None:
    """A reading's value is what the display showed at that frame: a rest may stand in
    for a read caught in motion only if the change that ended there had begun by the
    sample (or the one that left it had not ended), never a value reached later."""
    readings, _ = run_tracker(MeterTracker("m"), _timed(middle, learnt=learnt, **looks))
    assert readings[2].value == value, (name, readings[2].reason)
    assert all(
        r.value in (None, 100.0, 100.05, 100.12, 100.18, 100.2, 100.22, 100.25) for r in readings
    )


def test_a_certain_read_in_motion_showing_neither_rest_takes_a_rest_only_on_screen() -> None:
    """A read the model was sure of, caught moving and showing neither rest (a mix of two
    values), is in doubt: a rest on screen at it stands in, a later one never does."""
    on_screen = {
        **_BURST,
        "after_in": 0.15,
        "before_by": 0.15,
        "after_agrees": False,
        "before_agrees": False,
    }
    readings, _ = run_tracker(
        MeterTracker("m"), _timed("$100.10", learnt=0.3, doubted=True, **on_screen)
    )
    assert readings[2].value == 100.18
    later = {**on_screen, "after_in": 0.8, "before_by": 0.8}
    readings, _ = run_tracker(
        MeterTracker("m"), _timed("$100.10", learnt=0.3, doubted=True, **later)
    )
    assert readings[2].value is None


def test_a_look_never_replaces_a_certain_read_at_rest() -> None:
    """A read the model was sure of and not caught moving stands, whatever a rest shows."""
    obs = weak_case("$100.10", weakest=0.99, second_look=100.18, after_in=0.1)
    obs[3] = replace(obs[3], text="$100.10", parsed=parse_value("$100.10", MeterKind.CURRENCY))
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (OK, 100.10)


@pytest.mark.parametrize(
    ("durations", "timing"),
    [
        ([0.3, 0.3, 0.3], (0.3, 0.3)),  # one display, one change time
        ([0.9, 0.3, 1.4, 0.3, 0.31], (0.3, 0.31)),  # bursts last longer, never shorter
        ([0.9, 1.4, 0.6, 2.0], None),  # only bursts, no two alike: not known
        ([0.3, 0.3], None),  # too few
    ],
)
def test_a_meter_learns_how_long_its_changes_take(
    durations: list[float], timing: tuple[float, float] | None
) -> None:
    """The shortest duration three motions share is one change; a burst of changes lasts
    by however far apart they came, so bursts neither agree nor make a change look short."""
    tracker = MeterTracker("m")
    for k, d in enumerate(durations):
        tracker.update(replace(observations(["$1.00"])[0], ts=k * 0.5, frame=k, transitions=(d,)))
    assert tracker.transition == (pytest.approx(timing) if timing else None)


@pytest.mark.parametrize(("confirmed", "value"), [(True, 100.10), (False, None)])
def test_a_confirmed_uncertain_read_needs_no_neighbour(
    confirmed: bool, value: float | None
) -> None:
    """An uncertain digit that every other look at the same rest read alike is trusted
    on its own; unconfirmed, it needs a neighbour showing the same value (none here)."""
    obs = weak_case("$100.10", weakest=0.6)
    obs[2] = replace(obs[2], confirmed=confirmed)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert readings[2].value == value


@pytest.mark.parametrize(
    ("middle", "changed", "status", "value"),
    [
        ("$100.05", None, OK, 100.05),  # nothing to compare with: as before
        ("$100.05", False, OK, 100.05),  # the same picture, read unsure this time
        ("$100.05", True, REJ, None),  # "485" for 495: the picture moved on
        ("$100.15", False, REJ, None),  # "478" for 474 on the same picture: not the value
        ("$100.20", True, OK, 100.20),  # the next certain read still stands in
    ],
)
def test_an_unsure_read_is_the_value_before_only_on_the_same_picture(
    middle: str, changed: bool | None, status: Status, value: float | None
) -> None:
    """An unsure read that matches the trusted value before is that value only if the
    meter's picture did not change since it."""
    obs = weak_case(middle)
    obs[2] = replace(obs[2], changed=changed)
    readings, _ = run_tracker(MeterTracker("m"), obs)
    assert (readings[2].status, readings[2].value) == (status, value)


@pytest.mark.parametrize(
    ("name", "texts", "values"),
    [
        (
            "a point lost at rest: the same digits as the trusted value",
            ["$10.94", "$10.94", "$10.94", "1095", "1095", "$10.95", "1096", "$10.96"],
            [10.94, 10.94, 10.94, 10.95, 10.95, 10.95, 10.96, 10.96],
        ),
        (
            "a reset read without its point is still a reset",
            ["$13.17"] * 4 + ["1000"] * 8,
            [13.17] * 4 + [10.0] * 8,
        ),
        (
            "one digit more and higher: the meter passed a power of ten",
            ["$99.98", "$99.98", "$99.99", "10000", "10000", "10001", "10001", "10002", "10002"],
            [99.98, 99.98, 99.99, 100.0, 100.0, 100.01, 100.01, 100.02, 100.02],
        ),
        (
            "a popup cut the number short: '158' of 158.53 is not 1.58, and no reset",
            ["$158.53"] * 4 + ["158"] * 8 + ["$158.53"] * 2,
            [158.53] * 4 + [None] * 8 + [158.53] * 2,
        ),
        (
            "nothing trusted yet: the samples after it must agree, as with any first read",
            ["1023", "1023", "1023", "1023"],
            [10.23, 10.23, 10.23, 10.23],
        ),
        (
            "nothing trusted yet, and a popup cut the first read short",
            ["158", "$158.53", "$158.53", "$158.53"],
            [None, 158.53, 158.53, 158.53],
        ),
    ],
)
def test_a_read_without_its_decimal_point(
    name: str, texts: list[str], values: list[float | None]
) -> None:
    """The pipeline hands over a read refused for its decimals with the point restored;
    the tracker takes it where its digits number those of the trusted value before it
    (or one more, higher), and says so in the reason."""
    obs = [
        replace(
            o,
            restored=r if (r := restore_point(o.text, MeterKind.CURRENCY, None)).ok else None,
            changed=None if k == 0 else o.text != texts[k - 1],  # the picture as its text
        )
        for k, o in enumerate(observations(texts))
    ]
    readings, events = run_tracker(MeterTracker("mini", TrackerSettings()), obs)
    got = [None if r.status in (HELD, UNR, REJ) else r.value for r in readings]
    assert got == pytest.approx(values), name
    for r, t in zip(readings, texts, strict=True):
        if r.status is OK and "." not in t:
            assert "its decimal point was not seen" in r.reason, name
    resets = [e for e in events if e.type is EventType.RESET]
    assert len(resets) == (1 if "reset" in name and "no reset" not in name else 0), name
