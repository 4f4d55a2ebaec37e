"""The HTTP routes, kept thin: parse and validate, call the engine, serialise."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from marshmallow import ValidationError

from schemas.extract import ExtractRequestSchema
from .engine import Engine
from .errors import ProblemError

bp = Blueprint("api", __name__)
OPENAPI_FILE = Path(__file__).resolve().parent.parent / "openapi.yaml"
JSON_TYPES = ("application/json",)
# What a client sent, in JSON's words rather than Python's ("null", not "NoneType").
JSON_TYPE_NAMES = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def engine() -> Engine:
    """The process's engine, created once by ``create_app``."""
    return current_app.extensions["engine"]


def read_json_body() -> Any:
    """The request body as JSON: UTF-8 only, declared as JSON, and not absurdly nested."""
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise ProblemError(415, "unsupported-media-type", "Unsupported Media Type",
                           f"Content-Type must be application/json, not {request.mimetype or 'missing'!r}.")
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, "invalid-encoding", "Bad Request",
                           f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(400, "malformed-json", "Bad Request",
                           f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise ProblemError(400, "malformed-json", "Bad Request", "The JSON body is nested too deeply.") from exc


def validate(schema: ExtractRequestSchema, data: Any) -> dict[str, Any]:
    """Load ``data`` with ``schema`` or raise a 422 problem naming each bad field."""
    if not isinstance(data, dict):
        message = f"The body must be a JSON object, not {JSON_TYPE_NAMES.get(type(data), 'a number')}."
        raise ProblemError(422, "validation-error", "Unprocessable Content", message, errors={"_schema": [message]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        fields = ", ".join(sorted(exc.messages)) if isinstance(exc.messages, dict) else "body"
        raise ProblemError(422, "validation-error", "Unprocessable Content",
                           f"Invalid fields: {fields}.", errors=exc.messages) from exc


@bp.post("/v1/extract")
def extract() -> Response:
    """Events in one document."""
    started = time.perf_counter()
    req = validate(current_app.extensions["extract_schema"], read_json_body())
    eng = engine()
    types = req["event_types"] or sorted(eng.event_types)
    events = eng.extract([req["text"]], [req["document_date"]], types)[0]
    info = eng.model_info
    meta = {
        "model": info["name"],
        "model_version": info["version"],
        "document_date": req["document_date"].isoformat() if req["document_date"] else None,
        "event_types": types,
        "characters": len(req["text"]),
        "event_count": len(events),
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return jsonify({"events": events, "meta": meta})


@bp.get("/v1/event-types")
def event_types() -> Response:
    """The loaded ontology: every event type with its stages, roles and cues."""
    return jsonify({"event_types": [et.to_dict() for et in engine().event_types.values()]})


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """The API description this service implements."""
    return send_file(OPENAPI_FILE, mimetype="application/yaml")
