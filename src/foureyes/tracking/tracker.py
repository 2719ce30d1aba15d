"""Per-meter temporal validation: from raw per-frame reads to trusted readings and events.

A raw OCR read is wrong on some frames (rolling digits, popups, compression). The tracker
never passes such a read on: it decides each sample only after it has seen ``lookahead``
seconds of later samples, and it accepts a value only when it fits the meter's history and
agrees with its neighbours. A read that leaves the meter's envelope (a drop, or a rise
faster than the meter grows) is a *level change* only if the new level persists; a
persistent big drop is a reset. Everything here is pure logic on
:class:`Observation`\\ s: no video, no model.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from foureyes.model import Event, EventType, Frame, Reading, Status
from foureyes.readers.parse import ParseResult
from foureyes.tracking.motion import MotionStyle
from foureyes.tracking.rules import Growth, Point, consistent, prune_conflicts

__all__ = ["MeterTracker", "Observation", "TrackerSettings", "event_id"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One sampled frame's raw read of one meter, parsed."""

    frame: int
    ts: float
    text: str
    confidence: float
    parsed: ParseResult
    weakest: float | None = None  # the least certain digit's probability, if known
    covered: bool = False  # something (a popup) covers part of the meter
    second_look: float | None = None  # the display read once it came to rest, if it agreed
    look_back: float | None = None  # the display read where it rested before, if it agreed
    # in doubt besides its digits: a stray glyph, or ways of reading it that disagree
    doubted: bool = False
    # a certain read of the display caught in a motion of its own (a rest is near) ...
    moving: bool = False
    # ... or caught in motion showing neither rest, or none in sight and the frames
    # beside it read otherwise: a value the meter had only if its display shows nothing
    # but a change's ends as it moves (:mod:`foureyes.tracking.motion`)
    mixed: bool = False
    # one side's rest was hidden by a popup, so the other side's look is all there is
    rest_hidden: bool = False
    reader: str = ""  # which reader of the meter's chain served the read
    note: str = ""  # said in the reading's reason whatever the verdict (captures' votes)
    # Seconds from the sample to the rest after it, and from the rest before it to the
    # sample, when the frames around it were seen (None: a look without its timing).
    after_in: float | None = None
    before_by: float | None = None
    # Whether each rest shows what the read saw: the digits it was sure of, and its best
    # or runner-up digit where it was not.
    after_agrees: bool = True
    before_agrees: bool = True
    # Whether each rest lacks a character the read was sure of: the display had moved
    # on from it (or not yet reached it) by the sample, however near it is.
    after_contradicts: bool = False
    before_contradicts: bool = False
    # Rest to rest, in seconds, of the motions the display completed since the last
    # sample: each one change (how long this meter's changes take) or several in a burst.
    transitions: tuple[float, ...] = ()
    # seconds from one decoded frame to the next around the sample: what a motion's
    # timing and a rest's distance are exact to
    frame_step: float = 0.0
    # an uncertain read of a display at rest that every other look at that rest read
    # alike (other preparations, a neighbouring frame): its doubt is settled
    confirmed: bool = False
    # whether the meter's text looks other than at the previous sample (None: no previous
    # sample to compare with): a read that matches an earlier value by its best or its
    # runner-up digits is that value only if the picture did not change in between
    changed: bool | None = None
    # a read the parser refused for want of its decimal point, with the point put back
    # (:func:`foureyes.readers.parse.restore_point`); the tracker judges whether it fits
    restored: ParseResult | None = None


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    growth: Growth = field(default_factory=Growth)
    min_confidence: float = 0.6
    # A digit is certain at this probability or above. Not 0.9: on randomised boards,
    # reads caught mid-fade or mid-flip come out at 0.90-0.92 for a digit half gone
    # (development seeds: 12 of 40 wrong values; at 0.95 they wait for a neighbour).
    strong_char: float = 0.95
    reset_min_drop: float = 0.01
    confirm_samples: int = 3
    confirm_seconds: float = 1.5
    # Durations are in seconds of stream time, not in samples, so that a meter is judged
    # the same at 1 sample a second and at every frame: at 30 fps, three samples are a
    # tenth of a second of one roll, not three independent looks at the meter.
    lookahead: float = 1.5  # later samples seen before a sample is decided (output delay)
    neighbours: int = 3  # later samples, spread over the lookahead, a read is compared with
    history: int = 4
    max_pending: float = 20.0  # the longest a sample waits for its decision
    thresholds: tuple[float, ...] = ()
    reset_to: tuple[float, ...] = ()  # known seed values the meter resets to


