"""Mirror feeds: which of a second capture's frames goes with a sample."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from foureyes.model import Frame
from foureyes.sources.base import SourceBase, SourceInfo
from foureyes.sources.mirror import MirrorFeed


class Frames(SourceBase):
    """Frames at the given stream times (a file of them)."""

    def __init__(self, times: list[float]) -> None:
        self.times = times

    def open(self) -> SourceInfo:
        return SourceInfo(uri="mem", live=False, width=4, height=4)

    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        for i, ts in enumerate(self.times):
            yield Frame(i, ts, np.zeros((4, 4, 3), np.uint8), "mem")

    def close(self) -> None:
        pass


def test_a_file_mirror_gives_the_frame_nearest_each_sample() -> None:
    """Samples every 0.5 s; the mirror's frames are 0.1 s off and one is missing."""
    feed = MirrorFeed(Frames([0.1, 0.6, 1.6, 2.1]), live=False, tolerance=0.25)
    feed.start()
    got = [feed.near(ts) for ts in (0.0, 0.5, 1.0, 1.5, 2.0)]
    assert [f.index if f else None for f in got] == [0, 1, None, 2, 3]
    assert feed.missing == 1
    feed.close()


def test_a_live_mirror_gives_its_newest_frame_while_fresh() -> None:
    """Two live streams keep separate clocks: the newest frame goes, if it is recent."""
    now = [100.0]
    feed = MirrorFeed(
        Frames([50.0, 50.5, 51.0]), live=True, tolerance=0.25, fresh=1.0, clock=lambda: now[0]
    )
    feed.start()
    feed._thread.join(5)  # the three frames are in
    newest = feed.near(0.0)
    assert newest is not None and newest.index == 2
    now[0] += 5.0  # nothing new for five seconds: the mirror is stale
    assert feed.near(0.5) is None
    assert feed.missing == 1
    feed.close()
