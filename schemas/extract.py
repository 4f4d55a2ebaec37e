"""Request schemas of ``POST /v1/extract`` and ``POST /v1/extract/batch``.

The limits come from ``Settings``, which tests and deployments vary, so the schema classes are
built once per app by :func:`build_request_schemas` from validators that carry the limits.
Responses are not described here: ``openapi.yaml`` is their one description, and the contract
tests hold real responses against it.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictSchema(Schema):
    """Any property a schema does not define is refused, so a typo is a 422, not silently ignored."""

    class Meta:
        unknown = RAISE


class IsoDate(fields.Date):
    """A calendar date written exactly ``YYYY-MM-DD``: ``strptime`` alone also takes ``2025-6-1``."""

    default_error_messages = {"invalid": "Not a valid date; write it as YYYY-MM-DD, e.g. 2025-06-01."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class DocumentText(validate.Validator):
    """Text the engine can read: some non-whitespace, only real characters, at most ``max_chars``."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def __call__(self, value: str) -> str:
        if not value.strip():
            raise ValidationError("text is empty or only whitespace.")
        if _SURROGATE.search(value):
            # JSON allows "\ud800" escapes, but a lone surrogate is not a character: spaCy cannot encode it.
            raise ValidationError(
                "text contains an unpaired surrogate escape (\\ud800-\\udfff), which is not a character.")
        if len(value) > self.max_chars:
            raise ValidationError(f"text has {len(value)} characters; the limit is {self.max_chars}.")
        return value


class EventTypes(validate.Validator):
    """A non-empty list of distinct, known event types, at most ``max_items`` long."""

    def __init__(self, max_items: int, known: Sequence[str]) -> None:
        self.max_items, self.known = max_items, sorted(known)

    def __call__(self, value: list[str]) -> list[str]:
        if not value:
            raise ValidationError("event_types is empty; omit it to get every type.")
        if len(value) > self.max_items:
            raise ValidationError(f"event_types has {len(value)} items; the limit is {self.max_items}.")
        unknown = sorted(set(value) - set(self.known))
        if unknown:
            raise ValidationError(f"unknown event types {unknown}; known: {self.known}.")
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValidationError(f"event_types lists {repeated} more than once.")
        return value


class DocumentId(validate.Validator):
    """The caller's name for a document, echoed in its result: any string of 1 to ``max_chars`` characters."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def __call__(self, value: str) -> str:
        if not 1 <= len(value) <= self.max_chars:
            raise ValidationError(f"id has {len(value)} characters; it must have 1 to {self.max_chars}.")
        return value


class DocumentList(fields.List):
    """A batch's documents: 1 to ``max_documents`` with distinct ids and ``max_chars`` of text in all.

    The limits on the whole list are checked on the raw data first, so an oversized batch is
    refused before its documents are loaded; then every document's own errors and every
    repeated id are reported together, keyed by the document's index."""

    def __init__(self, document: Schema, *, max_documents: int, max_chars: int, **kwargs: Any) -> None:
        super().__init__(fields.Nested(document), **kwargs)
        self.max_documents, self.max_chars = max_documents, max_chars

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if isinstance(value, list):
            if not value:
                raise ValidationError("documents is empty; send at least one.")
            if len(value) > self.max_documents:
                raise ValidationError(f"documents has {len(value)} items; the limit is {self.max_documents}.")
            total = sum(len(d["text"]) for d in value if isinstance(d, dict) and isinstance(d.get("text"), str))
            if total > self.max_chars:
                raise ValidationError(f"the texts have {total} characters in all; the limit is {self.max_chars}.")
        errors: dict[int, Any] = {}
        try:
            documents = super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            if not isinstance(exc.messages, dict):
                raise
            errors = exc.messages
        first: dict[str, int] = {}
        for index, document in enumerate(value):
            if isinstance(document, dict) and isinstance(document.get("id"), str):
                seen = first.setdefault(document["id"], index)
                if seen != index:
                    repeat = f"id {document['id']!r} is already used by documents.{seen}."
                    errors.setdefault(index, {}).setdefault("id", []).append(repeat)
        if errors:
            raise ValidationError(errors)
        return documents


@dataclass(frozen=True)
class RequestSchemas:
    """The loaded request schemas of one app."""

    extract: Schema
    batch: Schema


def build_request_schemas(*, known_types: Sequence[str], max_text_chars: int, max_event_types: int,
                          max_batch_documents: int, max_batch_chars: int,
                          max_document_id_chars: int) -> RequestSchemas:
    """Schemas enforcing these limits; built once at start-up, never per request."""

    def document_fields() -> dict[str, fields.Field]:
        return {
            "text": fields.String(required=True, validate=DocumentText(max_text_chars)),
            "document_date": IsoDate(load_default=None, allow_none=True),
        }

    def event_types() -> fields.Field:
        return fields.List(fields.String(), load_default=None, allow_none=True,
                           validate=EventTypes(max_event_types, known_types))

    extract = StrictSchema.from_dict({**document_fields(), "event_types": event_types()}, name="ExtractRequest")
    document = StrictSchema.from_dict(
        {"id": fields.String(required=True, validate=DocumentId(max_document_id_chars)), **document_fields()},
        name="BatchDocument",
    )
    batch = StrictSchema.from_dict(
        {
            "documents": DocumentList(document(), required=True, max_documents=max_batch_documents,
                                      max_chars=max_batch_chars),
            "event_types": event_types(),
        },
        name="BatchRequest",
    )
    return RequestSchemas(extract=extract(), batch=batch())
