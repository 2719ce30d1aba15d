"""The Sink protocol: where readings and events go once they are decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from foureyes.model import Event, Reading

__all__ = ["RunInfo", "Sink"]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a sink may record about the run it receives."""

    run_id: str
    started: str  # ISO 8601 UTC
    source: str  # without credentials
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Sink(Protocol):
    def open(self, run: RunInfo) -> None: ...

    def write(self, readings: Sequence[Reading], events: Sequence[Event]) -> None:
        """Record one batch; a batch is all-or-nothing where the sink can promise it."""
        ...

    def close(self, summary: dict[str, Any] | None = None) -> None: ...
