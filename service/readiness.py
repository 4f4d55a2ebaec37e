"""Readiness: the model is loaded and has read a document, so the first real request is not the slow one."""
from __future__ import annotations

import time

from .engine import Engine

# Exercises every stage of the pipeline (it holds an event, so the parser and the argument
# finders run too) and is short enough to cost a few milliseconds.
WARM_UP_TEXT = (
    "On Tuesday the China Securities Regulatory Commission approved Biren Technology's application "
    "to list in Hong Kong. The Shanghai-based GPU designer unveiled its BR100 chip in 2022."
)


class Readiness:
    """Whether this process may be sent traffic."""

    def __init__(self) -> None:
        self.ready = False
        self.warm_up_ms: float | None = None

    def warm_up(self, engine: Engine) -> None:
        """Read the warm-up document. A failure propagates: a service that cannot read stops at start-up."""
        started = time.perf_counter()
        engine.extract([WARM_UP_TEXT])
        self.warm_up_ms = round((time.perf_counter() - started) * 1000, 2)
        self.ready = True
