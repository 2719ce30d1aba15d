"""Votes between reads of one meter from several captures of the same screen.

Two captures (a capture card and a camera, say) see the same meter through different
noise, glare and compression, so a misread on one is rarely made the same way on the
other. Where they agree, the read stands; where one could not read, the other fills in;
where they disagree, the one certain read beats uncertain ones and a majority beats
a minority, and otherwise the sample is left in doubt for the tracker to settle from its
neighbours. Every disagreement is recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from foureyes.model import Image, RawRead
from foureyes.readers.crop import MeterCrop
from foureyes.readers.parse import ParseResult
from foureyes.readers.route import MeterReaders
from foureyes.sources.mirror import MirrorFeed

__all__ = ["MirrorVoter", "Vote", "vote"]

Read = tuple[RawRead, ParseResult]


@dataclass(frozen=True, slots=True)
class Vote:
    """The read that stands, whether it is in doubt, and what each capture saw."""

    read: Read
    doubted: bool = False
    disagreed: bool = False
    filled_in: bool = False  # a mirror's read stands: the primary's was missing or less sure
    values: tuple[float | None, ...] = ()  # per capture, primary first


def vote(reads: Sequence[Read], *, certain: Sequence[bool]) -> Vote:
    """``reads[0]`` is the primary capture's; ``certain[i]`` says whether the model was
    sure of every digit of ``reads[i]``."""
    if not reads:
        raise ValueError("vote needs at least one read")
    values = tuple(parsed.value for _, parsed in reads)
    seen = [i for i, v in enumerate(values) if v is not None]
    if not seen:
        return Vote(reads[0], values=values)
    distinct = {values[i] for i in seen}
    if len(distinct) == 1:
        # the surest of the agreeing reads stands; agreement alone does not make an
        # unsure digit sure (a seven-segment ghost is on both captures' screen)
        pick = next((i for i in seen if certain[i]), seen[0])
        return Vote(reads[pick], filled_in=pick != 0, values=values)
    sure_values = {values[i] for i in seen if certain[i]}
    if len(sure_values) == 1:
        (value,) = sure_values
        pick = next(i for i in seen if values[i] == value and certain[i])
        return Vote(reads[pick], disagreed=True, filled_in=pick != 0, values=values)
    counts = Counter(values[i] for i in seen).most_common()
    if len(counts) > 1 and counts[0][1] > counts[1][1]:
        value = counts[0][0]
        pick = next(i for i in seen if values[i] == value)
        return Vote(reads[pick], disagreed=True, filled_in=pick != 0, values=values)
    return Vote(reads[0], doubted=True, disagreed=True, values=values)


class MirrorVoter:
    """Reads each meter on the mirrors' frames nearest a sample and votes with the
    primary's read. ``crops[k][meter]`` cuts meter's region out of mirror ``k``."""

    def __init__(self, feeds: Sequence[MirrorFeed], crops: Sequence[Mapping[str, MeterCrop]]):
        self.feeds = tuple(feeds)
        self.crops = tuple(crops)
        self.stats: dict[str, Counter[str]] = {}
        self.reads = 0

    def start(self) -> None:
        for feed in self.feeds:
            feed.start()

    def close(self) -> None:
        for feed in self.feeds:
            feed.close()

    def __call__(
        self,
        ts: float,
        results: Mapping[str, Read],
        readers: MeterReaders,
        prepare: Callable[[str], Callable[[Image], Image]],
        parse: Callable[[str, str], ParseResult],
        certain: Callable[[str, RawRead], bool],
    ) -> dict[str, Vote]:
        frames = [feed.near(ts) for feed in self.feeds]
        jobs: list[tuple[str, int]] = []
        images: list[Image] = []
        for k, frame in enumerate(frames):
            if frame is None:
                continue
            for name in results:
                jobs.append((name, k))
                images.append(prepare(name)(self.crops[k][name].cut(frame.image)))
        raws = readers.read_for([name for name, _ in jobs], images) if jobs else []
        self.reads += len(raws)
        mirrored: dict[tuple[str, int], RawRead] = dict(zip(jobs, raws, strict=True))
        out: dict[str, Vote] = {}
        missing = (RawRead("", 0.0), ParseResult(None, reason="no mirror frame"))
        for name, primary in results.items():
            reads = [primary]
            for k in range(len(self.feeds)):
                raw = mirrored.get((name, k))
                reads.append(missing if raw is None else (raw, parse(name, raw.value_text)))
            v = vote(reads, certain=[certain(name, r) for r, _ in reads])
            tally = self.stats.setdefault(name, Counter())
            tally["disagreed" if v.disagreed else "agreed"] += 1
            tally["filled_in"] += v.filled_in
            tally["doubted"] += v.doubted
            out[name] = v
        return out
