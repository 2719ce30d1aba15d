"""RapidOCR recognition (PP-OCR, ONNX Runtime on the CPU) as a FourEyes reader.

Only the recognition model runs: the config already says where each meter is, so the
detection pass would cost time and add ways to fail. The models ship inside the
``rapidocr`` wheel; nothing is downloaded. We use RapidOCR's model session and image
normalisation but decode its output ourselves (:mod:`foureyes.readers.ctc`) to get
per-character probabilities and a reading restricted to the meter's alphabet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from foureyes.errors import ReaderError
from foureyes.model import Image, RawRead
from foureyes.readers.ctc import alphabet_indices, greedy_decode, label_span

__all__ = ["METER_ALPHABET", "RapidOCRReader"]

#: What a money meter, a counter or a gauge can show.
METER_ALPHABET = "0123456789.,$€£¥ "


class RapidOCRReader:
    name = "rapidocr"

    def __init__(
        self,
        *,
        threads: int = 0,
        alphabet: str | None = METER_ALPHABET,
    ) -> None:
        self._threads = threads
        self._alphabet = alphabet
        self._rec: Any = None
        self._charset: list[str] = []
        self._columns: Any = None
        self._lock = threading.Lock()

    def warmup(self) -> None:
        with self._lock:
            if self._rec is not None:
                return
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # pragma: no cover - a broken install
                raise ReaderError(
                    f"cannot import rapidocr ({exc}); reinstall with `make test` or "
                    "`pip install rapidocr onnxruntime`",
                    reader=self.name,
                ) from exc
            params: dict[str, Any] = {
                "Global.use_det": False,
                "Global.use_cls": False,
                "Global.log_level": "error",
            }
            if self._threads:
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = self._threads
            try:
                engine: Any = RapidOCR(params=params)
                rec = engine._load_rec_model()
                charset = list(rec.postprocess_op.character)
            except Exception as exc:
                raise ReaderError(
                    f"cannot load the recognition model: {exc}", reader=self.name
                ) from exc
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            self._rec, self._charset = rec, charset
            if self._alphabet is not None:
                self._columns = alphabet_indices(charset, self._alphabet)
        self.read([np.full((32, 96, 3), 255, np.uint8)])

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        if self._rec is None:
            self.warmup()
        if not crops:
            return []
        rec = self._rec
        _, height, width = rec.rec_image_shape
        try:
            bgr = [np.ascontiguousarray(c[:, :, ::-1]) for c in crops]
            ratios = [max(width / height, b.shape[1] / max(b.shape[0], 1)) for b in bgr]
            probs: list[Any] = [None] * len(bgr)
            for group in _by_width(ratios):
                ratio = max(ratios[i] for i in group)
                batch = np.stack([rec.resize_norm_img(bgr[i], ratio) for i in group])
                for i, line in zip(group, rec.session(batch.astype(np.float32)), strict=True):
                    probs[i] = line
        except Exception as exc:
            raise ReaderError(f"recognition failed: {exc}", reader=self.name) from exc
        out = []
        for line in probs:
            raw = greedy_decode(line, self._charset)
            con = greedy_decode(line, self._charset, self._columns) if self._alphabet else raw
            start, stop = label_span(raw, len(line))
            if (start, stop) != (0, len(line)):
                raw, con = raw.within(start, stop), con.within(start, stop)
            out.append(
                RawRead(
                    text=raw.text,
                    confidence=con.confidence,
                    reader=self.name,
                    constrained=con.text if self._alphabet else None,
                    weakest=con.weakest,
                    probs=con.probs,
                    runner_up=con.runner_up,
                    steps=con.steps,
                )
            )
        return out

    def close(self) -> None:
        self._rec = None


def _by_width(ratios: Sequence[float], spread: float = 1.5) -> list[list[int]]:
    """Indices grouped so that no crop in a batch is padded to more than ``spread`` times
    its own width: a batch is padded to its widest crop, and a 14-digit GRAND beside a
    4-digit MINI would cost the MINI three times its own work."""
    order = sorted(range(len(ratios)), key=lambda i: ratios[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and ratios[i] <= spread * ratios[groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups
