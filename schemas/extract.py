"""Request and response schemas of ``POST /v1/extract``."""
from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

_SURROGATE = re.compile("[\ud800-\udfff]")


class ExtractRequestSchema(Schema):
    """A document to read: its text, optional publication date and event-type filter."""

    class Meta:
        unknown = RAISE

    text = fields.String(required=True)
    document_date = fields.Date(load_default=None, allow_none=True, format="%Y-%m-%d")
    event_types = fields.List(fields.String(), load_default=None, allow_none=True)

    def __init__(self, *, known_types: list[str], max_text_chars: int, max_event_types: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.known_types = known_types
        self.max_text_chars = max_text_chars
        self.max_event_types = max_event_types

    @validates("text")
    def _text(self, value: str, **_: object) -> None:
        if not value.strip():
            raise ValidationError("text is empty or only whitespace.")
        if _SURROGATE.search(value):
            # JSON allows "\ud800" escapes, but a lone surrogate is not a character: spaCy cannot encode it.
            raise ValidationError("text contains an unpaired surrogate escape (\\ud800-\\udfff), which is not a character.")
        if len(value) > self.max_text_chars:
            raise ValidationError(f"text has {len(value)} characters; the limit is {self.max_text_chars}.")

    @validates("event_types")
    def _event_types(self, value: list[str] | None, **_: object) -> None:
        if value is None:
            return
        if not value:
            raise ValidationError("event_types is empty; omit it to get every type.")
        if len(value) > self.max_event_types:
            raise ValidationError(f"event_types has {len(value)} items; the limit is {self.max_event_types}.")
        unknown = sorted(set(value) - set(self.known_types))
        if unknown:
            raise ValidationError(f"unknown event types {unknown}; known: {sorted(self.known_types)}.")


class SpanSchema(Schema):
    text = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)


class ActorSchema(SpanSchema):
    role = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)


class DateSchema(SpanSchema):
    value = fields.String(required=True, allow_none=True)


class LocationSchema(SpanSchema):
    country = fields.String(required=True)


class MentionSchema(Schema):
    trigger = fields.Nested(SpanSchema, required=True)
    sentence = fields.Nested(SpanSchema, required=True)


class EventSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    stage = fields.String(required=True)
    polarity = fields.String(required=True, validate=validate.OneOf(["positive", "negative"]))
    modality = fields.String(required=True, validate=validate.OneOf(["asserted", "planned", "speculated"]))
    confidence = fields.Float(required=True, validate=validate.Range(0, 1))
    trigger = fields.Nested(SpanSchema, required=True)
    mentions = fields.List(fields.Nested(MentionSchema), required=True)
    actors = fields.List(fields.Nested(ActorSchema), required=True)
    dates = fields.List(fields.Nested(DateSchema), required=True)
    locations = fields.List(fields.Nested(LocationSchema), required=True)
    products = fields.List(fields.Nested(SpanSchema), required=True)


class MetaSchema(Schema):
    model = fields.String(required=True)
    model_version = fields.String(required=True)
    document_date = fields.String(required=True, allow_none=True)
    event_types = fields.List(fields.String(), required=True)
    characters = fields.Integer(required=True)
    event_count = fields.Integer(required=True)
    elapsed_ms = fields.Float(required=True)


class ExtractResponseSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True)
    meta = fields.Nested(MetaSchema, required=True)
