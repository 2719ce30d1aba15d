"""The decision log: bounded, never blocking, dropping DEBUG first and CRITICAL never."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from foureyes.observe import EventLog, Level, LogBridge


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_records_come_out_in_order_as_json_lines(tmp_path: Path) -> None:
    """Whatever their level, records are written in the order they were logged."""
    with EventLog(tmp_path / "log.jsonl", clock=lambda: 1700000000.0) as log:
        log.debug("reading", meter="grand", value=10.5)
        log.warning("event", type="reset")
        log.info("reading", meter="mini", value=None, reason="covered")
    got = lines(tmp_path / "log.jsonl")
    assert [(r["level"], r["kind"]) for r in got] == [
        ("debug", "reading"),
        ("warning", "event"),
        ("info", "reading"),
    ]
    assert got[0] == {
        "ts": 1700000000.0,
        "level": "debug",
        "kind": "reading",
        "meter": "grand",
        "value": 10.5,
    }


@pytest.mark.parametrize(
    ("buffered", "incoming", "kept", "dropped"),
    [
        # full of DEBUG: an INFO pushes out the oldest DEBUG
        ([Level.DEBUG] * 3, Level.INFO, ["debug", "debug", "info"], {"DEBUG": 1}),
        # full of INFO: a DEBUG has nothing below it to push out, so it goes
        ([Level.INFO] * 3, Level.DEBUG, ["info", "info", "info"], {"DEBUG": 1}),
        # full of ERROR: a CRITICAL overfills rather than being lost
        ([Level.ERROR] * 3, Level.CRITICAL, ["error"] * 3 + ["critical"], {}),
        # a WARNING pushes out the lowest level buffered, not the oldest record
        (
            [Level.INFO, Level.DEBUG, Level.INFO],
            Level.WARNING,
            ["info", "info", "warning"],
            {"DEBUG": 1},
        ),
    ],
)
def test_a_full_buffer_drops_by_level(
    tmp_path: Path,
    buffered: list[Level],
    incoming: Level,
    kept: list[str],
    dropped: dict[str, int],
) -> None:
    log = EventLog(tmp_path / "log.jsonl", capacity=3, batch=100)  # not started: no writer
    for level in buffered:
        assert log.log(level, "r")
    log.log(incoming, "r")
    assert log.fill >= 1.0
    log.start()
    log.close()
    assert [r["level"] for r in lines(tmp_path / "log.jsonl")] == kept
    assert dict(log.dropped) == dropped


def test_close_writes_everything_buffered(tmp_path: Path) -> None:
    """Nothing logged before close is lost, however fast it came."""
    log = EventLog(tmp_path / "log.jsonl", capacity=100_000, batch=1000).start()
    for i in range(20_000):
        log.debug("reading", i=i)
    log.close()
    got = lines(tmp_path / "log.jsonl")
    assert [r["i"] for r in got] == list(range(20_000))
    assert log.written == 20_000 and not log.dropped


def test_bridge_forwards_foureyes_logging(tmp_path: Path) -> None:
    """Reconnects, breaker transitions and the like, logged with `logging`, land in the
    same file."""
    logger = logging.getLogger("foureyes.test")
    with EventLog(tmp_path / "log.jsonl") as log:
        bridge = LogBridge(log)
        logger.addHandler(bridge)
        try:
            logger.warning("reconnecting to %s in %.1f s", "rtsp://cam", 2.0)
        finally:
            logger.removeHandler(bridge)
    (got,) = lines(tmp_path / "log.jsonl")
    assert got["level"] == "warning" and got["kind"] == "log"
    assert got["message"] == "reconnecting to rtsp://cam in 2.0 s"
    assert got["logger"] == "foureyes.test"
