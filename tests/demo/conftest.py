"""Shared helpers for the demo tests: small boards and hand-written JSONL files."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from foureyes.demo.board import Board, simulate


@pytest.fixture
def make_board() -> Callable[..., Board]:
    def make(seconds: float = 60.0, seed: int = 0, roll_frames: int = 8, fps: int = 30) -> Board:
        return simulate(seconds=seconds, fps=fps, rng=random.Random(seed), roll_frames=roll_frames)

    return make


@pytest.fixture
def write_jsonl() -> Callable[[Path, Iterable[dict[str, Any]]], Path]:
    def write(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    return write
