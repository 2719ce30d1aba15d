"""Resilient and fallback readers: guarded attempts, protocol checks, ordered fallback."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from foureyes.errors import (
    AllReadersFailed,
    CircuitOpen,
    ReaderError,
    ReaderTimeout,
    TransientReaderError,
)
from foureyes.model import Image, RawRead
from foureyes.readers.base import Reader
from foureyes.resilience import (
    BreakerSettings,
    CallPolicy,
    CircuitBreaker,
    FallbackReader,
    ResilientReader,
    State,
)

CROPS = [np.zeros((8, 24, 3), np.uint8) for _ in range(3)]
NO_TIMEOUT = CallPolicy(timeout=None, retries=2)


class StubReader:
    """A stand-in model: fails with ``errors`` in turn, then reads crop i as ``str(i)``.

    ``label`` sets RawRead.reader as a well-behaved reader does; ``slow`` advances the
    fake clock per read; ``hang`` blocks each read until the event is set; ``result``
    replaces the answer (garbage).
    """

    def __init__(
        self,
        name: str = "stub",
        *,
        errors: Sequence[BaseException] = (),
        label: bool = False,
        clock: Any = None,
        slow: float = 0.0,
        hang: threading.Event | None = None,
        result: Any = None,
    ) -> None:
        self.name = name
        self.errors = list(errors)
        self.label = label
        self.clock = clock
        self.slow = slow
        self.hang = hang
        self.result = result
        self.calls = 0
        self.warmed = self.closed = False

    def warmup(self) -> None:
        self.warmed = True

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.calls += 1
        if self.hang is not None:
            self.hang.wait(5)
        if self.clock is not None:
            self.clock.advance(self.slow)
        if self.errors:
            raise self.errors.pop(0)
        if self.result is not None:
            return self.result  # type: ignore[no-any-return]
        name = self.name if self.label else ""
        return [RawRead(text=str(i), confidence=0.9, reader=name) for i in range(len(crops))]

    def close(self) -> None:
        self.closed = True


def resilient(inner: StubReader, clock: Any, **options: Any) -> ResilientReader:
    options.setdefault("policy", NO_TIMEOUT)
    options.setdefault("sleep", lambda seconds: None)
    return ResilientReader(inner, clock=clock, **options)


def small_breaker(name: str, clock: Any, **settings: Any) -> CircuitBreaker:
    base: dict[str, Any] = {"window_size": 2, "minimum_calls": 2, "wait_in_open": 30}
    base.update(settings)
    return CircuitBreaker(name, BreakerSettings(**base), clock=clock)


@pytest.fixture
def hang() -> Iterator[threading.Event]:
    """Released at teardown so that no abandoned thread outlives its test."""
    event = threading.Event()
    yield event
    event.set()


def test_wrappers_are_readers(clock: Any) -> None:
    """A pipeline takes them wherever it takes a reader."""
    one = resilient(StubReader(), clock)
    assert isinstance(one, Reader)
    assert isinstance(FallbackReader([one]), Reader)


@pytest.mark.parametrize(("label", "served_by"), [(False, "wrapper"), (True, "stub")])
def test_reads_name_the_reader_that_served_them(clock: Any, label: bool, served_by: str) -> None:
    """A RawRead the model left unnamed gets the wrapper's name; a named one keeps its own."""
    reader = resilient(StubReader(label=label), clock, name="wrapper")
    reads = reader.read(CROPS)
    assert [r.text for r in reads] == ["0", "1", "2"]
    assert {r.reader for r in reads} == {served_by}


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([RawRead("1", 0.9)], "returned 1 results for 3 crops"),
        ([RawRead("1", 0.9)] * 4, "returned 4 results for 3 crops"),
        (["1", "2", "3"], "returned str where RawRead belongs"),
        ([RawRead("1", 0.9), None, 3], "returned NoneType, int where RawRead belongs"),
        ({"text": "1"}, "returned a dict instead of a list of RawRead"),
    ],
)
def test_garbage_results_are_failures(clock: Any, result: Any, problem: str) -> None:
    """A wrong count or wrong objects would shift values between meters: refused, not retried."""
    inner = StubReader(result=result)
    reader = resilient(inner, clock)
    with pytest.raises(ReaderError, match=problem):
        reader.read(CROPS)
    stats = reader.stats()
    assert (inner.calls, stats.garbage, stats.failures, stats.breaker.failures) == (1, 1, 1, 1)


def test_transient_failures_are_retried_and_each_attempt_is_a_breaker_call(clock: Any) -> None:
    """Two failed attempts, then a read: the breaker saw three calls, two of them failures."""
    sleeps: list[float] = []
    inner = StubReader(errors=[ConnectionError("reset"), TransientReaderError("busy", reader="x")])
    reader = resilient(inner, clock, sleep=sleeps.append)
    assert len(reader.read(CROPS)) == 3
    stats = reader.stats()
    assert (stats.calls, stats.failures, stats.attempts, stats.retries) == (1, 0, 3, 2)
    assert (stats.breaker.calls, stats.breaker.failures) == (3, 2)
    assert len(sleeps) == 2


