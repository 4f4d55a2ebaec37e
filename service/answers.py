"""The ``meta`` of an extraction answer, in one place: the HTTP endpoints and the command-line
tool build it here, so that the tool prints what ``POST /v1/extract`` answers, key for key."""
from __future__ import annotations

import datetime as dt
from typing import Any


def extraction_meta(model_info: dict[str, Any], event_types: list[str], characters: int, event_count: int,
                    elapsed_ms: float) -> dict[str, Any]:
    """What was searched with which model, how much text, how many events, in how long."""
    return {
        "model": model_info["name"],
        "model_version": model_info["version"],
        "event_types": event_types,
        "characters": characters,
        "event_count": event_count,
        "elapsed_ms": round(elapsed_ms, 2),
    }


def document_answer(events: list[dict[str, Any]], meta: dict[str, Any], document_date: dt.date | None) -> dict[str, Any]:
    """The answer for one document: its events, and the meta with the date they were read against."""
    return {"events": events, "meta": {**meta, "document_date": document_date.isoformat() if document_date else None}}
