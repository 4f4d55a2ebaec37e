"""Behaviour of ``POST /v1/extract`` through the Flask test client, with the real model.

What a client relies on: the events a paragraph yields, relative dates resolved against
``document_date``, the ``event_types`` filter, offsets that index the text exactly as sent
whatever characters it holds, and a precise problem document for every bad request.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.config import Settings

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "tag:event-extraction,2026:problem:"

IPO_TEXT = (
    "On Tuesday the China Securities Regulatory Commission approved Biren Technology's application "
    "to list in Hong Kong. The Shanghai-based GPU designer, which unveiled its BR100 chip in 2022, "
    "expects its shares to start trading next month."
)
# One event of each type, each in its own sentence.
THREE_TYPES = (
    "China's securities regulator approved Biren Technology's IPO in Hong Kong on Tuesday. "
    "Nvidia unveiled its Blackwell Ultra AI chip on Monday. "
    "Beijing banned government agencies from buying Micron chips in May 2023."
)


def extract(client: FlaskClient, **body: Any) -> dict[str, Any]:
    """POST a well-formed request and return the 200 body (fails the test otherwise)."""
    response = client.post("/v1/extract", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == JSON
    return response.get_json()


def post_json(client: FlaskClient, body: Any) -> TestResponse:
    """POST ``body`` as raw UTF-8 JSON, as most clients send it (non-ASCII unescaped), so a
    character costs its UTF-8 bytes against the body limit rather than a 12-byte escape pair.
    Lone surrogates cannot be UTF-8, so such bodies keep their ``\\udXXX`` escapes."""
    try:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raw = json.dumps(body).encode("ascii")
    return client.post("/v1/extract", data=raw, content_type=JSON)


def spans(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every span of an event with where it sits: trigger, mentions, every argument."""
    yield "trigger", event["trigger"]
    for i, mention in enumerate(event["mentions"]):
        yield f"mentions[{i}].trigger", mention["trigger"]
        yield f"mentions[{i}].sentence", mention["sentence"]
    for kind in ("actors", "dates", "locations", "products"):
        for i, item in enumerate(event[kind]):
            yield f"{kind}[{i}]", item


