"""Which reader serves each meter, so one sample's crops go to their own models.

Meters may name different fallback chains (a fast local OCR for most, a VLM for one odd
display). A sample's reads are still one call per reader: the crops are grouped by the
reader of their meter, each group read in one batch, and the results put back in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from foureyes.model import Image, RawRead
from foureyes.readers.base import Reader, close_all

__all__ = ["MeterReaders"]


class MeterReaders:
    """``by_meter`` maps each meter to the Reader (often a chain) that serves it; ``owned``
    are the readers this object closes (each endpoint once, however many chains share it)."""

    def __init__(self, by_meter: Mapping[str, Reader], owned: Sequence[Reader] = ()) -> None:
        self.by_meter = dict(by_meter)
        self._owned = tuple(owned)
        self.name = ", ".join(sorted({r.name for r in self.by_meter.values()}))

    @classmethod
    def uniform(cls, reader: Reader, meters: Sequence[str]) -> MeterReaders:
        """Every meter read by ``reader``, which the caller keeps and closes."""
        return cls(dict.fromkeys(meters, reader))

    @property
    def chains(self) -> list[Reader]:
        return list({id(r): r for r in self.by_meter.values()}.values())

    def warmup(self) -> None:
        for reader in self.chains:
            reader.warmup()

    def read_for(self, meters: Sequence[str], crops: Sequence[Image]) -> list[RawRead]:
        """One RawRead per crop, ``crops[i]`` read by ``meters[i]``'s reader."""
        if len(meters) != len(crops):
            raise ValueError(f"{len(meters)} meters for {len(crops)} crops")
        groups: dict[int, list[int]] = {}
        for i, meter in enumerate(meters):
            groups.setdefault(id(self.by_meter[meter]), []).append(i)
        out: list[RawRead | None] = [None] * len(crops)
        for idx in groups.values():
            reader = self.by_meter[meters[idx[0]]]
            for i, raw in zip(idx, reader.read([crops[i] for i in idx]), strict=True):
                out[i] = raw
        return [r for r in out if r is not None]

    def stats(self) -> dict[str, dict[str, Any]]:
        """Each owned reader's health (those that keep stats), for summaries and metrics."""
        out: dict[str, dict[str, Any]] = {}
        for reader in self._owned:
            stats = getattr(reader, "stats", None)
            if stats is None:
                continue
            st = stats()
            lat = sorted(st.latencies)
            out[reader.name] = {
                "state": str(st.state),
                "calls": st.calls,
                "failures": st.failures,
                "attempts": st.attempts,
                "retries": st.retries,
                "timeouts": st.timeouts,
                "garbage": st.garbage,
                "rejected": st.rejected,
                "p50_ms": round(1000 * lat[len(lat) // 2], 2) if lat else None,
                "p95_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.95))], 2)
                if lat
                else None,
            }
        return out

    def close(self) -> None:
        """Close every owned reader, even if closing one fails; the first error is raised."""
        close_all(self._owned)
