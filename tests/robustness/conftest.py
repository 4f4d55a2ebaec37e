"""Shared helpers of the robustness suite: walking a result for its spans and date values."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def spans(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``{text, start, end}`` object anywhere in an engine or API result."""
    if isinstance(node, dict):
        if isinstance(node.get("start"), int) and isinstance(node.get("end"), int) and "text" in node:
            yield node
        for value in node.values():
            yield from spans(value)
    elif isinstance(node, list):
        for item in node:
            yield from spans(item)


def date_values(events: list[dict[str, Any]]) -> Iterator[Any]:
    """The ``value`` of every date of every event."""
    for event in events:
        for date in event.get("dates", []):
            yield date["value"]


def check_spans(text: str, events: list[dict[str, Any]]) -> int:
    """Assert each span indexes ``text`` exactly; return how many there were."""
    count = 0
    for span in spans(events):
        assert 0 <= span["start"] <= span["end"] <= len(text), span
        assert text[span["start"]:span["end"]] == span["text"], (span, text[span["start"]:span["end"]])
        count += 1
    return count
