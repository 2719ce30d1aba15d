"""Alerts: each rule fires once and resolves once, and a webhook gets them over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from receivers import Receiver

from foureyes.config import AlertsConfig
from foureyes.model import Event, EventType, Reading, Status
from foureyes.observe.alerts import Alerts

WALL = 1_700_000_000.0  # 2023-11-14T22:13:20Z
SECRET = "s3cret-token-value"
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "timeout": 2.0}


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_for(what: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


def make(
    tmp_path: Path,
    rules: list[dict[str, Any]],
    *,
    webhook: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    decoded: Callable[[], int] = lambda: 0,
    queue_size: int = 1000,
) -> Alerts:
    config = AlertsConfig.model_validate({"rules": rules, "webhook": webhook})
    return Alerts(
        config,
        out=tmp_path,
        run_id="run-1",
        source="rtsp://viewer:pw@cam.local/stream",
        decoded=decoded,
        clock=clock,
        wall=lambda: WALL,
        queue_size=queue_size,
    )


def lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "alerts.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def reading(meter: str, value: float | None, status: Status = Status.OK) -> Reading:
    return Reading(
        ts=1.0, frame=25, meter=meter, value=value, text="", confidence=1.0, status=status
    )


def reset(meter: str, before: float, after: float, n: int = 1) -> Event:
    return Event(
        id=f"ev-{meter}-{n}",
        ts=12.5,
        frame=300 + n,
        meter=meter,
        type=EventType.RESET,
        before=before,
        after=after,
    )


# -- the state rules --------------------------------------------------------------------
Step = Callable[[Alerts, Clock, list[int]], None]


def _slow(a: Alerts, c: Clock, f: list[int]) -> None:
    for _ in range(3):
        a.observe([], [], read_seconds=2.0)


def _fast_again(a: Alerts, c: Clock, f: list[int]) -> None:
    c.advance(61)  # the slow reads leave the window
    for _ in range(3):
        a.observe([], [], read_seconds=0.1)


def _frame(a: Alerts, c: Clock, f: list[int]) -> None:
    f[0] += 1


def _grand_read(a: Alerts, c: Clock, f: list[int]) -> None:
    a.observe([reading("GRAND", 100.0, Status.HELD)], [], read_seconds=None)


@pytest.mark.parametrize(
    ("rule", "almost", "start", "end", "threshold"),
    [
        (
            {"type": "source_down", "for_seconds": 30},
            29.0,
            lambda a, c, f: c.advance(31),
            _frame,
            30,
        ),
        (
            {"type": "read_p95_above", "seconds": 1, "window_seconds": 60, "min_samples": 3},
            None,
            _slow,
            _fast_again,
            1,
        ),
        (
            {"type": "no_reading", "meter": "GRAND", "for_minutes": 1},
            59.0,
            lambda a, c, f: c.advance(61),
            _grand_read,
            60,
        ),
    ],
    ids=["source_down", "read_p95_above", "no_reading"],
)
def test_a_state_rule_fires_once_and_resolves_once(
    tmp_path: Path,
    rule: dict[str, Any],
    almost: float | None,
    start: Step,
    end: Step,
    threshold: float,
) -> None:
    """Short of its threshold nothing fires; then one firing record while the condition
    lasts, however often it is checked, and one resolved record, sharing its id."""
    clock, frames = Clock(), [0]
    alerts = make(tmp_path, [rule], clock=clock, decoded=lambda: frames[0])
    if almost is not None:
        clock.advance(almost)
    alerts.tick()
    assert lines(tmp_path) == [] and alerts.active() == []

    start(alerts, clock, frames)
    for _ in range(3):
        alerts.tick()
        clock.advance(0.5)
    assert [r["status"] for r in lines(tmp_path)] == ["firing"]
    (firing,) = alerts.active()
    assert firing["type"] == rule["type"] and firing["threshold"] == threshold

    end(alerts, clock, frames)
    for _ in range(3):
        alerts.tick()
    got = lines(tmp_path)
    assert [r["status"] for r in got] == ["firing", "resolved"]
    assert got[0]["id"] == got[1]["id"] and got[1]["since"] == got[0]["at"]
    assert alerts.active() == []
    assert alerts.stats["fired"] == 1 and alerts.stats["resolved"] == 1


def test_source_down_fires_again_on_a_second_outage_with_a_new_id(tmp_path: Path) -> None:
    """Each outage is its own occurrence: a new firing record with its own id."""
    clock, frames = Clock(), [0]
    alerts = make(tmp_path, [{"type": "source_down"}], clock=clock, decoded=lambda: frames[0])
    for _ in range(2):
        clock.advance(31)
        alerts.tick()
        frames[0] += 1
        alerts.tick()
    got = lines(tmp_path)
    assert [r["status"] for r in got] == ["firing", "resolved"] * 2
    assert got[0]["id"] != got[2]["id"]


def test_no_reading_counts_only_valued_ok_or_held_readings_of_its_meter(tmp_path: Path) -> None:
    """A rejected or unreadable GRAND, or a read of another meter, is no reading of GRAND."""
    clock = Clock()
    alerts = make(tmp_path, [{"type": "no_reading", "meter": "GRAND"}], clock=clock)
    clock.advance(200)
    alerts.observe(
        [
            reading("GRAND", 5.0, Status.REJECTED),
            reading("GRAND", None, Status.UNREADABLE),
            reading("MAJOR", 7.0),
        ],
        [],
        read_seconds=None,
    )
    clock.advance(101)
    alerts.tick()
    (firing,) = alerts.active()
    assert firing["meter"] == "GRAND" and firing["rule"] == "no_reading:GRAND"
    assert firing["message"] == "GRAND had no reading for 5.0 min"


def test_read_p95_waits_for_min_samples(tmp_path: Path) -> None:
    """Two very slow reads are not yet evidence when the rule asks for three."""
    alerts = make(
        tmp_path, [{"type": "read_p95_above", "seconds": 1, "min_samples": 3}], clock=Clock()
    )
    alerts.observe([], [], read_seconds=50.0)
    alerts.observe([], [], read_seconds=50.0)
    alerts.observe([], [], read_seconds=None)  # a repeated batch, no read time
    alerts.tick()
    assert alerts.active() == []


# -- resets ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("meter", "alerted"),
    [("GRAND", ["GRAND"]), (None, ["GRAND", "MAJOR"])],
)
def test_a_reset_rule_takes_its_meter_or_any(
    tmp_path: Path, meter: str | None, alerted: list[str]
) -> None:
    """A named meter's rule ignores other meters' resets; without a meter it takes all."""
    alerts = make(tmp_path, [{"type": "reset", "meter": meter}])
    threshold = Event(
        id="t", ts=1, frame=1, meter="GRAND", type=EventType.THRESHOLD, before=1, after=2
    )
    alerts.observe(
        [], [reset("GRAND", 1234.56, 100.0), reset("MAJOR", 50, 1), threshold], read_seconds=None
    )
    got = lines(tmp_path)
    assert [r["meter"] for r in got] == alerted
    assert all(r["status"] == "firing" and r["type"] == "reset" for r in got)
    assert alerts.active() == []  # a reset is a moment, never resolved
    assert [r["meter"] for r in alerts.recent()] == alerted[::-1]


def test_the_record_format(tmp_path: Path) -> None:
    """One reset record, field by field: what the dashboard and the webhook receive."""
    alerts = make(tmp_path, [{"type": "reset", "meter": "GRAND", "name": "grand-pop"}])
    alerts.observe([], [reset("GRAND", 1234.56, 100.0)], read_seconds=None)
    (record,) = lines(tmp_path)
    assert len(record.pop("id")) == 16
    assert record == {
        "rule": "grand-pop",
        "type": "reset",
        "status": "firing",
        "meter": "GRAND",
        "message": "GRAND reset 1,234.56 → 100.00",
        "value": 100.0,
        "threshold": None,
        "source": "rtsp://***@cam.local/stream",
        "at": "2023-11-14T22:13:20.000Z",
        "run_id": "run-1",
        "event_id": "ev-GRAND-1",
        "before": 1234.56,
        "after": 100.0,
        "frame": 301,
        "ts": 12.5,
    }
    assert alerts.recent()[0]["delivery"] is None  # no webhook


def test_ids_are_deterministic(tmp_path: Path) -> None:
    """The same run, rule and occurrence give the same id, so a receiver can deduplicate."""
    ids = []
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        alerts = make(tmp_path / sub, [{"type": "reset"}])
        alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
        ids.append(lines(tmp_path / sub)[0]["id"])
    assert ids[0] == ids[1]


def test_firing_is_logged_as_warning_and_resolved_as_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The log says what fired, without the source's credentials."""
    caplog.set_level(logging.INFO, logger="foureyes.alerts")
    clock, frames = Clock(), [0]
    alerts = make(tmp_path, [{"type": "source_down"}], clock=clock, decoded=lambda: frames[0])
    clock.advance(31)
    alerts.tick()
    frames[0] += 1
    alerts.tick()
    got = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "foureyes.alerts"]
    assert got == [
        (
            logging.WARNING,
            "alert source_down firing: source rtsp://***@cam.local/stream delivered no new "
            "frame for 31 s",
        ),
        (
            logging.INFO,
            "alert source_down resolved: source rtsp://***@cam.local/stream delivers frames again",
        ),
    ]
    assert "pw" not in caplog.text