def problem(response: TestResponse, status: int, kind: str | None = None) -> dict[str, Any]:
    """Assert the response is the RFC 9457 problem document for ``status`` and return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == (PROBLEM_BASE + kind if kind else "about:blank")
    assert body["title"] and body["detail"]
    return body


def by_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == event_type]


# ---------------------------------------------------------------------------------------------
# What comes out


def test_paragraph_yields_ipo_approval_and_chip_launch(client: FlaskClient) -> None:
    """The regulator's approval is an ipo event with issuer, approver, date and place; the
    chip unveiled in the relative clause is a chip_development launch by the same company."""
    data = extract(client, text=IPO_TEXT, document_date="2025-06-12")
    approval = next(e for e in by_type(data["events"], "ipo") if e["stage"] == "approval")
    assert approval["trigger"]["text"] == "approved"
    assert (approval["polarity"], approval["modality"]) == ("positive", "asserted")
    roles = {a["role"]: a for a in approval["actors"]}
    assert roles["issuer"]["text"] == "Biren Technology"
    assert roles["approver"]["text"] == "China Securities Regulatory Commission"
    assert roles["approver"]["kind"] == "regulator"
    assert [(d["text"], d["value"]) for d in approval["dates"]] == [("Tuesday", "2025-06-10")]
    assert [(loc["text"], loc["country"]) for loc in approval["locations"]] == [("Hong Kong", "HK")]

    launch = by_type(data["events"], "chip_development")
    assert len(launch) == 1
    assert launch[0]["stage"] == "launch"
    assert [a["text"] for a in launch[0]["actors"] if a["role"] == "developer"] == ["Biren Technology"]
    assert [p["text"] for p in launch[0]["products"]] == ["BR100"]
    assert "2022" in [d["value"] for d in launch[0]["dates"]]

    meta = data["meta"]
    assert meta["characters"] == len(IPO_TEXT)
    assert meta["event_count"] == len(data["events"])
    assert meta["document_date"] == "2025-06-12"
    assert meta["event_types"] == ["chip_development", "ipo", "policy_ban"]
    assert [e["id"] for e in data["events"]] == [f"ev{i + 1}" for i in range(len(data["events"]))]


def test_events_are_in_text_order(client: FlaskClient) -> None:
    """Clients show events as the text tells them: sorted by where they are first mentioned."""
    events = extract(client, text=THREE_TYPES, document_date="2025-06-12")["events"]
    assert [e["type"] for e in events] == ["ipo", "chip_development", "policy_ban"]
    firsts = [min(m["trigger"]["start"] for m in e["mentions"]) for e in events]
    assert firsts == sorted(firsts)


@pytest.mark.parametrize(("document_date", "expected"), [
    pytest.param("2025-06-12", "2025-06-10", id="thursday-looks-back-to-tuesday"),
    pytest.param("2026-01-08", "2026-01-06", id="across-a-year-boundary-week"),
    pytest.param("2025-06-10", "2025-06-10", id="tuesday-on-a-tuesday-is-today"),
    pytest.param(None, None, id="no-anchor-gives-null"),
])
def test_document_date_resolves_relative_date(client: FlaskClient, document_date: str | None,
                                              expected: str | None) -> None:
    """"on Tuesday" is the Tuesday on or before the publication date, or null without one."""
    text = "China's securities regulator approved Biren Technology's IPO in Hong Kong on Tuesday."
    data = extract(client, text=text, document_date=document_date)
    (event,) = data["events"]
    assert [(d["text"], d["value"]) for d in event["dates"]] == [("Tuesday", expected)]
    assert data["meta"]["document_date"] == document_date


@pytest.mark.parametrize("event_types", [
    ["ipo"], ["chip_development"], ["policy_ban"], ["chip_development", "ipo"], ["policy_ban", "ipo"],
])
def test_event_types_filter_returns_only_those_types(client: FlaskClient, event_types: list[str]) -> None:
    """The filter keeps every requested type the text has and nothing else."""
    data = extract(client, text=THREE_TYPES, document_date="2025-06-12", event_types=event_types)
    assert {e["type"] for e in data["events"]} == set(event_types)
    assert data["meta"]["event_types"] == event_types


@pytest.mark.parametrize("event_types", [None, ["chip_development", "ipo", "policy_ban"]])
def test_no_filter_or_null_filter_means_every_type(client: FlaskClient, event_types: list[str] | None) -> None:
    data = extract(client, text=THREE_TYPES, event_types=event_types)
    assert {e["type"] for e in data["events"]} == {"chip_development", "ipo", "policy_ban"}


def test_text_at_the_limit_is_accepted(client: FlaskClient, settings: Settings) -> None:
    """The limit is inclusive: exactly max_text_chars characters is fine."""
    data = extract(client, text="a" * settings.max_text_chars)
    assert data["meta"]["characters"] == settings.max_text_chars


# ---------------------------------------------------------------------------------------------
# Offsets: Unicode code points into the text as sent

BASE = THREE_TYPES.replace(". ", ".\n")
OFFSET_TEXTS = [
    pytest.param("🚀 " + BASE.replace("Nvidia", "🚀 Nvidia"), id="emoji"),
    pytest.param("Caf\u00e9 re\u0301sume\u0301 na\u0308ive: " + BASE, id="combining-marks"),
    pytest.param("HEADLINE\r\n\r\n" + BASE.replace("\n", "\r\n"), id="crlf"),
    pytest.param("a\x00b\x01c\x07\x08\x0b\x0c\x1b\x1f\x7f\x85 " + BASE.replace(" chip", "\x00 chip"),
                 id="nul-and-control-characters"),
    pytest.param("\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u200f\u202e " + BASE, id="right-to-left"),
    pytest.param("\U0001d518\U0001d52b\U0001d526 \U00013000 \U0001f1ed\U0001f1f0 " + BASE, id="non-bmp-before"),
    pytest.param("\ufeff\u200b\u200d\u2028\u00a0" + BASE.replace(" ", "\u00a0", 3), id="invisible-and-separators"),
    pytest.param("👩‍👩‍👧 " * 5 + BASE.replace("\n", "\t\t"), id="zwj-sequences-and-tabs"),
]


@pytest.mark.parametrize("text", OFFSET_TEXTS)
def test_every_span_indexes_the_text_as_sent(client: FlaskClient, text: str) -> None:
    """``text[start:end] == span.text`` for every span of every event, whatever precedes it."""
    data = extract(client, text=text, document_date="2025-06-12")
    assert data["events"], "the paragraph should still yield events"
    assert data["meta"]["characters"] == len(text)
    for event in data["events"]:
        for where, span in spans(event):
            assert 0 <= span["start"] < span["end"] <= len(text), (event["id"], where, span)
            assert text[span["start"]:span["end"]] == span["text"], (event["id"], where, span)


def test_offsets_shift_by_code_points_not_bytes_or_utf16_units(client: FlaskClient) -> None:
    """A non-BMP prefix (4 UTF-8 bytes, 2 UTF-16 units) moves every offset by exactly one."""
    plain = extract(client, text=THREE_TYPES, document_date="2025-06-12")["events"]
    shifted = extract(client, text="🚀" + THREE_TYPES, document_date="2025-06-12")["events"]
    assert [e["type"] for e in shifted] == [e["type"] for e in plain]
    for before, after in zip(plain, shifted):
        assert after["trigger"]["start"] == before["trigger"]["start"] + 1
        assert after["trigger"]["end"] == before["trigger"]["end"] + 1


def test_offsets_survive_json_escapes(client: FlaskClient) -> None:
    """Offsets index the decoded string: ``\\ud83d\\ude80`` and ``\\n`` escapes are one character each."""
    text = "🚀\nNvidia unveiled its Blackwell Ultra AI chip on Monday."
    raw = json.dumps({"text": text}, ensure_ascii=True)
    assert "\\ud83d\\ude80" in raw
    response = client.post("/v1/extract", data=raw, content_type=JSON)
    assert response.status_code == 200
    (event,) = response.get_json()["events"]
    assert event["trigger"] == {"text": "unveiled", "start": 9, "end": 17}


# ---------------------------------------------------------------------------------------------
# Validation errors (422): the body is JSON but not a valid request

LIMITS = Settings.from_env()
OVER = LIMITS.max_text_chars + 1
INVALID_BODIES = [
    pytest.param({}, "text", id="text-missing"),
    pytest.param({"document_date": "2025-06-12"}, "text", id="text-missing-with-other-fields"),
    pytest.param({"text": 42}, "text", id="text-number"),
    pytest.param({"text": ["Nvidia unveiled a chip."]}, "text", id="text-list"),
    pytest.param({"text": {"value": "x"}}, "text", id="text-object"),
    pytest.param({"text": True}, "text", id="text-boolean"),
    pytest.param({"text": None}, "text", id="text-null"),
    pytest.param({"text": ""}, "text", id="text-empty"),
    pytest.param({"text": " \t\r\n\u00a0\u3000 "}, "text", id="text-whitespace"),
    pytest.param({"text": "a" * OVER}, "text", id="text-over-limit"),
    pytest.param({"text": "🚀" * OVER}, "text", id="text-over-limit-in-code-points"),
    pytest.param({"text": "Nvidia \ud800 unveiled a chip."}, "text", id="text-lone-surrogate"),
    pytest.param({"text": "ok", "foo": 1}, "foo", id="unknown-field"),
    pytest.param({"text": "ok", "Text": "ok"}, "Text", id="field-names-are-case-sensitive"),
    pytest.param({"text": "ok", "document_date": "2025-13-01"}, "document_date", id="date-month-13"),
    pytest.param({"text": "ok", "document_date": "2025-02-30"}, "document_date", id="date-feb-30"),
    pytest.param({"text": "ok", "document_date": "yesterday"}, "document_date", id="date-word"),
    pytest.param({"text": "ok", "document_date": 20250101}, "document_date", id="date-number"),
    pytest.param({"text": "ok", "document_date": "2025-06-12T10:00:00Z"}, "document_date", id="date-datetime"),
    pytest.param({"text": "ok", "document_date": "12/06/2025"}, "document_date", id="date-other-format"),
    pytest.param({"text": "ok", "document_date": "2025-6-1"}, "document_date", id="date-without-leading-zeros"),
    pytest.param({"text": "ok", "document_date": "2025-06-1"}, "document_date", id="date-one-digit-day"),
    pytest.param({"text": "ok", "document_date": " 2025-06-01"}, "document_date", id="date-leading-space"),
    pytest.param({"text": "ok", "document_date": "+2025-06-01"}, "document_date", id="date-signed"),
    pytest.param({"text": "ok", "document_date": "２０２５-06-01"}, "document_date", id="date-fullwidth-digits"),
    pytest.param({"text": "ok", "event_types": ["merger"]}, "event_types", id="types-unknown"),
    pytest.param({"text": "ok", "event_types": ["IPO"]}, "event_types", id="types-case-sensitive"),
    pytest.param({"text": "ok", "event_types": "ipo"}, "event_types", id="types-string"),
    pytest.param({"text": "ok", "event_types": {"ipo": True}}, "event_types", id="types-object"),
    pytest.param({"text": "ok", "event_types": []}, "event_types", id="types-empty"),
    pytest.param({"text": "ok", "event_types": [None]}, "event_types", id="types-null-item"),
    pytest.param({"text": "ok", "event_types": [1]}, "event_types", id="types-number-item"),
    pytest.param({"text": "ok", "event_types": ["ipo"] * 17}, "event_types", id="types-over-limit"),
    pytest.param({"text": "ok", "event_types": ["ipo", "policy_ban", "ipo"]}, "event_types", id="types-repeated"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES)
def test_invalid_request_is_422_naming_the_field(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    """Each invalid field is named in ``detail`` and keyed in ``errors`` with a message."""
    data = problem(post_json(client, body), 422, "validation-error")
    assert field in data["detail"]
    assert field in data["errors"], data["errors"]
    assert data["errors"][field]


def test_every_invalid_field_is_reported_at_once(client: FlaskClient) -> None:
    """A client fixes all mistakes in one round trip: every bad field is listed."""
    body = {"text": "", "document_date": "yesterday", "event_types": ["merger"], "extra": 1}
    data = problem(client.post("/v1/extract", json=body), 422, "validation-error")
    assert set(data["errors"]) == {"text", "document_date", "event_types", "extra"}
    assert all(name in data["detail"] for name in data["errors"])


def test_text_over_limit_says_the_limit(client: FlaskClient, settings: Settings) -> None:
    data = problem(client.post("/v1/extract", json={"text": "a" * (settings.max_text_chars + 1)}), 422,
                   "validation-error")
    assert str(settings.max_text_chars) in data["errors"]["text"][0]


@pytest.mark.parametrize(("raw", "json_type"), [
    pytest.param("[]", "an array", id="array"),
    pytest.param('[{"text": "Nvidia unveiled a chip."}]', "an array", id="array-of-requests"),
    pytest.param('"Nvidia unveiled a chip."', "a string", id="string"),
    pytest.param("42", "a number", id="integer"),
    pytest.param("4.2e1", "a number", id="float"),
    pytest.param("true", "a boolean", id="boolean"),
    pytest.param("null", "null", id="null"),
])
def test_body_that_is_not_an_object_is_422(client: FlaskClient, raw: str, json_type: str) -> None:
    """The body itself is the offending value: ``detail`` says so in JSON terms, ``errors`` has ``_schema``."""
    data = problem(client.post("/v1/extract", data=raw, content_type=JSON), 422, "validation-error")
    assert "body" in data["detail"] and json_type in data["detail"]
    assert data["errors"] == {"_schema": [data["detail"]]}


# ---------------------------------------------------------------------------------------------
# Unreadable bodies (400), wrong media types (415), size (413), routing (404, 405)

UNREADABLE = [
    pytest.param(b'{"text": "a",}', "malformed-json", "JSON", id="trailing-comma"),
    pytest.param(b"{text: 'a'}", "malformed-json", "JSON", id="not-json"),
    pytest.param(b'{"text": "Nvidia unveiled', "malformed-json", "JSON", id="truncated-string"),
    pytest.param(b'{"text": "a"', "malformed-json", "JSON", id="truncated-object"),
    pytest.param(b"", "malformed-json", "JSON", id="empty-body"),
    pytest.param(b'{"text": "a"} {"text": "b"}', "malformed-json", "JSON", id="two-documents"),
    pytest.param(b'{"text": "a", "document_date": NaN}'.replace(b"NaN", b"undefined"), "malformed-json", "JSON",
                 id="javascript-literal"),
    pytest.param(b'\xff\xfe{"text": "a"}', "invalid-encoding", "UTF-8", id="not-utf8"),
    pytest.param(b'{"text": "caf\xe9"}', "invalid-encoding", "UTF-8", id="latin-1"),
    pytest.param(b'{"text": "\xed\xa0\x80"}', "invalid-encoding", "UTF-8", id="utf8-encoded-surrogate"),
    pytest.param('{"text": "hello"}'.encode("utf-16"), "invalid-encoding", "UTF-8", id="utf16-with-bom"),
    pytest.param('{"text": "hello"}'.encode("utf-16-le"), "malformed-json", "JSON", id="utf16-without-bom"),
    pytest.param('{"text": "hello"}'.encode("utf-32"), "invalid-encoding", "UTF-8", id="utf32"),
    pytest.param('{"text": "hello"}'.encode("utf-8-sig"), "malformed-json", "BOM", id="utf8-bom"),
]


@pytest.mark.parametrize(("raw", "kind", "named"), UNREADABLE)
def test_unreadable_body_is_400(client: FlaskClient, raw: bytes, kind: str, named: str) -> None:
    """Bytes that are not UTF-8 JSON are a 400 whose detail says which of the two failed."""
    data = problem(client.post("/v1/extract", data=raw, content_type=JSON), 400, kind)
    assert named in data["detail"]
    assert "errors" not in data


@pytest.mark.parametrize("raw", [
    pytest.param("[" * 100_000, id="open-arrays"),
    pytest.param('{"a":' * 100_000, id="open-objects"),
    pytest.param('{"text": "a", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", id="balanced-arrays-in-field"),
    pytest.param('{"text": "a", "event_types": ' + "[" * 50_000 + "]" * 50_000 + "}", id="nested-types"),
    pytest.param('{"text": "a", "x": ' + "[" * 500 + "]" * 500 + "}", id="moderately-deep-extra-field"),
])
def test_deeply_nested_json_is_rejected_not_a_crash(client: FlaskClient, raw: str) -> None:
    """Nesting that would exhaust the parser's recursion is a client error, never a 500."""
    response = client.post("/v1/extract", data=raw, content_type=JSON)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    data = response.get_json()
    if response.status_code == 400:
        assert data["type"] == PROBLEM_BASE + "malformed-json" and "nested" in data["detail"]
    else:
        assert set(data["errors"]) & {"x", "event_types"}


