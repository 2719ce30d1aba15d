"""Alerts: a run says when it needs a person's attention, in the manner of Alertmanager.

Three rule types watch a condition that starts and ends: the source stopped delivering
frames (``source_down``), reads got slow (``read_p95_above``), a meter went unread
(``no_reading``). Each sends one ``firing`` record when its condition starts and one
``resolved`` record when it ends, never repeats while it lasts, so a receiver can open a
page once and close it by itself. A reset is a moment, not a state: every reset sends its
own ``firing`` record, which is never resolved.

Every record is appended to ``alerts.jsonl`` in the run folder (what a dashboard reads),
logged on ``foureyes.alerts``, kept in a short in-memory list (:meth:`Alerts.active`,
:meth:`Alerts.recent`) and, with a webhook, posted from a background thread (see
:mod:`foureyes.observe.webhook`). The run calls :meth:`Alerts.observe` per committed batch,
which only updates counters; the rules that fire on silence cannot wait for a batch, so a
ticker thread evaluates them every second through :meth:`Alerts.tick`.

A record's ``id`` names the occurrence: the firing and resolved records of one occurrence
share it, and a reset's id follows from its event's id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from foureyes.config import AlertsConfig, NoReadingRule, ReadP95Rule, ResetRule, SourceDownRule
from foureyes.errors import redact_url
from foureyes.model import Event, EventType, Reading, Status
from foureyes.observe.watches import NoReading, SlowReads, SourceDown, Watch
from foureyes.observe.webhook import WebhookSender

__all__ = ["ALERTS_FILE", "Alerts", "parse_records", "still_firing"]

log = logging.getLogger("foureyes.alerts")

ALERTS_FILE = "alerts.jsonl"
TICK_SECONDS = 1.0
RECENT = 500  # records kept in memory for recent() and delivery outcomes
_VALUED = frozenset({Status.OK, Status.HELD})


class Alerts:
    """Evaluates ``config.rules`` over a run and reports what fires and resolves.

    ``decoded`` counts the frames the source decoded so far (a change means it is alive);
    ``clock`` measures durations, ``wall`` dates records. Use it as a context manager, or
    call :meth:`start` and :meth:`close`; it refuses to start again once closed.
    """

    def __init__(
        self,
        config: AlertsConfig,
        *,
        out: Path,
        run_id: str,
        source: str,
        decoded: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        queue_size: int = 1000,
    ) -> None:
        self.config = config
        self.path = out / ALERTS_FILE
        self.run_id = run_id
        self.source = redact_url(source)
        self._decoded = decoded
        self._clock = clock
        self._wall = wall
        self._lock = threading.RLock()
        self._down: list[SourceDown] = []
        self._slow: list[SlowReads] = []
        self._unread: dict[str, list[NoReading]] = {}
        self._resets: list[tuple[str, str, ResetRule]] = []
        for i, rule in enumerate(config.rules):
            meter = None if isinstance(rule, SourceDownRule | ReadP95Rule) else rule.meter
            label = rule.name or (f"{rule.type}:{meter}" if meter else rule.type)
            key = f"{i}:{label}"
            if isinstance(rule, SourceDownRule):
                self._down.append(SourceDown(key, label, rule, self.source))
            elif isinstance(rule, ReadP95Rule):
                self._slow.append(SlowReads(key, label, rule))
            elif isinstance(rule, NoReadingRule):
                self._unread.setdefault(rule.meter, []).append(NoReading(key, label, rule))
            else:
                self._resets.append((key, label, rule))
        self._watches: list[Watch] = [*self._down, *self._slow]
        self._watches += [w for ws in self._unread.values() for w in ws]
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._counts = {"fired": 0, "resolved": 0}
        self._file: IO[str] | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._started = False
        self._closed = False
        self._sender = (
            WebhookSender(
                config.webhook,
                capacity=queue_size,
                transport=transport,
                on_outcome=self._delivered,
            )
            if config.webhook is not None
            else None
        )
        self._rebase()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Alerts:
        """Start the clocks of the silence rules, the ticker and the webhook sender."""
        with self._lock:
            if self._closed:
                raise RuntimeError("closed alerts cannot be started again")
            if self._started or not self.config.rules:
                return self
            self._started = True
        self._rebase()
        self._close_leftovers()
        if self._watches:
            self._ticker = threading.Thread(
                target=self._tick_loop, name="foureyes-alerts-ticker", daemon=True
            )
            self._ticker.start()
        if self._sender is not None:
            self._sender.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Stop the ticker and give queued alerts up to ``timeout`` seconds to go out."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            # A receiver would keep a page open for a run that is gone: close them.
            for watch in self._watches:
                if watch.firing is not None:
                    self._state(watch, "resolved", None, watch.firing, note="the run ended")
                    watch.firing = None
        if self._sender is not None:
            self._sender.close(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> Alerts:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- evaluation -----------------------------------------------------------------------
    def observe(
        self,
        readings: Sequence[Reading],
        events: Sequence[Event],
        *,
        read_seconds: float | None,
    ) -> None:
        """Take in one committed batch (from the run's thread; never waits on the network)."""
        if not self.config.rules:
            return
        now = self._clock()
        with self._lock:
            if self._closed:
                return
            if read_seconds is not None:
                for slow in self._slow:
                    slow.samples.append((now, read_seconds))
            if self._unread:
                for r in readings:
                    if r.value is not None and r.status in _VALUED:
                        for watch in self._unread.get(r.meter, ()):
                            watch.since = now
            for e in events:
                if e.type is EventType.RESET:
                    for key, label, rule in self._resets:
                        if rule.meter is None or rule.meter == e.meter:
                            self._reset(key, label, e)

    def tick(self) -> None:
        """Evaluate the state rules now; the ticker calls this every second."""
        frames = self._decoded() if self._down else 0
        now = self._clock()
        with self._lock:
            if self._closed:
                return
            for down in self._down:
                down.decoded(frames, now)
            for watch in self._watches:
                breached, value = watch.check(now)
                if breached and watch.firing is None:
                    watch.seq += 1
                    watch.firing = self._state(watch, "firing", value, None)
                elif not breached and watch.firing is not None:
                    self._state(watch, "resolved", value, watch.firing)
                    watch.firing = None

    # -- what fired -----------------------------------------------------------------------
    def active(self) -> list[dict[str, Any]]:
        """The state alerts firing now (a reset is a moment: it is never active)."""
        with self._lock:
            return [dict(w.firing) for w in self._watches if w.firing is not None]

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest records, newest first (at most the last 500 are kept)."""
        if limit <= 0:
            return []
        with self._lock:  # the sender thread updates ``delivery`` in place
            return [dict(r) for r in reversed(list(self._recent.values())[-limit:])]

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counts)
        sent = self._sender.stats if self._sender is not None else {}
        for name in ("delivered", "failed", "retries", "dropped"):
            counts[name] = sent.get(name, 0)
        return counts

    # -- internals ------------------------------------------------------------------------
    def _rebase(self) -> None:
        """Measure silence from now: from construction, then again from start()."""
        frames = self._decoded() if self._down else 0
        now = self._clock()
        with self._lock:
            for down in self._down:
                down.frames, down.since = frames, now
            for watches in self._unread.values():
                for watch in watches:
                    watch.since = now

    def _close_leftovers(self) -> None:
        """Resolve what a process killed mid-run left firing in ``alerts.jsonl`` (a
        resumed run starts with a clean slate; a condition that still holds fires again)."""
        try:
            lines = self.path.read_bytes().splitlines()
        except OSError:
            return
        with self._lock:
            for record in still_firing(parse_records(lines)):
                left = dict(record, status="resolved", since=record.get("at"))
                left |= self._common(self._now())
                left["message"] = f"{record.get('message')} (the run was restarted)"
                self._emit(left)

    def _tick_loop(self) -> None:
        failing = False
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # the decoded() callable or the disk; keep watching
                if not failing:
                    log.exception("alert rules could not be evaluated; trying every second")
                failing = True
            else:
                failing = False

    def _state(
        self,
        watch: Watch,
        status: str,
        value: float | None,
        firing: dict[str, Any] | None,
        note: str | None = None,
    ) -> dict[str, Any]:
        at = self._now()
        record = {
            "id": firing["id"] if firing else _id(self.run_id, watch.key, f"{watch.seq}@{at}"),
            "rule": watch.label,
            "type": watch.type,
            "status": status,
            "meter": watch.meter,
            "message": watch.message(status == "firing", value),
            "value": None if value is None else round(value, 3),
            "threshold": watch.threshold,
            **self._common(at),
        }
        if firing is not None:
            record["since"] = firing["at"]
        if note is not None:
            record["message"] = f"{record['message']} ({note})"
        self._emit(record)
        return record

    def _reset(self, key: str, label: str, e: Event) -> None:
        record = {
            "id": _id(self.run_id, key, e.id),
            "rule": label,
            "type": "reset",
            "status": "firing",
            "meter": e.meter,
            "message": f"{e.meter} reset {_money(e.before)} → {_money(e.after)}",
            "value": e.after,
            "threshold": None,
            **self._common(self._now()),
            "event_id": e.id,
            "before": e.before,
            "after": e.after,
            "frame": e.frame,
            "ts": e.ts,
        }
        self._emit(record)

    def _common(self, at: str) -> dict[str, Any]:
        return {"source": self.source, "at": at, "run_id": self.run_id}

    def _emit(self, record: dict[str, Any]) -> None:
        """Write, log, keep and send one record (under the lock, so the file keeps order).

        The record kept in memory gains a ``delivery`` state, which the file and the
        webhook never see: it changes after they have the record.
        """
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        firing = record["status"] == "firing"
        self._counts["fired" if firing else "resolved"] += 1
        level = logging.WARNING if firing else logging.INFO
        log.log(level, "alert %s %s: %s", record["rule"], record["status"], record["message"])
        payload = dict(record)
        key = f"{record['id']}:{record['status']}"
        record["delivery"] = None if self._sender is None else "pending"
        self._recent[key] = record
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        if self._sender is not None:
            self._sender.send(key, payload)

    def _delivered(self, key: str, outcome: str) -> None:
        with self._lock:
            record = self._recent.get(key)
            if record is not None:
                record["delivery"] = outcome

    def _now(self) -> str:
        at = datetime.fromtimestamp(self._wall(), UTC)
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_records(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """The alert records in lines of ``alerts.jsonl``, passing over a line cut short (by a
    kill, by being written right now, or by reading only the file's tail)."""
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def still_firing(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The state alerts whose last record says firing (a reset is a moment: never)."""
    last: dict[str, dict[str, Any]] = {}
    for record in records:
        last[str(record.get("rule"))] = record
    return [r for r in last.values() if r.get("status") == "firing" and r.get("type") != "reset"]


def _id(run_id: str, key: str, occurrence: str) -> str:
    return hashlib.sha256(f"{run_id}\x1f{key}\x1f{occurrence}".encode()).hexdigest()[:16]


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"
