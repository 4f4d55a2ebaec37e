"""Contract tests: ``openapi.yaml`` is a valid OpenAPI 3.1 document and the running app keeps it.

Real responses of the app (the Flask test client, the real model) are validated against the
schemas the spec declares for their status, so a field added, renamed or re-typed in the code
without the spec (or the other way round) fails here.
"""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.app import create_app
from service.config import Settings
from service.engine import Engine
from service.ontology import ENTITY_KINDS

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
SPEC_URI = "urn:event-extraction:openapi"
PROBLEM_JSON = "application/problem+json"
# Methods the framework answers on every route by itself; the spec says so once, in prose.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry:
    """The spec as one JSON Schema 2020-12 resource, so its ``#/components/...`` refs resolve."""
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))


def escape(token: str) -> str:
    """A JSON Pointer reference token (RFC 6901): paths and media types contain ``/``."""
    return token.replace("~", "~0").replace("/", "~1")


def response_pointer(spec: dict[str, Any], path: str, method: str, status: str) -> str:
    """JSON Pointer of the response an operation declares for ``status``, following a ``$ref``."""
    response = spec["paths"][path][method]["responses"][status]
    if "$ref" in response:
        return response["$ref"].removeprefix("#")
    return f"/paths/{escape(path)}/{method}/responses/{status}"


def check(registry: Registry, pointer: str, instance: Any) -> None:
    """Validate ``instance`` against the schema at ``pointer`` in the spec, listing every error."""
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry,
                                     format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def check_headers(spec: dict[str, Any], registry: Registry, pointer: str, response: Any) -> None:
    """Every header the response at ``pointer`` declares required is sent, with a value its schema allows."""
    declared = resolve(spec, pointer)["headers"]
    assert {"X-Request-ID", "X-Content-Type-Options"} <= set(declared)
    for name, header in declared.items():
        header_pointer = header["$ref"].removeprefix("#") if "$ref" in header else f"{pointer}/headers/{escape(name)}"
        if resolve(spec, header_pointer).get("required"):
            assert name in response.headers, f"{name} missing"
            check(registry, f"{header_pointer}/schema", response.headers[name])


def check_response(registry: Registry, spec: dict[str, Any], path: str, method: str, response: Any,
                   media: str = "application/json") -> None:
    """The response's status is documented for the operation, and its body and headers match."""
    status = str(response.status_code)
    assert status in spec["paths"][path][method]["responses"], f"{status} not documented for {method} {path}"
    assert response.mimetype == media
    pointer = response_pointer(spec, path, method, status)
    check(registry, f"{pointer}/content/{escape(media)}/schema", response.get_json())
    check_headers(spec, registry, pointer, response)


