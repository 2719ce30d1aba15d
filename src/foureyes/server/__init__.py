"""The HTTP server: health, readiness, Prometheus metrics and a JSON API of a run."""

from foureyes.server.app import create_app

__all__ = ["create_app"]
