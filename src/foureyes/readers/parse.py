"""Turn a reader's raw text into a number, or say precisely why it is not one.

A meter's format is part of what makes a reading trustworthy: the count of decimals never
changes, thousands separators group by three, and a partial number ("$12,3", "45.6" on a
two-decimal meter) is not a number. The parser is strict on purpose: rejecting a read
costs one sample, accepting a wrong one costs a false event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foureyes.model import MeterKind

__all__ = ["CURRENCY", "ParseResult", "normalize", "parse_value", "restore_point"]

# Characters OCR models substitute for digits in numeric fonts. Only applied inside a token
# that is otherwise numeric, so "BONUS" never becomes a number.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1"})
CURRENCY = "$€£¥₩₹"  # the signs a money meter may show
_SPACES = re.compile(r"\s+")
_NUMERIC = re.compile(r"^[0-9.,]+$")
_SEPARATOR = re.compile(r"[.,]")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class ParseResult:
    """A parsed value (``value`` set) or the reason the text is not a value."""

    value: float | None
    decimals: int = 0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


def normalize(text: str) -> str:
    """Strip what a meter's text may carry around its number: spaces, a currency sign."""
    t = _SPACES.sub("", text)
    t = t.strip(CURRENCY)
    # Some fonts' comma reads as a period or vice versa only in the wrong place; leave it
    # to the grammar below to reject rather than guess.
    if any(ch.isdigit() for ch in t):
        t = t.translate(_DIGIT_LOOKALIKES)
    return t


def parse_value(text: str, kind: MeterKind, decimals: int | None = None) -> ParseResult:
    """Parse ``text`` as a meter value of ``kind``.

    ``decimals`` is the meter's fixed count of decimals when known (currency defaults to 2);
    a text with another count is rejected, because a digit lost or gained at the end is the
    commonest partial read. When that count is known, "," and "." are interchangeable
    (OCR confuses a seven-segment comma with a point, and some locales swap them): the last
    separator must be followed by exactly ``decimals`` digits and every other one must
    close a group of three.
    """
    t = normalize(text)
    if not t:
        return ParseResult(None, reason="empty")
    if not _NUMERIC.match(t) or t[0] in ",." or t[-1] in ",.":
        return ParseResult(None, reason=f"not a number: {text!r}")
    if kind is MeterKind.CURRENCY and decimals is None:
        decimals = 2
    if kind is MeterKind.INTEGER:
        decimals = 0
    groups = _SEPARATOR.split(t)
    if decimals is None:
        # A number meter whose decimals are not fixed: only "." can be the decimal point.
        int_part, _, frac = t.partition(".")
        if "." in frac or not (_GROUPED.match(t) or _PLAIN.match(t)):
            return ParseResult(None, reason=f"not a number: {text!r}")
        groups = int_part.split(",")
    elif decimals == 0:
        frac = ""
    elif len(groups) > 1 and len(groups[-1]) == decimals:
        frac = groups.pop()
    else:
        got = len(groups[-1]) if len(groups) > 1 else 0
        return ParseResult(None, reason=f"expected {decimals} decimals, got {got}: {text!r}")
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        if decimals == 0 and len(groups[-1]) != 3:
            return ParseResult(None, reason=f"integer meter shows decimals: {text!r}")
        return ParseResult(None, reason=f"not a number: {text!r}")
    digits = "".join(groups)
    if len(digits) > 1 and digits.startswith("0"):
        return ParseResult(None, reason=f"leading zero: {text!r}")
    value = float(f"{digits}.{frac}") if frac else float(digits)
    return ParseResult(round(value, len(frac)), decimals=len(frac))


def restore_point(text: str, kind: MeterKind, decimals: int | None) -> ParseResult:
    """``text`` read as a value whose decimal point the model did not see: every digit
    there, the point before the last ``decimals`` of them missing ("1023" for 10.23,
    "4,30935" for 4,309.35). A seven-segment point sits in the corner of the digit beside
    it, and at a small size the model reads the digit and drops the point.

    Only a text with no separator where the point belongs qualifies: one followed by
    ``decimals`` digits or fewer is a digit lost, not a point. Whether the restored value
    is the one on screen is not for the text to say (a popup cutting "158.53" to "158"
    reads the same way); the tracker takes it only where the count of digits matches
    what the meter showed before it."""
    if kind is MeterKind.CURRENCY and decimals is None:
        decimals = 2
    if kind is MeterKind.INTEGER or not decimals:
        return ParseResult(None, reason=f"no decimal point to restore: {text!r}")
    t = normalize(text)
    last = max(t.rfind("."), t.rfind(","))
    if not _NUMERIC.match(t) or len(t) <= decimals or 0 <= len(t) - last - 1 <= decimals:
        return ParseResult(None, reason=f"no decimal point to restore: {text!r}")
    if not t[-decimals:].isdigit():
        return ParseResult(None, reason=f"no decimal point to restore: {text!r}")
    parsed = parse_value(f"{t[:-decimals]}.{t[-decimals:]}", kind, decimals)
    return (
        parsed if parsed.ok else ParseResult(None, reason=f"no decimal point to restore: {text!r}")
    )
