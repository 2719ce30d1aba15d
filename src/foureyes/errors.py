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
    └── OutputError            an output folder or store that cannot be written

Every error carries its context as attributes (``source``, ``frame``, ``meter``,
``path``, ``key``) so callers and logs can act on it, and its message ends with what to
do about it: the CLI prints the message on one line and exits with code 2.
"""

from __future__ import annotations

import re

__all__ = [
    "ConfigError",
    "FourEyesError",
    "OutputError",
    "ReaderError",
    "SourceConnectError",
    "SourceDecodeError",
    "SourceEmpty",
    "SourceError",
    "SourceNotFound",
    "redact_url",
]

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url(uri: str) -> str:
    """Drop ``user:password@`` from a URL so that errors and logs never carry secrets."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", uri)


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
    ) -> None:
        self.reader = reader
        self.meter = meter
        self.frame = frame
        ctx = [f"reader {reader}"]
        if meter is not None:
            ctx.append(f"meter {meter}")
        if frame is not None:
            ctx.append(f"frame {frame}")
        super().__init__(f"{', '.join(ctx)}: {message}")


class OutputError(FourEyesError):
    """The output folder or store cannot be written."""

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")
