"""Greedy CTC decoding with per-character probabilities and an optional alphabet.

RapidOCR's own decoder returns one mean score per line, which hides the one uncertain
digit of a meter caught mid-roll among nine certain ones. Decoding the model's output
ourselves gives each character's probability and runner-up, and lets a meter restrict the
vocabulary to the characters it can show (as Tesseract's whitelist does): a half-rolled
digit decodes as the likelier digit, with a low probability and the other digit as its
runner-up, instead of "°" or "人" or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Decoded", "alphabet_indices", "greedy_decode", "label_span"]


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    probs: tuple[float, ...]
    runner_up: tuple[str, ...] = ()  # per character: the second choice ("" for none)
    steps: tuple[int, ...] = ()  # per character: the first time step it was seen at

    def within(self, start: int, stop: int) -> Decoded:
        """Only the characters seen at time steps ``start`` to ``stop`` (excluded)."""
        keep = [i for i, t in enumerate(self.steps) if start <= t < stop]
        return Decoded(
            "".join(self.text[i] for i in keep),
            tuple(self.probs[i] for i in keep),
            tuple(self.runner_up[i] for i in keep) if self.runner_up else (),
            tuple(self.steps[i] for i in keep),
        )

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

    With ``columns`` (column 0 must be the blank) only those classes compete, and at a
    step where the unrestricted best class is a character outside them, the blank may
    not win: something was drawn there, so it reads as the likeliest allowed character.
    """
    steps = np.arange(probs.shape[0])
    if columns is None:
        sub = probs
        best = sub.argmax(axis=1)
        second = np.zeros_like(best)  # no runner-ups over a whole vocabulary: too costly
    else:
        sub = probs[:, columns]  # a copy: the blank column may be masked below
        foreign = probs.argmax(axis=1)
        sub[(foreign != 0) & ~np.isin(foreign, columns), 0] = -1.0
        top2 = np.argpartition(-sub, 1, axis=1)[:, :2]
        first_wins = sub[steps, top2[:, 0]] >= sub[steps, top2[:, 1]]
        best = np.where(first_wins, top2[:, 0], top2[:, 1])
        second = np.where(first_wins, top2[:, 1], top2[:, 0])
    p = sub[steps, best]
    text: list[str] = []
    out: list[float] = []
    alt: list[str] = []
    at: list[int] = []

    def char(k: int) -> str:
        return charset[k if columns is None else int(columns[k])] if k else ""

    prev = 0
    for t, (k, pk, s) in enumerate(zip(best.tolist(), p.tolist(), second.tolist(), strict=True)):
        if k != 0:
            if k == prev:
                if pk > out[-1]:
                    out[-1], alt[-1] = pk, char(s)
            else:
                text.append(char(k))
                out.append(pk)
                alt.append(char(s))
                at.append(t)
        prev = k
    return Decoded("".join(text), tuple(out), tuple(alt), tuple(at))


def label_span(raw: Decoded, steps: int) -> tuple[int, int]:
    """The time steps of ``raw`` (an unrestricted reading) left once a word at either
    end is set aside: a region drawn around "GRAND $1,234.56" holds a label that is not
    part of the value. A word is a run of at least two letters; one letter alone stays,
    since it may be a digit misread ("O" for 0, "l" for 1)."""
    text = raw.text
    start, stop = 0, steps
    lead = len(text) - len(text.lstrip())
    i = lead
    while i < len(text) and text[i].isalpha():
        i += 1
    if i - lead >= 2 and i < len(text):
        start = raw.steps[i]
    j = len(text)
    while j > 0 and text[j - 1].isalpha():
        j -= 1
    if len(text) - j >= 2 and j > 0:
        stop = raw.steps[j]
    return start, stop
