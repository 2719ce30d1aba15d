"""Greedy CTC decoding on hand-made model outputs."""

from __future__ import annotations

import numpy as np
import pytest

from foureyes.readers.ctc import alphabet_indices, greedy_decode

CHARSET = ["blank", "1", "2", "5", ".", "°", "人", " "]


def steps(*rows: dict[str, float], charset: list[str] = CHARSET) -> np.ndarray:
    """One row per time step: the given probabilities, the rest spread on the blank."""
    out = np.zeros((len(rows), len(charset)), np.float32)
    for t, row in enumerate(rows):
        for ch, p in row.items():
            out[t, charset.index(ch)] = p
        out[t, 0] += 1.0 - out[t].sum()
    return out


def test_repeats_merge_and_blanks_split() -> None:
    """'1','1' is one 1; '1',blank,'1' is two; the blank never shows."""
    probs = steps({"1": 0.9}, {"1": 0.95}, {}, {"1": 0.8}, {"2": 0.99})
    d = greedy_decode(probs, CHARSET)
    assert d.text == "112"
    assert d.probs == pytest.approx((0.95, 0.8, 0.99))


def test_alphabet_turns_a_foreign_glyph_into_the_likeliest_digit() -> None:
    """A half-rolled digit read as '°' becomes its best digit, uncertain, with a runner-up."""
    cols = alphabet_indices(CHARSET, "125.")
    probs = steps({"1": 0.99}, {".": 0.99}, {"°": 0.6, "5": 0.25, "2": 0.1})
    raw = greedy_decode(probs, CHARSET)
    assert raw.text == "1.°"
    d = greedy_decode(probs, CHARSET, cols)
    assert d.text == "1.5"
    assert d.runner_up[2] == "2"
    assert d.weakest == pytest.approx(0.25)


def test_weakest_counts_digits_only() -> None:
    """A doubtful separator or space does not make the value doubtful."""
    cols = alphabet_indices(CHARSET, "125. ")
    probs = steps({"1": 0.99}, {" ": 0.6}, {"2": 0.98}, {".": 0.55}, {"5": 0.97})
    d = greedy_decode(probs, CHARSET, cols)
    assert d.text == "1 2.5"
    assert d.weakest == pytest.approx(0.97)


LABELLED = ["blank", "1", "2", "5", ".", "$", "G", "R", "A", "N", "D", "O", " "]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("GRAND $12.5", "$12.5"),  # a label before the number is set aside
        ("$12.5 GRAND", "$12.5"),  # and after it
        ("O.5", "O.5"),  # one letter may be a misread digit: it stays
        ("125", "125"),  # nothing to set aside
        ("GRAND", "GRAND"),  # only a word: nothing is left to read, so nothing is cut
    ],
)
def test_a_word_at_either_end_is_not_part_of_the_value(text: str, kept: str) -> None:
    """A region drawn around a meter's label and its number reads the number alone, and
    the restricted reading loses the label's steps too (not letters turned into digits)."""
    from foureyes.readers.ctc import label_span

    rows = ({ch: 0.97} if ch != " " else {" ": 0.9} for ch in text)
    probs = steps(*rows, charset=LABELLED)
    raw = greedy_decode(probs, LABELLED)
    assert raw.text == text
    start, stop = label_span(raw, len(probs))
    assert raw.within(start, stop).text.strip() == kept
    con = greedy_decode(probs, LABELLED, alphabet_indices(LABELLED, "125.$ "))
    if kept != text:
        assert con.within(start, stop).text.strip() == kept
