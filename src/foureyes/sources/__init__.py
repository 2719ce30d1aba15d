"""Frame sources: video files, folders of images and live streams behind one protocol.

:func:`open_source` turns what a user typed (a path or a URL) into a
:class:`~foureyes.sources.base.FrameSource`; the kinds are looked up in the registry of
:mod:`foureyes.sources.base`, so a plugin can add a URL scheme of its own by registering
a factory under that scheme's name.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foureyes.errors import SourceNotFound
from foureyes.sources.base import (
    FrameSource,
    SourceInfo,
    register_source,
    source_factories,
)
from foureyes.sources.folder import FolderSource
from foureyes.sources.live import Backoff, LiveSource
from foureyes.sources.sampling import Sampler, select_samples
from foureyes.sources.video import VideoSource

__all__ = [
    "LIVE_SCHEMES",
    "Backoff",
    "FolderSource",
    "FrameSource",
    "LiveSource",
    "Sampler",
    "SourceInfo",
    "VideoSource",
    "open_source",
    "register_source",
    "select_samples",
    "source_factories",
]

LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})
_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://")


def _file_factory(
    uri: str, *, path: Path, sample_fps: float, stop: threading.Event | None, **_: Any
) -> FrameSource:
    return VideoSource(path, sample_fps=sample_fps, uri=uri, stop=stop)


def _folder_factory(
    uri: str, *, path: Path, sample_fps: float, stop: threading.Event | None, **_: Any
) -> FrameSource:
    return FolderSource(path, sample_fps=sample_fps, uri=uri, stop=stop)


def _live_factory(
    uri: str,
    *,
    sample_fps: float,
    startup_timeout: float,
    no_frame_timeout: float,
    clock: Callable[[], float],
    rng: random.Random | None,
    stop: threading.Event | None,
    **_: Any,
) -> FrameSource:
    return LiveSource(
        uri,
        sample_fps=sample_fps,
        startup_timeout=startup_timeout,
        no_frame_timeout=no_frame_timeout,
        clock=clock,
        rng=rng,
        stop=stop,
    )


def _register_builtins() -> dict[str, Callable[..., FrameSource]]:
    """Register the built-in kinds on first use, leaving any a caller registered first."""
    factories = source_factories()
    builtins: dict[str, Callable[..., FrameSource]] = {
        "file": _file_factory,
        "folder": _folder_factory,
        "live": _live_factory,
    }
    for kind, factory in builtins.items():
        if kind not in factories:
            register_source(kind, factory)
    return source_factories()


def open_source(
    uri: str,
    *,
    sample_fps: float = 2.0,
    base_dir: Path | None = None,
    startup_timeout: float = 30.0,
    no_frame_timeout: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> FrameSource:
    """Pick and build the source for ``uri`` (not yet opened: call ``open()`` or use ``with``).

    A URL with a stream scheme (rtsp, rtmp, http, udp, srt, …) is live; a URL whose scheme
    a plugin registered goes to that plugin; an existing directory is a folder of images;
    anything else is a video file, relative paths resolving against ``base_dir`` (the
    config file's folder) so a config works from any working directory.
    """
    factories = _register_builtins()
    common: dict[str, Any] = {
        "sample_fps": sample_fps,
        "startup_timeout": startup_timeout,
        "no_frame_timeout": no_frame_timeout,
        "clock": clock,
        "rng": rng,
        "stop": stop,
    }
    match = _SCHEME.match(uri)
    if match is not None:
        scheme = match["scheme"].lower()
        if scheme in LIVE_SCHEMES:
            return factories["live"](uri, **common)
        if scheme != "file" and scheme in factories:
            return factories[scheme](uri, **common)
        if scheme != "file":
            raise SourceNotFound(
                f"unknown URL scheme {scheme!r}; use a file path, a folder, or a stream URL "
                f"({', '.join(sorted(LIVE_SCHEMES))})",
                source=uri,
            )
        uri = uri[match.end() :]
    path = Path(uri).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.is_dir():
        return factories["folder"](uri, path=path, **common)
    if not path.exists():
        raise SourceNotFound(
            f"no such file or folder: {path.absolute()}; check the path", source=uri
        )
    return factories["file"](uri, path=path, **common)
