"""Keeping a run going when a model fails: circuit breakers, timeouts, retries, fallbacks.

Wrap a reader in :class:`ResilientReader` (breaker, per-attempt timeout, retries of
transient errors) and chain several in a :class:`FallbackReader`; both are Readers.
"""

from foureyes.resilience.breaker import (
    BreakerMetrics,
    BreakerSettings,
    CircuitBreaker,
    Permit,
    State,
    StateListener,
)
from foureyes.resilience.policy import CallPolicy, TimeoutRunner, is_transient, retrying
from foureyes.resilience.reader import (
    FallbackReader,
    FallbackStats,
    ReaderStats,
    ResilientReader,
)

__all__ = [
    "BreakerMetrics",
    "BreakerSettings",
    "CallPolicy",
    "CircuitBreaker",
    "FallbackReader",
    "FallbackStats",
    "Permit",
    "ReaderStats",
    "ResilientReader",
    "State",
    "StateListener",
    "TimeoutRunner",
    "is_transient",
    "retrying",
]
