"""FourEyes: trustworthy readings and events from on-screen meters."""

from foureyes.config import Config, load_config
from foureyes.errors import (
    ConfigError,
    FourEyesError,
    OutputError,
    ReaderError,
    SourceConnectError,
    SourceDecodeError,
    SourceEmpty,
    SourceError,
    SourceNotFound,
)
from foureyes.model import Event, EventType, Frame, MeterKind, Reading, Status

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Event",
    "EventType",
    "FourEyesError",
    "Frame",
    "MeterKind",
    "OutputError",
    "ReaderError",
    "Reading",
    "SourceConnectError",
    "SourceDecodeError",
    "SourceEmpty",
    "SourceError",
    "SourceNotFound",
    "Status",
    "__version__",
    "load_config",
]
