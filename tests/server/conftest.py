"""A real run of a generated clip, shared by the server tests (read-only: copy it to
change it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from foureyes import load_config
from foureyes.demo import DemoVideo, generate
from foureyes.runner import run


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoVideo]:
    root = tmp_path_factory.mktemp("served")
    clip = generate(root / "clip", style="classic", seconds=24, seed=5)
    run(
        load_config(clip.config),
        out=root / "out",
        console=Console(file=open(os.devnull, "w")),  # noqa: SIM115
        show_progress=False,
    )
    return root / "out", clip
