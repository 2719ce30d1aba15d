"""What a meter's display shows while it changes: only its old and new digits, or others.

Displays move in one of two ways. An odometer strip, a flap or a cut shows, in each digit
column, the digit the column leaves or the one it arrives at, never a third: a certain read
caught mid-change is then one of the values the meter really had. A wheel spins through
the digits in between ("1,883.47" on its way to "1,883.84" shows a certain "1,883.6x"), so
its certain reads in motion prove nothing. Which kind a meter is, is part of its form, like
its font: no frame changes it, and it can be learnt from the changes the meter made in
one motion, where both ends are known (the rests before and after). There, a certain read
caught in a change whose column moves by two or more digits is a chance for a wheel to
show a digit in between, and it does about every other time. A display that shows only
its ends shows one too, but rarely: where two increments come closer together than one
change takes, the value between them looks like a single change's middle ($50.03 between
$50.00 and $50.04). So a meter is taken to show only its ends once it had many chances
and showed a value in between at most once in six of them (a wheel that shows one every
other time passes that with a probability under 1%).

That knowledge matters where the ends are not known: in a burst, increments come faster
than a change settles, and the display passes through values the meter had, with no rest
between them to look at. There, a display that shows only its ends can be read as it
moves, and one that shows more cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MotionStyle", "passes_between"]


def _digits(value: float, decimals: int) -> str:
    return str(round(abs(value) * 10**decimals))


def passes_between(before: float, after: float, decimals: int) -> bool:
    """Whether a wheel going from ``before`` to ``after`` would show a digit of neither in
    some column: one that moves forward by two digits or more."""
    b, a = _digits(before, decimals), _digits(after, decimals)
    width = max(len(a), len(b))
    b, a = b.rjust(width, "0"), a.rjust(width, "0")
    return any((int(y) - int(x)) % 10 >= 2 for x, y in zip(b, a, strict=True))


@dataclass(slots=True)
class MotionStyle:
    """Evidence, per meter, of what its display shows mid-change (see the module)."""

    need: int = 12  # chances a wheel had to show a digit in between
    odds: int = 6  # chances per read in between, at least
    chances: int = 0
    between: int = 0  # certain reads mid-change that showed neither end

    def learn(self, value: float, before: float, after: float, decimals: int) -> None:
        """One certain read of the display caught in a single change from ``before`` to
        ``after`` (both rests read with certainty)."""
        if before == after:
            return  # a popup or a background moved, not the display
        if value not in (before, after):
            self.between += 1
        elif passes_between(before, after, decimals):
            self.chances += 1

    @property
    def ends_only(self) -> bool:
        """Whether the display is known to show only a change's ends while it moves."""
        return self.chances >= self.need and self.between * self.odds <= self.chances
