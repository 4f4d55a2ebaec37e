"""Per-request bookkeeping: the request id, one JSON log line and the metrics of each request.

The log line says what was done (sizes, counts, timing) and never what was read: the submitted
text and ids stay out of the logs.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, g, request

from . import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller may send as its own request id; anything else is replaced by a fresh one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Methods labelled by name in metrics; any other (a client can send any token) is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
request_log = logging.getLogger("event_extraction.requests")


class _StdoutLines(logging.Handler):
    """One record per line on the current ``sys.stdout``, flushed at once.

    Each line is written in one call, so lines from several workers sharing the stream do not
    interleave; looking ``sys.stdout`` up on each record follows a stream that was replaced."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def configure_logging(level: str) -> None:
    """Request lines to stdout as JSON; everything else (warnings, tracebacks) to stderr."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    if not request_log.handlers:
        request_log.addHandler(_StdoutLines())
        request_log.propagate = False
    request_log.setLevel(level.upper())


def record_work(texts: Sequence[str], results: Sequence[Sequence[dict[str, Any]]]) -> None:
    """Count what the engine did for this request, for the metrics and the log line."""
    characters = sum(len(text) for text in texts)
    by_type = Tally(event["type"] for events in results for event in events)
    g.documents, g.characters, g.events = len(texts), characters, sum(by_type.values())
    metrics.DOCUMENTS.inc(len(texts))
    metrics.CHARACTERS.inc(characters)
    for event_type, count in by_type.items():
        metrics.EVENTS.labels(type=event_type).inc(count)


def _start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else str(uuid.uuid4())
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    method = request.method if request.method in METHODS else "other"
    metrics.REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
    metrics.LATENCY.labels(endpoint=endpoint).observe(elapsed)
    if "problem_kind" in g:
        metrics.ERRORS.labels(kind=g.problem_kind).inc()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    request_log.info(json.dumps({
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "request_id": g.request_id,
        "method": request.method[:16],
        "path": request.path[:256],
        "status": response.status_code,
        "duration_ms": round(elapsed * 1000, 2),
        "documents": g.get("documents", 0),
        "characters": g.get("characters", 0),
        "events": g.get("events", 0),
        "pid": os.getpid(),
    }))
    return response


def register_request_hooks(app: Flask) -> None:
    """Give every request an id first, and log and count it last (errors included)."""
    app.before_request(_start)
    app.after_request(_finish)
