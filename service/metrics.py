"""Prometheus metrics, added up across gunicorn's worker processes.

gunicorn.conf.py sets ``PROMETHEUS_MULTIPROC_DIR`` before this module is imported, so every
worker writes its values to files there and ``GET /metrics`` in any worker reads all of them.
Without that variable (the Flask test client, a single process) the process's own registry is
served instead. Label values come from closed sets (routes, the ontology, problem kinds), so a
client cannot grow the number of series.
"""
from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "event_extraction"
# Seconds, from a tiny document (a few ms) to a request at the limits (tens of seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)

REQUESTS = Counter(f"{PREFIX}_http_requests", "HTTP requests answered, by route, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram(f"{PREFIX}_http_request_duration_seconds", "Time to answer a request, by route.",
                    ["endpoint"], buckets=LATENCY_BUCKETS)
DOCUMENTS = Counter(f"{PREFIX}_documents", "Documents read by the engine.")
CHARACTERS = Counter(f"{PREFIX}_characters", "Characters of text read by the engine.")
EVENTS = Counter(f"{PREFIX}_events", "Events extracted, by event type.", ["type"])
ERRORS = Counter(f"{PREFIX}_errors", "Error responses, by problem kind.", ["kind"])


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format and its content type."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
