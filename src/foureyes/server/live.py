"""Serving the API while a run goes on: uvicorn in a background thread.

The run's own thread keeps reading; the server thread answers from the run's metrics
registry, its health and its store (read-only connections, WAL: readers never block the
writer). The address is checked before anything is written, so a port in use is a clean
start-up error, not a run that cannot be watched.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from foureyes.errors import FourEyesError

__all__ = ["LOCAL_HOSTS", "BackgroundServer", "parse_bind", "server_config"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_bind(bind: str, *, api_key: str | None) -> tuple[str, int]:
    """``HOST:PORT`` checked: well formed, a key for a non-local host, the port free."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FourEyesError(f"--serve/--bind {bind!r}: give HOST:PORT, e.g. 127.0.0.1:8765")
    if host not in LOCAL_HOSTS and not api_key:
        raise FourEyesError(
            f"binding {host} exposes the API beyond this machine; set FOUREYES_API_KEY first"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            raise FourEyesError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another port"
            ) from None
    return host, int(port)


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How FourEyes runs uvicorn, in the foreground (``serve``) or beside a run. Open
    dashboard streams would hold a graceful shutdown forever: they are cut after 1 s."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",  # no access log: a browser's ?key= must not be written down
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


class BackgroundServer:
    """uvicorn serving ``app`` on a daemon thread until :meth:`stop`."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.server = uvicorn.Server(server_config(app, host, port))
        self.thread = threading.Thread(target=self.server.run, name="foureyes-http", daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self, *, wait: float = 5.0) -> BackgroundServer:
        """Start serving; return once uvicorn listens (or ``wait`` seconds passed), so
        the address printed for a user already answers."""
        self.thread.start()
        ready = threading.Event()
        deadline = time.monotonic() + wait
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            ready.wait(0.02)
        if not self.thread.is_alive():  # e.g. the port was taken since parse_bind looked
            raise FourEyesError(f"the HTTP server could not start on {self.url}; see above")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