# -- the ticker and the lifecycle -----------------------------------------------------------
def test_the_ticker_evaluates_without_a_batch(tmp_path: Path) -> None:
    """start() runs a named daemon ticker, so silence fires with no batch to trigger it;
    close() stops it, twice is harmless, and a closed Alerts does not start again."""
    clock = Clock()
    alerts = make(tmp_path, [{"type": "source_down", "for_seconds": 5}], clock=clock).start()
    ticker = [t for t in threading.enumerate() if t.name == "foureyes-alerts-ticker"]
    assert len(ticker) == 1 and ticker[0].daemon
    clock.advance(6)
    wait_for(lambda: len(alerts.active()) == 1)
    alerts.close()
    alerts.close()
    assert not ticker[0].is_alive()
    with pytest.raises(RuntimeError):
        alerts.start()


def test_without_rules_nothing_runs(tmp_path: Path) -> None:
    """No rules: start() starts no thread and observe() writes nothing."""
    before = threading.active_count()
    alerts = make(tmp_path, []).start()
    alerts.observe([reading("GRAND", 1.0)], [reset("GRAND", 9, 1)], read_seconds=1.0)
    alerts.tick()
    assert threading.active_count() == before
    alerts.close()
    assert not (tmp_path / "alerts.jsonl").exists()


