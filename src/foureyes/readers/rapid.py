"""RapidOCR recognition (PP-OCR, ONNX Runtime on the CPU) as a FourEyes reader.

Only the recognition model runs: the config already says where each meter is, so the
detection pass would cost time and add ways to fail. The models ship inside the
``rapidocr`` wheel; nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from foureyes.errors import ReaderError
from foureyes.model import Image, RawRead

__all__ = ["RapidOCRReader"]


class RapidOCRReader:
    name = "rapidocr"

    def __init__(self, *, threads: int = 0) -> None:
        self._threads = threads
        self._engine: Any = None
        self._rec: Any = None
        self._lock = threading.Lock()

    def warmup(self) -> None:
        with self._lock:
            if self._rec is not None:
                return
            try:
                from rapidocr import RapidOCR
                from rapidocr.ch_ppocr_rec.typings import TextRecInput
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
                self._engine = RapidOCR(params=params)
                self._rec = self._engine._load_rec_model()
            except Exception as exc:
                raise ReaderError(
                    f"cannot load the recognition model: {exc}", reader=self.name
                ) from exc
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            self._input = TextRecInput
            self.read([np.full((32, 96, 3), 255, np.uint8)])

    def read(self, crops: Sequence[Image]) -> list[RawRead]:
        if self._rec is None:
            self.warmup()
        if not crops:
            return []
        bgr = [np.ascontiguousarray(c[:, :, ::-1]) for c in crops]
        try:
            out = self._rec(self._input(img=bgr))
        except Exception as exc:
            raise ReaderError(f"recognition failed: {exc}", reader=self.name) from exc
        return [
            RawRead(text=str(t), confidence=float(s), reader=self.name)
            for t, s in zip(out.txts, out.scores, strict=True)
        ]

    def close(self) -> None:
        self._rec = None
        self._engine = None
