"""The HTTP routes, kept thin: parse and validate, call the engine, serialise."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import ClientDisconnected

from schemas.extract import RequestSchemas

from . import metrics
from .answers import document_answer, extraction_meta
from .config import Settings
from .engine import Engine
from .errors import PROBLEM_JSON, ProblemError
from .observability import record_work
from .readiness import Readiness

bp = Blueprint("api", __name__)
ROOT = Path(__file__).resolve().parent.parent
OPENAPI_FILE = ROOT / "openapi.yaml"
SERVICE_NAME = "event-extraction"
with (ROOT / "pyproject.toml").open("rb") as _project:
    SERVICE_VERSION: str = tomllib.load(_project)["project"]["version"]
# What a client sent, in JSON's words rather than Python's ("null", not "NoneType").
JSON_TYPE_NAMES = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def engine() -> Engine:
    """The process's engine, created once by ``create_app``."""
    return current_app.extensions["engine"]


def settings() -> Settings:
    """The settings the app was built with."""
    return current_app.extensions["settings"]


def schemas() -> RequestSchemas:
    """The request schemas, built once by ``create_app`` with the configured limits."""
    return current_app.extensions["request_schemas"]


def _refuse_media_type(detail: str) -> ProblemError:
    return ProblemError(415, "unsupported-media-type", "Unsupported Media Type", detail)


def read_body() -> bytes:
    """The raw body, or a problem when the connection fails before it has all arrived.

    werkzeug turns any error of the socket read into ``ClientDisconnected``, keeping the cause as
    its context: a ``TimeoutError`` is the socket timeout gunicorn.conf.py sets (``BODY_TIMEOUT``),
    anything else a connection the client broke off. A client that closes its side of the
    connection is not an error: what arrived is read, as if Content-Length had said so."""
    try:
        return request.get_data(cache=False)
    except ClientDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):
            raise ProblemError(408, "body-timeout", "Request Timeout",
                               f"The request body did not arrive in time: no more of it came within "
                               f"{settings().body_timeout} s.") from exc
        raise ProblemError(400, "incomplete-body", "Bad Request",
                           "The connection failed before the whole request body arrived.") from exc


def read_json_body() -> Any:
    """The request body as JSON: declared as UTF-8 JSON, decodable as UTF-8, and not absurdly nested."""
    mimetype = request.mimetype
    if mimetype == PROBLEM_JSON:
        raise _refuse_media_type(f"Content-Type {PROBLEM_JSON} is for the errors this service answers with; "
                                 "send requests as application/json.")
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise _refuse_media_type(f"Content-Type must be application/json, not {mimetype or 'missing'!r}.")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise _refuse_media_type(f"The body must be UTF-8, but Content-Type declares charset={charset!r}.")
    raw = read_body()
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
    except ValueError as exc:
        # Python refuses to convert integers of more than 4300 digits (CVE-2020-10735).
        raise ProblemError(400, "malformed-json", "Bad Request",
                           "The JSON body holds a number with too many digits.") from exc


def _field_paths(messages: dict[Any, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the fields that failed: ``documents.3.text`` for a document's text."""
    paths = []
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        paths.extend(_field_paths(value, path) if isinstance(value, dict) else [path or "body"])
    return paths


def validate(schema: Schema, data: Any) -> dict[str, Any]:
    """Load ``data`` with ``schema`` or raise a 422 problem naming each bad field."""
    if not isinstance(data, dict):
        message = f"The body must be a JSON object, not {JSON_TYPE_NAMES.get(type(data), 'a number')}."
        raise ProblemError(422, "validation-error", "Unprocessable Content", message, errors={"_schema": [message]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        paths = ", ".join(sorted(_field_paths(exc.messages_dict)))
        raise ProblemError(422, "validation-error", "Unprocessable Content", f"Invalid fields: {paths}.",
                           errors=exc.messages) from exc


def run_engine(texts: Sequence[str], dates: Sequence[dt.date | None],
               event_types: list[str] | None) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Every text through the pipeline in one ``nlp.pipe`` call; the events and the types searched."""
    eng = engine()
    types = event_types or sorted(eng.event_types)
    results = eng.extract(texts, dates, types)
    record_work(texts, results)
    return results, types


def _meta(types: list[str], characters: int, event_count: int, started: float) -> dict[str, Any]:
    return extraction_meta(engine().model_info, types, characters, event_count,
                           (time.perf_counter() - started) * 1000)


@bp.post("/v1/extract")
def extract() -> Response:
    """Events in one document."""
    started = time.perf_counter()
    req = validate(schemas().extract, read_json_body())
    (events,), types = run_engine([req["text"]], [req["document_date"]], req["event_types"])
    meta = _meta(types, len(req["text"]), len(events), started)
    return jsonify(document_answer(events, meta, req["document_date"]))


@bp.post("/v1/extract/batch")
def extract_batch() -> Response:
    """Events in each of several documents, in request order, read in one pass of the pipeline.

    Validation is all or nothing: one invalid document makes the whole request a 422 that names
    it (``documents.3.text``), so every result slot holds events and nothing is half done."""
    started = time.perf_counter()
    req = validate(schemas().batch, read_json_body())
    documents = req["documents"]
    texts = [d["text"] for d in documents]
    results, types = run_engine(texts, [d["document_date"] for d in documents], req["event_types"])
    body_results = [
        {"id": d["id"], "characters": len(d["text"]), "event_count": len(events), "events": events}
        for d, events in zip(documents, results)
    ]
    meta = _meta(types, sum(map(len, texts)), sum(len(events) for events in results), started)
    meta["documents"] = len(documents)
    return jsonify({"results": body_results, "meta": meta})


@bp.get("/v1/event-types")
def event_types() -> Response:
    """The loaded ontology: every event type with its stages, roles and cues."""
    return jsonify({"event_types": [et.to_dict() for et in engine().event_types.values()]})


def ontology_version(eng: Engine) -> str:
    """A fingerprint of the loaded event model: it changes exactly when the ontology files do."""
    model = json.dumps([et.to_dict() for et in eng.event_types.values()], sort_keys=True)
    return "sha256:" + hashlib.sha256(model.encode("utf-8")).hexdigest()[:16]


@bp.get("/v1/info")
def info() -> Response:
    """What is serving: versions, the pipeline, the event model and the limits a request must keep."""
    eng = engine()
    model = eng.model_info
    return jsonify({
        "service": {"name": SERVICE_NAME, "version": SERVICE_VERSION},
        "model": {"name": model["name"], "version": model["version"], "spacy_version": model["spacy_version"],
                  "components": model["components"]},
        "ontology": {"version": ontology_version(eng), "event_types": sorted(eng.event_types)},
        "limits": settings().limits(),
        "authentication": "bearer" if settings().api_keys else "none",
    })


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """The model is loaded and has read its warm-up document: send traffic."""
    readiness: Readiness = current_app.extensions["readiness"]
    if not readiness.ready:
        raise ProblemError(503, "not-ready", "Service Unavailable", "The model has not read its warm-up document yet.",
                           headers={"Retry-After": "1"})
    return jsonify({"status": "ready", "warm_up_ms": readiness.warm_up_ms})


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus text format, summed over all gunicorn workers."""
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """The API description this service implements."""
    return send_file(OPENAPI_FILE, mimetype="application/yaml")
