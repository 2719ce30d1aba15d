"""Bad input ends with one clear line, exit code 2, no traceback and nothing written."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

CONFIG = """\
source:
  uri: {uri}
  fps: 2
  startup_timeout: {startup}
meters:
  grand:
    region: {region}
    kind: currency
"""


def foureyes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "foureyes", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"FOUREYES_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"},
    )


def write_config(
    folder: Path, uri: str, region: str = "[0, 0, 32, 16]", startup: float = 30
) -> Path:
    path = folder / "meters.yaml"
    path.write_text(CONFIG.format(uri=uri, region=region, startup=startup))
    return path


def tiny_video(path: Path, frames: int = 10) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            img = np.full((48, 64, 3), i * 20, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def case_missing_file(tmp: Path) -> tuple[Path, str]:
    return write_config(tmp, "nope.mp4"), "nope.mp4"


def case_corrupt_video(tmp: Path) -> tuple[Path, str]:
    tiny_video(tmp / "good.mp4")
    data = (tmp / "good.mp4").read_bytes()
    (tmp / "bad.mp4").write_bytes(data[: len(data) // 3][::-1])
    return write_config(tmp, "bad.mp4"), "bad.mp4"


def case_text_as_video(tmp: Path) -> tuple[Path, str]:
    (tmp / "notes.mp4").write_text("hello, I am not a video\n" * 20)
    return write_config(tmp, "notes.mp4"), "notes.mp4"


def case_empty_folder(tmp: Path) -> tuple[Path, str]:
    (tmp / "frames").mkdir()
    return write_config(tmp, "frames"), "frames"


def case_bad_yaml(tmp: Path) -> tuple[Path, str]:
    path = tmp / "meters.yaml"
    path.write_text("source:\n  uri: [oops\nmeters:\n")
    return path, "YAML"


def case_unknown_key(tmp: Path) -> tuple[Path, str]:
    path = write_config(tmp, "v.mp4")
    path.write_text(path.read_text().replace("kind:", "kinds:"))
    return path, "meters.grand.kinds"


def case_region_outside(tmp: Path) -> tuple[Path, str]:
    Image.new("RGB", (64, 48)).save(tmp / "frame.png")
    (tmp / "imgs").mkdir()
    Image.new("RGB", (64, 48)).save(tmp / "imgs" / "a.png")
    return write_config(tmp, "imgs", region="[40, 0, 32, 16]"), "meters.grand.region"


def case_fps_zero(tmp: Path) -> tuple[Path, str]:
    path = write_config(tmp, "v.mp4")
    path.write_text(path.read_text().replace("fps: 2", "fps: 0"))
    return path, "source.fps"


def case_refused_live_url(tmp: Path) -> tuple[Path, str]:
    url = f"http://viewer:hunter2@127.0.0.1:{refused_port()}/live.ts"
    return write_config(tmp, url, startup=2), "127.0.0.1"


CASES = [
    case_missing_file,
    case_corrupt_video,
    case_text_as_video,
    case_empty_folder,
    case_bad_yaml,
    case_unknown_key,
    case_region_outside,
    case_fps_zero,
    case_refused_live_url,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.removeprefix("case_") for c in CASES])
def test_bad_input_exits_2_cleanly(tmp_path: Path, case) -> None:  # type: ignore[no-untyped-def]
    """Each kind of bad input: exit 2, a message naming the culprit, nothing written."""
    # given a config that points at bad input
    config, culprit = case(tmp_path)
    out = tmp_path / "out"
    # when FourEyes runs it
    result = foureyes("run", str(config), "--out", str(out), cwd=tmp_path)
    # then it fails cleanly
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr
    assert culprit in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert not out.exists()


def test_missing_config_file(tmp_path: Path) -> None:
    """A config path that does not exist is an error, not a traceback."""
    result = foureyes("run", "absent.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "absent.yaml" in result.stderr and "Traceback" not in result.stderr


def test_existing_output_is_not_overwritten(tmp_path: Path) -> None:
    """A non-empty --out folder is left alone."""
    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "imgs" / "a.png")
    config = write_config(tmp_path, "imgs")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = foureyes("run", str(config), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
