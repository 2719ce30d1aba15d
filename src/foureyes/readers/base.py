"""The Reader protocol (a model that turns meter crops into text) and its registry.

A reader's lifecycle follows LitServe's shape: construct cheaply, ``warmup`` loads the
model (so start-up errors surface before any output is written), ``read`` handles a batch
of crops from one frame, ``close`` frees it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from foureyes.errors import ConfigError
from foureyes.model import Image, RawRead

__all__ = ["Reader", "close_all", "create_reader", "reader_names", "register_reader"]


@runtime_checkable
class Reader(Protocol):
    name: str

    def warmup(self) -> None: ...

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        """One RawRead per crop, in order. Raises ReaderError on failure."""
        ...

    def close(self) -> None: ...


ReaderFactory = Callable[..., Reader]
_REGISTRY: dict[str, ReaderFactory] = {}


def register_reader(name: str, factory: ReaderFactory) -> None:
    _REGISTRY[name] = factory


def _builtin() -> None:
    if "rapidocr" not in _REGISTRY:
        from foureyes.readers.rapid import RapidOCRReader

        register_reader("rapidocr", RapidOCRReader)


def reader_names() -> list[str]:
    _builtin()
    return sorted(_REGISTRY)


def create_reader(name: str, **options: Any) -> Reader:
    _builtin()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown reader {name!r}; available: {', '.join(reader_names())}", key="reader.name"
        ) from None
    return factory(**options)


def close_all(readers: Sequence[Reader]) -> None:
    """Close every reader, even if closing one fails; the first error is raised after."""
    first: BaseException | None = None
    for reader in readers:
        try:
            reader.close()
        except Exception as exc:
            first = first or exc
    if first is not None:
        raise first