@pytest.mark.parametrize(("headers", "named"), [
    pytest.param({"Content-Type": "text/plain"}, "text/plain", id="text-plain"),
    pytest.param({"Content-Type": "text/plain; charset=utf-8"}, "text/plain", id="text-plain-charset"),
    pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, "application/x-www-form-urlencoded",
                 id="form"),
    pytest.param({"Content-Type": "multipart/form-data; boundary=x"}, "multipart/form-data", id="multipart"),
    pytest.param({"Content-Type": "application/xml"}, "application/xml", id="xml"),
    pytest.param({}, "missing", id="no-content-type"),
    pytest.param({"Content-Type": "application/json; charset=latin-1"}, "latin-1", id="json-in-latin-1"),
    pytest.param({"Content-Type": "application/json; charset=utf-16"}, "utf-16", id="json-in-utf-16"),
    pytest.param({"Content-Type": "application/problem+json"}, "application/problem+json", id="problem-json"),
])
def test_wrong_or_missing_content_type_is_415(client: FlaskClient, headers: dict[str, str], named: str) -> None:
    """Only JSON is read, even when the bytes happen to be JSON."""
    response = client.post("/v1/extract", data=b'{"text": "Nvidia unveiled a chip."}', headers=headers)
    data = problem(response, 415, "unsupported-media-type")
    assert "Content-Type" in data["detail"] and named in data["detail"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json; charset=UTF8",
                                          "application/vnd.api+json"])
