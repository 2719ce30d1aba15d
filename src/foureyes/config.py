"""The YAML config: what to read, where the meters are, and which events to report.

Pydantic validates the file once, at the edge; the rest of FourEyes sees plain frozen
values. Every problem becomes a :class:`~foureyes.errors.ConfigError` naming the file, the
key and what is wrong, so a user can fix it without reading a traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from foureyes.errors import ConfigError, redact_url, url_origin
from foureyes.model import MeterKind, Region

__all__ = [
    "DEFAULT_READER",
    "AlertRule",
    "AlertsConfig",
    "BreakerConfig",
    "Config",
    "EventsConfig",
    "MeterConfig",
    "ReaderConfig",
    "SourceConfig",
    "TracesConfig",
    "WebhookConfig",
    "load_config",
]

_STRICT = ConfigDict(extra="forbid", frozen=True)
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
DEFAULT_READER = "default"  # the ``reader`` key's name in a meter's chain


class FallbackSourceConfig(BaseModel):
    """A standby source: a second capture of the same screen."""

    model_config = _STRICT

    uri: str = Field(min_length=1)
    after: PositiveFloat = 15.0  # seconds the primary may deliver nothing before it serves


class MirrorConfig(BaseModel):
    """Another capture of the same screen, read at the primary's samples and voted with."""

    model_config = _STRICT

    uri: str = Field(min_length=1)
    regions: dict[str, tuple[int, int, int, int]] = Field(default_factory=dict)


class SourceConfig(BaseModel):
    model_config = _STRICT

    uri: str = Field(min_length=1)
    fps: PositiveFloat = 2.0
    startup_timeout: PositiveFloat = 30.0
    no_frame_timeout: PositiveFloat = 10.0
    frozen_after: PositiveFloat | None = 60.0  # seconds of an unchanged picture; null: off
    fallback: FallbackSourceConfig | None = None
    mirrors: list[MirrorConfig] = Field(default_factory=list, max_length=4)