# -- the webhook ----------------------------------------------------------------------------
def _hook(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, **FAST, **extra}


def test_503_is_retried_until_delivered(tmp_path: Path, receiver: Receiver) -> None:
    """Two 503s then a 200: three POSTs, two retries, the record marked delivered."""
    receiver.script.extend([503, 503])
    alerts = make(tmp_path, [{"type": "reset"}], webhook=_hook(receiver.url, retries=3)).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["delivered"] == 1)
    alerts.close()
    assert receiver.posts == 3
    assert receiver.bodies[-1] == lines(tmp_path)[0]
    assert alerts.stats == {
        "fired": 1,
        "resolved": 0,
        "delivered": 1,
        "failed": 0,
        "retries": 2,
        "dropped": 0,
    }
    assert alerts.recent()[0]["delivery"] == "delivered"


def test_400_is_not_retried(tmp_path: Path, receiver: Receiver) -> None:
    """A 4xx other than 429 says the request is wrong: one POST, marked failed."""
    receiver.script.append(400)
    alerts = make(tmp_path, [{"type": "reset"}], webhook=_hook(receiver.url, retries=3)).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["failed"] == 1)
    alerts.close()
    assert receiver.posts == 1
    assert alerts.stats["retries"] == 0 and alerts.stats["delivered"] == 0
    assert alerts.recent()[0]["delivery"] == "failed"