def test_retries_stop_when_the_breaker_opens(clock: Any) -> None:
    """Once failed attempts open the breaker, the next retry is refused, not made."""
    inner = StubReader(errors=[TransientReaderError("busy", reader="x")] * 10)
    reader = resilient(
        inner, clock, policy=CallPolicy(timeout=None, retries=5), breaker=small_breaker("x", clock)
    )
    with pytest.raises(CircuitOpen):
        reader.read(CROPS)
    stats = reader.stats()
    assert inner.calls == 2
    assert (stats.attempts, stats.retries, stats.rejected, stats.state) == (3, 2, 1, State.OPEN)


def test_an_open_breaker_is_not_retried(clock: Any) -> None:
    """CircuitOpen already says "not now": one refused attempt, no wait."""
    sleeps: list[float] = []
    breaker = small_breaker("stub", clock)
    for _ in range(2):
        breaker.record(breaker.acquire(), 0.1, ok=False)
    inner = StubReader()
    reader = resilient(inner, clock, breaker=breaker, sleep=sleeps.append)
    with pytest.raises(CircuitOpen):
        reader.read(CROPS)
    assert (inner.calls, sleeps, reader.stats().rejected) == (0, [], 1)


def test_transient_os_errors_become_reader_errors_after_the_last_attempt(clock: Any) -> None:
    """The Reader protocol promises ReaderError; the cause stays attached."""
    reader = resilient(StubReader(errors=[ConnectionError("refused")] * 3), clock)
    with pytest.raises(ReaderError, match="ConnectionError: refused") as caught:
        reader.read(CROPS)
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_a_bug_in_the_reader_propagates_unretried(clock: Any) -> None:
    """A ValueError is a bug: raised as itself after one attempt."""
    inner = StubReader(errors=[ValueError("bad shape")])
    with pytest.raises(ValueError, match="bad shape"):
        resilient(inner, clock).read(CROPS)
    assert inner.calls == 1


def test_a_hanging_reader_times_out(clock: Any, hang: threading.Event) -> None:
    """The caller gets ReaderTimeout after the policy's timeout and the breaker a failure."""
    policy = CallPolicy(timeout=0.05, retries=0)
    with resilient(StubReader(hang=hang), clock, policy=policy) as reader:
        with pytest.raises(ReaderTimeout, match=r"no answer within 0\.05 s"):
            reader.read(CROPS)
        stats = reader.stats()
        assert (stats.timeouts, stats.breaker.failures, len(stats.latencies)) == (1, 1, 1)


def test_a_hanging_reader_is_not_called_past_the_abandoned_cap(
    clock: Any, hang: threading.Event
) -> None:
    """Two timed-out calls still hang: the third read fails fast without a new thread."""
    inner = StubReader(hang=hang)
    policy = CallPolicy(timeout=0.05, retries=3, max_abandoned=2)
    with resilient(inner, clock, policy=policy) as reader:
        with pytest.raises(ReaderError, match="still running") as caught:
            reader.read(CROPS)
        assert not isinstance(caught.value, ReaderTimeout)
        stats = reader.stats()
        assert (inner.calls, stats.timeouts, stats.attempts) == (2, 2, 3)


def test_slow_reads_open_the_breaker_by_the_injected_clock(clock: Any) -> None:
    """Reads that succeed but take longer than slow_call_duration still open the breaker."""
    breaker = small_breaker("stub", clock, slow_call_duration=1.0)
    reader = resilient(StubReader(clock=clock, slow=5.0), clock, breaker=breaker)
    for _ in range(2):
        reader.read(CROPS)
    stats = reader.stats()
    assert stats.state is State.OPEN
    assert stats.latencies == (5.0, 5.0)
    assert stats.breaker.slow_calls == 2


def test_latencies_keep_only_the_last_calls(clock: Any) -> None:
    """The latency history is bounded, oldest dropped first."""
    inner = StubReader(clock=clock, slow=0.5)
    reader = resilient(inner, clock, latency_window=3)
    for slow in (1.0, 2.0, 3.0, 4.0):
        inner.slow = slow
        reader.read(CROPS)
    assert reader.stats().latencies == (2.0, 3.0, 4.0)


def test_no_crops_need_no_call(clock: Any) -> None:
    """An empty batch is answered without asking the model or the breaker."""
    inner = StubReader()
    assert resilient(inner, clock).read([]) == []
    assert inner.calls == 0


def test_lifecycle_reaches_the_inner_reader_and_close_is_final(clock: Any) -> None:
    """warmup and close are passed on; a closed reader refuses to read."""
    inner = StubReader()
    reader = resilient(inner, clock, policy=CallPolicy(timeout=1))
    reader.warmup()
    reader.close()
    reader.close()
    assert (inner.warmed, inner.closed) == (True, True)
    with pytest.raises(RuntimeError, match="closed"):
        reader.read(CROPS)