def test_json_media_types_are_accepted(client: FlaskClient, content_type: str) -> None:
    response = client.post("/v1/extract", data=b'{"text": "Nvidia unveiled a chip."}', content_type=content_type)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [
    pytest.param(LIMITS.max_body_bytes + 1, id="one-byte-over"),
    pytest.param(3 * LIMITS.max_body_bytes, id="three-times"),
])
def test_body_over_the_byte_limit_is_413(client: FlaskClient, settings: Settings, size: int) -> None:
    """The byte limit is checked before the body is parsed (even a body of valid JSON), and the
    problem says the size and the limit, under RFC 9110's name for the status."""
    prefix, suffix = b'{"text": "', b'"}'
    raw = prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix
    assert len(raw) == size
    data = problem(client.post("/v1/extract", data=raw, content_type=JSON), 413)
    assert data["title"] == "Content Too Large"
    assert data["detail"] == f"The request body is {size} bytes; the limit is {settings.max_body_bytes} bytes."


def test_byte_limit_can_refuse_texts_within_the_character_limits(client: FlaskClient, settings: Settings) -> None:
    """As the spec warns: "🚀" sent as ``\\ud83d\\ude80`` escapes costs 12 bytes of body per character."""
    per_text = settings.max_text_chars
    count = settings.max_batch_chars // per_text
    documents = [{"id": str(i), "text": "🚀" * per_text} for i in range(count)]
    raw = json.dumps({"documents": documents})
    assert len(raw) > settings.max_body_bytes
    problem(client.post("/v1/extract/batch", data=raw, content_type=JSON), 413)