def _digits(value: float, decimals: int) -> int:
    return len(str(round(abs(value) * 10**decimals)))


def event_id(meter: str, kind: str, frame: int, detail: str = "") -> str:
    """A stable idempotency key: the same input stream always yields the same ids."""
    raw = f"{meter}|{kind}|{frame}|{detail}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def run_event(
    frame: Frame,
    kind: EventType,
    detail: dict[str, object],
    *,
    before: float | None = None,
    after: float | None = None,
) -> Event:
    """An event of the run rather than of a meter (the source, the pipeline's level)."""
    return Event(
        id=event_id("", kind, frame.index),
        ts=frame.ts,
        frame=frame.index,
        meter="",
        type=kind,
        before=before,
        after=after,
        detail=detail,
    )


@dataclass(slots=True)
class _Item:
    obs: Observation
    cand: float | None
    reason: str = ""
    status: Status | None = None
    value: float | None = None
    segment: int = 0
    prev_ok: float | None = None  # the trusted value before this sample, for held
    ambiguous: bool = False
    weak: bool = False  # a character is uncertain: trusted only if a neighbour agrees
    settled: bool = False  # a later trusted value differs from prev_ok: no longer waits
    after: float | None = None  # the rest after the sample, if it was on screen at it
    before: float | None = None  # the rest before, likewise
    # a certain read caught in motion on a display that shows only a change's ends
    motion: bool = False
    changes: int = 0  # the meter's picture changes seen up to and including this sample

    def point(self) -> Point:
        assert self.cand is not None
        return Point(self.obs.ts, self.cand, self.obs.confidence)


Verdict = Literal["wait", "glitch", "change"]

_SLACK = 0.05  # seconds: sample times are the stream's, a little off the nominal period
_SAME_TIME = 0.04  # seconds: motions this close in length are one display's one change
_MAX_ITEMS = 4096  # undecided samples at most, whatever their span (memory stays bounded)


