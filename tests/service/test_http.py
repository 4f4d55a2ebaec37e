"""The service over real HTTP: gunicorn with two gevent workers, the real model, default settings.

What a deployment relies on: batch results in request order, every limit enforced with the
documented status, every error a problem document, request ids, metrics that add up across
workers, logs without text, and a request at the limits answered well inside the timeout.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.config import Settings
from tests.conftest import load_jsonl

from .conftest import Reply, Server

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "tag:event-extraction,2026:problem:"
SETTINGS = Settings.from_env()
NEWS = [row["text"] for row in load_jsonl("dev.jsonl") + load_jsonl("background-dev.jsonl")]


def problem(reply: Reply, status: int, kind: str | None = None) -> dict[str, Any]:
    """Assert ``reply`` is the RFC 9457 document for ``status`` and carries the request id."""
    assert reply.status == status, reply.body[:500]
    assert reply.mimetype == PROBLEM_JSON
    body = reply.json()
    assert body["status"] == status
    assert body["type"] == (PROBLEM_BASE + kind if kind else "about:blank")
    assert body["title"] and body["detail"] and body["instance"]
    assert body["request_id"] == reply.headers["X-Request-ID"]
    return body


def heaviest_batch() -> list[dict[str, str]]:
    """The costliest batch the limits allow: as many texts of the longest allowed length as fit
    (a text's cost grows faster than its length), cut from real news from all over the eval sets."""
    size, total = SETTINGS.max_text_chars, SETTINGS.max_batch_chars
    stream = "\n\n".join(NEWS) * (size // len("\n\n".join(NEWS)) + 2)
    sizes = [size] * (total // size) + ([total % size] if total % size else [])
    assert len(sizes) <= SETTINGS.max_batch_documents
    return [{"id": f"doc-{i}", "text": stream[i * 7919:][:n]} for i, n in enumerate(sizes)]


def metric_values(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by name and labels."""
    reply = server.request("GET", "/metrics")
    assert reply.status == 200
    samples = {}
    for family in text_string_to_metric_families(reply.body.decode("utf-8")):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


# ---------------------------------------------------------------------------------------------
# Health, readiness, self-description


def test_health_readiness_info_and_spec(server: Server) -> None:
    assert server.request("GET", "/healthz").json() == {"status": "ok"}
    ready = server.request("GET", "/readyz")
    assert ready.status == 200 and ready.json()["status"] == "ready"
    info = server.request("GET", "/v1/info").json()
    assert info["limits"] == SETTINGS.limits()
    assert info["authentication"] == "none"
    assert "parser" in info["model"]["components"]
    spec = server.request("GET", "/openapi.yaml")
    assert spec.status == 200 and spec.mimetype == "application/yaml"


# ---------------------------------------------------------------------------------------------
# Batch


def test_batch_answers_in_request_order_like_single_requests(server: Server) -> None:
    """Each result is what /v1/extract says for that document alone, in the order sent."""
    documents = [{"id": f"z{9 - i}", "text": text, "document_date": "2025-06-12"} for i, text in enumerate(NEWS[:10])]
    reply = server.request("POST", "/v1/extract/batch", {"documents": documents})
    assert reply.status == 200, reply.body[:500]
    data = reply.json()
    assert [r["id"] for r in data["results"]] == [d["id"] for d in documents]
    for document, result in zip(documents, data["results"]):
        alone = server.request("POST", "/v1/extract", {"text": document["text"], "document_date": "2025-06-12"}).json()
        assert result["events"] == alone["events"], document["id"]
        assert result["characters"] == len(document["text"])
    assert data["meta"]["documents"] == len(documents)
    assert data["meta"]["event_count"] == sum(len(r["events"]) for r in data["results"]) > 0


def test_batch_with_an_invalid_document_is_422_naming_it(server: Server) -> None:
    documents = [{"id": "a", "text": "Nvidia unveiled a chip."}, {"id": "b", "text": "ok"},
                 {"id": "c", "text": "   "}, {"id": "a", "text": "ok", "document_date": "2025-6-1"}]
    body = problem(server.request("POST", "/v1/extract/batch", {"documents": documents}), 422, "validation-error")
    assert "documents.2.text" in body["detail"] and "documents.3.document_date" in body["detail"]
    assert "documents.3.id" in body["detail"]
    assert set(body["errors"]["documents"]) == {"2", "3"}


# ---------------------------------------------------------------------------------------------
# Limits: at the limit accepted, one over refused with the documented status

def batch_of(count: int, text: str = "Nvidia unveiled a chip.") -> dict[str, Any]:
    return {"documents": [{"id": str(i), "text": text} for i in range(count)]}


LIMITS = [
    pytest.param("text", {"text": "a" * SETTINGS.max_text_chars}, {"text": "a" * (SETTINGS.max_text_chars + 1)},
                 "text", id="max_text_chars"),
    pytest.param("text", {"text": "ok", "event_types": ["ipo"]},
                 {"text": "ok", "event_types": ["ipo"] * (SETTINGS.max_event_types + 1)}, "event_types",
                 id="max_event_types"),
    pytest.param("batch", batch_of(SETTINGS.max_batch_documents), batch_of(SETTINGS.max_batch_documents + 1),
                 "documents", id="max_batch_documents"),
    pytest.param("batch", batch_of(2, "a" * (SETTINGS.max_batch_chars // 2)),
                 batch_of(2, "a" * (SETTINGS.max_batch_chars // 2 + 1)), "documents", id="max_batch_chars"),
    pytest.param("batch", {"documents": [{"id": "i" * SETTINGS.max_document_id_chars, "text": "ok"}]},
                 {"documents": [{"id": "i" * (SETTINGS.max_document_id_chars + 1), "text": "ok"}]},
                 "documents.0.id", id="max_document_id_chars"),
]


@pytest.mark.parametrize(("endpoint", "at_limit", "over_limit", "field"), LIMITS)
def test_each_limit_is_inclusive_and_refused_beyond(server: Server, endpoint: str, at_limit: dict[str, Any],
                                                    over_limit: dict[str, Any], field: str) -> None:
    path = "/v1/extract" if endpoint == "text" else "/v1/extract/batch"
    accepted = server.request("POST", path, at_limit)
    assert accepted.status == 200, accepted.body[:500]
    body = problem(server.request("POST", path, over_limit), 422, "validation-error")
    assert field in body["detail"]


def test_body_over_the_byte_limit_is_413_stating_the_limit(server: Server) -> None:
    limit = SETTINGS.max_body_bytes
    prefix, suffix = b'{"text": "', b'"}'
    at_limit = prefix + b"a" * (limit - len(prefix) - len(suffix)) + suffix
    assert problem(server.request("POST", "/v1/extract", data=at_limit, headers={"Content-Type": "application/json"}),
                   422, "validation-error")["errors"]["text"]
    over = at_limit[:-2] + b'a"}'
    body = problem(server.request("POST", "/v1/extract", data=over, headers={"Content-Type": "application/json"}), 413)
    assert body["title"] == "Content Too Large"
    assert str(limit) in body["detail"] and str(limit + 1) in body["detail"]


def test_a_request_at_every_limit_is_answered(server: Server) -> None:
    """The costliest batch of real news text the limits allow is answered, not cut off by the
    worker timeout (its time is measured by benchmarks/request_cost.py, not asserted here)."""
    documents = heaviest_batch()
    assert sum(len(d["text"]) for d in documents) == SETTINGS.max_batch_chars
    reply = server.request("POST", "/v1/extract/batch", {"documents": documents})
    assert reply.status == 200, reply.body[:500]


# ---------------------------------------------------------------------------------------------
# Errors: every one a problem document, whatever the client sent

JSON = {"Content-Type": "application/json"}
ERRORS = [
    pytest.param("POST", "/v1/extract", b'{"text": "abc', JSON, 400, "malformed-json", id="malformed-json"),
    pytest.param("POST", "/v1/extract", b'\xff\xfe{"text": "a"}', JSON, 400, "invalid-encoding", id="not-utf8"),
    pytest.param("POST", "/v1/extract", b"[" * 100_000, JSON, 400, "malformed-json", id="deeply-nested"),
    pytest.param("POST", "/v1/extract", b'{"text": "a", "x": ' + b"1" * 5000 + b"}", JSON, 400, "malformed-json",
                 id="huge-integer"),
    pytest.param("GET", "/v1/nothing", None, {}, 404, None, id="not-found"),
    pytest.param("DELETE", "/v1/extract/batch", None, {}, 405, None, id="method-not-allowed"),
    pytest.param("POST", "/v1/extract", b'{"text": "a"}', {"Content-Type": "text/plain"}, 415,
                 "unsupported-media-type", id="text-plain"),
    pytest.param("POST", "/v1/extract", b'{"text": "a"}', {"Content-Type": "application/json; charset=latin-1"}, 415,
                 "unsupported-media-type", id="latin-1-charset"),
    pytest.param("POST", "/v1/extract", b'{"text": "a"}', {"Content-Type": PROBLEM_JSON}, 415,
                 "unsupported-media-type", id="problem-json-request"),
    pytest.param("POST", "/v1/extract/batch", b'{"documents": []}', JSON, 422, "validation-error", id="empty-batch"),
    pytest.param("POST", "/v1/extract", b'{"text": "a", "document_date": "2025-6-1"}', JSON, 422, "validation-error",
                 id="loose-date"),
]


@pytest.mark.parametrize(("method", "path", "data", "headers", "status", "kind"), ERRORS)
def test_every_error_is_a_problem_document(server: Server, method: str, path: str, data: bytes | None,
                                           headers: dict[str, str], status: int, kind: str | None) -> None:
    body = problem(server.request(method, path, data=data, headers=headers), status, kind)
    assert body["instance"] == path


def test_method_not_allowed_names_the_method_and_allows(server: Server) -> None:
    reply = server.request("PUT", "/v1/extract")
    body = problem(reply, 405)
    assert "PUT" in body["detail"]
    assert "POST" in reply.headers["Allow"]


# ---------------------------------------------------------------------------------------------
# Request ids and logs


def test_request_id_is_echoed_when_valid_and_generated_otherwise(server: Server) -> None:
    given = f"trace-{uuid.uuid4().hex}"
    assert server.request("GET", "/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for bad in ("has space", "x" * 129, "semi;colon", ""):
        generated = server.request("GET", "/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert generated != bad and uuid.UUID(generated)
    error = server.request("GET", "/nowhere", headers={"X-Request-ID": given})
    assert error.headers["X-Request-ID"] == given == error.json()["request_id"]


def test_one_json_log_line_per_request_without_the_text(server: Server) -> None:
    secret = f"Nvidia unveiled its Blackwell Ultra AI chip on Monday, Zyxorbian{uuid.uuid4().hex[:8]} said."
    ids = [f"log-{uuid.uuid4().hex}" for _ in range(3)]
    server.request("POST", "/v1/extract", {"text": secret}, headers={"X-Request-ID": ids[0]})
    server.request("POST", "/v1/extract", {"text": secret, "x": 1}, headers={"X-Request-ID": ids[1]})
    server.request("POST", "/v1/extract/batch", {"documents": [{"id": "d", "text": secret}] * 2},
                   headers={"X-Request-ID": ids[2]})
    time.sleep(0.2)
    lines = {line["request_id"]: line for line in server.log_lines() if line["request_id"] in ids}
    assert set(lines) == set(ids)
    ok = lines[ids[0]]
    assert (ok["method"], ok["path"], ok["status"], ok["characters"], ok["documents"]) == \
        ("POST", "/v1/extract", 200, len(secret), 1)
    assert ok["events"] >= 1 and ok["duration_ms"] > 0 and ok["pid"] > 0
    assert lines[ids[1]]["status"] == 422
    assert lines[ids[2]]["status"] == 422
    output = server.stdout.read_text(encoding="utf-8") + server.stderr.read_text(encoding="utf-8")
    assert "Zyxorbian" not in output


# ---------------------------------------------------------------------------------------------
# Metrics


def test_metrics_add_up_across_both_workers(server: Server) -> None:
    """Requests served by either worker all show in /metrics, whichever worker answers it."""
    reply = server.request("GET", "/metrics")
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    before = metric_values(server)
    text = "Nvidia unveiled its Blackwell Ultra AI chip on Monday."
    ids: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for _ in range(4):
            ids.append(f"metrics-{uuid.uuid4().hex}")
            reply = server.request("POST", "/v1/extract", {"text": text}, headers={"X-Request-ID": ids[-1]})
            assert reply.status == 200
        pids = {line["pid"] for line in server.log_lines() if line["request_id"] in ids}
        if len(pids) == 2:
            break
    assert len(pids) == 2, "one worker served every request"
    after = metric_values(server)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    sent = len(ids)
    assert delta("event_extraction_http_requests_total", endpoint="/v1/extract", method="POST", status="200") == sent
    assert delta("event_extraction_documents_total") == sent
    assert delta("event_extraction_characters_total") == sent * len(text)
    assert delta("event_extraction_events_total", type="chip_development") == sent
    assert delta("event_extraction_http_request_duration_seconds_count", endpoint="/v1/extract") == sent
    server.request("GET", "/v1/nothing")
    assert metric_values(server)[("event_extraction_errors_total", (("kind", "not-found"),))] >= 1
