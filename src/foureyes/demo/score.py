"""Compare a FourEyes run with a demo video's truth, without giving the reader the benefit.

Values match only to the cent, against the truth value or, mid-roll, the old value still
partly on screen. Accuracy counts only readings of frames whose value was fully visible,
but a wrong number counts wherever it was reported: a reader that invents a value under a
popup is wrong. An event matches a true one of the same meter if it comes at or after it and
within 10 s; each true event takes at most one match, the rest are duplicates.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EventScore", "MeterScore", "Score", "score", "score_windows"]

MATCH_SECONDS = 10.0


@dataclass(frozen=True)
class MeterScore:
    samples: int = 0
    visible: int = 0
    correct: int = 0
    wrong: int = 0
    nulls: int = 0  # null values on visible frames
    settled: int = 0  # visible frames not caught mid-roll
    settled_correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.visible if self.visible else 0.0

    @property
    def settled_accuracy(self) -> float:
        """Accuracy on visible frames whose digits were at rest: where a mid-roll frame's
        null comes from, this tells apart a reader that cannot read from one that will not
        guess."""
        return self.settled_correct / self.settled if self.settled else 0.0

    def __add__(self, other: MeterScore) -> MeterScore:
        return MeterScore(
            *(
                getattr(self, k) + getattr(other, k)
                for k in (
                    "samples",
                    "visible",
                    "correct",
                    "wrong",
                    "nulls",
                    "settled",
                    "settled_correct",
                )
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "accuracy": round(self.accuracy, 4),
            "settled_accuracy": round(self.settled_accuracy, 4),
        }


@dataclass(frozen=True)
class EventScore:
    true: int = 0
    found: int = 0
    missed: int = 0
    false: int = 0
    duplicate: int = 0


@dataclass(frozen=True)
class Score:
    overall: MeterScore
    meters: dict[str, MeterScore] = field(default_factory=dict)
    resets: EventScore = EventScore()
    thresholds: EventScore = EventScore()
    duplicate_ids: int = 0

    @property
    def accuracy(self) -> float:
        return self.overall.accuracy

    @property
    def duplicate_events(self) -> int:
        return self.resets.duplicate + self.thresholds.duplicate + self.duplicate_ids

    def to_dict(self) -> dict[str, Any]:
        r, t = self.resets, self.thresholds
        return {
            **self.overall.to_dict(),
            "meters": {m: s.to_dict() for m, s in self.meters.items()},
            "resets_true": r.true,
            "resets_found": r.found,
            "resets_missed": r.missed,
            "false_resets": r.false,
            "thresholds_true": t.true,
            "thresholds_found": t.found,
            "thresholds_missed": t.missed,
            "false_thresholds": t.false,
            "duplicate_events": self.duplicate_events,
        }

    def lines(self) -> list[str]:
        o, r, t = self.overall, self.resets, self.thresholds
        out = [
            f"accuracy {o.accuracy:.1%} ({o.correct}/{o.visible} visible samples), "
            f"{o.wrong} wrong values, {o.nulls} nulls on visible frames, {o.samples} readings",
            f"accuracy on settled frames (digits not mid-roll) {o.settled_accuracy:.1%} "
            f"({o.settled_correct}/{o.settled})",
        ]
        out += [
            f"  {m:<8} {s.accuracy:6.1%}  correct {s.correct}/{s.visible}  wrong {s.wrong}  "
            f"nulls {s.nulls}"
            for m, s in self.meters.items()
        ]
        out.append(
            f"resets: {r.found}/{r.true} found, {r.missed} missed, {r.false} false; "
            f"thresholds: {t.found}/{t.true} found, {t.missed} missed, {t.false} false; "
            f"{self.duplicate_events} duplicate events"
        )
        return out


def _read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{n}: expected a JSON object")
        missing = [k for k in required if k not in row]
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(missing)}")
        if not isinstance(row["frame"], int) or isinstance(row["frame"], bool):
            raise ValueError(f"{path}:{n}: frame must be an integer")
        rows.append(row)
    return rows


def _cents(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: value must be a number or null, got {value!r}")
    return round(value * 100)


_Truth = dict[tuple[int, str], tuple[set[int], bool, float]]  # values, visible, ts


def _load_truth(truth_dir: Path) -> tuple[_Truth, float]:
    truth_path = truth_dir / "truth.jsonl"
    truth: _Truth = {}
    fps = 0.0
    for row in _read_jsonl(truth_path, ("frame", "ts", "meter", "value", "alt", "visible")):
        values = {round(v * 100) for v in [row["value"], *row["alt"]]}
        truth[(row["frame"], row["meter"])] = (values, bool(row["visible"]), float(row["ts"]))
        if row["frame"] > 0 and row["ts"] > 0:
            fps = row["frame"] / row["ts"]
    return truth, fps


def _tally(
    run_dir: Path, truth_dir: Path, truth: _Truth, bucket: float | None
) -> dict[tuple[str, int], Counter[str]]:
    """Counts per (meter, time bucket) of the readings against the truth (one bucket,
    0, when ``bucket`` is None)."""
    readings_path = run_dir / "readings.jsonl"
    counts: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for n, row in enumerate(_read_jsonl(readings_path, ("frame", "meter", "value")), start=1):
        where = f"{readings_path}:{n}"
        key = (row["frame"], row["meter"])
        if key not in truth:
            raise ValueError(
                f"{where}: frame {key[0]} of meter {key[1]!r} is not in {truth_dir}/truth.jsonl"
            )
        values, visible, ts = truth[key]
        cents = _cents(row["value"], where)
        c = counts[(row["meter"], int(ts // bucket) if bucket else 0)]
        c["samples"] += 1
        c["visible"] += visible
        settled = visible and len(values) == 1
        c["settled"] += settled
        if cents is None:
            c["nulls"] += visible
        elif cents in values:
            c["correct"] += visible
            c["settled_correct"] += settled
        else:
            c["wrong"] += 1
    return counts


def _meter_score(c: Counter[str]) -> MeterScore:
    return MeterScore(
        c["samples"],
        c["visible"],
        c["correct"],
        c["wrong"],
        c["nulls"],
        c["settled"],
        c["settled_correct"],
    )


def score_windows(run_dir: Path, truth_dir: Path, seconds: float) -> dict[str, list[MeterScore]]:
    """Per meter, the score of each consecutive ``seconds`` of stream time: whether a long
    run holds its accuracy or decays."""
    if seconds <= 0:
        raise ValueError(f"window must be positive, got {seconds}")
    truth, _ = _load_truth(truth_dir)
    counts = _tally(run_dir, truth_dir, truth, seconds)
    out: dict[str, list[MeterScore]] = {}
    for meter in dict.fromkeys(m for _, m in truth):
        last = max((k for m, k in counts if m == meter), default=-1)
        out[meter] = [_meter_score(counts.get((meter, k), Counter())) for k in range(last + 1)]
    return out


def score(run_dir: Path, truth_dir: Path) -> Score:
    """Score ``run_dir``'s readings.jsonl and events.jsonl against ``truth_dir``'s truth."""
    truth, fps = _load_truth(truth_dir)
    counts = _tally(run_dir, truth_dir, truth, None)
    per_meter = {  # board order, as in the truth
        meter: _meter_score(counts.get((meter, 0), Counter()))
        for meter in dict.fromkeys(m for _, m in truth)
    }
    overall = sum(per_meter.values(), MeterScore())

    true_events = _read_jsonl(truth_dir / "truth_events.jsonl", ("frame", "meter", "type"))
    events_path = run_dir / "events.jsonl"
    events = _read_jsonl(events_path, ("frame", "meter", "type"))
    seen: Counter[str] = Counter(str(e["id"]) for e in events if "id" in e)
    duplicate_ids = sum(k - 1 for k in seen.values())
    unique: list[dict[str, Any]] = []
    taken: set[str] = set()
    for e in events:
        if "id" in e:
            if str(e["id"]) in taken:
                continue
            taken.add(str(e["id"]))
        unique.append(e)
    window = round(MATCH_SECONDS * fps) if fps else 10**9
    return Score(
        overall=overall,
        meters=per_meter,
        resets=_match(true_events, unique, "reset", window),
        thresholds=_match(true_events, unique, "threshold", window),
        duplicate_ids=duplicate_ids,
    )


def _match(
    truth: list[dict[str, Any]], found: list[dict[str, Any]], kind: str, window: int
) -> EventScore:
    """Give each reported event to the latest true event it can follow, then tally."""
    true_ev = sorted((e for e in truth if e["type"] == kind), key=lambda e: e["frame"])
    hits = [0] * len(true_ev)
    false = 0
    for ev in (e for e in found if e["type"] == kind):
        best = None
        for i, t in enumerate(true_ev):
            same = t["meter"] == ev["meter"] and (
                kind != "threshold" or _same_level(t.get("threshold"), ev.get("threshold"))
            )
            if same and t["frame"] <= ev["frame"] <= t["frame"] + window:
                best = i
        if best is None:
            false += 1
        else:
            hits[best] += 1
    found_n = sum(h > 0 for h in hits)
    return EventScore(
        true=len(true_ev),
        found=found_n,
        missed=len(true_ev) - found_n,
        false=false,
        duplicate=sum(h - 1 for h in hits if h > 1),
    )


def _same_level(truth: Any, reported: Any) -> bool:
    if reported is None or truth is None:
        return True
    try:
        return round(float(truth) * 100) == round(float(reported) * 100)
    except (TypeError, ValueError):
        return False