def test_429_is_retried(tmp_path: Path, receiver: Receiver) -> None:
    """429 asks to come back later: retried like a 5xx."""
    receiver.script.append(429)
    alerts = make(tmp_path, [{"type": "reset"}], webhook=_hook(receiver.url)).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["delivered"] == 1)
    alerts.close()
    assert receiver.posts == 2 and alerts.stats["retries"] == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreachable_webhook_fails_after_its_retries(tmp_path: Path) -> None:
    """Nothing listens: connection errors are retried, then the record is failed, and
    close() returns."""
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    alerts = make(tmp_path, [{"type": "reset"}], webhook=_hook(url, retries=2)).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["failed"] == 1)
    alerts.close()
    assert alerts.stats["retries"] == 2 and alerts.stats["delivered"] == 0
    assert alerts.recent()[0]["delivery"] == "failed"


def test_close_cuts_a_long_backoff_short(tmp_path: Path, receiver: Receiver) -> None:
    """A receiver failing with a 30 s backoff ahead: close() ends the wait, the record
    is failed and the sender thread is gone."""
    receiver.otherwise = 503
    hook = {"url": receiver.url, "retries": 5, "backoff_initial": 30, "backoff_max": 30}
    alerts = make(tmp_path, [{"type": "reset"}], webhook=hook).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: receiver.posts == 1)
    alerts.close(timeout=0.2)
    assert alerts.stats["failed"] == 1 and alerts.stats["delivered"] == 0
    assert receiver.posts == 1
    assert not any(t.name == "foureyes-alerts-webhook" for t in threading.enumerate())


def test_headers_reach_the_receiver_and_nothing_else(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The token header arrives; no log line of ours and no alerts.jsonl line carries it,
    nor the URL's credentials or query."""
    caplog.set_level(logging.DEBUG)
    receiver.script.append(400)  # a failure makes the sender log the URL
    url = receiver.url.replace("http://", "http://hookuser:hookpw@") + "?key=qs-secret"
    hook = _hook(url, headers={"X-Api-Key": SECRET, "X-Team": "ops"})
    alerts = make(tmp_path, [{"type": "reset"}], webhook=hook).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["failed"] == 1)
    alerts.close()
    assert receiver.headers[0]["X-Api-Key"] == SECRET
    assert receiver.headers[0]["X-Team"] == "ops"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("foureyes"))
    assert "answered HTTP 400" in ours
    for secret in (SECRET, "hookpw", "qs-secret"):
        assert secret not in ours
        assert secret not in (tmp_path / "alerts.jsonl").read_text()


def test_a_full_queue_drops_the_oldest(tmp_path: Path, receiver: Receiver) -> None:
    """With room for two, a third alert pushes out the first: counted, marked dropped,
    and the receiver gets the latest two."""
    alerts = make(
        tmp_path, [{"type": "reset"}], webhook=_hook(receiver.url), queue_size=2
    )  # not started: the queue fills
    alerts.observe([], [reset("GRAND", 9, 1, n) for n in (1, 2, 3)], read_seconds=None)
    assert alerts.stats["dropped"] == 1
    assert [r["delivery"] for r in alerts.recent()] == ["pending", "pending", "dropped"]
    alerts.start()
    wait_for(lambda: alerts.stats["delivered"] == 2)
    alerts.close()
    assert [b["event_id"] for b in receiver.bodies] == ["ev-GRAND-2", "ev-GRAND-3"]
    assert len(lines(tmp_path)) == 3  # the file keeps every record


