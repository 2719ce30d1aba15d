"""open_source: which kind of source a path or URL becomes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from foureyes.errors import SourceNotFound
from foureyes.model import Frame
from foureyes.sources import (
    FolderSource,
    FrameSource,
    LiveSource,
    SourceInfo,
    VideoSource,
    open_source,
    register_source,
    source_factories,
)
from foureyes.sources import base as sources_base


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://cam/stream",
        "RTSP://cam/stream",
        "rtsps://cam/stream",
        "rtmp://host/live/key",
        "http://host/live.m3u8",
        "https://user:pw@host/live.ts",
        "udp://@239.0.0.1:1234",
        "tcp://127.0.0.1:9000",
        "srt://host:9000?mode=caller",
    ],
)
def test_stream_urls_are_live(url: str) -> None:
    """Stream schemes give a live source, built without touching the network."""
    source = open_source(url, startup_timeout=3, no_frame_timeout=2)
    assert isinstance(source, LiveSource)
    assert (source.startup_timeout, source.no_frame_timeout) == (3, 2)
    assert "pw" not in source.uri


def test_paths_pick_file_or_folder(media: dict[str, Path], tmp_path: Path) -> None:
    """A directory is a folder source; an existing file (absolute, relative or file://) a video."""
    assert isinstance(open_source(str(tmp_path)), FolderSource)
    assert isinstance(open_source(str(media["mp4"])), VideoSource)
    relative = open_source(media["mkv"].name, base_dir=media["mkv"].parent)
    assert isinstance(relative, VideoSource)
    assert relative.path == media["mkv"]
    assert isinstance(open_source(f"file://{media['avi']}"), VideoSource)


@pytest.mark.parametrize("uri", ["nope.mp4", "sub/dir/nope.mkv", "file:///no/such/clip.mp4"])
def test_missing_paths_are_named(tmp_path: Path, uri: str) -> None:
    """A path that does not exist is SourceNotFound naming where it was looked for."""
    with pytest.raises(SourceNotFound, match="check the path") as caught:
        open_source(uri, base_dir=tmp_path)
    assert Path(uri.removeprefix("file://")).name in str(caught.value)


def test_unknown_scheme_says_what_works() -> None:
    """A typo in a scheme is reported, not read as a file called 'rstp:/…'."""
    with pytest.raises(SourceNotFound, match="unknown URL scheme 'rstp'"):
        open_source("rstp://cam/stream")


class _Plugin:
    """A minimal FrameSource from a plugin, registered under its own URL scheme."""

    def __init__(self, uri: str, **kwargs: Any) -> None:
        self.uri, self.kwargs = uri, kwargs

    def open(self) -> SourceInfo:
        return SourceInfo(uri=self.uri, live=True, width=1, height=1)

    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        return iter(())

    @property
    def decoded(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def __enter__(self) -> _Plugin:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = source_factories()
    yield
    sources_base._REGISTRY.clear()
    sources_base._REGISTRY.update(saved)


def test_registry_holds_builtins_and_plugins(clean_registry: None) -> None:
    """Built-in kinds register on first use; a plugin's scheme routes to its factory."""
    factory: Callable[..., FrameSource] = _Plugin
    register_source("screen", factory)
    source = open_source("screen://0", sample_fps=4)
    assert isinstance(source, _Plugin)
    assert source.kwargs["sample_fps"] == 4
    assert {"file", "folder", "live", "screen"} <= set(source_factories())
