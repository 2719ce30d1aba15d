"""Checkpoints: a pipeline's state survives a round trip, and nothing else gets in."""

from __future__ import annotations

import os
import pickle
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from foureyes import checkpoint
from foureyes.checkpoint import PipelineState
from foureyes.errors import OutputError
from foureyes.model import MeterKind, Reading, Status
from foureyes.readers.choose import PreparationChooser
from foureyes.readers.occlusion import Palette
from foureyes.readers.parse import parse_value
from foureyes.tracking.tracker import MeterTracker, Observation, run_tracker


def observations(texts: list[str]) -> list[Observation]:
    return [
        Observation(i * 15, i * 0.5, t, 0.99, parse_value(t, MeterKind.CURRENCY))
        for i, t in enumerate(texts)
    ]


def state(**kw: object) -> PipelineState:
    palette = Palette()
    palette.learn(np.full((8, 16, 3), 200, np.uint8))
    base: dict[str, object] = {
        "samples": 3,
        "frame": 90,
        "ts": 3.0,
        "trackers": {"m": MeterTracker("m")},
        "chooser": PreparationChooser(("m",)),
        "palettes": {"m": palette},
        "waiting": {"m": [Reading(3.0, 90, "m", 1.5, "$1.50", 0.9, Status.OK)]},
        "times": {"reads": 12.0},
    }
    return PipelineState(**{**base, **kw})  # type: ignore[arg-type]


def test_round_trip_keeps_a_tracker_mid_decision() -> None:
    """A tracker restored from a checkpoint decides the rest of a stream exactly as the
    one that never stopped."""
    texts = ["$10.00", "$10.05", "$1O.1", "$10.20", "$2.00", "$2.00", "$2.01", "$2.02"]
    obs = observations(texts)
    whole = run_tracker(MeterTracker("m"), obs)
    first = MeterTracker("m")
    early = [first.update(o) for o in obs[:4]]
    restored = checkpoint.loads(checkpoint.dumps(state(trackers={"m": first})), path="db")
    rest = run_tracker(restored.trackers["m"], obs[4:])
    readings = [r for rs, _ in early for r in rs] + rest[0]
    events = [e for _, es in early for e in es] + rest[1]
    assert (readings, events) == whole


def test_numpy_and_collections_survive() -> None:
    """Palettes (NumPy) and deques come back equal."""
    s = state()
    back = checkpoint.loads(checkpoint.dumps(s), path="db")
    assert s.palettes["m"]._hist is not None  # (learnt: there is an array to carry)
    assert np.array_equal(back.palettes["m"]._hist, s.palettes["m"]._hist)
    assert isinstance(back.trackers["m"]._pending, deque)
    assert back.waiting == s.waiting


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo owned",))


class _Memmap:
    """An allowed-looking NumPy class whose construction writes a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str, str, int, tuple[int]]]:
        return (
            np.memmap,
            (self.path, "uint8", "w+", 0, (8,)),
        )  # (file, dtype, mode, offset, shape)


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(_Evil()),  # a function call smuggled into the store
        pickle.dumps(state(times={"x": _Evil()})),  # the same, inside a real state
        b"not a pickle",
    ],
)
def test_a_tampered_checkpoint_builds_nothing(payload: bytes) -> None:
    """Only FourEyes classes, containers and arrays may come out of a checkpoint."""
    with pytest.raises(OutputError, match="checkpoint cannot be read"):
        checkpoint.loads(payload, path="db")


def test_a_checkpoint_cannot_build_numpy_classes_that_touch_files(tmp_path: Path) -> None:
    """NumPy's allowed functions rebuild arrays; its other classes stay out (a memmap
    built from a tampered store would create or overwrite a file)."""
    target = tmp_path / "written"
    with pytest.raises(OutputError, match="checkpoint cannot be read"):
        checkpoint.loads(pickle.dumps(_Memmap(str(target))), path="db")
    assert not target.exists()


def test_another_format_is_refused() -> None:
    """A checkpoint of another FourEyes version is refused with what to do."""
    with pytest.raises(OutputError, match="another FourEyes version"):
        checkpoint.loads(checkpoint.dumps(state(format=0)), path="db")
