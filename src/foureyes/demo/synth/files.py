"""The files beside the video, in the demo's formats so ``foureyes.demo.score`` reads them:
``meters.yaml`` (regions in output pixels, with corners under a camera), ``truth.jsonl``,
``truth_events.jsonl`` and ``factors.json``.

A meter's region is drawn three ways: tight around every value's ink, generous around its
window, or wide enough to take its label in too; it never leaves the meter's panel, so it
never reaches another meter or a decoy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import yaml

from foureyes.demo.camera import Camera
from foureyes.demo.synth.layout import Rect
from foureyes.demo.synth.plan import FrameState, Plan
from foureyes.demo.synth.timeline import truth_events

__all__ = [
    "TruthWriter",
    "config_doc",
    "regions",
    "write_config",
    "write_events",
    "write_factors",
]


def regions(plan: Plan) -> dict[str, Rect]:
    """Each meter's region in rendered pixels."""
    out = {}
    for m in plan.factors.meters:
        s, b = plan.setups[m.name], plan.board.boxes[m.name]
        w, pad = b.window, m.region_pad * m.height
        values = plan.tracks[m.name].values
        x0, x1 = s.type.text_extent([min(values), max(values)])
        top, bottom = s.glyphs.band
        edge = max(2.0, 0.5 * pad)
        tight = Rect(w.x0 + x0, w.y0 + top, w.x0 + x1, w.y0 + bottom).grow(edge, edge)
        if m.region == "generous":
            rect = w.grow(pad, pad).union(tight)
        elif m.region == "label":
            rect = tight.union(b.label).grow(max(2.0, 0.3 * pad), max(2.0, 0.3 * pad))
        else:
            rect = tight
        out[m.name] = rect.clip(b.panel.grow(2, 2)).clip(Rect(0, 0, *plan.board.size))
    return out


def _entry(plan: Plan, rect: Rect, camera: Camera | None) -> dict[str, Any]:
    v = plan.factors.video
    W, H = v.size
    if camera is not None:
        flat = [(rect.x0, rect.y0), (rect.x1, rect.y0), (rect.x1, rect.y1), (rect.x0, rect.y1)]
        corners = camera.warp_points([(float(x), float(y)) for x, y in flat])
        corners = [(min(max(x, 0.0), W), min(max(y, 0.0), H)) for x, y in corners]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        x0, y0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
        x1, y1 = min(W, math.ceil(max(xs))), min(H, math.ceil(max(ys)))
        return {
            "region": [x0, y0, x1 - x0, y1 - y0],
            "corners": [[round(x, 1), round(y, 1)] for x, y in corners],
        }
    kx, ky = plan.board.size[0] / W, plan.board.size[1] / H
    x0, y0 = max(0, math.floor(rect.x0 / kx)), max(0, math.floor(rect.y0 / ky))
    x1, y1 = min(W, math.ceil(rect.x1 / kx)), min(H, math.ceil(rect.y1 / ky))
    return {"region": [x0, y0, x1 - x0, y1 - y0]}


def config_doc(plan: Plan, video_name: str, camera: Camera | None) -> dict[str, Any]:
    """``meters.yaml`` as a mapping, for :func:`foureyes.config.load_config`."""
    f = plan.factors
    meters: dict[str, Any] = {}
    rects = regions(plan)
    for m in f.meters:
        entry = _entry(plan, rects[m.name], camera)
        entry["kind"] = m.fmt.kind
        entry["decimals"] = m.fmt.decimals
        meters[m.name] = entry
    thresholds = {
        name: [f.meter(name).fmt.display(level)] for name, level in plan.thresholds.items()
    }
    doc: dict[str, Any] = {
        "source": {"uri": video_name, "fps": f.video.sample_fps},
        "meters": meters,
    }
    if thresholds:
        doc["events"] = {"thresholds": thresholds}
    return doc


def write_config(path: Path, plan: Plan, video_name: str, camera: Camera | None) -> None:
    doc = config_doc(plan, video_name, camera)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))


def write_events(path: Path, plan: Plan) -> None:
    formats = {m.name: m.fmt for m in plan.factors.meters}
    events = truth_events(plan.tracks, formats, plan.thresholds, plan.factors.video.fps)
    with path.open("w") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


def write_factors(path: Path, plan: Plan) -> None:
    path.write_text(json.dumps(plan.factors.to_dict(), indent=1, ensure_ascii=False) + "\n")


class TruthWriter:
    """Streams ``truth.jsonl`` a frame at a time, so a 10-minute video stays flat.

    A row is what :func:`~foureyes.demo.synth.plan.truth_rows` gives, serialised the way
    ``json.dumps`` would; a meter's tail (value to covered) is reused while it does not
    change, which is most frames.
    """

    def __init__(self, path: Path, plan: Plan) -> None:
        self._plan = plan
        self._fps = plan.factors.video.fps
        self._file: TextIO = path.open("w")
        self._tails: dict[str, tuple[tuple[int, tuple[int, ...], float], str]] = {}

    def _tail(self, name: str, state: FrameState) -> str:
        shown, c = state.shown[name], round(state.covered[name], 4)
        key = (shown.value, shown.alt, c)
        hit = self._tails.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        fmt = self._plan.factors.meter(name).fmt
        tail = json.dumps(
            {
                "value": fmt.display(shown.value),
                "alt": [fmt.display(v) for v in shown.alt],
                "visible": c == 0,
                "covered": c,
            }
        )[1:]
        self._tails[name] = (key, tail)
        return tail

    def write(self, state: FrameState) -> None:
        head = f'{{"frame": {state.index}, "ts": {json.dumps(state.index / self._fps)}, "meter": '
        self._file.writelines(
            f'{head}"{name}", {self._tail(name, state)}\n' for name in state.shown
        )

    def __enter__(self) -> TruthWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()
