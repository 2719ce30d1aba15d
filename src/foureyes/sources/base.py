"""The FrameSource protocol and the registry that picks a source for a URI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from foureyes.model import Frame

__all__ = ["FrameSource", "SourceInfo", "register_source", "source_factories"]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What is known about a source once it is open (for progress bars and summaries)."""

    uri: str  # with credentials removed
    live: bool
    width: int
    height: int
    fps: float | None = None  # the stream's nominal frame rate, when known
    duration: float | None = None  # seconds, for files when the container says
    frame_count: int | None = None  # estimated decoded frames, for files


@runtime_checkable
class FrameSource(Protocol):
    """Delivers sampled frames in stream order.

    A source decodes every frame (so ``Frame.index`` counts all decoded frames from 0) but
    converts to pixels and yields only the samples: the first frame whose stream time
    reaches each multiple of ``1 / sample_fps`` past the first frame's time. Sources are
    context managers; ``open`` raises a :class:`~foureyes.errors.SourceError` subclass
    with a message naming the source.
    """

    def open(self) -> SourceInfo: ...

    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        """Yield sampled frames; ``start_sample`` skips that many samples (for resume)."""
        ...

    @property
    def decoded(self) -> int:
        """Frames decoded so far, sampled or not."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(self, *exc: object) -> None: ...


SourceFactory = Callable[..., FrameSource]
_REGISTRY: dict[str, SourceFactory] = {}


def register_source(kind: str, factory: SourceFactory) -> None:
    """Register a factory for a source kind ("file", "folder", "live", or a plugin's)."""
    _REGISTRY[kind] = factory


def source_factories() -> dict[str, SourceFactory]:
    return dict(_REGISTRY)
