"""The sampling rule, as a pure function of timestamps."""

from __future__ import annotations

import math

import pytest

from foureyes.sources.sampling import Sampler, select_samples


def _cfr(n: int, fps: float, start: float = 0.0) -> list[float]:
    return [start + i / fps for i in range(n)]


@pytest.mark.parametrize(
    ("timestamps", "sample_fps", "expected"),
    [
        pytest.param(_cfr(90, 30), 2, list(range(0, 90, 15)), id="30fps-at-2"),
        pytest.param(_cfr(90, 30), 5, list(range(0, 90, 6)), id="30fps-at-5"),
        pytest.param(_cfr(90, 30), 1, [0, 30, 60], id="30fps-at-1"),
        pytest.param(_cfr(60, 30000 / 1001), 2, [0, 15, 30, 45], id="29.97fps-at-2"),
        pytest.param(_cfr(20, 10), 100, list(range(20)), id="sample-rate-above-frame-rate"),
        pytest.param(_cfr(9, 4, start=10.0), 2, [0, 2, 4, 6, 8], id="first-ts-not-zero"),
        pytest.param(
            [0.0, 0.1, 0.45, 0.52, 0.9, 1.7, 1.8, 2.0],
            2,
            [0, 3, 5, 7],
            id="vfr-with-a-gap-takes-one-sample-not-a-burst",
        ),
        pytest.param(
            [0.0, 0.25, 0.4999999999, 0.75, 1.0000000001],
            2,
            [0, 2, 4],
            id="float-noise-at-a-boundary-still-counts",
        ),
        pytest.param([0.0, 0.26, 0.49, 0.51, 0.99, 1.2], 2, [0, 3, 5], id="jitter-either-side"),
        pytest.param(
            [round(i / 30, 3) for i in range(10)], 30, list(range(10)), id="millisecond-ticks"
        ),
        pytest.param(
            [round(i / 30, 3) for i in range(10)], 15, [0, 2, 4, 6, 8], id="millisecond-ticks-half"
        ),
        pytest.param([0.0, 0.0, 0.0, 0.5, 0.5], 2, [0, 3], id="repeated-timestamps"),
        pytest.param([], 2, [], id="empty"),
    ],
)
def test_select_samples(timestamps: list[float], sample_fps: float, expected: list[int]) -> None:
    """A frame is a sample when it reaches the next period boundary after the first frame."""
    assert list(select_samples(timestamps, sample_fps)) == expected


@pytest.mark.parametrize("sample_fps", [0, -1.0, math.nan, math.inf])
def test_rejects_meaningless_rates(sample_fps: float) -> None:
    """A rate that is not a positive finite number is a programming error, caught early."""
    with pytest.raises(ValueError, match="sample_fps"):
        Sampler(sample_fps)


def test_sampler_counts_what_it_took() -> None:
    """``taken`` is the sample count that resume's ``start_sample`` refers to."""
    sampler = Sampler(2)
    picks = [sampler.offer(t) for t in _cfr(31, 30)]
    assert sum(picks) == sampler.taken == 3


@pytest.mark.parametrize("start", [0, 1, 4, 9])
def test_rule_is_deterministic_for_resume(start: int) -> None:
    """Skipping the first ``start`` samples of a second pass gives the tail of the first."""
    timestamps = [0.0, 0.07, 0.3, 0.61, 0.64, 1.1, 1.49, 1.5, 2.3, 2.31, 2.9, 3.4, 4.01, 4.6]
    full = list(select_samples(timestamps, 2.5))
    sampler = Sampler(2.5)
    tail = [i for i, t in enumerate(timestamps) if sampler.offer(t) and sampler.taken > start]
    assert tail == full[start:]