class MeterTracker:
    """Judges one meter's observations in order and emits readings and events.

    ``update`` takes one observation and returns the readings (in sample order) and events
    that became certain; ``finish`` decides what is left at the end of the stream. Readings
    lag the input by at least ``lookahead`` seconds, more while a level change or a covered
    stretch is being resolved, never more than ``max_pending`` seconds.
    """

    def __init__(self, meter: str, settings: TrackerSettings | None = None) -> None:
        self.meter = meter
        self.s = settings or TrackerSettings()
        self._pending: deque[_Item] = deque()
        self._history: deque[_Item] = deque(maxlen=self.s.history)
        self._awaiting: deque[_Item] = deque()  # decided, held back to resolve ``held``
        self._anchor: Point | None = None
        # the trusted value before the anchor's, and how many reads in a row the anchor's
        # value has had: a drop from a value read once back to where the meter was just
        # before it is that read's misreading, not a reset
        self._before_anchor: Point | None = None
        self._anchor_reads = 0
        self._changes = 0  # picture changes seen, and how many by the anchor's sample
        self._anchor_changes = 0
        self._segment = 0
        self._events: list[Event] = []
        # Seed values: a progressive meter resets to the same value every time, so a drop
        # to one is a reset even when the meter soon grows back past its old value.
        self._seeds: deque[float] = deque(self.s.reset_to, maxlen=max(8, len(self.s.reset_to)))
        self._transitions: deque[float] = deque(maxlen=16)
        self._motion = MotionStyle()

    # -- public ---------------------------------------------------------------------
    @property
    def value(self) -> float | None:
        """The latest trusted value."""
        return self._anchor.value if self._anchor else None

    @property
    def undecided(self) -> int | None:
        """The frame of the oldest sample not yet decided (an event can still be dated
        there), or None."""
        return self._pending[0].obs.frame if self._pending else None

    @property
    def transition(self) -> tuple[float, float] | None:
        """How long one change of this meter's display takes, in seconds (shortest and
        longest), once it is known: the shortest duration that at least three of the last
        sixteen motions from rest to rest share. A display changes in the same time every
        time; a burst of changes lasts longer, and by however far apart they came, so
        bursts rarely agree with each other and never make a change look shorter."""
        xs = sorted(self._transitions)
        for i, d in enumerate(xs):
            near = [x for x in xs[i:] if x - d <= max(_SAME_TIME, 0.1 * d)]
            if len(near) >= 3:
                return d, near[-1]
        return None

    def update(self, obs: Observation) -> tuple[list[Reading], list[Event]]:
        self._transitions.extend(obs.transitions)
        self._changes += bool(obs.changed)
        item = self._candidate(self._with_point(obs))
        item.changes = self._changes
        self._pending.append(item)
        self._drain(final=False)
        return self._collect(final=False)

    def finish(self) -> tuple[list[Reading], list[Event]]:
        self._drain(final=True)
        return self._collect(final=True)

    # -- candidates -----------------------------------------------------------------
    def _on_screen(
        self,
        value: float | None,
        distance: float | None,
        agrees: bool,
        step: float,
        *,
        burst: bool = False,
        contradicts: bool = False,
    ) -> bool:
        """Whether a rest's value was on screen at the sample, the value the display rolled
        from or to there, and never one the meter reached only later.

        Once the meter's changes are timed, a rest nearer than the shortest of them was:
        the change that ended there had begun by the sample, or the one that left it had
        not ended. Beyond that, a rest must also show what the read saw (``agrees``) and
        lie within one change: a longer motion is several changes in a burst, and its far
        rest is a later value. Untimed, agreement alone. Durations and distances are exact
        only to a frame (``step``), so a frame is given away on each side: a sample one
        frame before a change began is not inside it. Inside a burst (the motion from the
        rest before to the rest after lasted longer than one change) nearness proves
        nothing: a roll that an increment interrupts runs on past values it was still
        showing a moment ago, so only a rest that agrees with the read may stand in. Nor
        does it where the read was sure of a character the rest lacks (``contradicts``):
        a wheel passing from 1,883.47 towards 1,883.84 shows a sure "6" in the tens of
        cents a moment after leaving its rest, and the "4" is gone from the screen."""
        if value is None:
            return False
        timing = self.transition
        if timing is None or distance is None:
            return agrees
        shortest, longest = timing
        near = distance < shortest - step - 1e-6 and not burst and not contradicts
        return near or (agrees and distance <= longest + step)

    def _burst(self, obs: Observation) -> bool:
        """Whether the sample lies in a motion longer than one change of this display:
        from the rest before it to the rest after it (both seen, changes timed)."""
        timing = self.transition
        if timing is None or obs.after_in is None or obs.before_by is None:
            return False
        if obs.second_look is None or obs.look_back is None:
            return False
        return obs.after_in + obs.before_by > timing[1] + obs.frame_step + 1e-6

    def _rest(self, obs: Observation, *, after: bool, burst: bool) -> float | None:
        """The rest the display came to after the sample (or left before it), if it was
        on screen at the sample (:meth:`_on_screen`)."""
        if after:
            value, distance = obs.second_look, obs.after_in
            agrees, contradicts = obs.after_agrees, obs.after_contradicts
        else:
            value, distance = obs.look_back, obs.before_by
            agrees, contradicts = obs.before_agrees, obs.before_contradicts
        shown = self._on_screen(
            value, distance, agrees, obs.frame_step, burst=burst, contradicts=contradicts
        )
        return value if shown else None

    def _with_point(self, obs: Observation) -> Observation:
        """A read refused for want of its decimal point, taken with the point put back
        where it has as many digits as the value before it, or one more and is higher
        (the meter passed a power of ten). A digit lost besides the point changes the
        count, and so does a popup cutting the number short: "158" of $158.53 is not
        $1.58, and a drop to it would be a false reset. With nothing read before it
        there is no count to hold it to: then the samples after it must agree, as with
        any first read (a face that never shows its point, "7165 €" for 71.65 on a
        12 px face, is otherwise never read at all). Second looks ran on the read with
        its point put back, so a display caught mid-change ("4720899" flipping from
        47208.97 to 47209.88) is flagged as any other read would be."""
        restored = obs.restored
        if restored is None or restored.value is None or obs.parsed.ok:
            return obs
        # the value before: a certain read still awaiting its turn, or the trusted one
        before = next(
            (i.cand for i in reversed(self._pending) if i.cand is not None and not i.weak),
            self._anchor.value if self._anchor else None,
        )
        if before is not None:
            have, had = (_digits(v, restored.decimals) for v in (restored.value, before))
            if have != had and not (have == had + 1 and restored.value >= before):
                return obs
        note = "; ".join(x for x in (obs.note, "its decimal point was not seen") if x)
        return replace(obs, parsed=restored, note=note)

    def _unsure(self, obs: Observation) -> bool:
        """Unsure of a digit, and no other look at the same rest settled it."""
        weakest = obs.weakest
        return weakest is not None and weakest < self.s.strong_char and not obs.confirmed

    def _candidate(self, obs: Observation) -> _Item:
        burst = self._burst(obs)
        after = self._rest(obs, after=True, burst=burst)
        before = self._rest(obs, after=False, burst=burst)
        # A read cut short or too unsure to use may still be a roll caught mid-way: the
        # display at rest just before and just after, reached in one motion, shows its old
        # and new value. A popup that cut it needs only to have been there already to fail
        # this, so both sides are required, unless a popup we can see hid one of them.
        rest = after if after is not None else before
        both = after is not None and before is not None
        bracketed = both or (obs.rest_hidden and rest is not None)
        if not obs.parsed.ok:
            if bracketed:
                return _Item(
                    obs, rest, reason=obs.parsed.reason, weak=True, after=after, before=before
                )
            return _Item(obs, None, reason=obs.parsed.reason)
        if obs.confidence < self.s.min_confidence:
            why = f"low confidence {obs.confidence:.2f}"
            if bracketed:
                return _Item(obs, rest, reason=why, weak=True, after=after, before=before)
            return _Item(obs, None, reason=why)
        self._learn_motion(obs, burst=burst)
        weak = obs.covered or obs.doubted or obs.mixed or self._unsure(obs)
        # a certain read between values the meter had, if a neighbour read it too
        motion = weak and not (obs.covered or obs.doubted or self._unsure(obs))
        motion = motion and self._motion.ends_only
        return _Item(obs, obs.parsed.value, weak=weak, after=after, before=before, motion=motion)

    def _learn_motion(self, obs: Observation, *, burst: bool) -> None:
        """Learn what the display shows mid-change from a certain read caught in a single
        change whose two rests were both read (:class:`MotionStyle`)."""
        before, after = obs.look_back, obs.second_look
        if (
            not obs.moving
            or obs.covered
            or obs.parsed.value is None
            or obs.weakest is None
            or obs.weakest < self.s.strong_char
            or before is None
            or after is None
            or self.transition is None
            or burst
        ):
            return
        self._motion.learn(obs.parsed.value, before, after, obs.parsed.decimals)

    def _strong_later(self) -> list[_Item]:
        return [f for f in list(self._pending)[1:] if f.cand is not None and not f.weak]

    def _span(self) -> float:
        """Seconds from the oldest undecided sample to the newest."""
        return self._pending[-1].obs.ts - self._pending[0].obs.ts if self._pending else 0.0

    def _overdue(self) -> bool:
        return self._span() >= self.s.max_pending - _SLACK or len(self._pending) >= _MAX_ITEMS

    def _reach(self) -> float:
        """How far past the front sample a decision looks: the lookahead, or the next
        ``neighbours`` samples if they span longer (at 1 sample a second, 1.5 s would
        hold a single later sample to compare with)."""
        later = self.s.neighbours
        if len(self._pending) > later:
            front = self._pending[0].obs.ts
            return max(self.s.lookahead, self._pending[later].obs.ts - front)
        return self.s.lookahead

    def _seen_enough(self) -> bool:
        return len(self._pending) > self.s.neighbours and self._span() >= self._reach() - _SLACK

    def _spread(self, items: list[_Item], start: float) -> list[_Item]:
        """Up to ``neighbours`` of ``items`` within reach after ``start``, spread over it:
        the first at or after each of its equal steps. At 2 samples a second these are
        simply the next three; at every frame they are three moments of the next 1.5 s
        rather than three frames of the same roll."""
        reach = self._reach()
        horizon = start + reach + _SLACK
        n = max(1, self.s.neighbours)
        picked: list[_Item] = []
        for k in range(1, n + 1):
            target = start + reach * k / n - _SLACK
            for f in items:
                if f.obs.ts > horizon:
                    break
                if f.obs.ts >= target and (not picked or f.obs.ts > picked[-1].obs.ts):
                    picked.append(f)
                    break
        return picked

    # -- the decision loop ------------------------------------------------------------
    def _drain(self, *, final: bool) -> None:
        while self._pending:
            forced = final or self._overdue()
            if not self._decide_front(final=forced):
                return

    def _decide_front(self, *, final: bool) -> bool:
        item = self._pending[0]
        a = self._anchor
        if item.cand is None:
            self._settle(item, None, item.reason)
            return True
        p = item.point()
        if item.weak:
            return self._judge_weak(item, a, final=final)
        if a is not None and not consistent(a, p, self.s.growth):
            verdict = self._level_change(item, a, final=final)
            if verdict == "wait":
                return False
            if verdict == "glitch":
                self._settle(item, None, self._why_outside(a, p))
                return True
            self._accept_change(item, a)
            return True
        if not final and not self._seen_enough():
            return False
        self._judge_in_envelope(item, a)
        return True

    def _judge_weak(self, item: _Item, a: Point | None, *, final: bool) -> bool:
        """An uncertain read (typically a digit caught mid-roll) is trusted only when it
        shows exactly the trusted value before it or the next certain value after it:
        then it is the roll's old or new value, not a mix of both. Its runner-up digits
        are no evidence: taken as matching the value before, they were right 6 times and
        wrong 5 over 61 randomised development boards ("580" for 587 on an 11 px
        seven-segment face, whose picture change went unseen)."""
        assert item.cand is not None
        # the nearest certain reads: the meter may change again before a later one
        horizon = item.obs.ts + self._reach() + _SLACK
        later = [f for f in self._strong_later() if f.obs.ts <= horizon]
        if not later and not final and self._span() < self.s.max_pending / 2:
            return False  # wait for a certain read to compare with
        targets: dict[float, str] = {}
        # An unsure read is the trusted value before only if the picture stayed as it
        # was: a 9 the model half reads as an 8 matches an earlier 8 just as well, and a
        # seven- or fourteen-segment face is read so at rest, sample after sample (seen on
        # a randomised board: "485" for 495, "478" with a runner-up 3 for 474).
        # Caught in a motion of its own, the sample still shows the value it moves from;
        # only a change completed before it means the display moved on.
        obs = item.obs
        in_motion = obs.moving or obs.mixed or item.after is not None or item.before is not None
        still = item.changes - (bool(obs.changed) and in_motion) == self._anchor_changes
        if a is not None and still:
            targets[a.value] = "the trusted value before"
        nxt = later[0].point() if later else None
        if nxt is not None and (a is None or consistent(a, nxt, self.s.growth)):
            targets.setdefault(nxt.value, "the next certain read")
        agrees = targets.get(item.cand)  # the neighbour the model's own reading shows
        looks = [(item.after, "came to rest after"), (item.before, "rested before")]
        if item.cand == item.before:
            looks.reverse()  # the sample was read as its rest before: it had not moved yet
        # The display at rest a few frames away is better evidence than a neighbour half
        # a second away, which may show a later value (seen on the camera benchmark).
        for look, where in looks:
            if (
                look is not None
                and (a is None or consistent(a, Point(item.obs.ts, look), self.s.growth))
                and (nxt is None or consistent(Point(item.obs.ts, look), nxt, self.s.growth))
            ):
                item.cand = look
                self._accept(item, reason=f"mid-roll; read where the display {where} it")
                return True
        if item.motion and self._read_alike(item, a, nxt):
            self._accept(
                item,
                reason="caught in motion on a display that shows only a change's ends, "
                "and the sample beside it read the same",
            )
            return True
        if agrees is not None:
            self._accept(item, reason=f"{self._doubt(item.obs, article=False)}; reads {agrees}")
            return True
        self._settle(item, None, f"{self._doubt(item.obs)} and no neighbour agrees")
        return True

    def _read_alike(self, item: _Item, a: Point | None, nxt: Point | None) -> bool:
        """Whether a certain read caught in motion (``item.motion``) is a value the meter
        had: between the trusted value before and the next certain read, and read the same
        with certainty at the sample just before or after it. A display that shows only a
        change's ends can still be caught with one column's digit half gone, which the
        model may read as a third digit for certain ("$50.70" between $50.68 and $50.79);
        that lasts a frame or two, a value of a burst longer."""
        p = item.point()
        if a is not None and not consistent(a, p, self.s.growth):
            return False
        if nxt is not None and not consistent(p, nxt, self.s.growth):
            return False
        beside = [self._history[-1]] if self._history else []
        if len(self._pending) > 1:
            beside.append(self._pending[1])
        return any(
            b.obs.parsed.value == p.value
            and not b.obs.covered
            and b.obs.weakest is not None
            and b.obs.weakest >= self.s.strong_char
            for b in beside
        )

    def _doubt(self, obs: Observation, *, article: bool = True) -> str:
        """What makes a read weak, for its reason: a cover, a digit the model was unsure
        of, or (sure of every digit) motion under it or a glyph out of place."""
        if obs.covered:
            return "partly covered"
        if self._unsure(obs):
            return "an uncertain digit" if article else "uncertain digit"
        if obs.mixed and not obs.doubted:
            return "sure of its digits, but caught in motion showing neither rest"
        return "sure of its digits, but caught in motion or with a stray glyph"

    def _why_outside(self, a: Point, p: Point) -> str:
        if p.value < a.value:
            return f"lower than the trusted {a.value:g} and the drop did not persist"
        return f"rise from the trusted {a.value:g} is too fast and did not persist"

    def _judge_in_envelope(self, item: _Item, a: Point | None) -> None:
        p = item.point()
        window: list[_Item] = [item]
        for prev in self._history:
            if (
                prev.segment == self._segment
                and prev.ambiguous
                and prev.cand is not None
                and not prev.weak
            ):
                window.append(prev)
        available = 0
        for f in self._spread(self._strong_later(), item.obs.ts):
            fp = f.point()
            if a is not None and not consistent(a, fp, self.s.growth):
                continue  # outside the envelope: judged on its own turn
            if fp.value < p.value * (1 - self.s.reset_min_drop):
                continue  # far below: a reset after this sample, not evidence against it
            window.append(f)
            available += 1
        points = [w.point() for w in window]
        alive, deg = prune_conflicts(points, self.s.growth)
        if not alive[0]:
            self._settle(item, None, "disagrees with its neighbours")
            return
        if deg[0] == 1 and not self._outweighs(points, alive):
            item.ambiguous = True
            self._settle(item, None, "conflicts with a neighbour and neither can be trusted")
            return
        support = sum(1 for k, w in enumerate(window) if k and alive[k] and w.obs.ts > item.obs.ts)
        # With no trusted value before, most of the later samples must agree (a glitch
        # among them, pruned above, is not one that disagrees).
        need = 1 if a is not None else max(1, (available + 1) // 2)
        if available and support < need:
            self._settle(item, None, "no later sample agrees yet")
            return
        if a is None and not available:
            self._settle(item, None, "no other sample to confirm it")
            return
        self._accept(item)

    def _outweighs(self, points: list[Point], alive: list[bool]) -> bool:
        """In a pair that only contradict each other, the judged read wins when the model
        was far surer of it: ten times less uncertainty than its rival."""
        me = points[0]
        for k in range(1, len(points)):
            if alive[k] and not consistent(me, points[k], self.s.growth):
                return (1.0 - me.confidence) * 10 < (1.0 - points[k].confidence)
        return False

    def _level_change(self, item: _Item, a: Point, *, final: bool) -> Verdict:
        """Whether a read outside the envelope starts a new level that persists."""
        p = item.point()
        if p.value < a.value * (1 - self.s.reset_min_drop) and _truncates(a.value, p.value):
            return "glitch"  # "$2,345.67" for "$12,345.67": a covered leading digit
        confirmed = 1
        last_ts = p.ts
        to_seed = p.value < a.value and p.value in self._seeds
        rise = p.value > a.value
        for later in self._strong_later():
            lp = later.point()
            if to_seed:
                if consistent(p, lp, self.s.growth):
                    confirmed += 1
                    long_enough = lp.ts - p.ts >= self.s.confirm_seconds / 2 - _SLACK
                    if confirmed >= self.s.confirm_samples and long_enough:
                        return "change"
                elif lp.value < p.value:
                    return "glitch"
                continue
            # A later read that fits both levels: after a drop it has climbed back to the
            # old level (the drop was the misread); after a rise it is at or beyond the new
            # level, which the old one could only have reached by growing as fast as
            # allowed the whole time: it counts for the new level ($25.16 to $27.27 is
            # out of reach for 1.7 s, longer than the confirmation takes).
            if consistent(p, lp, self.s.growth) and (rise or not consistent(a, lp, self.s.growth)):
                confirmed += 1
                last_ts = lp.ts
                if confirmed >= self.s.confirm_samples and last_ts - p.ts >= self.s.confirm_seconds:
                    return "change"
            elif consistent(a, lp, self.s.growth):
                return "glitch"  # the old level came back
        return "glitch" if final else "wait"

    # -- settling ---------------------------------------------------------------------
    def _accept_change(self, item: _Item, a: Point) -> None:
        p = item.point()
        if self._misread_anchor(a, p):
            self._anchor = None
            self._accept(
                item,
                reason=f"re-anchored: the trusted {a.value:g} was read once, and the meter is"
                " back where it was before it (a misread, not a reset)",
            )
        elif p.value < a.value * (1 - self.s.reset_min_drop):
            self._emit(
                item, EventType.RESET, before=a.value, after=p.value, detail={"previous": a.ts}
            )
            self._segment += 1
            self._anchor = None
            if p.value not in self._seeds:
                self._seeds.append(p.value)
            self._accept(item, reason="reset confirmed")
        elif p.value < a.value:
            self._anchor = None
            self._accept(item, reason="re-anchored: the earlier trusted value was too high")
        else:
            self._emit(item, EventType.JUMP, before=a.value, after=p.value)
            self._accept(item, reason="rise persisted")

    def _misread_anchor(self, a: Point, p: Point) -> bool:
        """Whether a drop from ``a`` to ``p`` undoes a single misread: ``a`` had one read
        only, and ``p`` follows on from the trusted value before it. A reset falls to the
        seed, below where the meter was a moment before ``a`` too."""
        prev = self._before_anchor
        return (
            p.value < a.value
            and self._anchor_reads == 1
            and prev is not None
            and consistent(prev, p, self.s.growth)
        )

    def _accept(self, item: _Item, reason: str = "") -> None:
        assert item.cand is not None
        before = self._anchor.value if self._anchor is not None else None
        if before is not None:
            for t in self.s.thresholds:
                if before < t <= item.cand:
                    self._emit(
                        item,
                        EventType.THRESHOLD,
                        before=before,
                        after=item.cand,
                        detail={"threshold": t},
                        key=f"{t:g}",
                    )
        a = self._anchor
        if a is not None and a.value == item.cand:
            self._anchor_reads += 1
        else:
            self._before_anchor, self._anchor_reads = a, 1
        self._anchor = item.point()
        self._anchor_changes = item.changes
        self._settle(item, item.cand, reason, status=Status.OK)

    def _settle(
        self, item: _Item, value: float | None, reason: str, status: Status | None = None
    ) -> None:
        self._pending.popleft()
        if status is None:
            status = (
                Status.UNREADABLE
                if item.cand is None and not item.obs.parsed.ok
                else (Status.REJECTED)
            )
        item.status, item.value, item.reason = status, value, reason
        item.segment = self._segment
        item.prev_ok = self._anchor.value if status is not Status.OK and self._anchor else None
        self._history.append(item)
        if status is Status.OK:
            self._resolve_held(item)
        self._awaiting.append(item)

    def _resolve_held(self, ok: _Item) -> None:
        """A meter never falls between resets, so a stretch of doubtful samples between two
        trusted samples of the same value must have shown that value."""
        for w in self._awaiting:
            if w.status in (Status.OK, Status.HELD) or w.segment != ok.segment:
                continue  # (a held one used to collect "unchanged" once per later sample)
            if w.prev_ok == ok.value:
                w.status, w.value = Status.HELD, ok.value
                w.reason = f"{w.reason}; unchanged on both sides" if w.reason else "unchanged"
            else:
                # The meter moved on. Within a segment it comes back down only through a
                # re-anchor (trusted reads that proved too high), which is rare; waiting
                # for that would hold this reading, and every meter's after it, for up
                # to max_pending samples (20 s at 2 fps). So it stays as decided.
                w.settled = True

    def _emit(
        self,
        item: _Item,
        kind: EventType,
        *,
        before: float | None,
        after: float | None,
        detail: dict[str, float] | None = None,
        key: str = "",
    ) -> None:
        self._events.append(
            Event(
                id=event_id(self.meter, kind, item.obs.frame, key),
                ts=item.obs.ts,
                frame=item.obs.frame,
                meter=self.meter,
                type=kind,
                before=before,
                after=after,
                confidence=item.obs.confidence,
                detail=dict(detail or {}),
            )
        )

    def _collect(self, *, final: bool) -> tuple[list[Reading], list[Event]]:
        out: list[Reading] = []
        while self._awaiting:
            w = self._awaiting[0]
            unresolved = w.status is not Status.OK and w.status is not Status.HELD
            can_still_hold = (
                unresolved
                and w.prev_ok is not None
                and w.segment == self._segment
                and not w.settled
            )
            waited = self._awaiting[-1].obs.ts - w.obs.ts
            if can_still_hold and not final and waited < self.s.max_pending - _SLACK:
                break
            self._awaiting.popleft()
            out.append(_reading(self.meter, w))
        events, self._events = self._events, []
        return out, events


def _reading(meter: str, w: _Item) -> Reading:
    assert w.status is not None
    return Reading(
        ts=w.obs.ts,
        frame=w.obs.frame,
        meter=meter,
        value=w.value,
        text=w.obs.text,
        confidence=w.obs.confidence,
        status=w.status,
        reason="; ".join(x for x in (w.reason, w.obs.note) if x),
        reader=w.obs.reader,
    )


def _truncates(before: float, after: float) -> bool:
    """Whether ``after`` looks like ``before`` with its leading digits hidden."""
    whole = int(before)
    k = 10
    while k <= whole:
        if after < k and abs((before % k) - after) < k * 0.02:
            return True
        k *= 10
    return False


def run_tracker(
    tracker: MeterTracker, observations: Iterable[Observation]
) -> tuple[list[Reading], list[Event]]:
    """Feed a whole sequence (for tests and offline use)."""
    readings: list[Reading] = []
    events: list[Event] = []
    for obs in observations:
        r, e = tracker.update(obs)
        readings += r
        events += e
    r, e = tracker.finish()
    return readings + r, events + e
