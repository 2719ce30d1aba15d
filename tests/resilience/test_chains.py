"""Chaos on the model side, end to end: a reader that hangs, fails or answers garbage sits
first in a meter's chain, the real OCR model second. The run must finish with every
reading served by the model that works, and say what happened to the one that did not."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from foureyes import load_config
from foureyes.demo import DemoVideo, generate
from foureyes.errors import ConfigError, TransientReaderError
from foureyes.model import Image, RawRead
from foureyes.readers.base import register_reader
from foureyes.runner import run

pytestmark = pytest.mark.slow

RELEASE = threading.Event()  # lets hung calls return when the module is done


class Broken:
    """A model that misbehaves in one of three ways on every call."""

    def __init__(self, how: str, **_: Any) -> None:
        self.name = f"broken-{how}"
        self.how = how
        self.calls = 0

    def warmup(self) -> None:
        pass

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        self.calls += 1
        if self.how == "hang":
            RELEASE.wait(30)
            return [RawRead("$0.00", 1.0) for _ in crops]
        if self.how == "fail":
            raise TransientReaderError("503 Service Unavailable", reader=self.name)
        return [RawRead("$1.00", 1.0)]  # garbage: one answer for any number of crops

    def close(self) -> None:
        pass


@pytest.fixture(scope="module", autouse=True)
def broken_readers() -> Iterator[None]:
    for how in ("hang", "fail", "garbage"):
        register_reader(f"broken-{how}", lambda how=how, **kw: Broken(how, **kw))
    yield
    RELEASE.set()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    return generate(tmp_path_factory.mktemp("clip"), style="classic", seconds=6, seed=4)


def chained(clip: DemoVideo, how: str, tmp_path: Path) -> Path:
    """The clip's config with a broken reader first in every meter's chain."""
    data = yaml.safe_load(clip.config.read_text())
    data["source"]["uri"] = str(clip.video)
    data["readers"] = {
        "flaky": {
            "name": f"broken-{how}",
            "timeout": 0.3,
            "retries": 1,
            "backoff_initial": 0.01,
            "breaker": {"window_size": 4, "minimum_calls": 4, "wait_in_open": 600},
        }
    }
    for meter in data["meters"].values():
        meter["readers"] = ["flaky", "default"]
    path = tmp_path / "chained.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("how", ["hang", "fail", "garbage"])
def test_the_second_reader_serves_when_the_first_misbehaves(
    clip: DemoVideo, how: str, tmp_path: Path
) -> None:
    """Given a chain [broken, rapidocr], when the broken one hangs, fails or answers
    garbage, then every sample is still read by rapidocr, each reading says so, and the
    broken reader's breaker has opened so it is no longer called."""
    out = tmp_path / "out"
    result = run(
        load_config(chained(clip, how, tmp_path)),
        out=out,
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    readings = [json.loads(x) for x in (out / "readings.jsonl").read_text().splitlines()]
    assert len(readings) == result.summary["frames_sampled"] * len(clip.meters)
    assert {r.get("reader") for r in readings} == {"default"}
    assert sum(r["value"] is not None for r in readings) >= 0.9 * len(readings)
    flaky = result.summary["readers"]["flaky"]
    assert flaky["state"] == "open"
    assert flaky["rejected"] > 0  # refused at once, without waiting for a timeout
    assert flaky["failures"] >= 4
    if how == "hang":
        assert flaky["timeouts"] > 0
    if how == "garbage":
        assert flaky["garbage"] > 0
    assert result.summary["readers"]["default"]["failures"] == 0


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"meters": {"grand": {"readers": ["nope"]}}}, "meters.grand.readers"),
        ({"meters": {"grand": {"readers": ["default", "default"]}}}, "meters.grand.readers"),
        ({"readers": {"default": {"name": "rapidocr"}}}, "readers.default"),
        ({"reader": {"timeout": 0}}, "reader.timeout"),
        ({"reader": {"breaker": {"failure_rate_threshold": 150}}}, "failure_rate_threshold"),
    ],
)
def test_bad_reader_config_names_the_key(
    clip: DemoVideo, change: dict[str, Any], key: str, tmp_path: Path
) -> None:
    """A chain naming an unknown reader, a reader twice, or a bad policy is refused."""
    data = yaml.safe_load(clip.config.read_text())
    for top, value in change.items():
        if top == "meters":
            for meter, extra in value.items():
                data["meters"][meter].update(extra)
        else:
            data[top] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert key in str(caught.value)
