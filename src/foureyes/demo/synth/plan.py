"""A seed's video before any pixel: tracks, geometry, popups, and the per-frame truth.

:func:`make_plan` turns :class:`~foureyes.demo.synth.factors.Factors` into everything the
renderer paints and the truth files record; :func:`frames` walks it frame by frame. The
renderer and the truth read the same :class:`FrameState`, so a truth row can never
describe a picture other than the one drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from foureyes.demo.synth.factors import Factors
from foureyes.demo.synth.layout import Board, Rect, Setup, arrange
from foureyes.demo.synth.popups import Popup, covered, schedule
from foureyes.demo.synth.timeline import Display, Shown, Track, build_tracks, pick_threshold

__all__ = ["FrameState", "Plan", "frames", "make_plan", "truth_rows"]


@dataclass(frozen=True)
class Plan:
    """Everything one seed's video is made of, decided before it is drawn."""

    factors: Factors
    tracks: dict[str, Track]
    board: Board
    setups: dict[str, Setup]
    popups: tuple[Popup, ...]
    thresholds: dict[str, int]  # meter -> level in smallest units

    def span(self, meter: str, shown: Shown) -> Rect:
        """Where ``meter``'s digits are inked at ``shown``, in rendered pixels."""
        w = self.board.boxes[meter].window
        s = self.setups[meter]
        x0, x1 = s.type.extent(shown.lo, shown.hi)
        top, bottom = s.glyphs.band
        return Rect(w.x0 + x0, w.y0 + max(0, top), w.x0 + x1, w.y0 + min(w.h, bottom))


@dataclass(frozen=True, slots=True)
class FrameState:
    """One frame: what each meter shows, how much of it is hidden, which popups are up
    (with their rectangle and colour phase at this frame)."""

    index: int
    shown: dict[str, Shown]
    covered: dict[str, float]
    popups: tuple[tuple[Popup, Rect, int], ...]


def make_plan(f: Factors) -> Plan:
    """Simulate ``f``'s meters, lay the board out and schedule its popups; the first meter
    with a run of growth gets a threshold (a round level crossed upward)."""
    tracks = build_tracks(f)
    widest = {name: max(t.values) for name, t in tracks.items()}
    board = arrange(f, widest)
    if board is None:  # draw_factors fitted these heights; only a changed font list lands here
        raise ValueError(f"seed {f.seed}: the board no longer fits its frame")
    popups = schedule(f, board, tracks)
    thresholds: dict[str, int] = {}
    for m in f.meters:
        level = pick_threshold(tracks[m.name])
        if level is not None:
            thresholds[m.name] = level
            break
    return Plan(f, tracks, board, board.setups, popups, thresholds)


def frames(plan: Plan) -> Iterator[FrameState]:
    """Every frame's state, in order; O(meters + active popups) memory."""
    displays = {name: Display(t) for name, t in plan.tracks.items()}
    pending = list(plan.popups)
    active: list[Popup] = []
    for index in range(plan.factors.video.frames):
        while pending and pending[0].start <= index:
            active.append(pending.pop(0))
        active = [p for p in active if p.end > index]
        up = []
        for p in active:
            rect = p.rect_at(index)
            if rect is not None:
                up.append((p, rect, p.phase(index)))
        shown = {name: d.at(index) for name, d in displays.items()}
        rects = [r for _, r, _ in up]
        if rects:
            cover = {name: covered(plan.span(name, s), rects) for name, s in shown.items()}
        else:
            cover = dict.fromkeys(shown, 0.0)
        yield FrameState(index, shown, cover, tuple(up))


def truth_rows(plan: Plan, state: FrameState) -> Iterator[dict[str, Any]]:
    """The frame's ``truth.jsonl`` rows, one per meter, in board order."""
    fps = plan.factors.video.fps
    for m in plan.factors.meters:
        shown = state.shown[m.name]
        c = round(state.covered[m.name], 4)
        yield {
            "frame": state.index,
            "ts": state.index / fps,
            "meter": m.name,
            "value": m.fmt.display(shown.value),
            "alt": [m.fmt.display(v) for v in shown.alt],
            "visible": c == 0,
            "covered": c,
        }
