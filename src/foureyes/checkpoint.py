"""What a pipeline must remember to pick up a run where a crash cut it off.

A meter's tracker decides each sample from its neighbours and its history, the preparation
chooser and the cover detector learn from every sample, and readings wait until every meter
has decided a frame. All of that is the pipeline's state after a sample; stored in the same
transaction as the sample's readings and events, it lets a new process carry on from the
next sample and decide exactly what an uninterrupted run would have.

The state is pickled, because it is a graph of our own small dataclasses that would
otherwise need a serialiser per class, and unpickled with an allow-list of classes, so a
tampered store can build nothing but FourEyes records, containers and NumPy arrays.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from typing import Any

from foureyes.errors import OutputError

__all__ = ["FORMAT", "PipelineState", "dumps", "loads", "restricted_loads"]

FORMAT = 7  # bump when the state's shape changes: older checkpoints are then refused


@dataclass(slots=True)
class PipelineState:
    """A pipeline after ``samples`` samples, the last one at ``frame`` / ``ts``."""

    samples: int
    frame: int
    ts: float
    trackers: dict[str, Any]
    chooser: Any
    palettes: dict[str, Any]
    waiting: dict[str, list[Any]]  # readings decided for some meters of a frame, not all
    times: dict[str, float] = field(default_factory=dict)
    format: int = FORMAT


# NumPy rebuilds arrays through these functions; every other global must be a class.
_NUMPY = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "bytearray", "complex", "slice"}
_COLLECTIONS = {"deque", "OrderedDict", "Counter"}
# The modules whose classes make up a pipeline's state. Any class unpickling may call with
# the store's arguments, so the list is exact: numpy.memmap, say, would write a file, and
# a FourEyes sink or log would open one.
_STATE_MODULES = {
    "foureyes.checkpoint",
    "foureyes.model",
    "foureyes.readers.choose",
    "foureyes.readers.occlusion",
    "foureyes.readers.parse",
    "foureyes.tracking.motion",
    "foureyes.tracking.rules",
    "foureyes.tracking.tracker",
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (
            (module, name) in _NUMPY
            or (module == "builtins" and name in _BUILTINS)
            or (module == "collections" and name in _COLLECTIONS)
        ):
            return super().find_class(module, name)
        if module in _STATE_MODULES:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a checkpoint")


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only the classes of a pipeline's state, containers and
    NumPy arrays."""
    return _Unpickler(io.BytesIO(data)).load()


def dumps(state: PipelineState) -> bytes:
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes, *, path: str) -> PipelineState:
    """The state stored at ``path``; an :class:`OutputError` says what to do if it cannot
    be used (another FourEyes version, or a damaged store)."""
    try:
        state = restricted_loads(data)
    except Exception as exc:
        raise OutputError(
            f"its checkpoint cannot be read ({exc}); start a new run with another --out",
            path=path,
        ) from exc
    if not isinstance(state, PipelineState) or state.format != FORMAT:
        raise OutputError(
            "its checkpoint was written by another FourEyes version; finish it with that "
            "version or start a new run with another --out",
            path=path,
        )
    return state
