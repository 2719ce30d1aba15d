"""The exceptions FourEyes raises, all rooted in :class:`FourEyesError`.

The tree::

    FourEyesError
    ├── ConfigError            a config file that cannot be used (names file and key)
    ├── SourceError            a frame source that cannot deliver frames (names the source)
    │   ├── SourceNotFound     a file or folder that does not exist
    │   ├── SourceEmpty        a folder with no images, a video with no video stream
    │   ├── SourceDecodeError  a file FFmpeg cannot decode (corrupt, not a video)
    │   └── SourceConnectError a live URL that did not answer within the start-up limit
    ├── ReaderError            a model that failed to read a crop (names reader, meter, frame)
    │   ├── TransientReaderError a failure that may pass on another try; retried
    │   │   └── ReaderTimeout    a call that did not answer within its timeout
    │   ├── CircuitOpen        calls refused because the reader failed too often lately
    │   └── AllReadersFailed   every reader of a fallback chain failed (carries each error)
    └── OutputError            an output folder or store that cannot be written

Every error carries its context as attributes (``source``, ``frame``, ``meter``,
``path``, ``key``) so callers and logs can act on it, and its message ends with what to
do about it: the CLI prints the message on one line and exits with code 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "AllReadersFailed",
    "CircuitOpen",
    "ConfigError",
    "FourEyesError",
    "OutputError",
    "ReaderError",
    "ReaderTimeout",
    "SourceConnectError",
    "SourceDecodeError",
    "SourceEmpty",
    "SourceError",
    "SourceNotFound",
    "TransientReaderError",
    "redact_url",
    "url_origin",
]

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


_QUERY = re.compile(r"(?P<scheme>^[a-zA-Z][a-zA-Z0-9+.-]*://[^?#\s]*)[?#]\S*$")


def redact_url(uri: str) -> str:
    """Drop ``user:password@`` and the query (``?token=…``) from a URL, so that errors,
    logs, metrics labels and what is sent to collectors never carry secrets."""
    return _QUERY.sub(r"\g<scheme>?***", _CREDENTIALS.sub(r"\g<scheme>***@", uri))


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL and nothing else, marking what was cut: for a
    webhook, whose path may itself be the secret (Slack-style hooks)."""
    scheme, _, rest = redact_url(url).partition("://")
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return f"{scheme}://{host}" + ("/***" if rest[len(host) :] not in ("", "/") else "")


class FourEyesError(Exception):
    """Base of every error FourEyes raises on purpose."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(FourEyesError):
    """A config file is missing, malformed, or names values that cannot work."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        where = path or "<config>"
        if key:
            where = f"{where}: {key}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key


class SourceError(FourEyesError):
    """A frame source cannot deliver frames."""

    def __init__(self, message: str, *, source: str, frame: int | None = None) -> None:
        self.source = redact_url(source)
        self.frame = frame
        at = f" at frame {frame}" if frame is not None else ""
        super().__init__(f"source {self.source}{at}: {message}")


class SourceNotFound(SourceError):
    """The file or folder named as a source does not exist."""


class SourceEmpty(SourceError):
    """The source exists but holds nothing to read (no images, no video stream)."""


class SourceDecodeError(SourceError):
    """FFmpeg cannot open or decode the source."""


class SourceConnectError(SourceError):
    """A live source did not connect within its start-up limit."""


class ReaderError(FourEyesError):
    """A reader (model) failed on a crop."""

    def __init__(
        self,
        message: str,
        *,
        reader: str,
        meter: str | None = None,
        frame: int | None = None,
        response: str | None = None,
    ) -> None:
        self.reader = reader
        self.meter = meter
        self.frame = frame
        self.response = response  # what the model answered, if it answered (for replay)
        ctx = [f"reader {reader}"]
        if meter is not None:
            ctx.append(f"meter {meter}")
        if frame is not None:
            ctx.append(f"frame {frame}")
        super().__init__(f"{', '.join(ctx)}: {message}")


class TransientReaderError(ReaderError):
    """A reader failure that may not recur (a model server restarting, a busy GPU).

    Raising this rather than a plain :class:`ReaderError` is how a reader asks the
    resilience policy to try again; a plain ReaderError is taken as permanent.
    """


class ReaderTimeout(TransientReaderError):
    """A reader call did not answer within its policy's timeout.

    The call itself may still be running on a worker thread: Python cannot stop it.
    """

    def __init__(
        self,
        timeout: float,
        *,
        reader: str,
        meter: str | None = None,
        frame: int | None = None,
    ) -> None:
        self.timeout = timeout
        super().__init__(
            f"no answer within {timeout:g} s; the model may be hung or overloaded "
            "(raise the timeout, or check the model)",
            reader=reader,
            meter=meter,
            frame=frame,
        )


class CircuitOpen(ReaderError):
    """A reader's circuit breaker refused a call because the reader failed too often.

    ``retry_in`` is the number of seconds before the breaker lets a trial call through
    (0 while trial calls are already in flight), so callers can fall back or wait.
    """

    def __init__(self, *, reader: str, retry_in: float, half_open: bool = False) -> None:
        self.retry_in = retry_in
        self.half_open = half_open
        if half_open:
            why = "circuit half-open and its trial calls are in flight; try again shortly"
        else:
            why = (
                f"circuit open after repeated failures; calls refused for {retry_in:.1f} s "
                "more (see this reader's earlier errors)"
            )
        super().__init__(why, reader=reader)


class AllReadersFailed(ReaderError):
    """Every reader of a fallback chain failed on the same crops.

    ``errors`` maps each reader's name to the error it raised, in the order they were tried.
    """

    def __init__(self, errors: Mapping[str, Exception], *, reader: str) -> None:
        self.errors = dict(errors)
        each = "; ".join(
            str(exc) if isinstance(exc, ReaderError) else f"reader {name}: {exc!r}"
            for name, exc in self.errors.items()
        )
        super().__init__(
            f"all {len(self.errors)} readers failed ({each}); fix or restart one of them",
            reader=reader,
        )


class OutputError(FourEyesError):
    """The output folder or store cannot be written."""

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")
