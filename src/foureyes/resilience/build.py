"""From the config's ``reader`` / ``readers`` keys to guarded readers per meter.

Each named endpoint becomes one :class:`ResilientReader` (its own timeout, retries and
circuit breaker), shared by every chain that names it, so one model's health is judged
from all its calls; each distinct chain of two or more becomes a :class:`FallbackReader`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from foureyes.config import DEFAULT_READER, Config, ReaderConfig
from foureyes.observe.tracing import NOOP, Tracer
from foureyes.readers.base import Reader, create_reader
from foureyes.readers.route import MeterReaders
from foureyes.resilience.breaker import BreakerSettings, CircuitBreaker
from foureyes.resilience.policy import CallPolicy
from foureyes.resilience.reader import FallbackReader, ResilientReader

__all__ = ["build_readers", "guard"]


def guard(
    inner: Reader,
    name: str,
    rc: ReaderConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    tracer: Tracer = NOOP,
) -> ResilientReader:
    """``inner`` behind the timeout, retries and breaker ``rc`` asks for; each call a
    ``foureyes.read`` span when tracing is on."""
    policy = CallPolicy(
        timeout=rc.timeout,
        retries=rc.retries,
        backoff_initial=rc.backoff_initial,
        backoff_max=max(rc.backoff_max, rc.backoff_initial),
    )
    breaker = CircuitBreaker(name, BreakerSettings(**rc.breaker.model_dump()), clock=clock)
    return ResilientReader(
        inner, name=name, policy=policy, breaker=breaker, clock=clock, relabel=True, tracer=tracer
    )


def build_readers(
    config: Config,
    *,
    override: Reader | None = None,
    clock: Callable[[], float] = time.monotonic,
    tracer: Tracer = NOOP,
) -> tuple[MeterReaders, MeterReaders]:
    """The readers the config names, per meter, and the same without the readers marked
    ``expensive`` (a chain of expensive readers only is kept whole). ``override`` (the
    Python API's ``reader``) serves every meter instead, guarded by the ``reader`` key's
    policy."""
    endpoints: dict[str, ResilientReader] = {}

    def endpoint(name: str) -> ResilientReader:
        if name not in endpoints:
            rc = config.reader_config(name)
            inner = override or create_reader(rc.name, threads=rc.threads)
            endpoints[name] = guard(inner, name, rc, clock=clock, tracer=tracer)
        return endpoints[name]

    chains: dict[tuple[str, ...], Reader] = {}

    def chained(names: tuple[str, ...]) -> Reader:
        if names not in chains:
            readers = [endpoint(n) for n in names]
            chains[names] = readers[0] if len(readers) == 1 else FallbackReader(readers)
        return chains[names]

    full: dict[str, Reader] = {}
    cheap: dict[str, Reader] = {}
    for meter, mc in config.meters.items():
        chain = (DEFAULT_READER,) if override is not None else tuple(mc.readers)
        light = tuple(n for n in chain if not config.reader_config(n).expensive) or chain
        full[meter], cheap[meter] = chained(chain), chained(light)
    owned = list(endpoints.values())
    return MeterReaders(full, owned=owned), MeterReaders(cheap)
