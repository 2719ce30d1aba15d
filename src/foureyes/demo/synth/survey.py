"""Does the OCR model read a face large and clean? A cached survey, one verdict per font.

A meter whose digits the recognition model misreads at rest, consistently and with full
confidence, measures the model rather than the reader: no reading logic can catch it. So
before a face may draw meters, the model reads it where nothing else can be to blame:
:data:`SAMPLES` (between them every digit, a thousands separator and a decimal point) at
:data:`PX` px, dark on white, no effects, a segment face without its ghosts (ghosts are
the reader's problem, not the face's). A face passes when the digits of every reading are
the sample's digits: a misread sign alone, or a separator lost or read as the other, is
not a misread digit (and a reader that knows the meter's decimals can recover from it); a
sign or a comma read as a digit is, and it would be a wrong value no logic can catch.

What the model read is cached in ``<cache>/synth-fonts-<hash>.json`` (``<hash>`` of the
samples, how they are drawn and the model's version), each entry under its font's path
with the file's size and mtime, so worker processes and later runs read no model, a
changed font is read again, and the verdict's rule can change without a new read.
The model must load when a verdict is missing: keeping every face silently would put
faces back that it cannot read.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foureyes.errors import ReaderError
from foureyes.model import Image
from foureyes.readers.base import Reader

__all__ = [
    "PX",
    "SAMPLES",
    "SurveyModel",
    "Verdict",
    "cache_file",
    "default_cache",
    "rapidocr",
    "reads_right",
    "survey",
]

PX = 40  # digit height: large enough that only the face can be to blame
# (sign, number): every digit, a separator and a decimal point between them
SAMPLES = (("$", "1,234.56"), ("$", "7,890.12"), ("€", "3,456.78"))
_RENDERING = 1  # bump when the samples are drawn differently (the reads are cached)
_BATCH = 8  # faces read in one call of the model
Render = Callable[[str], Sequence[tuple[Image, str]]]
_NEEDS_MODEL = (
    "cannot survey the fonts ({reason}): a randomised board draws only faces the OCR model "
    "reads, so the model must load once to fill the survey's cache "
    "(pip install rapidocr onnxruntime)"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the model read on each sample of a face, and the numbers they show."""

    reads: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Every sample's digits read right."""
        return all(reads_right(t, n) for t, n in zip(self.reads, self.numbers, strict=True))


@dataclass(frozen=True, slots=True)
class SurveyModel:
    """The model a survey reads with: ``version`` keys the cache, ``load`` makes a reader."""

    version: str
    load: Callable[[], Reader]


def rapidocr() -> SurveyModel:
    """RapidOCR's recognition model on the meter alphabet, as FourEyes reads meters."""
    try:
        version = importlib.metadata.version("rapidocr")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ReaderError(
            _NEEDS_MODEL.format(reason="rapidocr is not installed"), reader="rapidocr"
        ) from exc

    def load() -> Reader:
        from foureyes.readers.rapid import RapidOCRReader

        return RapidOCRReader()

    return SurveyModel(f"rapidocr {version}", load)


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/foureyes``, else ``~/.cache/foureyes``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "foureyes"


def reads_right(text: str, number: str) -> bool:
    """``text`` holds ``number``'s digits, in order, and no others."""
    return re.sub(r"\D", "", text) == re.sub(r"\D", "", number)


def cache_file(cache: Path, model: SurveyModel) -> Path:
    """The survey's file in ``cache`` for ``model`` and the samples as drawn now."""
    rules = json.dumps([_RENDERING, PX, SAMPLES, model.version], ensure_ascii=False)
    return cache / f"synth-fonts-{hashlib.sha256(rules.encode()).hexdigest()[:16]}.json"


def _stamp(path: str) -> list[int]:
    """What identifies a font file's contents cheaply: its size and mtime (ns)."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def _load(file: Path) -> dict[str, Any]:
    try:
        doc = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _save(file: Path, entries: dict[str, Any]) -> None:
    """Write ``entries`` (merged with what another process wrote meanwhile) atomically."""
    file.parent.mkdir(parents=True, exist_ok=True)
    merged = {**_load(file), **entries}
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=file.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(merged, f, indent=1, sort_keys=True, ensure_ascii=False)
        os.replace(tmp, file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _entry(hit: Any, stamp: list[int]) -> Verdict | None:
    """A cached verdict for a font file with ``stamp``; None if stale or malformed."""
    if not isinstance(hit, dict) or hit.get("stamp") != stamp:
        return None
    reads, numbers = hit.get("reads"), hit.get("numbers")
    if not isinstance(reads, list) or not isinstance(numbers, list) or len(reads) != len(numbers):
        return None
    return Verdict(tuple(map(str, reads)), tuple(map(str, numbers)))


def _reader(model: SurveyModel) -> Reader:
    try:
        reader = model.load()
        reader.warmup()
    except Exception as exc:
        raise ReaderError(_NEEDS_MODEL.format(reason=str(exc)), reader=model.version) from exc
    return reader


def _read(reader: Reader, samples: list[Sequence[tuple[Image, str]]]) -> list[Verdict]:
    """One call of the model for several faces' samples; a verdict per face."""
    reads = reader.read([image for face in samples for image, _ in face])
    texts = [r.constrained if r.constrained is not None else r.text for r in reads]
    out, k = [], 0
    for face in samples:
        out.append(Verdict(tuple(texts[k : k + len(face)]), tuple(n for _, n in face)))
        k += len(face)
    return out


def survey(
    paths: Iterable[str], render: Render, *, cache: Path, model: SurveyModel
) -> dict[str, Verdict]:
    """Each font's verdict: from ``cache`` when its file is unchanged, else read now by
    ``model`` on ``render(path)`` (the samples as images, each with the number it shows)."""
    file = cache_file(cache, model)
    known = _load(file)
    out: dict[str, Verdict] = {}
    todo: list[str] = []
    for path in paths:
        hit = _entry(known.get(path), _stamp(path))
        if hit is not None:
            out[path] = hit
        else:
            todo.append(path)
    if not todo:
        return out
    reader = _reader(model)
    try:
        for i in range(0, len(todo), _BATCH):
            chunk = todo[i : i + _BATCH]
            out.update(zip(chunk, _read(reader, [render(p) for p in chunk]), strict=True))
    finally:
        reader.close()
    fresh = {
        p: {"stamp": _stamp(p), "reads": out[p].reads, "numbers": out[p].numbers} for p in todo
    }
    _save(file, fresh)
    return out
