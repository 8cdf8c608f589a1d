"""Observers of runs: Prometheus metrics and structured log lines."""

from adapters.observability.log_observer import LogObserver
from adapters.observability.prometheus import PrometheusObserver

__all__ = ["LogObserver", "PrometheusObserver"]
