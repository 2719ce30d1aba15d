"""Paint a plan's frames: the still scene once, then per frame only what changed.

A meter's window is repainted when its display state changes (or every frame when its
background moves); a window at rest is cached by its value. Popups are drawn over the
windows, and a rectangle a popup leaves is restored from the scene. The changed
rectangles go to an :class:`~foureyes.demo.synth.output.Output`, which makes the 4:2:0
frame the encoder takes.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from foureyes.demo.camera import Camera
from foureyes.demo.synth.backdrop import Backdrop
from foureyes.demo.synth.layout import Rect
from foureyes.demo.synth.output import Flat, Lens, Output, Planes, Scaled
from foureyes.demo.synth.paint import Layer, Painter, over
from foureyes.demo.synth.plan import FrameState, Plan
from foureyes.demo.synth.popups import Popup, sprite
from foureyes.demo.synth.scene import paint_scene
from foureyes.demo.synth.timeline import Shown

__all__ = ["Renderer", "camera_for"]

RGB = npt.NDArray[np.uint8]
K = TypeVar("K")
V = TypeVar("V")
_CACHE = 24  # still patches kept per meter


def camera_for(plan: Plan) -> Camera | None:
    """The video's camera (its perspective is what the config's corners describe)."""
    v = plan.factors.video
    if v.camera is None:
        return None
    return Camera(v.camera, *v.size, np.random.default_rng(v.seeds[3]))


class Renderer:
    """Draws ``plan`` frame by frame; :meth:`frame` must see the frames in order."""

    def __init__(
        self, plan: Plan, camera: Camera | None = None, planes: Planes | None = None
    ) -> None:
        f = plan.factors
        self.plan = plan
        self.scene = paint_scene(f, plan.board)
        self.canvas = self.scene.copy()
        self.rolls = {m.name: m.motion.roll for m in f.meters}
        self.windows = {m.name: plan.board.boxes[m.name].window for m in f.meters}
        self.painters: dict[str, Painter] = {}
        self.backdrops: dict[str, Backdrop] = {}
        for k, m in enumerate(f.meters):
            w, s = self.windows[m.name], plan.setups[m.name]
            self.painters[m.name] = Painter(m.paint, m.height, s.glyphs.band, (w.h, w.w))
            if m.paint.animated != "none":
                still = self.scene[w.y0 : w.y1, w.x0 : w.x1].copy()
                rng = random.Random(f.video.seeds[2] * 16 + k + 1)
                self.backdrops[m.name] = Backdrop(m.paint, still, f.video.fps, rng)
        self._patches: dict[str, OrderedDict[tuple[int, int, float], RGB]] = {
            m.name: OrderedDict() for m in f.meters
        }
        self._layers: dict[str, OrderedDict[tuple[int, int, float], Layer]] = {
            m.name: OrderedDict() for m in f.meters
        }
        self._keys: dict[str, tuple[int, int, float, int] | None] = dict.fromkeys(self.windows)
        self._up: tuple[tuple[Popup, Rect, int], ...] = ()
        self._sprites: OrderedDict[tuple[int, int, int, int, int], RGB] = OrderedDict()
        self.output = self._output(plan, camera, planes)

    def _output(self, plan: Plan, camera: Camera | None, planes: Planes | None) -> Output:
        v = plan.factors.video
        full = v.codec == "mjpeg"
        if camera is not None:
            rng = np.random.default_rng(v.seeds[3] + 1)
            return Lens(self.scene, camera, rng, full, planes)
        if v.render_size != v.size:
            return Scaled(self.scene, v.size, v.resample, full, planes)
        return Flat(self.scene, full, planes)

    def frame(self, state: FrameState) -> Planes:
        """Draw ``state`` into the output planes (reused for the next frame)."""
        up = state.popups
        now = {(id(p), r, ph) for p, r, ph in up}
        dirty = [r for p, r, ph in self._up if (id(p), r, ph) not in now]
        for r in dirty:
            self.canvas[r.y0 : r.y1, r.x0 : r.x1] = self.scene[r.y0 : r.y1, r.x0 : r.x1]
        for name, shown in state.shown.items():
            animated = name in self.backdrops
            key = (shown.lo, shown.hi, round(shown.frac, 4), state.index if animated else -1)
            w = self.windows[name]
            if key == self._keys[name] and not any(w.overlaps(r) for r in dirty):
                continue
            self._keys[name] = key
            self.canvas[w.y0 : w.y1, w.x0 : w.x1] = self._patch(name, shown, state.index)
            dirty.append(w)
        before = {(id(p), r, ph) for p, r, ph in self._up}
        for p, r, ph in up:
            if (id(p), r, ph) not in before or any(r.overlaps(d) for d in dirty):
                self.canvas[r.y0 : r.y1, r.x0 : r.x1] = self._sprite(p, r, ph)
                dirty.append(r)
        self._up = up
        return self.output.update(self.canvas, dirty)

    def _patch(self, name: str, shown: Shown, index: int) -> RGB:
        """The window of ``name`` showing ``shown``; mid-transition only the changing
        cells' columns (plus the effects' reach) are painted over the resting picture."""
        if not shown.moving:
            return self._resting(name, shown.lo, index)
        s, painter = self.plan.setups[name], self.painters[name]
        lo, hi, frac, roll = shown.lo, shown.hi, shown.frac, self.rolls[name]
        w = self.windows[name]
        bg = self._bg(name, index)
        changed = s.type.changed(lo, hi)
        if changed is None:
            lit = s.type.mask(lo, hi, frac, roll)
            return over(bg, painter.layer(lit, s.type.ghost()))
        r = painter.reach
        c0, c1 = max(0, changed[0] - r), min(w.w, changed[1] + r)
        e0, e1 = max(0, c0 - r), min(w.w, c1 + r)
        lit = s.type.mask(lo, hi, frac, roll, cols=(e0, e1))
        ghost = s.type.ghost()
        layer = painter.layer(lit, None if ghost is None else ghost[:, e0:e1], e0)
        p, a = layer
        band = (p[:, c0 - e0 : c1 - e0], a[:, c0 - e0 : c1 - e0])
        patch = self._resting(name, lo, index).copy()
        patch[:, c0:c1] = over(bg[:, c0:c1], band)
        return patch

    def _bg(self, name: str, index: int) -> RGB:
        backdrop = self.backdrops.get(name)
        if backdrop is not None:
            return backdrop.frame(index)
        w = self.windows[name]
        return self.scene[w.y0 : w.y1, w.x0 : w.x1]

    def _resting(self, name: str, value: int, index: int) -> RGB:
        """The window at rest on ``value`` (cached, or its layer cached when it moves)."""
        key = (value, value, 0.0)
        animated = name in self.backdrops
        if not animated:
            hit = self._patches[name].get(key)
            if hit is not None:
                self._patches[name].move_to_end(key)
                return hit
        layer = self._layers[name].get(key)
        if layer is None:
            s = self.plan.setups[name]
            lit = s.type.mask(value, value, 0.0, self.rolls[name])
            layer = self.painters[name].layer(lit, s.type.ghost())
            if animated:
                _remember(self._layers[name], key, layer)
        patch = over(self._bg(name, index), layer)
        if not animated:
            _remember(self._patches[name], key, patch)
        return patch

    def _sprite(self, p: Popup, r: Rect, phase: int) -> RGB:
        key = (id(p), r.w, r.h, phase, p.start)
        hit = self._sprites.get(key)
        if hit is None:
            hit = np.asarray(sprite(p, (r.w, r.h), phase), np.uint8)
            _remember(self._sprites, key, hit, 64)
        return hit


def _remember(cache: OrderedDict[K, V], key: K, value: V, size: int = _CACHE) -> None:
    """Keep ``value`` under ``key``, dropping the least recently used beyond ``size``."""
    cache[key] = value
    if len(cache) > size:
        cache.popitem(last=False)