class MeterConfig(BaseModel):
    model_config = _STRICT

    region: tuple[int, int, int, int]
    kind: MeterKind = MeterKind.CURRENCY
    corners: tuple[tuple[float, float], ...] | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    max_rise_per_second: PositiveFloat | None = None
    min_confidence: float = Field(default=0.6, ge=0, le=1)
    reset_min_drop: float = Field(default=0.01, gt=0, lt=1)
    reset_to: list[float] = Field(default_factory=list, max_length=16)
    # the fallback chain: names under ``readers`` (or "default", the ``reader`` key), in order
    readers: list[str] = Field(default_factory=lambda: [DEFAULT_READER], min_length=1)

    @field_validator("readers")
    @classmethod
    def _distinct_readers(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a reader may appear only once in a meter's chain")
        return v

    @field_validator("region")
    @classmethod
    def _region_positive(cls, v: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x, y, w, h = v
        if x < 0 or y < 0:
            raise ValueError("x and y must be 0 or more")
        if w <= 0 or h <= 0:
            raise ValueError("width and height must be more than 0")
        return v

    @field_validator("corners")
    @classmethod
    def _four_corners(
        cls, v: tuple[tuple[float, float], ...] | None
    ) -> tuple[tuple[float, float], ...] | None:
        if v is not None and len(v) != 4:
            raise ValueError("give 4 corners: top-left, top-right, bottom-right, bottom-left")
        return v

    @model_validator(mode="after")
    def _decimals_fit_kind(self) -> MeterConfig:
        if self.kind is MeterKind.INTEGER and self.decimals:
            raise ValueError("an integer meter has no decimals")
        return self

    @property
    def box(self) -> Region:
        return Region(*self.region)


class EventsConfig(BaseModel):
    model_config = _STRICT

    thresholds: dict[str, list[float]] = Field(default_factory=dict)
    reset_confirm_samples: int = Field(default=3, ge=1, le=50)
    reset_confirm_seconds: float = Field(default=1.5, ge=0)


class BreakerConfig(BaseModel):
    """A reader's circuit breaker, in resilience4j's terms (see resilience/breaker.py)."""

    model_config = _STRICT

    window_size: int = Field(default=20, ge=1, le=10_000)
    minimum_calls: int = Field(default=10, ge=1, le=10_000)
    failure_rate_threshold: float = Field(default=50.0, gt=0, le=100)
    slow_call_rate_threshold: float = Field(default=100.0, gt=0, le=100)
    slow_call_duration: PositiveFloat = 60.0
    wait_in_open: float = Field(default=30.0, ge=0)
    permitted_calls_in_half_open: int = Field(default=3, ge=1, le=1000)
    max_wait_in_half_open: float = Field(default=0.0, ge=0)


class ReaderConfig(BaseModel):
    """One model endpoint: which reader, and how its calls are guarded."""

    model_config = _STRICT

    name: str = "rapidocr"
    threads: int = Field(default=0, ge=0, le=64)
    timeout: PositiveFloat | None = 10.0  # seconds per attempt; null: no limit
    retries: int = Field(default=2, ge=0, le=20)
    backoff_initial: float = Field(default=0.1, ge=0)
    backoff_max: float = Field(default=2.0, ge=0)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    expensive: bool = False  # skipped from the "minimal" degradation level on


class DegradeConfig(BaseModel):
    """When a live source outruns the readers, do less (resilience/degrade.py)."""

    model_config = _STRICT

    enabled: bool | None = None  # None: for live sources only
    up_after: int = Field(default=3, ge=1, le=1000)
    down_after: int = Field(default=10, ge=1, le=10_000)
    keep: list[str] = Field(default_factory=list)  # meters read in emergency (default: first)


class TrackingConfig(BaseModel):
    model_config = _STRICT

    # In seconds of stream time, so that a meter is judged alike at any sampling rate.
    lookahead_seconds: float = Field(default=1.5, gt=0, le=30)
    second_look: bool = True
    second_look_seconds: float = Field(default=1.0, gt=0, le=10)
    history: int = Field(default=4, ge=1, le=50)
    max_pending_seconds: float = Field(default=20.0, ge=2, le=600)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old in ("lookahead", "max_pending"):
                if old in data:
                    raise ValueError(
                        f"tracking.{old} counted samples and is now {old}_seconds (stream "
                        "seconds, the same at any sampling rate): rename it"
                    )
        return data


class WebhookConfig(BaseModel):
    """Where alerts are posted (JSON). ``headers`` carry secrets (a token): never logged."""

    model_config = _STRICT

    url: str = Field(pattern=r"^https?://\S+$")
    headers: dict[str, str] = Field(default_factory=dict, max_length=16)
    timeout: PositiveFloat = 5.0  # seconds per attempt
    retries: int = Field(default=3, ge=0, le=20)
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)


class SourceDownRule(BaseModel):
    """The source delivered no frame for ``for_seconds``."""

    model_config = _STRICT

    type: Literal["source_down"]
    name: str | None = None
    for_seconds: PositiveFloat = 30.0


class ReadP95Rule(BaseModel):
    """The 95th percentile of sample read time over ``window_seconds`` is above ``seconds``."""

    model_config = _STRICT

    type: Literal["read_p95_above"]
    name: str | None = None
    seconds: PositiveFloat
    window_seconds: PositiveFloat = 300.0
    min_samples: int = Field(default=5, ge=1, le=10_000)


class NoReadingRule(BaseModel):
    """A meter had no value (ok or held) for ``for_minutes``."""

    model_config = _STRICT

    type: Literal["no_reading"]
    name: str | None = None
    meter: str
    for_minutes: PositiveFloat = 5.0


class ResetRule(BaseModel):
    """A reset (pop) of ``meter``, or of any meter when it is left out."""

    model_config = _STRICT

    type: Literal["reset"]
    name: str | None = None
    meter: str | None = None


AlertRule = Annotated[
    SourceDownRule | ReadP95Rule | NoReadingRule | ResetRule, Field(discriminator="type")
]


class AlertsConfig(BaseModel):
    model_config = _STRICT

    webhook: WebhookConfig | None = None  # None: alerts only show on the dashboard and log
    rules: list[AlertRule] = Field(default_factory=list, max_length=100)


class TracesConfig(BaseModel):
    """OpenTelemetry over OTLP/HTTP; ``FOUREYES_OTLP_ENDPOINT`` overrides ``endpoint``."""

    model_config = _STRICT

    endpoint: str | None = Field(default=None, pattern=r"^https?://\S+$")  # e.g. http://host:4318
    headers: dict[str, str] = Field(default_factory=dict, max_length=16)
    service_name: str = Field(default="foureyes", min_length=1)


class Config(BaseModel):
    model_config = _STRICT

    source: SourceConfig
    meters: dict[str, MeterConfig] = Field(min_length=1)
    events: EventsConfig = Field(default_factory=EventsConfig)
    reader: ReaderConfig = Field(default_factory=ReaderConfig)
    readers: dict[str, ReaderConfig] = Field(default_factory=dict, max_length=16)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    degrade: DegradeConfig = Field(default_factory=DegradeConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    traces: TracesConfig = Field(default_factory=TracesConfig)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("meters")
    @classmethod
    def _meter_names(cls, v: dict[str, MeterConfig]) -> dict[str, MeterConfig]:
        for name in v:
            if not name or not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"meter name {name!r} may hold only letters, digits, - and _")
        return v

    @model_validator(mode="after")
    def _thresholds_name_meters(self) -> Config:
        for name, values in self.events.thresholds.items():
            if name not in self.meters:
                known = ", ".join(sorted(self.meters))
                raise ValueError(
                    f"events.thresholds names unknown meter {name!r} (meters: {known})"
                )
            if any(not math.isfinite(t) for t in values):
                raise ValueError(f"events.thresholds.{name} must be finite numbers")
        return self

    @model_validator(mode="after")
    def _chains_name_readers(self) -> Config:
        if DEFAULT_READER in self.readers:
            raise ValueError(f"readers.{DEFAULT_READER}: that name is the 'reader' key's")
        known = {DEFAULT_READER, *self.readers}
        for name, meter in self.meters.items():
            for r in meter.readers:
                if r not in known:
                    raise ValueError(
                        f"meters.{name}.readers names unknown reader {r!r} "
                        f"(readers: {', '.join(sorted(known))})"
                    )
        return self

    @model_validator(mode="after")
    def _mirror_regions_name_meters(self) -> Config:
        for k, mirror in enumerate(self.source.mirrors):
            unknown = [m for m in mirror.regions if m not in self.meters]
            if unknown:
                raise ValueError(
                    f"source.mirrors.{k}.regions names unknown meter(s) {', '.join(unknown)}"
                )
        return self

    def mirror_region(self, k: int, meter: str) -> tuple[int, int, int, int]:
        """Where ``meter`` is on mirror ``k``'s frames: its own region, or the primary's."""
        return self.source.mirrors[k].regions.get(meter, self.meters[meter].region)

    @model_validator(mode="after")
    def _keep_names_meters(self) -> Config:
        unknown = [m for m in self.degrade.keep if m not in self.meters]
        if unknown:
            raise ValueError(f"degrade.keep names unknown meter(s) {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _alerts_name_meters(self) -> Config:
        for k, rule in enumerate(self.alerts.rules):
            meter = getattr(rule, "meter", None)
            if meter is not None and meter not in self.meters:
                known = ", ".join(sorted(self.meters))
                raise ValueError(f"alerts.rules.{k}.meter: unknown meter {meter!r} ({known})")
        # A rule's records are told apart by its name, or else by its type and meter.
        labels = [
            r.name or ":".join(filter(None, (r.type, getattr(r, "meter", None))))
            for r in self.alerts.rules
        ]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"alerts.rules: give each of the rules {twice[0]!r} its own name")
        return self

    def redacted(self, *, exclude_defaults: bool = False) -> dict[str, Any]:
        """The config as JSON with its secrets masked: passwords in URLs, header values,
        a webhook's path and query (a Slack-style hook URL is itself the secret). This is
        what a run stores (its record, failure bundles), since a store travels further
        than the config file."""
        data = self.model_dump(mode="json", exclude_defaults=exclude_defaults)
        source = data.get("source", {})
        for part in [source, source.get("fallback") or {}, *source.get("mirrors", [])]:
            if "uri" in part:
                part["uri"] = redact_url(part["uri"])
        hook = data.get("alerts", {}).get("webhook") or {}
        if "url" in hook:
            hook["url"] = url_origin(hook["url"])
        traces = data.get("traces", {})
        if traces.get("endpoint"):
            traces["endpoint"] = redact_url(traces["endpoint"])
        for part in (hook, traces):
            if part.get("headers"):
                part["headers"] = dict.fromkeys(part["headers"], "***")
        return data

    def reader_config(self, name: str) -> ReaderConfig:
        """The endpoint called ``name`` in meters' chains."""
        return self.reader if name == DEFAULT_READER else self.readers[name]

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def check_mirror_size(self, k: int, width: int, height: int) -> None:
        """Raise if a meter's region on mirror ``k`` does not fit its frames."""
        for name in self.meters:
            mx, my, mw, mh = self.mirror_region(k, name)
            if mx + mw > width or my + mh > height:
                raise ConfigError(
                    f"region {[mx, my, mw, mh]} lies outside the {width}x{height} frame of "
                    "the mirror; give the mirror its own regions",
                    path=str(self.path) if self.path else None,
                    key=f"source.mirrors.{k}.regions.{name}",
                )

    def check_frame_size(self, width: int, height: int) -> None:
        """Raise if a meter's region does not lie inside a ``width`` x ``height`` frame."""
        for name, meter in self.meters.items():
            x, y, w, h = meter.region
            if x + w > width or y + h > height:
                raise ConfigError(
                    f"region {list(meter.region)} reaches ({x + w}, {y + h}), outside the "
                    f"{width}x{height} frame; measure the region on a frame of this source",
                    path=str(self.path) if self.path else None,
                    key=f"meters.{name}.region",
                )
            for cx, cy in meter.corners or ():
                if not (0 <= cx <= width and 0 <= cy <= height):
                    raise ConfigError(
                        f"corner ({cx}, {cy}) lies outside the {width}x{height} frame",
                        path=str(self.path) if self.path else None,
                        key=f"meters.{name}.corners",
                    )


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "__root__") or "(top level)"


def _message(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the README's config reference"
    if kind == "missing":
        return "missing; this key is required"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def config_from_dict(data: Any, *, path: Path | None = None) -> Config:
    """Validate an already-parsed config mapping (for the Python API and tests)."""
    where = str(path) if path else None
    if not isinstance(data, dict):
        raise ConfigError("the file must hold a mapping with 'source' and 'meters'", path=where)
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        err = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(_message(err) + suffix, path=where, key=_key(err["loc"])) from None


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("no such file; check the path", path=str(p))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"not valid YAML{at}: {problem}", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(p)) from None
    return config_from_dict(data, path=p.resolve())
