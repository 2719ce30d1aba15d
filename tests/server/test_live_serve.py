"""`foureyes run --serve`: the API answers while the run goes on, from the live registry."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from foureyes.demo import generate

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples_so_far(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=2).text
    for family in text_string_to_metric_families(text):
        if family.name == "foureyes_samples":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return 0.0


@pytest.mark.timeout(300)
def test_run_serves_while_it_reads(tmp_path: Path) -> None:
    """Given a run with --serve, while it reads: /ready is 200 with each component,
    /metrics counts samples as they are read, /api/meters shows values; the run still
    ends with exit code 0 when the file does."""
    clip = generate(tmp_path / "clip", style="classic", seconds=30, seed=5)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "foureyes", "run", str(clip.config), "--out", str(tmp_path / "out"),
         "--serve", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    seen: list[float] = []
    meters: list[dict[str, object]] = []
    ready: dict[str, object] = {}
    deadline = time.monotonic() + 200
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            r = httpx.get(f"{base}/ready", timeout=2)
            if r.status_code == 200:
                ready = r.json()
                seen.append(samples_so_far(base))
                meters = httpx.get(f"{base}/api/meters", timeout=2).json() or meters
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert set(ready["components"]) >= {"store", "source", "readers", "pipeline"}  # type: ignore[call-overload]
    assert len({s for s in seen if s > 0}) >= 2  # the count grew while we watched
    assert [m["meter"] for m in meters] == list(clip.meters)


def test_a_port_in_use_is_a_clean_start_up_error(tmp_path: Path) -> None:
    clip = generate(tmp_path / "clip", style="classic", seconds=3, seed=1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "foureyes", "run", str(clip.config), "--out",
             str(tmp_path / "out"), "--serve", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    assert r.returncode == 2 and "choose another port" in r.stderr
    assert not (tmp_path / "out").exists()
