"""Hostile input, filling the gaps tests/api leaves.

Every text that is pathological for the tokenizer, the matchers and the regular expressions of
the engine is sent at the character limit over real HTTP, to the shared gunicorn (the real model,
default settings): each must come back 200 with spans that index the text, in the time the limits
are sized for. Invalid requests in shapes tests/api does not try go through the Flask test client
(the same app), those about HTTP framing to the server, and each must come back with its exact
status and a problem document.
"""
from __future__ import annotations

import http.client
import io
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.config import ServerSettings, Settings
from tests.service.conftest import HOST, Reply, Server

from .conftest import check_spans

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "tag:event-extraction,2026:problem:"
LIMITS = Settings.from_env()
MAX = LIMITS.max_text_chars
SENTENCE = "Nvidia unveiled its Blackwell Ultra AI chip on Monday. "
# A worker busy longer than this is killed and the client's connection dropped: the hard limit.
WORKER_TIMEOUT_S = ServerSettings.from_env().timeout
# What the limits are sized for (docs/operations.md, Limits): the costliest request a third of it.
SIZED_FOR_S = WORKER_TIMEOUT_S / 3


def fill(unit: str, tail: str = SENTENCE, size: int = MAX) -> str:
    """``unit`` repeated, then ``tail``: exactly ``size`` characters, ending in a real event."""
    body = size - len(tail)
    return (unit * (body // len(unit) + 1))[:body] + tail


def post(client: FlaskClient, body: Any, path: str = "/v1/extract", *, ascii_only: bool = False) -> TestResponse:
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8")
    return client.post(path, data=raw, content_type=JSON)


def problem(response: TestResponse, status: int, kind: str | None = None) -> dict[str, Any]:
    """The response is the RFC 9457 document for ``status``, and shows no internals."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == PROBLEM_JSON
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == (PROBLEM_BASE + kind if kind else "about:blank")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def ok(response: TestResponse, text: str) -> dict[str, Any]:
    """A 200 whose every span indexes ``text`` exactly."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == JSON
    body = response.get_json()
    check_spans(text, body["events"])
    assert body["meta"]["characters"] == len(text)
    return body


# ---------------------------------------------------------------------------------------------
# Valid but pathological texts at the character limit, over HTTP: 200 in time, spans index the text

# Each unit is repeated to the limit and ends with a real event, so the whole pipeline
# (prefilter, parser, matchers, dates) runs. A comment names the code a unit aims at.
STRESS_UNITS = [
    ("Nvidia, ", "thousands-of-entity-names"),  # entity matchers, noun chunks, conjunct chains
    ("Nvidia, AMD, Intel, Huawei, Biren Technology, SMIC and TSMC; ", "thousands-of-org-lists"),
    # The tokenizer's prefix, infix and suffix rules.
    ("<div class=\"x\"><p>Nvidia <b>unveiled</b> a <a href='#'>chip</a></p></div>\n", "html-markup"),
    ("<script>alert('x')</script>&lt;&amp;&#x1F680;", "script-and-entities"),
    ("!", "punctuation-run"),  # tokenizer._LONG_RUN splits every long run of non-space characters
    (".,;:!?", "mixed-punctuation-run"),
    ("0123456789", "digit-run"),
    ("1,000,000.5 ", "number-run"),
    ("-", "hyphen-run"),
    ("—–-‒―", "dash-variety-run"),
    ("'s ", "possessive-run"),
    ("Nvidia's chip's maker's ", "possessive-chain"),
    ("’s", "curly-possessive-run"),
    ('"', "double-quote-run"),
    ("“‘«»’”", "typographic-quote-run"),
    ("(", "open-paren-run"),
    ("2025-", "iso-date-fragment-run"),  # service/dates.py's patterns, from here to money-run
    ("Q3 FY24 3Q25 H1 2025 ", "fiscal-period-run"),
    ("next month last year tomorrow ", "relative-date-run"),
    ("May 2023, June 1, 2025, 12/06/2025, ", "calendar-date-run"),
    ("$5 billion ", "money-run"),
    ("Hong Kong ", "place-name-run"),  # service/places.py's name normalisation
    ("Acme Silicon Nvidia ", "title-case-word-run"),  # the company_names suffix scan
    ("IPO ", "cue-word-run"),  # cue matching and linking, all in one sentence
    ("unveiled approved banned ", "trigger-word-run"),
    ("\x00", "nul-run"),
    ("\x01\x02\x07\x08\x1b\x7f", "control-character-run"),
    ("\r\n", "crlf-run"),  # the line_breaks component
    ("\u2028\u2029\u0085", "unicode-line-separators"),
    ("\u0301", "combining-mark-run"),
    ("\u200b\u200d\ufeff", "zero-width-run"),
    ("\u202e", "rtl-override-run"),
    ("مرحبا بالعالم ", "arabic"),
    ("שלום עולם ", "hebrew"),
    ("英伟达发布了新芯片。", "chinese"),
    ("👩‍👩‍👧‍👦🇨🇳", "emoji-sequences"),
    ("\U0010ffff\ufffe\ue000", "noncharacters-and-private-use"),
]
STRESS_TEXTS = {
    "one-token-at-the-character-limit": "x" * MAX,
    "one-astral-token-at-the-limit": "🚀" * MAX,
    "long-token-then-an-event": fill("x", " " + SENTENCE),
    **{name: fill(unit) for unit, name in STRESS_UNITS},
}


@dataclass(frozen=True)
class Timed:
    """A reply and how long the client waited for it."""

    reply: Reply
    seconds: float


def send_text(server: Server, text: str) -> Timed:
    """POST ``text`` as UTF-8 JSON (``\\uXXXX`` escapes would push astral texts past the byte limit)."""
    raw = json.dumps({"text": text, "document_date": "2025-06-01"}, ensure_ascii=False).encode("utf-8")
    started = time.perf_counter()
    reply = server.request("POST", "/v1/extract", data=raw, headers={"Content-Type": JSON},
                           timeout=WORKER_TIMEOUT_S + 10)
    return Timed(reply, time.perf_counter() - started)


@pytest.fixture(scope="module")
def stress_replies(server: Server) -> Iterator[dict[str, Future[Timed]]]:
    """Every stress text in flight, as many at a time as the server has workers: the 40 texts at
    the limit cost some 90 s of worker time on two cores, so one after another would double the
    wait. Texts not yet sent when the module ends (a failure under ``-x``) are not sent."""
    pool = ThreadPoolExecutor(max_workers=int(server.env["WORKERS"]))
    try:
        yield {name: pool.submit(send_text, server, text) for name, text in STRESS_TEXTS.items()}
    finally:
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("name", STRESS_TEXTS)
def test_pathological_text_at_the_limit_is_read_in_time(stress_replies: dict[str, Future[Timed]], name: str) -> None:
    """200 with spans that index the text. The worker's own time (``meta.elapsed_ms``, from reading
    the body to the events) stays under the third of the worker timeout the limits are sized for;
    the client's wait, which can include the request ahead of it on the same worker, stays under
    the timeout itself."""
    text = STRESS_TEXTS[name]
    assert len(text) == MAX
    timed = stress_replies[name].result()
    reply = timed.reply
    assert reply.status == 200, reply.body[:2000]
    assert reply.mimetype == JSON
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    body = reply.json()
    check_spans(text, body["events"])
    assert body["meta"]["characters"] == MAX
    assert body["meta"]["elapsed_ms"] / 1000 < SIZED_FOR_S, body["meta"]["elapsed_ms"]
    assert timed.seconds < WORKER_TIMEOUT_S


def test_text_escaped_as_ascii_json_at_the_limit_is_read(client: FlaskClient) -> None:
    """Every character a ``\\uXXXX`` escape: 6 bytes each on the wire, still one character each."""
    text = fill("é")
    ok(post(client, {"text": text}, ascii_only=True), text)


@pytest.mark.parametrize("document_date", ["0001-01-01", "1899-12-31", "2100-12-31", "9999-12-31"])
def test_relative_dates_at_the_ends_of_the_calendar(client: FlaskClient, document_date: str) -> None:
    """"next month" after 9999-12-31 or "last year" before 0001 must not overflow into a 500."""
    text = ("Nvidia unveiled a chip tomorrow. Nvidia will unveil a chip next month. Nvidia unveiled a chip "
            "last year. Nvidia unveiled a chip yesterday, next week, last quarter and in the first half.")
    body = ok(post(client, {"text": text, "document_date": document_date}), text)
    assert body["events"]


def test_batch_at_every_limit_with_hostile_texts(client: FlaskClient, settings: Settings) -> None:
    """The most documents, the most characters in all, each text pathological: one 200."""
    count = settings.max_batch_documents
    per = settings.max_batch_chars // count
    units = ["Nvidia, ", "'s ", "-", "\x00", "<b>", "2025-", "🚀", "\u0301"]
    documents = [{"id": "d" * (settings.max_document_id_chars - 4) + f"{i:04}",
                  "text": fill(units[i % len(units)], SENTENCE[:per // 2], per),
                  "document_date": "9999-12-31" if i % 2 else None} for i in range(count)]
    assert sum(len(d["text"]) for d in documents) == settings.max_batch_chars
    response = post(client, {"documents": documents}, "/v1/extract/batch")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    results = response.get_json()["results"]
    assert [r["id"] for r in results] == [d["id"] for d in documents]
    for document, result in zip(documents, results):
        check_spans(document["text"], result["events"])


# ---------------------------------------------------------------------------------------------
# JSON shapes tests/api does not send

def test_duplicate_keys_take_the_last_value(client: FlaskClient) -> None:
    """What Python's parser does; documented here so a change of parser is noticed."""
    raw = json.dumps({"text": "x"})[:-1] + ', "text": ' + json.dumps(SENTENCE) + "}"
    body = ok(client.post("/v1/extract", data=raw, content_type=JSON), SENTENCE)
    assert body["events"]


@pytest.mark.parametrize(("raw", "kind"), [
    pytest.param('{"text": ' + "9" * 5000 + "}", "malformed-json", id="integer-of-5000-digits"),
    pytest.param('{"text": "a", "x": -' + "1" * 10_000 + "}", "malformed-json", id="negative-huge-integer"),
    pytest.param('{"text": "a"}\x00', "malformed-json", id="trailing-nul"),
    pytest.param('\x00{"text": "a"}', "malformed-json", id="leading-nul"),
    pytest.param('{"text": "a\x00b\x01"}', "malformed-json", id="raw-control-characters-in-a-string"),
    pytest.param('{"text": "\\x41"}', "malformed-json", id="invalid-escape"),
    pytest.param('{"text": "\\u12"}', "malformed-json", id="short-unicode-escape"),
    pytest.param('{"text": "a"' + " " * 100_000, "malformed-json", id="truncated-after-whitespace"),
    pytest.param("{" + '"k": 1, ' * 50_000, "malformed-json", id="truncated-after-many-members"),
    pytest.param('{"text": \'a\'}', "malformed-json", id="single-quoted-string"),
    pytest.param("/* c */ {\"text\": \"a\"}", "malformed-json", id="comment"),
])
def test_more_unreadable_bodies_are_400(client: FlaskClient, raw: str, kind: str) -> None:
    data = problem(client.post("/v1/extract", data=raw.encode("utf-8"), content_type=JSON), 400, kind)
    assert "errors" not in data


@pytest.mark.parametrize(("raw", "fields"), [
    pytest.param('{"text": NaN}', {"text"}, id="text-nan"),
    pytest.param('{"text": Infinity}', {"text"}, id="text-infinity"),
    pytest.param('{"text": 1e999}', {"text"}, id="text-overflowing-float"),
    pytest.param('{"text": "a", "document_date": -Infinity}', {"document_date"}, id="date-negative-infinity"),
    pytest.param('{"text": "a", "event_types": [NaN]}', {"event_types"}, id="types-nan-item"),
    pytest.param('{"text": "a", "event_types": [["ipo"]]}', {"event_types"}, id="types-nested-list"),
    pytest.param('{"text": "a", "event_types": ["ipo\\u0000"]}', {"event_types"}, id="types-with-nul"),
    pytest.param('{"text": "a", "event_types": ["' + "i" * 100_000 + '"]}', {"event_types"}, id="types-huge-name"),
    pytest.param('{"text": "a", "event_types": ' + json.dumps(["ipo"] * 50_000) + "}", {"event_types"},
                 id="types-fifty-thousand"),
    pytest.param('{"text": "a", "document_date": ["2025-06-01"]}', {"document_date"}, id="date-list"),
    pytest.param('{"text": "a", "document_date": {"y": 2025}}', {"document_date"}, id="date-object"),
    pytest.param('{"text": "a", "document_date": "0000-01-01"}', {"document_date"}, id="date-year-zero"),
    pytest.param('{"text": "a", "document_date": "10000-01-01"}', {"document_date"}, id="date-five-digit-year"),
    pytest.param('{"text": "a", "document_date": "2025-06-01\\u0000"}', {"document_date"}, id="date-with-nul"),
    pytest.param('{"text": "a", "document_date": "2025\\u201306\\u201301"}', {"document_date"}, id="date-en-dashes"),
    pytest.param('{"text": "a", "document_date": "٢٠٢٥-٠٦-٠١"}', {"document_date"}, id="date-arabic-indic-digits"),
    pytest.param('{"text": "a", "document_date": true}', {"document_date"}, id="date-boolean"),
    pytest.param('{"text": "\\udc00\\ud800"}', {"text"}, id="reversed-surrogate-pair"),
    pytest.param('{"text": "' + "a" * (MAX - 1) + '\\ud83d"}', {"text"}, id="lone-surrogate-at-the-end-of-a-full-text"),
    pytest.param('{"' + "k" * 100_000 + '": 1, "text": "a"}', {"k" * 100_000}, id="huge-unknown-field-name"),
    pytest.param("{" + ", ".join(f'"f{i}": {i}' for i in range(20_000)) + ', "text": "a"}',
                 {f"f{i}" for i in range(20_000)}, id="twenty-thousand-unknown-fields"),
    pytest.param('{"": 1, "text": "a"}', {""}, id="empty-field-name"),
    pytest.param('{"text ": "a"}', {"text", "text "}, id="field-name-with-a-space"),
    pytest.param('{"te\\u0000xt": "a"}', {"text", "te\x00xt"}, id="field-name-with-nul"),
    pytest.param('{"__proto__": {"text": "a"}}', {"text", "__proto__"}, id="prototype-pollution-shape"),
])
def test_more_invalid_requests_are_422_naming_the_fields(client: FlaskClient, raw: str, fields: set[str]) -> None:
    data = problem(client.post("/v1/extract", data=raw.encode("utf-8"), content_type=JSON), 422, "validation-error")
    assert set(data["errors"]) == fields


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", "\x00", "\x1b", "\u0301"])
def test_invisible_but_not_whitespace_text_is_read(client: FlaskClient, text: str) -> None:
    """Python's ``str.strip`` keeps these, so they pass validation; the engine must still answer."""
    body = ok(post(client, {"text": text}), text)
    assert body["events"] == []


# ---------------------------------------------------------------------------------------------
# Batches with bad members in shapes tests/api does not send

BAD_MEMBERS = [
    pytest.param([{"id": "a", "text": SENTENCE}, 42], {"1"}, id="number-member"),
    pytest.param([{"id": "a", "text": SENTENCE}, "text"], {"1"}, id="string-member"),
    pytest.param([{"id": "a", "text": SENTENCE}, {}], {"1"}, id="empty-member"),
    pytest.param([{"id": "a", "text": "Nvidia \ud800 chip"}], {"0"}, id="lone-surrogate-member"),
    pytest.param([{"id": "a", "text": SENTENCE, "event_types": ["ipo"]}], {"0"}, id="per-document-types"),
    pytest.param([{"id": ["a"], "text": SENTENCE}], {"0"}, id="id-list"),
    pytest.param([{"id": None, "text": SENTENCE}], {"0"}, id="id-null"),
    pytest.param([{"id": "a", "text": SENTENCE, "document_date": "9999-99-99"}], {"0"}, id="impossible-date"),
    pytest.param([{"id": str(i), "text": SENTENCE} for i in range(LIMITS.max_batch_documents - 1)]
                 + [{"id": "0", "text": SENTENCE}], {str(LIMITS.max_batch_documents - 1)}, id="late-repeated-id"),
    pytest.param([{"id": "a", "text": SENTENCE}, {"id": "b", "text": 7}, {"id": "c", "text": None},
                  {"id": "d", "text": []}, {"id": "e", "text": "\t"}], {"1", "2", "3", "4"}, id="many-bad-texts"),
]


@pytest.mark.parametrize(("documents", "bad"), BAD_MEMBERS)
def test_batch_with_bad_members_is_one_422_naming_each(client: FlaskClient, documents: list[Any],
                                                       bad: set[str]) -> None:
    response = client.post("/v1/extract/batch", data=json.dumps({"documents": documents}), content_type=JSON)
    data = problem(response, 422, "validation-error")
    assert set(data["errors"]["documents"]) == bad


@pytest.mark.parametrize("raw", [
    pytest.param('{"documents": ' + "[" * 100_000 + "]" * 100_000 + "}", id="nested-documents"),
    pytest.param('{"documents": [' + "{\"id\": " * 50_000 + "}", id="open-objects-in-documents"),
    pytest.param('{"documents": [{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + "}]}", id="nested-text"),
])
def test_deeply_nested_batch_is_400(client: FlaskClient, raw: str) -> None:
    """Refused by the parser, before any field is validated."""
    problem(client.post("/v1/extract/batch", data=raw, content_type=JSON), 400, "malformed-json")


@pytest.mark.parametrize(("documents", "status"), [
    pytest.param([{"id": str(i), "text": "x"} for i in range(100_000)], 413, id="hundred-thousand-documents"),
    pytest.param([{"id": "a", "text": "a" * (LIMITS.max_batch_chars + 1)}], 422,
                 id="one-document-over-the-batch-total"),
])
def test_batch_over_its_limits_is_refused_before_it_is_read(client: FlaskClient, documents: list[Any],
                                                            status: int) -> None:
    """Over the byte limit: 413 before the body is parsed; within it: 422 before a document is loaded."""
    raw = json.dumps({"documents": documents})
    assert (len(raw) > LIMITS.max_body_bytes) == (status == 413)
    data = problem(client.post("/v1/extract/batch", data=raw, content_type=JSON), status,
                   "validation-error" if status == 422 else None)
    if status == 422:
        assert "documents" in data["errors"]


# ---------------------------------------------------------------------------------------------
# Bodies whose Content-Length lies, over HTTP to the shared server

def exchange(server: Server, request: bytes) -> Reply:
    """Send ``request`` byte for byte, close the sending side, and read the answer to its end."""
    with socket.create_connection((HOST, server.port), timeout=10) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        received = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, _, fields = head.partition(b"\r\n")
    return Reply(int(status_line.split()[1]), http.client.parse_headers(io.BytesIO(fields + b"\r\n\r\n")), body)


@pytest.mark.parametrize(("declared", "status"), [
    pytest.param(+50, 200, id="longer-than-the-body"),
    pytest.param(-10, 400, id="shorter-than-the-body"),
])
def test_content_length_that_lies(server: Server, declared: int, status: int) -> None:
    """Longer than the body, then the client stops sending: what arrived is read (200). Shorter:
    the body is cut where the header says, so the JSON is unterminated (400)."""
    raw = json.dumps({"text": SENTENCE}).encode("utf-8")
    head = (f"POST /v1/extract HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {JSON}\r\n"
            f"Content-Length: {len(raw) + declared}\r\n\r\n").encode("ascii")
    reply = exchange(server, head + raw)
    assert reply.status == status, reply.body[:2000]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    body = reply.json()
    if status == 200:
        assert reply.mimetype == JSON and body["events"]
    else:
        assert reply.mimetype == PROBLEM_JSON
        assert body["type"] == PROBLEM_BASE + "malformed-json" and body["status"] == status