def test_body_at_the_byte_limit_is_read(client: FlaskClient, settings: Settings) -> None:
    """Exactly max_body_bytes is allowed: this one fails validation (text too long), not size."""
    prefix, suffix = b'{"text": "', b'"}'
    raw = prefix + b"a" * (settings.max_body_bytes - len(prefix) - len(suffix)) + suffix
    data = problem(client.post("/v1/extract", data=raw, content_type=JSON), 422, "validation-error")
    assert "text" in data["errors"]


@pytest.mark.parametrize("path", ["/v1/extrac", "/v1/extract/", "/v2/extract", "/v1", "/v1/extract/%F0%9F%9A%80"])
def test_unknown_path_is_404(client: FlaskClient, path: str) -> None:
    response = client.post(path, json={"text": "Nvidia unveiled a chip."})
    data = problem(response, 404)
    assert data["title"] == "Not Found"
    assert data["instance"] == response.request.path


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_on_extract_are_405(client: FlaskClient, method: str) -> None:
    """``Allow`` tells the client what to use instead."""
    response = getattr(client, method)("/v1/extract")
    data = problem(response, 405)
    assert data["title"] == "Method Not Allowed"
    assert data["instance"] == "/v1/extract"
    assert "POST" in {m.strip() for m in response.headers["Allow"].split(",")}
