"""Observability: the decision log, Prometheus metrics, alerts, traces and `foureyes stats`
(the dashboard is in :mod:`foureyes.server`)."""

from foureyes.observe.eventlog import EventLog, Level, LogBridge

__all__ = ["EventLog", "Level", "LogBridge"]
