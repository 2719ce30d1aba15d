"""Truth for what the encoded video shows, not only for what was drawn.

An encoder may show a change late. Realtime VP9 at low quality refines a small change over
several frames: on development seed 5 (a 13 px seven-segment face, crf 34) the decoded
region of a meter stayed pixel for pixel on "251.53" for a frame after it was drawn as
"251.56", and on "253.96" for two frames after "253.99", so every reader, the bare model
included, read the old value there and the truth called it wrong. A reading's value is
what the display showed at that frame, and here the display is the decoded video.

:class:`LagWatch` decodes the encoder's packets as they come (so memory stays bounded by
the encoder's delay, whatever the video's length) and compares each meter's decoded
region with the pictures that were sent for that frame and for the frames shortly before
it. Where the decoded region is closer to an earlier frame's picture than to its own and
that frame's truth differs, the frame's truth also takes the earlier frame's values (and
its cover, when a popup that has gone is still on screen). Nothing is taken away: a frame
half way between two pictures may be read either way.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from foureyes.demo.synth.plan import FrameState
from foureyes.errors import FourEyesError

__all__ = ["LagWatch", "amend_truth"]

# How many frames back a decoded picture may lag. VP9 realtime was seen lagging three
# frames at 30 fps; twelve covers that at 60 fps with room.
DEPTH = 12

# Two sent pictures differ where their luma differs by more than half their largest
# difference and more than NOISE (of 255); fewer than MIN_PIXELS such pixels is a blur or a
# glint, not a glyph. Relative, because a dim face at 13 px differs by few strong pixels.
NOISE = 16
MIN_PIXELS = 6

Key = tuple[int, tuple[int, ...], float]  # a meter's truth: value, alt, covered


@dataclass(frozen=True, slots=True)
class _Sent:
    crop: npt.NDArray[np.uint8]
    key: Key


class LagWatch:
    """Decode packets as they are written and note frames that show an earlier picture.

    ``regions`` are the meters' regions in output pixels (x, y, w, h); ``decoder`` is a
    PyAV codec context opened for reading, fed with :meth:`packets`. :attr:`lags` maps
    (frame, meter) to the truth of the earlier frame the decoded picture is closer to.
    """

    def __init__(
        self,
        regions: Mapping[str, tuple[int, int, int, int]],
        decoder: Any,
        *,
        depth: int = DEPTH,
        extradata: Callable[[], bytes | None] | None = None,
    ) -> None:
        self._regions = dict(regions)
        self._decoder = decoder
        self._extradata = extradata
        self._depth = depth
        self._sent: deque[tuple[int, dict[str, _Sent]]] = deque()
        self._decoded = 0
        self._count = 0
        self.lags: dict[tuple[int, str], Key] = {}

    def sent(self, state: FrameState, luma: npt.NDArray[np.uint8]) -> None:
        """Remember frame ``state``'s pictures (the encoder's Y plane) before it is encoded."""
        pictures = {}
        for name, (x, y, w, h) in self._regions.items():
            shown = state.shown[name]
            key = (shown.value, shown.alt, round(state.covered[name], 4))
            pictures[name] = _Sent(luma[y : y + h, x : x + w].copy(), key)
        self._sent.append((state.index, pictures))
        self._count += 1

    def packets(self, packets: Iterable[Any]) -> None:
        """Decode the encoder's packets (before they are muxed, which empties them)."""
        for packet in packets:
            self._decode(packet)

    def finish(self) -> None:
        """Decode what the encoder still held; every frame sent must have come back, or
        the frames would be matched with the wrong pictures."""
        self._decode(None)
        if self._decoded != self._count:
            raise FourEyesError(
                f"the encoded stream decodes to {self._decoded} frames where {self._count} "
                "were drawn; the truth cannot follow it (an encoder that drops frames is "
                "not one the generator supports)"
            )

    def _decode(self, packet: Any) -> None:
        if self._extradata is not None and self._decoded == 0 and packet is not None:
            data = self._extradata()
            if data:
                self._decoder.extradata = data
            self._extradata = None
        for frame in self._decoder.decode(packet):
            plane = frame.planes[0]
            luma = np.frombuffer(memoryview(plane), np.uint8)
            luma = luma.reshape(plane.height, plane.line_size)[:, : plane.width]
            self._check(self._decoded, luma)
            self._decoded += 1
        while self._sent and self._sent[0][0] < self._decoded - self._depth:
            self._sent.popleft()

    def _check(self, index: int, luma: npt.NDArray[np.uint8]) -> None:
        earlier = [p for i, p in self._sent if index - self._depth <= i < index]
        own = next((p for i, p in self._sent if i == index), None)
        if own is None:
            return
        for name, (x, y, w, h) in self._regions.items():
            mine = own[name]
            decoded = luma[y : y + h, x : x + w]
            for other in reversed(earlier):
                theirs = other[name]
                differs = _values(theirs.key) != _values(mine.key) or theirs.key[2] > mine.key[2]
                if differs and _shows(decoded, theirs.crop, mine.crop):
                    self.lags[(index, name)] = theirs.key
                    break


def _shows(
    decoded: npt.NDArray[np.uint8], old: npt.NDArray[np.uint8], new: npt.NDArray[np.uint8]
) -> bool:
    """Whether ``decoded`` clearly shows ``old`` rather than ``new``.

    Only the pixels where the two pictures differ by more than codec noise count: over the
    whole crop the coding error of a small face outweighs a one-digit change (seen: a
    decoded crop 71,012 from its own picture and 69,825 from the one before, a coin toss).
    Over the differing pixels the decoded picture must be nearer the old picture than the
    new one (at least half way back: such a frame may fairly be read either way), and
    there must be enough of them to be a glyph.
    """
    a, b = old.astype(np.int32), new.astype(np.int32)
    gap = np.abs(a - b)
    mask = gap > max(NOISE, int(gap.max()) // 2)
    if int(mask.sum()) < MIN_PIXELS:
        return False
    d = decoded.astype(np.int32)[mask]
    to_old, to_new = d - a[mask], d - b[mask]
    return int(to_old @ to_old) < int(to_new @ to_new)


def _values(key: Key) -> frozenset[int]:
    return frozenset((key[0], *key[1]))


def amend_truth(
    path: Path, lags: Mapping[tuple[int, str], Key], display: Mapping[str, Callable[[int], Any]]
) -> int:
    """Rewrite ``truth.jsonl`` at ``path`` so each lagging frame also takes the values
    (and the cover) of the frame its picture still shows; returns the rows changed."""
    if not lags:
        return 0
    lines = path.read_text().splitlines(keepends=True)
    changed = 0
    for n, line in enumerate(lines):
        head = json.loads(line)
        key = lags.get((head["frame"], head["meter"]))
        if key is None:
            continue
        show = display[head["meter"]]
        values = [show(v) for v in (key[0], *key[1])]
        head["alt"] += [v for v in values if v != head["value"] and v not in head["alt"]]
        head["covered"] = max(head["covered"], key[2])
        head["visible"] = head["covered"] == 0
        lines[n] = json.dumps(head) + "\n"
        changed += 1
    path.write_text("".join(lines))
    return changed
