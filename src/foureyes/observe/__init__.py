"""Observability: the decision log (and, later, metrics, traces and the dashboard)."""

from foureyes.observe.eventlog import EventLog, Level, LogBridge

__all__ = ["EventLog", "Level", "LogBridge"]
