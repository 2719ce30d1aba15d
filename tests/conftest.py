"""Session-wide setup for the tests."""

from __future__ import annotations

import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Let the runs the tests start stop on Ctrl-C (SIGINT), as a user's do.

    A shell without job control starts a background command (``make test &``, a CI step
    run in the background) with SIGINT ignored, every child inherits that, and Python does
    not turn an ignored SIGINT into KeyboardInterrupt: the live-run tests' ``foureyes
    run`` then never stops and the tests time out. A handler, unlike an ignored signal,
    is reset to the default in each child at exec, so each run gets its Ctrl-C back.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
