"""The README's claims that can be executed are executed."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest
import yaml

from foureyes.config import config_from_dict
from foureyes.demo import generate

README = Path(__file__).parent.parent / "README.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_two_commands_at_the_top() -> None:
    """The first code block is exactly the two newcomer commands."""
    first = re.search(r"```\n(.*?)```", README.read_text(), flags=re.S)
    assert first is not None
    assert first.group(1).split("\n")[:2] == ["make demo", "make test"]


def test_config_examples_are_valid() -> None:
    """The README's FourEyes YAML examples (``yaml`` blocks; other tools' files are
    ``yml``) are valid configs."""
    first, *more = blocks("yaml")
    assert set(config_from_dict(yaml.safe_load(first)).meters) == {"grand", "major"}
    assert more, "the alerts example"
    for example in more:
        cfg = config_from_dict(yaml.safe_load(example))
        assert cfg.alerts.rules


@pytest.mark.slow
def test_python_example_runs(tmp_path: Path) -> None:
    """The README's Python example runs against a generated clip and prints readings."""
    (code,) = blocks("python")
    generate(tmp_path, style="classic", seconds=4, seed=2)
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = out.getvalue().splitlines()
    assert len(printed) >= 8 * 4  # 8 samples x 4 meters, plus any events
    assert any(" ok" in line for line in printed)