@pytest.mark.parametrize(
    ("failing", "served_by", "calls"),
    [
        ((), "first", [1, 0, 0]),
        (("first",), "second", [1, 1, 0]),
        (("first", "second"), "third", [1, 1, 1]),
    ],
)
def test_fallback_asks_readers_in_order(
    clock: Any, failing: tuple[str, ...], served_by: str, calls: list[int]
) -> None:
    """The first reader that reads serves, and its name is on every RawRead."""
    inners = [
        StubReader(
            name, errors=[ReaderError("model crashed", reader=name)] if name in failing else []
        )
        for name in ("first", "second", "third")
    ]
    fallback = FallbackReader([resilient(inner, clock) for inner in inners])
    reads = fallback.read(CROPS)
    assert {r.reader for r in reads} == {served_by}
    assert [inner.calls for inner in inners] == calls


def test_fallback_passes_over_an_open_breaker_without_calling(clock: Any) -> None:
    """While the first model is known to be down, reads go straight to the second."""
    breaker = small_breaker("first", clock)
    for _ in range(2):
        breaker.record(breaker.acquire(), 0.1, ok=False)
    first, second = StubReader("first"), StubReader("second")
    fallback = FallbackReader([resilient(first, clock, breaker=breaker), resilient(second, clock)])
    assert {r.reader for r in fallback.read(CROPS)} == {"second"}
    assert (first.calls, second.calls) == (0, 1)


def test_all_readers_failed_names_each_error(clock: Any) -> None:
    """The error carries and lists every reader's own error, in the order tried."""
    breaker = small_breaker("vlm", clock)
    for _ in range(2):
        breaker.record(breaker.acquire(), 0.1, ok=False)
    fallback = FallbackReader(
        [
            resilient(
                StubReader("ocr", errors=[ReaderError("model crashed", reader="ocr")]), clock
            ),
            resilient(StubReader("vlm"), clock, breaker=breaker),
            resilient(StubReader("tiny", result=[]), clock),
        ]
    )
    with pytest.raises(AllReadersFailed) as caught:
        fallback.read(CROPS)
    error = caught.value
    assert list(error.errors) == ["ocr", "vlm", "tiny"]
    assert isinstance(error.errors["vlm"], CircuitOpen)
    message = str(error)
    assert message.startswith("reader ocr|vlm|tiny: all 3 readers failed")
    for part in (
        "reader ocr: model crashed",
        "reader vlm: circuit open",
        "reader tiny: returned 0",
    ):
        assert part in message
    assert fallback.stats().all_failed == 1


def test_fallback_lets_a_bug_propagate(clock: Any) -> None:
    """A bug is not served around: it propagates and the next reader is not asked."""
    second = StubReader("second")
    fallback = FallbackReader(
        [
            resilient(StubReader("first", errors=[TypeError("oops")]), clock),
            resilient(second, clock),
        ]
    )
    with pytest.raises(TypeError):
        fallback.read(CROPS)
    assert second.calls == 0


def test_fallback_stats_cover_every_reader(clock: Any) -> None:
    """One snapshot holds the chain's counts and each reader's, for metrics."""
    fallback = FallbackReader(
        [
            resilient(StubReader("first", errors=[ReaderError("crash", reader="first")]), clock),
            resilient(StubReader("second"), clock),
        ]
    )
    fallback.read(CROPS)
    fallback.read(CROPS)
    stats = fallback.stats()
    assert (stats.name, stats.calls, stats.all_failed) == ("first|second", 2, 0)
    assert [(r.name, r.calls, r.failures) for r in stats.readers] == [
        ("first", 2, 1),
        ("second", 1, 0),
    ]


@pytest.mark.parametrize(("broken", "fails"), [(("a",), False), (("a", "b"), True)])
def test_fallback_warms_up_while_one_reader_can(
    clock: Any, broken: tuple[str, ...], fails: bool
) -> None:
    """A chain starts if any of its readers can; if none can, the error names each."""

    class Broken(StubReader):
        def warmup(self) -> None:
            raise ReaderError("cannot load the model", reader=self.name)

    readers = [
        resilient((Broken if name in broken else StubReader)(name), clock) for name in ("a", "b")
    ]
    fallback = FallbackReader(readers)
    if fails:
        with pytest.raises(AllReadersFailed, match="cannot load the model"):
            fallback.warmup()
    else:
        fallback.warmup()


@pytest.mark.parametrize("names", [(), ("ocr", "ocr")])
def test_fallback_needs_distinct_readers(clock: Any, names: tuple[str, ...]) -> None:
    """Stats and errors are keyed by reader name, so names must differ."""
    with pytest.raises(ValueError):
        FallbackReader([resilient(StubReader(n), clock) for n in names])


def test_fallback_closes_every_reader(clock: Any) -> None:
    """Closing the chain closes each inner reader."""
    inners = [StubReader("a"), StubReader("b")]
    with FallbackReader([resilient(inner, clock) for inner in inners]):
        pass
    assert all(inner.closed for inner in inners)
