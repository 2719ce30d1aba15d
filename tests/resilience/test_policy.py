"""Retries only what may pass, with bounded jittered waits; timeouts cap abandoned threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from foureyes.errors import (
    CircuitOpen,
    ReaderError,
    ReaderTimeout,
    TransientReaderError,
)
from foureyes.resilience import CallPolicy, TimeoutRunner, is_transient, retrying


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ReaderTimeout(1.0, reader="ocr"), True),
        (TransientReaderError("server restarting", reader="ocr"), True),
        (ConnectionResetError("reset by peer"), True),
        (TimeoutError("read timed out"), True),
        (OSError("resource temporarily unavailable"), True),
        (ReaderError("cannot load the model", reader="ocr"), False),
        (CircuitOpen(reader="ocr", retry_in=3.0), False),
        (FileNotFoundError("model.onnx"), False),
        (PermissionError("model.onnx"), False),
        (ValueError("bad crop shape"), False),
        (TypeError("read() takes 1 argument"), False),
    ],
)
def test_only_failures_that_may_pass_are_transient(error: BaseException, transient: bool) -> None:
    """A bug, a permanent reader error or an open circuit happen again the same way."""
    assert is_transient(error) is transient


@pytest.mark.parametrize(
    "policy",
    [
        {"timeout": 0},
        {"retries": -1},
        {"backoff_initial": -0.1},
        {"jitter": -1},
        {"max_abandoned": 0},
    ],
)
def test_policy_refuses_values_that_cannot_work(policy: dict[str, Any]) -> None:
    """Each setting outside its range is refused when the policy is made."""
    with pytest.raises(ValueError):
        CallPolicy(**policy)


def failing(*errors: BaseException, result: str = "read") -> tuple[Callable[[], str], list[int]]:
    """A function raising ``errors`` in turn, then returning ``result``; and its call count."""
    pending: Iterator[BaseException] = iter(errors)
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        error = next(pending, None)
        if error is not None:
            raise error
        return result

    return fn, calls


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retries_stop_after_the_configured_attempts(retries: int) -> None:
    """A failure that never passes is tried retries + 1 times, then raised as itself."""
    sleeps: list[float] = []
    fn, calls = failing(*[ConnectionError("down")] * 10)
    policy = CallPolicy(retries=retries, backoff_initial=0.1, backoff_max=0.5, jitter=0.05)
    with pytest.raises(ConnectionError):
        retrying(policy, sleep=sleeps.append)(fn)
    assert len(calls) == retries + 1
    assert len(sleeps) == retries
    assert all(0 <= s <= 0.5 for s in sleeps)


def test_waits_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    """Each wait is initial * 2**n plus at most ``jitter``, never above backoff_max."""
    sleeps: list[float] = []
    fn, calls = failing(*[TimeoutError()] * 5)
    policy = CallPolicy(retries=5, backoff_initial=0.1, backoff_max=0.5, jitter=0.05)
    assert retrying(policy, sleep=sleeps.append)(fn) == "read"
    assert len(calls) == 6
    for wait, base in zip(sleeps, [0.1, 0.2, 0.4, 0.8, 1.6], strict=True):
        assert min(base, 0.5) <= wait <= min(base + 0.05, 0.5)


@pytest.mark.parametrize(
    "error",
    [
        CircuitOpen(reader="ocr", retry_in=5.0),
        ReaderError("cannot load the model", reader="ocr"),
        ValueError("bad crop shape"),
        FileNotFoundError("model.onnx"),
    ],
)
def test_permanent_failures_are_not_retried(error: Exception) -> None:
    """An open circuit or a bug is raised after one attempt, without waiting."""
    sleeps: list[float] = []
    fn, calls = failing(error)
    with pytest.raises(type(error)):
        retrying(CallPolicy(retries=3), sleep=sleeps.append)(fn)
    assert (len(calls), sleeps) == (1, [])


def test_a_transient_failure_then_a_success_returns_the_success() -> None:
    """The caller sees the read, not the failures before it."""
    fn, calls = failing(ReaderTimeout(1.0, reader="ocr"), ConnectionError("reset"))
    assert retrying(CallPolicy(retries=2), sleep=lambda s: None)(fn) == "read"
    assert len(calls) == 3


@pytest.fixture
def hang() -> Iterator[threading.Event]:
    """Released at teardown so that no abandoned thread outlives its test."""
    event = threading.Event()
    yield event
    event.set()


def wait_for(condition: Callable[[], bool]) -> None:
    """Poll until a background thread has made ``condition`` true (no timing asserted)."""
    done = threading.Event()
    for _ in range(500):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition never became true")


def test_a_call_within_its_timeout_returns_or_raises_as_itself() -> None:
    """The worker thread is invisible when the call finishes in time."""
    runner = TimeoutRunner(name="ocr", timeout=5)
    try:
        assert runner.run(sum, [1, 2]) == 3
        with pytest.raises(ZeroDivisionError):
            runner.run(divmod, 1, 0)
    finally:
        runner.close()


def test_a_hanging_call_times_out_and_its_thread_is_abandoned(hang: threading.Event) -> None:
    """The caller gets ReaderTimeout; the thread is counted until the call returns."""
    runner = TimeoutRunner(name="ocr", timeout=0.05)
    try:
        with pytest.raises(ReaderTimeout) as caught:
            runner.run(hang.wait)
        assert caught.value.timeout == 0.05
        assert caught.value.reader == "ocr"
        assert runner.abandoned == 1
        hang.set()
        wait_for(lambda: runner.abandoned == 0)
    finally:
        runner.close()


def test_abandoned_calls_are_capped(hang: threading.Event) -> None:
    """Once max_abandoned calls hang, new calls fail at once without starting a thread."""
    started: list[int] = []

    def stuck() -> str:
        started.append(1)
        hang.wait()
        return "late"

    runner = TimeoutRunner(name="ocr", timeout=0.05, max_abandoned=2)
    try:
        for _ in range(2):
            with pytest.raises(ReaderTimeout):
                runner.run(stuck)
        with pytest.raises(ReaderError, match="2 calls that timed out are still running") as caught:
            runner.run(stuck)
        assert not is_transient(caught.value)
        assert len(started) == 2
        hang.set()
        wait_for(lambda: runner.abandoned == 0)
        assert runner.run(stuck) == "late"
    finally:
        runner.close()


def test_a_closed_runner_refuses_calls() -> None:
    """Closing is final, like a closed client."""
    runner = TimeoutRunner(name="ocr", timeout=1)
    runner.close()
    with pytest.raises(RuntimeError, match="closed"):
        runner.run(sum, [1])
