"""The decision log: every judgement FourEyes makes, as JSON lines, without slowing it.

A week-long run decides thousands of readings an hour; a user who asks "why was this
sample rejected?" needs each decision with its reason. Writing them to disk on the hot
path would make the reading wait for the disk, so :meth:`EventLog.log` only puts a small
record into a bounded in-memory buffer, and a background thread drains the buffer in
batches, serialising and writing off the hot path.

The buffer is bounded by ``capacity``. When it is full, a record makes room by pushing
out the oldest record of a lower level (DEBUG first), or is itself dropped when nothing
below it is buffered; CRITICAL records are never dropped (they may overfill the buffer).
Drops are counted per level, and the fill ratio is readable at any time, for metrics.

Why our own and not ``logging.handlers.QueueHandler``: its queue is unbounded or blocks
(or raises) when full; neither drops by level, and a blocked hot path is what this avoids.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["EventLog", "Level", "LogBridge"]


class Level(enum.IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


class EventLog:
    """Appends JSON lines to ``path`` from a background writer thread.

    ``clock`` dates records (wall time, for people); use it as a context manager, or call
    :meth:`start` and :meth:`close` (which drains what is buffered).
    """

    def __init__(
        self,
        path: Path,
        *,
        capacity: int = 10_000,
        batch: int = 512,
        flush_every: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1 or batch < 1:
            raise ValueError("capacity and batch must be at least 1")
        self.path = path
        self.capacity = capacity
        self.batch = batch
        self.flush_every = flush_every
        self._clock = clock
        self._queues: dict[Level, deque[tuple[int, float, str, dict[str, Any]]]] = {
            level: deque() for level in Level
        }
        self._size = 0
        self._seq = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._file: IO[str] | None = None
        self.dropped: Counter[str] = Counter()
        self.written = 0

    # -- the hot path ---------------------------------------------------------------------
    def log(self, level: Level, kind: str, **fields: Any) -> bool:
        """Buffer one record; False if it was dropped. Never blocks on the disk."""
        now = self._clock()
        with self._lock:
            if self._size >= self.capacity and level is not Level.CRITICAL:
                victim = next((lv for lv in Level if lv < level and self._queues[lv]), None)
                if victim is None:
                    self.dropped[level.name] += 1
                    return False
                self._queues[victim].popleft()
                self._size -= 1
                self.dropped[victim.name] += 1
            self._seq += 1
            self._queues[level].append((self._seq, now, kind, fields))
            self._size += 1
            full = self._size >= self.batch
        if full:
            self._wake.set()
        return True

    def debug(self, kind: str, **fields: Any) -> bool:
        return self.log(Level.DEBUG, kind, **fields)

    def info(self, kind: str, **fields: Any) -> bool:
        return self.log(Level.INFO, kind, **fields)

    def warning(self, kind: str, **fields: Any) -> bool:
        return self.log(Level.WARNING, kind, **fields)

    @property
    def fill(self) -> float:
        """How full the buffer is (0-1; over 1 only with CRITICAL records)."""
        return self._size / self.capacity

    # -- the writer -----------------------------------------------------------------------
    def start(self) -> EventLog:
        if self._thread is None:
            self._file = self.path.open("a", encoding="utf-8")
            self._thread = threading.Thread(target=self._run, name="foureyes-log", daemon=True)
            self._thread.start()
        return self

    def _take(self) -> list[tuple[int, float, str, Level, dict[str, Any]]]:
        fresh: dict[Level, deque[tuple[int, float, str, dict[str, Any]]]] = {
            level: deque() for level in Level
        }
        with self._lock:  # swap the buffers: the hot path waits for this, not a copy
            taken, self._queues = self._queues, fresh
            self._size = 0
        out = [(seq, ts, kind, lv, f) for lv, q in taken.items() for seq, ts, kind, f in q]
        out.sort(key=lambda r: r[0])
        return out

    def _write(self) -> None:
        records = self._take()
        if not records or self._file is None:
            return
        lines = []
        for _, ts, kind, level, fields in records:
            record = {"ts": round(ts, 6), "level": level.name.lower(), "kind": kind, **fields}
            lines.append(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.write("".join(lines))
        self._file.flush()
        self.written += len(lines)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_every)
            self._wake.clear()
            self._write()

    def close(self) -> None:
        """Stop the writer after it has written everything buffered."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._write()
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> EventLog:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LogBridge(logging.Handler):
    """Forwards FourEyes' own ``logging`` records (reconnects, breaker transitions,
    degradation, failures) into an :class:`EventLog`, so one file tells the whole story."""

    def __init__(self, log: EventLog, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        level = max((lv for lv in Level if lv <= record.levelno), default=Level.DEBUG)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the run
            message = str(record.msg)
        self.log.log(level, "log", logger=record.name, message=message)