def test_state_alerts_are_posted_firing_then_resolved(tmp_path: Path, receiver: Receiver) -> None:
    """The receiver sees the pair in order, with one id."""
    clock, frames = Clock(), [0]
    alerts = make(
        tmp_path,
        [{"type": "source_down"}],
        webhook=_hook(receiver.url),
        clock=clock,
        decoded=lambda: frames[0],
    ).start()
    clock.advance(31)
    alerts.tick()
    frames[0] += 1
    alerts.tick()
    wait_for(lambda: alerts.stats["delivered"] == 2)
    alerts.close()
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    assert receiver.bodies[0]["id"] == receiver.bodies[1]["id"]


def test_what_fires_until_the_run_ends_is_resolved_at_close(tmp_path: Path) -> None:
    """A receiver must not keep a page open for a run that is gone."""
    clock = Clock()
    alerts = make(tmp_path, [{"type": "source_down"}], clock=clock)
    clock.advance(31)
    alerts.tick()
    alerts.close()
    got = lines(tmp_path)
    assert [r["status"] for r in got] == ["firing", "resolved"]
    assert got[0]["id"] == got[1]["id"] and "the run ended" in got[1]["message"]


def test_a_restarted_run_resolves_what_the_killed_one_left_firing(tmp_path: Path) -> None:
    # given a run killed while its source was down (no close: nothing resolved it)
    clock = Clock()
    killed = make(tmp_path, [{"type": "source_down"}], clock=clock)
    clock.advance(31)
    killed.tick()
    killed._stop.set()  # as a kill leaves it: the record says firing
    assert [r["status"] for r in lines(tmp_path)] == ["firing"]
    # when the run is started again over the same folder
    again = make(tmp_path, [{"type": "source_down"}], clock=clock).start()
    again.close()
    # then the old occurrence is resolved, and nothing new fired
    got = lines(tmp_path)
    assert [r["status"] for r in got] == ["firing", "resolved"]
    assert got[1]["id"] == got[0]["id"] and "restarted" in got[1]["message"]


@pytest.mark.parametrize(
    ("header", "at_least", "at_most"),
    [("7", 7.0, 7.0 + 0.01 * 2), ("600", 30.0, 30.0), (None, 0.0, 0.02 * 2), ("soon", 0.0, 0.04)],
)
def test_retry_after_sets_the_wait_up_to_backoff_max(
    header: str | None, at_least: float, at_most: float
) -> None:
    """A 429/503 that says when to come back is believed, within ``backoff_max``."""
    import tenacity

    from foureyes.config import WebhookConfig
    from foureyes.observe.webhook import WebhookSender, _seconds, _Status

    config = WebhookConfig(url="http://127.0.0.1:9/hook", backoff_initial=0.01, backoff_max=30)
    sender = WebhookSender(config, capacity=4)
    state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    try:
        raise _Status(429, _seconds(header))
    except _Status as exc:
        state.set_exception((type(exc), exc, exc.__traceback__))
    assert at_least <= sender._wait_for(state) <= at_most


def test_httpx_logs_only_the_webhook_origin(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook whose path is its token: httpx's own request log, if a user turns it on,
    shows the origin only."""
    caplog.set_level(logging.INFO, logger="httpx")
    url = receiver.url.replace("/hook", "/services/T0/B0/tok-xyz")
    alerts = make(tmp_path, [{"type": "reset"}], webhook=_hook(url)).start()
    alerts.observe([], [reset("GRAND", 9, 1)], read_seconds=None)
    wait_for(lambda: alerts.stats["delivered"] == 1)
    alerts.close()
    requests = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert requests and all("tok-xyz" not in m for m in requests)
    assert any(receiver.url.removesuffix("/hook") in m for m in requests)
