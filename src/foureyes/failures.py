"""Replay bundles: what a reader or tracker failed on, saved so the failure can be re-run.

A run that meets an exception in a model or in the tracker's logic should not stop (a week
of stream would be lost to one odd frame), nor only log it (the frame is gone by the time
someone reads the log). So the pipeline saves a bundle under ``DIR/failures/`` with what
it takes to run the failing step again: the meters' crops, the config, the model's raw
answer if it gave one, the tracker's state and observation for a tracker failure, the
traceback and the versions. ``foureyes replay BUNDLE`` re-runs it; ``--pytest`` turns it
into a regression test.

Bundles are bounded: a model that is down would otherwise write one per sample. The first
few of each distinct failure are kept, and the rest only counted.
"""

from __future__ import annotations

import json
import pickle
import textwrap
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from foureyes.checkpoint import restricted_loads
from foureyes.errors import FourEyesError, ReaderError
from foureyes.model import Frame, Image

__all__ = ["FailureRecorder", "ReplayResult", "load_bundle", "replay", "write_pytest"]

BUNDLE = "bundle.json"


class FailureRecorder:
    """Writes replay bundles into ``folder`` (None: count only), at most ``per_kind`` of
    each distinct failure and ``limit`` in all."""

    def __init__(
        self,
        folder: Path | None,
        *,
        config: dict[str, Any],
        versions: Callable[[], dict[str, str]],
        per_kind: int = 3,
        limit: int = 100,
    ) -> None:
        self.folder = folder
        self._config = config
        self._versions = versions
        self._per_kind = per_kind
        self._limit = limit
        self._kinds: Counter[tuple[str, str]] = Counter()
        self.saved = 0
        self.unsaved = 0

    def reader_failed(
        self, frame: Frame, crops: dict[str, Image], exc: BaseException, *, reader: str
    ) -> str | None:
        """Save what the reader failed on; returns the bundle's name, if saved."""
        response = exc.response if isinstance(exc, ReaderError) else None
        return self._save(
            "reader", frame, exc, crops=crops, extra={"reader": reader, "response": response}
        )

    def tracker_failed(
        self, frame: Frame, meter: str, crop: Image, tracker: bytes, obs: Any, exc: BaseException
    ) -> str | None:
        """Save a tracker's state before the update that failed, and the observation."""
        return self._save(
            "tracker",
            frame,
            exc,
            meter=meter,
            crops={meter: crop},
            blobs={"tracker.pkl": tracker, "observation.pkl": pickle.dumps(obs)},
        )

    def _save(
        self,
        stage: str,
        frame: Frame,
        exc: BaseException,
        *,
        meter: str | None = None,
        crops: dict[str, Image],
        blobs: dict[str, bytes] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str | None:
        kind = (stage, f"{type(exc).__name__}: {str(exc)[:80]}")
        self._kinds[kind] += 1
        if self.folder is None or self._kinds[kind] > self._per_kind or self.saved >= self._limit:
            self.unsaved += 1
            return None
        name = f"{frame.index:08d}-{stage}" + (f"-{meter}" if meter else "")
        path = self.folder / name
        path.mkdir(parents=True, exist_ok=True)
        for m, crop in crops.items():
            PILImage.fromarray(crop).save(path / f"crop-{m}.png")
        for file, data in (blobs or {}).items():
            (path / file).write_bytes(data)
        info = {
            "stage": stage,
            "frame": frame.index,
            "ts": frame.ts,
            "source": frame.source,
            "meter": meter,
            "meters": list(crops),
            "error": type(exc).__name__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc)),
            "config": self._config,
            "versions": self._versions(),
            **(extra or {}),
        }
        (path / BUNDLE).write_text(json.dumps(info, indent=2, default=str) + "\n")
        self.saved += 1
        return name


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What re-running a bundle gave: ``error`` is None when it no longer fails."""

    stage: str
    output: str
    error: BaseException | None = None


def load_bundle(path: Path) -> dict[str, Any]:
    """A bundle's ``bundle.json``, or an error that says what is wrong with the path."""
    file = path / BUNDLE if path.is_dir() else path
    if not file.is_file():
        raise FourEyesError(f"{path}: not a replay bundle (no {BUNDLE}); pass a failures/ folder")
    try:
        info: dict[str, Any] = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FourEyesError(f"{file}: cannot be read ({exc})") from exc
    if info.get("stage") not in ("reader", "tracker"):
        raise FourEyesError(f"{file}: unknown stage {info.get('stage')!r}")
    return info


def replay(path: Path, *, reader: Any = None) -> ReplayResult:
    """Run a bundle's failed step again: the reader on its crops, or the tracker's update.

    ``reader`` replaces the config's readers (a test's, or one being debugged)."""
    from foureyes.config import Config
    from foureyes.readers.choose import PreparationChooser
    from foureyes.readers.parse import parse_value
    from foureyes.resilience.build import build_readers

    folder = path if path.is_dir() else path.parent
    info = load_bundle(folder)
    config = Config.model_validate(info["config"])
    crops = {
        m: np.asarray(PILImage.open(folder / f"crop-{m}.png").convert("RGB"))
        for m in info["meters"]
    }
    if info["stage"] == "tracker":
        tracker = restricted_loads((folder / "tracker.pkl").read_bytes())
        obs = restricted_loads((folder / "observation.pkl").read_bytes())
        try:
            readings, events = tracker.update(obs)
        except Exception as exc:
            return ReplayResult("tracker", "", exc)
        return ReplayResult("tracker", f"readings {readings}, events {events}")
    # The run's own readers (each meter's chain, each endpoint behind its policy), unless
    # the caller brings one, which it keeps and closes.
    own = reader is None
    readers = build_readers(config)[0] if reader is None else reader
    try:
        readers.warmup()
        chooser = PreparationChooser(tuple(crops))

        def parse(meter: str, text: str) -> Any:
            m = config.meters[meter]
            return parse_value(text, m.kind, m.decimals)

        try:
            results = chooser.read(readers, crops, parse)
        except Exception as exc:
            return ReplayResult("reader", "", exc)
        lines = [f"{m}: {raw.text!r} -> {parsed.value}" for m, (raw, parsed) in results.items()]
        return ReplayResult("reader", "\n".join(lines))
    finally:
        if own:
            readers.close()


def write_pytest(bundle: Path, test_file: Path) -> Path:
    """Copy ``bundle`` next to ``test_file`` and write a test that fails while the bundle's
    failure still happens."""
    import shutil

    folder = bundle if bundle.is_dir() else bundle.parent
    info = load_bundle(folder)
    target = test_file.parent / f"{test_file.stem}_bundle"
    if target.exists():
        raise FourEyesError(f"{target}: already exists; choose another test file name")
    test_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target)
    first = info["message"].splitlines()[0] if info["message"] else info["error"]
    test_file.write_text(
        textwrap.dedent(
            f'''\
            """Regression: the {info["stage"]} failed at frame {info["frame"]} with
            {info["error"]}: {first[:200]!r}. Written by `foureyes replay --pytest`."""

            from pathlib import Path

            from foureyes.failures import replay

            BUNDLE = Path(__file__).parent / {target.name!r}


            def test_replay_no_longer_fails() -> None:
                """The step that failed in the run succeeds on the same input."""
                result = replay(BUNDLE)
                assert result.error is None, f"still fails: {{result.error!r}}"
            '''
        )
    )
    return test_file
