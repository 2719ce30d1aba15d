"""The receivers of :mod:`receivers` as fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from receivers import Collector, Receiver, start_collector


@pytest.fixture
def collector() -> Iterator[Collector]:
    """An OTLP/HTTP collector on a free local port, answering as a real one does."""
    yield from start_collector()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook endpoint on a free local port."""
    r = Receiver()
    yield r
    r.close()