def walk_examples(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(schema pointer, example pointer) for every media-type example in the document."""
    def media_examples(base: str, content: dict[str, Any]) -> Iterator[tuple[str, str]]:
        for media, body in content.items():
            for name in body.get("examples", {}):
                yield f"{base}/content/{escape(media)}/schema", f"{base}/content/{escape(media)}/examples/{name}/value"

    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            base = f"/paths/{escape(path)}/{method}"
            yield from media_examples(f"{base}/requestBody", op.get("requestBody", {}).get("content", {}))
            for status, response in op["responses"].items():
                yield from media_examples(f"{base}/responses/{status}", response.get("content", {}))
    for name, response in spec["components"]["responses"].items():
        yield from media_examples(f"/components/responses/{name}", response.get("content", {}))


def resolve(spec: dict[str, Any], pointer: str) -> Any:
    """The value at a JSON Pointer in the spec."""
    node: Any = spec
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def spans(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every span of an event: trigger, each mention's trigger and sentence, every argument."""
    yield event["trigger"]
    for mention in event["mentions"]:
        yield mention["trigger"]
        yield mention["sentence"]
    for kind in ("actors", "dates", "locations", "products"):
        yield from event[kind]


# ---------------------------------------------------------------------------------------------
# The document itself


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    """openapi-spec-validator accepts it, and it claims the 3.1 dialect the tests validate with."""
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.1.")


def test_every_route_is_in_the_spec_and_vice_versa(app: Flask, spec: dict[str, Any]) -> None:
    """The spec describes exactly the routes Flask serves (HEAD/OPTIONS are implicit)."""
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        routed |= {(path, m.lower()) for m in rule.methods - IMPLICIT_METHODS}
    documented = {(p, m) for p, item in spec["paths"].items() for m in item if m in HTTP_METHODS}
    assert routed == documented


def test_limits_match_settings(spec: dict[str, Any], settings: Settings) -> None:
    """Every request limit in the spec is the one the service enforces, wherever the spec states it."""
    schemas, paths = spec["components"]["schemas"], spec["paths"]
    assert schemas["DocumentText"]["maxLength"] == settings.max_text_chars
    assert schemas["ExtractMeta"]["properties"]["characters"]["maximum"] == settings.max_text_chars
    assert schemas["BatchResult"]["properties"]["characters"]["maximum"] == settings.max_text_chars
    assert schemas["EventTypesFilter"]["maxItems"] == settings.max_event_types
    documents = schemas["BatchRequest"]["properties"]["documents"]
    assert documents["maxItems"] == settings.max_batch_documents
    assert schemas["BatchMeta"]["properties"]["documents"]["maximum"] == settings.max_batch_documents
    assert documents["x-max-total-characters"] == settings.max_batch_chars
    assert schemas["BatchMeta"]["properties"]["characters"]["maximum"] == settings.max_batch_chars
    assert schemas["BatchDocument"]["properties"]["id"]["maxLength"] == settings.max_document_id_chars
    for path in ("/v1/extract", "/v1/extract/batch"):
        assert paths[path]["post"]["requestBody"]["x-max-body-bytes"] == settings.max_body_bytes
    spaced = {name: f"{value:,}".replace(",", " ") for name, value in settings.limits().items()}
    assert spaced["max_body_bytes"] in spec["components"]["responses"]["ContentTooLarge"]["description"]
    for name, value in spaced.items():
        assert f"`{name.upper()}`) | {value} " in spec["info"]["description"], name
    assert schemas["Info"]["properties"]["limits"]["required"] == list(settings.limits())
    assert spaced["max_text_chars"] in schemas["DocumentText"]["description"]
    assert spaced["max_batch_documents"] in documents["description"]
    assert spaced["max_batch_chars"] in documents["description"]


def test_text_pattern_is_the_services_whitespace_rule(spec: dict[str, Any]) -> None:
    """The service refuses a text that ``str.strip`` empties; the documented pattern must accept
    exactly the other texts, character for character (a plain ``\\S`` differs in six)."""
    pattern = re.compile(spec["components"]["schemas"]["DocumentText"]["pattern"])
    disagree = [hex(code) for code in range(sys.maxunicode + 1)
                if not 0xD800 <= code <= 0xDFFF and (pattern.search(chr(code)) is None) != (not chr(code).strip())]
    assert not disagree


def test_enums_match_the_loaded_ontology(spec: dict[str, Any], engine: Engine) -> None:
    """Event types, stages, roles and kinds in the spec are the ontology's, no more, no fewer."""
    schemas = spec["components"]["schemas"]
    types = engine.event_types.values()
    assert schemas["EventTypeName"]["enum"] == sorted(engine.event_types)
    assert set(schemas["Event"]["properties"]["stage"]["enum"]) == {s for et in types for s in et.stages}
    assert set(schemas["Actor"]["properties"]["role"]["enum"]) == {r.name for et in types for r in et.roles}
    assert set(schemas["Role"]["properties"]["kinds"]["items"]["enum"]) == set(ENTITY_KINDS)
    assert set(schemas["Actor"]["properties"]["kind"]["enum"]) <= set(ENTITY_KINDS)


def test_every_example_matches_its_schema(spec: dict[str, Any], registry: Registry) -> None:
    """The examples are documentation users copy; they must be valid themselves."""
    pairs = list(walk_examples(spec))
    assert len(pairs) >= 10
    for schema_pointer, example_pointer in pairs:
        check(registry, schema_pointer, resolve(spec, example_pointer))


def test_example_response_offsets_index_the_example_request(spec: dict[str, Any]) -> None:
    """The documented response's spans really are slices of the documented request's text."""
    op = spec["paths"]["/v1/extract"]["post"]
    text = op["requestBody"]["content"]["application/json"]["examples"]["ipoApproval"]["value"]["text"]
    body = op["responses"]["200"]["content"]["application/json"]["examples"]["ipoApproval"]["value"]
    assert body["meta"]["characters"] == len(text)
    for event in body["events"]:
        for span in spans(event):
            assert text[span["start"]:span["end"]] == span["text"]


def test_example_response_is_what_the_service_returns(spec: dict[str, Any], client: FlaskClient) -> None:
    """The documented example is a real response; only the timing may differ."""
    op = spec["paths"]["/v1/extract"]["post"]
    request = op["requestBody"]["content"]["application/json"]["examples"]["ipoApproval"]["value"]
    documented = op["responses"]["200"]["content"]["application/json"]["examples"]["ipoApproval"]["value"]
    actual = client.post("/v1/extract", json=request).get_json()
    documented_types = [(e["type"], e["stage"], e["trigger"]["text"]) for e in documented["events"]]
    assert [(e["type"], e["stage"], e["trigger"]["text"]) for e in actual["events"]][:1] == documented_types[:1]
    assert {k: v for k, v in actual["meta"].items() if k not in ("elapsed_ms", "event_count")} == \
        {k: v for k, v in documented["meta"].items() if k not in ("elapsed_ms", "event_count")}


# ---------------------------------------------------------------------------------------------
# Successful responses

PARAGRAPHS = [
    pytest.param(
        {"text": "On Tuesday the China Securities Regulatory Commission approved Biren Technology's application "
                 "to list in Hong Kong. The Shanghai-based GPU designer, which unveiled its BR100 chip in 2022, "
                 "expects its shares to start trading next month.",
         "document_date": "2025-06-12"}, True, id="ipo-and-chip"),
    pytest.param(
        {"text": "Nvidia unveiled its Blackwell Ultra AI chip on Monday, and TSMC will mass-produce it in Taiwan "
                 "in 2026.", "document_date": "2025-03-20"}, True, id="chip-launch"),
    pytest.param(
        {"text": "China banned government agencies from buying Micron chips in May 2023, the Cyberspace "
                 "Administration of China said.", "document_date": None}, True, id="policy-ban-no-date"),
    pytest.param(
        {"text": "The U.S. Commerce Department added 140 Chinese companies to the Entity List on Monday, "
                 "restricting exports of chipmaking equipment.", "event_types": ["policy_ban"]},
        True, id="export-control-filtered"),
    pytest.param(
        {"text": "Biren Technology said it would postpone its planned IPO on the Shanghai STAR Market.",
         "event_types": ["ipo", "chip_development"]}, True, id="negative-ipo"),
    pytest.param(
        {"text": "The weather was pleasant and the cafe served excellent coffee."}, False, id="no-events"),
    pytest.param(
        {"text": "The IPO market is booming this year.", "event_types": ["ipo"]}, False, id="not-an-event"),
]


@pytest.mark.parametrize(("body", "has_events"), PARAGRAPHS)
def test_extract_response_matches_schema(client: FlaskClient, spec: dict[str, Any], registry: Registry,
                                         body: dict[str, Any], has_events: bool) -> None:
    """A real extraction, with or without events, is exactly what the spec describes."""
    response = client.post("/v1/extract", json=body)
    assert response.status_code == 200
    check_response(registry, spec, "/v1/extract", "post", response)
    data = response.get_json()
    assert bool(data["events"]) is has_events
    assert data["meta"]["event_count"] == len(data["events"])


def test_event_types_response_matches_schema(client: FlaskClient, spec: dict[str, Any], registry: Registry) -> None:
    response = client.get("/v1/event-types")
    assert response.status_code == 200
    check_response(registry, spec, "/v1/event-types", "get", response)
    assert [et["type"] for et in response.get_json()["event_types"]] == ["chip_development", "ipo", "policy_ban"]


def test_batch_response_matches_schema(client: FlaskClient, spec: dict[str, Any], registry: Registry) -> None:
    """A real batch, with and without events, in request order."""
    documents = [{"id": f"p{i}", "text": p.values[0]["text"], "document_date": p.values[0].get("document_date")}
                 for i, p in enumerate(PARAGRAPHS)]
    response = client.post("/v1/extract/batch", json={"documents": documents})
    assert response.status_code == 200
    check_response(registry, spec, "/v1/extract/batch", "post", response)
    assert [r["id"] for r in response.get_json()["results"]] == [d["id"] for d in documents]


def test_batch_example_response_is_what_the_service_returns(spec: dict[str, Any], client: FlaskClient) -> None:
    """The documented batch example is a real response: the same documents, events and counts
    (argument details follow the extractor as it improves; the timing always differs)."""
    op = spec["paths"]["/v1/extract/batch"]["post"]
    request = op["requestBody"]["content"]["application/json"]["examples"]["threeDocuments"]["value"]
    documented = op["responses"]["200"]["content"]["application/json"]["examples"]["threeDocuments"]["value"]
    actual = client.post("/v1/extract/batch", json=request).get_json()

    def outline(body: dict[str, Any]) -> list[tuple[str, int, list[tuple[str, str, str]]]]:
        return [(r["id"], r["characters"], [(e["type"], e["stage"], e["trigger"]["text"]) for e in r["events"]])
                for r in body["results"]]

    assert outline(actual) == outline(documented)
    assert {k: v for k, v in actual["meta"].items() if k != "elapsed_ms"} == \
        {k: v for k, v in documented["meta"].items() if k != "elapsed_ms"}


def test_info_response_matches_schema(client: FlaskClient, spec: dict[str, Any], registry: Registry) -> None:
    response = client.get("/v1/info")
    assert response.status_code == 200
    check_response(registry, spec, "/v1/info", "get", response)


def test_readyz_responses_match_schema(app: Flask, engine: Engine, spec: dict[str, Any], registry: Registry) -> None:
    """Ready (200) from the warmed-up app, not ready (503) from one that has not read its warm-up document."""
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    check_response(registry, spec, "/readyz", "get", response)
    cold = create_app(app.extensions["settings"], engine=engine, warm_up=False).test_client().get("/readyz")
    assert cold.status_code == 503
    check_response(registry, spec, "/readyz", "get", cold, media=PROBLEM_JSON)


def test_metrics_is_prometheus_text_with_the_documented_families(client: FlaskClient, spec: dict[str, Any]) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype in spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    documented = spec["paths"]["/metrics"]["get"]["description"]
    served = {line.split()[2] for line in response.get_data(as_text=True).splitlines() if line.startswith("# TYPE ")}
    for family in ("http_requests", "http_request_duration_seconds", "documents", "characters", "events", "errors"):
        assert any(name.startswith(f"event_extraction_{family}") for name in served), family
        assert f"event_extraction_{family}" in documented


def test_unauthorized_matches_documented_problem(engine: Engine, spec: dict[str, Any], registry: Registry) -> None:
    secured = create_app(Settings.from_env(api_keys=("contract-key",)), engine=engine).test_client()
    for method, path in (("post", "/v1/extract"), ("post", "/v1/extract/batch"), ("get", "/v1/event-types"),
                         ("get", "/v1/info")):
        response = getattr(secured, method)(path, json={"text": "x"} if method == "post" else None)
        assert response.status_code == 401
        check_response(registry, spec, path, method, response, media=PROBLEM_JSON)
        assert "WWW-Authenticate" in resolve(spec, "/components/responses/Unauthorized")["headers"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_healthz_response_matches_schema(client: FlaskClient, spec: dict[str, Any], registry: Registry) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    check_response(registry, spec, "/healthz", "get", response)


def test_openapi_endpoint_serves_this_document(client: FlaskClient, spec: dict[str, Any]) -> None:
    """Clients read the spec from the service; it must be this file, as YAML."""
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert yaml.safe_load(response.get_data(as_text=True)) == spec
    cached = client.get("/openapi.yaml", headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304
    assert "304" in spec["paths"]["/openapi.yaml"]["get"]["responses"]


# ---------------------------------------------------------------------------------------------
# Error responses: status, media type, and the schema documented for that status

JSON = "application/json"
ERRORS = [
    pytest.param("post", "/v1/extract", {"data": '{"text": "abc', "content_type": JSON}, 400,
                 "malformed-json", id="400-malformed"),
    pytest.param("post", "/v1/extract", {"data": b'\xff\xfe{"text": "a"}', "content_type": JSON}, 400,
                 "invalid-encoding", id="400-not-utf8"),
    pytest.param("post", "/v1/extract", {"data": "[" * 100_000, "content_type": JSON}, 400,
                 "malformed-json", id="400-too-deep"),
    pytest.param("post", "/v1/extract",
                 {"data": b'{"text": "' + b"a" * 1_048_576 + b'"}', "content_type": JSON}, 413,
                 None, id="413-too-large"),
    pytest.param("post", "/v1/extract", {"data": '{"text": "a"}', "content_type": "text/plain"}, 415,
                 "unsupported-media-type", id="415-text-plain"),
    pytest.param("post", "/v1/extract", {"data": '{"text": "a"}'}, 415,
                 "unsupported-media-type", id="415-no-content-type"),
    pytest.param("post", "/v1/extract", {"json": {"document_date": "2025-06-12"}}, 422,
                 "validation-error", id="422-missing-text"),
    pytest.param("post", "/v1/extract", {"json": {"text": "a", "event_types": ["merger"]}}, 422,
                 "validation-error", id="422-unknown-type"),
    pytest.param("post", "/v1/extract", {"json": [1, 2]}, 422, "validation-error", id="422-not-an-object"),
    pytest.param("post", "/v1/extract", {"data": '{"text": "a"}', "content_type": "application/json; charset=latin-1"},
                 415, "unsupported-media-type", id="415-other-charset"),
    pytest.param("post", "/v1/extract", {"data": '{"text": "a"}', "content_type": PROBLEM_JSON}, 415,
                 "unsupported-media-type", id="415-problem-json"),
    pytest.param("post", "/v1/extract/batch", {"data": '{"documents": [', "content_type": JSON}, 400,
                 "malformed-json", id="400-batch-malformed"),
    pytest.param("post", "/v1/extract/batch",
                 {"data": b'{"documents": [{"id": "a", "text": "' + b"a" * 1_048_576 + b'"}]}', "content_type": JSON},
                 413, None, id="413-batch-too-large"),
    pytest.param("post", "/v1/extract/batch", {"data": '{"documents": []}', "content_type": "text/plain"}, 415,
                 "unsupported-media-type", id="415-batch"),
    pytest.param("post", "/v1/extract/batch", {"json": {"documents": [{"id": "a", "text": "x"}] * 2}}, 422,
                 "validation-error", id="422-batch-repeated-id"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "kind"), ERRORS)
def test_error_response_matches_documented_problem(client: FlaskClient, spec: dict[str, Any], registry: Registry,
                                                   method: str, path: str, kwargs: dict[str, Any], status: int,
                                                   kind: str | None) -> None:
    """Each documented error status comes back as the problem document the spec promises."""
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert response.mimetype == PROBLEM_JSON
    check_response(registry, spec, path, method, response, media=PROBLEM_JSON)
    body = response.get_json()
    expected_type = f"tag:event-extraction,2026:problem:{kind}" if kind else "about:blank"
    assert body["type"] == expected_type
    assert body["status"] == status
    assert body["instance"] == path


@pytest.mark.parametrize(("method", "path", "status", "component"), [
    pytest.param("get", "/v1/extrac", 404, "NotFound", id="404-typo"),
    pytest.param("get", "/v2/extract", 404, "NotFound", id="404-version"),
    pytest.param("get", "/v1/extract", 405, "MethodNotAllowed", id="405-get-extract"),
    pytest.param("delete", "/v1/event-types", 405, "MethodNotAllowed", id="405-delete-types"),
    pytest.param("post", "/healthz", 405, "MethodNotAllowed", id="405-post-healthz"),
])
def test_routing_errors_match_documented_problem(client: FlaskClient, spec: dict[str, Any], registry: Registry,
                                                 method: str, path: str, status: int, component: str) -> None:
    """404 and 405 are not tied to one operation; the spec documents them as shared responses."""
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == PROBLEM_JSON
    pointer = f"/components/responses/{component}"
    check(registry, f"{pointer}/content/{escape(PROBLEM_JSON)}/schema", response.get_json())
    check_headers(spec, registry, pointer, response)
    assert response.get_json()["instance"] == path
    if status == 405:
        assert "Allow" in resolve(spec, pointer)["headers"]
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed - IMPLICIT_METHODS == {m.upper() for p, item in spec["paths"].items() if p == path
                                              for m in item if m in HTTP_METHODS}


def test_unexpected_failure_is_a_documented_500(client: FlaskClient, engine: Engine, spec: dict[str, Any],
                                                registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash inside the engine is a 500 problem document that does not leak the exception."""
    def boom(*_: Any, **__: Any) -> list[list[dict[str, Any]]]:
        raise RuntimeError("secret internal state /etc/passwd")

    monkeypatch.setattr(engine, "extract", boom)
    response = client.post("/v1/extract", json={"text": "Nvidia unveiled a chip."})
    assert response.status_code == 500
    assert response.mimetype == PROBLEM_JSON
    check_response(registry, spec, "/v1/extract", "post", response, media=PROBLEM_JSON)
    assert "secret" not in response.get_data(as_text=True)
    assert "RuntimeError" not in json.dumps(response.get_json())
