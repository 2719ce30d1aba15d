"""readings.jsonl and events.jsonl: one JSON object per line, appended and flushed per
batch so that a reader tailing the files sees whole lines only.

The files follow the store: they receive a batch only after the store committed it, and a
resumed run first rebuilds them from the store, since a crash may have cut them short of
it (or mid-line)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from foureyes.errors import OutputError
from foureyes.model import Event, Reading
from foureyes.sinks.base import RunInfo

__all__ = ["JSONLSink"]


class JSONLSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._readings: IO[str] | None = None
        self._events: IO[str] | None = None

    def open(self, run: RunInfo) -> None:
        try:
            self._readings = (self.folder / "readings.jsonl").open("a", encoding="utf-8")
            self._events = (self.folder / "events.jsonl").open("a", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot open output files: {exc}", path=str(self.folder)) from exc

    def write(self, readings: Sequence[Reading], events: Sequence[Event]) -> None:
        if self._readings is None or self._events is None:
            raise RuntimeError("JSONLSink.write before open")
        if readings:
            self._readings.write("".join(_line(r.to_dict()) for r in readings))
            self._readings.flush()
        if events:
            self._events.write("".join(_line(e.to_dict()) for e in events))
            self._events.flush()

    def rebuild(self, readings: Iterable[Reading], events: Iterable[Event]) -> None:
        """Replace both files with these lines, atomically each (write, fsync, rename)."""
        for name, rows in (
            ("readings.jsonl", (r.to_dict() for r in readings)),
            ("events.jsonl", (e.to_dict() for e in events)),
        ):
            path = self.folder / name
            tmp = path.with_suffix(".jsonl.tmp")
            try:
                with tmp.open("w", encoding="utf-8") as f:
                    f.writelines(_line(row) for row in rows)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(f"cannot rebuild {name}: {exc}", path=str(self.folder)) from exc

    def close(self, summary: dict[str, Any] | None = None) -> None:
        for f in (self._readings, self._events):
            if f is not None:
                f.close()
        self._readings = self._events = None


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
