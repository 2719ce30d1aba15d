"""A config file either loads, or fails with the file, the key and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from foureyes.config import config_from_dict, load_config
from foureyes.errors import ConfigError
from foureyes.model import MeterKind

GOOD = """\
source:
  uri: video.mp4
  fps: 2
meters:
  grand:
    region: [520, 43, 386, 71]
    kind: currency
  major:
    region: [520, 126, 386, 71]
events:
  thresholds: {grand: [25000, 30000]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "meters.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_the_documented_example(tmp_path: Path) -> None:
    """The README's example config loads with its defaults filled in."""
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.source.fps == 2
    assert list(cfg.meters) == ["grand", "major"]
    assert cfg.meters["major"].kind is MeterKind.CURRENCY
    assert cfg.events.thresholds == {"grand": [25000.0, 30000.0]}
    assert cfg.base_dir == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (GOOD.replace("fps: 2", "fps: 0"), "source.fps", "greater than 0"),
        (GOOD.replace("fps: 2", "fps: -1"), "source.fps", "greater than 0"),
        (GOOD.replace("    kind: currency", "    kind: money"), "meters.grand.kind", "currency"),
        (GOOD.replace("  fps: 2", "  fsp: 2"), "source.fsp", "unknown key"),
        (GOOD.replace("source:\n  uri: video.mp4\n  fps: 2\n", ""), "source", "missing"),
        (GOOD.replace("[520, 43, 386, 71]", "[520, 43, 0, 71]"), "meters.grand.region", "width"),
        (GOOD.replace("[520, 43, 386, 71]", "[520, 43]"), "meters.grand.region", ""),
        (GOOD.replace("{grand:", "{jackpot:"), "", "unknown meter 'jackpot'"),
        ("meters: {}\nsource: {uri: a.mp4}\n", "meters", "at least 1"),
        ("- just\n- a list\n", "", "mapping"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    """Each bad value is reported with the file, the key and the problem."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path.resolve()) in message or str(path) in message
    assert key in message
    assert words in message


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    """Broken YAML points at the line to fix."""
    path = write(tmp_path, "source:\n  uri: [unclosed\nmeters: {}\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    """A config that does not exist says so."""
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_region_outside_frame(tmp_path: Path) -> None:
    """A region that does not fit the source's frames is named with the frame size."""
    cfg = load_config(write(tmp_path, GOOD))
    cfg.check_frame_size(1280, 720)
    with pytest.raises(ConfigError, match=r"meters.grand.region.*outside the 640x360 frame"):
        cfg.check_frame_size(640, 360)


@pytest.mark.parametrize(
    ("rules", "ok"),
    [
        ([{"type": "read_p95_above", "seconds": 1},
          {"type": "read_p95_above", "seconds": 2}], False),
        ([{"type": "read_p95_above", "seconds": 1, "name": "slow"},
          {"type": "read_p95_above", "seconds": 2}], True),
        ([{"type": "reset", "meter": "grand"}, {"type": "reset"}], True),
        ([{"type": "reset", "name": "pop"}, {"type": "source_down", "name": "pop"}], False),
    ],
)  # fmt: skip
def test_alert_rules_must_be_told_apart(rules: list[dict[str, object]], ok: bool) -> None:
    """Alert records name their rule; two rules that would share a name are refused."""
    data = {"source": {"uri": "v.mp4"}, "meters": {"grand": {"region": [0, 0, 9, 9]}}}
    if ok:
        config_from_dict({**data, "alerts": {"rules": rules}})
    else:
        with pytest.raises(ConfigError, match="its own name"):
            config_from_dict({**data, "alerts": {"rules": rules}})
