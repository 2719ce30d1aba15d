"""The FrameSource protocol and the registry that picks a source for a URI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

from foureyes.model import Frame

__all__ = ["FrameSource", "SourceBase", "SourceInfo", "register_source", "source_factories"]


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


class SourceBase:
    """What every built-in source shares: the context-manager lifecycle and the counters
    the pipeline reads. Subclasses set ``_decoded`` and ``_info`` and define open/close."""

    _decoded: int = 0
    _info: SourceInfo | None = None

    def open(self) -> SourceInfo:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def decoded(self) -> int:
        return self._decoded

    @property
    def info(self) -> SourceInfo | None:
        return self._info

    @staticmethod
    def _check_start(start_sample: int) -> None:
        if start_sample < 0:
            raise ValueError(f"start_sample must be >= 0, got {start_sample}")


SourceFactory = Callable[..., FrameSource]
_REGISTRY: dict[str, SourceFactory] = {}


def register_source(kind: str, factory: SourceFactory) -> None:
    """Register a factory for a source kind ("file", "folder", "live", or a plugin's)."""
    _REGISTRY[kind] = factory


def source_factories() -> dict[str, SourceFactory]:
    return dict(_REGISTRY)
