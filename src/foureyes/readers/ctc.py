"""Greedy CTC decoding with per-character probabilities and an optional alphabet.

RapidOCR's own decoder returns one mean score per line, which hides the one uncertain
digit of a meter caught mid-roll among nine certain ones. Decoding the model's output
ourselves gives each character's probability, and lets a meter restrict the vocabulary
to the characters it can show (as Tesseract's whitelist does), so a half-rolled digit
decodes as the likelier digit, with a low probability, instead of "°" or "人".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Decoded", "alphabet_indices", "greedy_decode"]


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    probs: tuple[float, ...]

    @property
    def confidence(self) -> float:
        """Mean character probability (PaddleOCR's line score)."""
        return float(np.mean(self.probs)) if self.probs else 0.0

    @property
    def weakest(self) -> float:
        """The least certain digit's probability. Only digits count: a digit caught
        mid-roll is what makes a value wrong, while a doubtful separator (a seven-segment
        comma) or space is already policed by the parser's grouping rules."""
        probs = [p for c, p in zip(self.text, self.probs, strict=True) if c.isdigit()]
        return min(probs) if probs else 0.0


def alphabet_indices(charset: Sequence[str], alphabet: str) -> npt.NDArray[np.intp]:
    """Column indices of the CTC blank (0) and of each character of ``alphabet``."""
    wanted = set(alphabet)
    return np.array([0] + [i for i, c in enumerate(charset) if i and c in wanted], np.intp)


def greedy_decode(
    probs: npt.NDArray[np.float32],
    charset: Sequence[str],
    columns: npt.NDArray[np.intp] | None = None,
) -> Decoded:
    """Decode one line's (T, C) softmax output: best class per step, repeats merged,
    blanks (class 0) dropped. A character's probability is its best step's probability.
    With ``columns``, only those classes compete (column 0 must be the blank)."""
    sub = probs if columns is None else probs[:, columns]
    best = sub.argmax(axis=1)
    p = sub[np.arange(sub.shape[0]), best]
    text: list[str] = []
    out: list[float] = []
    prev = 0
    for k, pk in zip(best.tolist(), p.tolist(), strict=True):
        if k != 0:
            if k == prev:
                out[-1] = max(out[-1], pk)
            else:
                text.append(charset[k if columns is None else int(columns[k])])
                out.append(pk)
        prev = k
    return Decoded("".join(text), tuple(out))
