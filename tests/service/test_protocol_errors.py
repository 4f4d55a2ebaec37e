"""Requests gunicorn refuses before the app sees them are answered as problem+json too.

Each case is sent over a raw socket to the real server, since no HTTP client library will send
a malformed request; the answer must be a problem document that openapi.yaml's ``ProtocolError``
response describes, with a request id, and the connection closed."""
from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.contract.test_openapi import SPEC_PATH, SPEC_URI, check, check_headers

from .conftest import HOST, Server, parse, read_until_closed

PROBLEM_BASE = "tag:event-extraction,2026:problem:"
RESPONSE = "/components/responses/ProtocolError"
SCHEMA = f"{RESPONSE}/content/application~1problem+json/schema"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012))
ANSWER_WITHIN_S = 10.0

CASES = [
    pytest.param(b"GARBAGE\r\n\r\n", 400, "malformed-request", "GARBAGE", id="not-a-request-line"),
    pytest.param(b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed-request", "G@T", id="invalid-method"),
    pytest.param(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400, "malformed-request", "(9, 9)", id="unknown-http-version"),
    pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed-request",
                 "Request Line is too large (5014 > 4094)", id="request-line-over-the-limit"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400, "malformed-request", "Bad Name",
                 id="invalid-header-name"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431,
                 "header-fields-too-large", "limit request headers fields size", id="header-over-the-limit"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n",
                 431, "header-fields-too-large", "limit request headers fields", id="too-many-headers"),
    pytest.param(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 501,
                 "unsupported-transfer-coding", "rot13", id="unknown-transfer-coding"),
]


@pytest.mark.parametrize(("request_bytes", "status", "kind", "detail"), CASES)
def test_unparseable_request_is_a_problem_document(server: Server, request_bytes: bytes, status: int, kind: str,
                                                   detail: str) -> None:
    with socket.create_connection((HOST, server.port), timeout=ANSWER_WITHIN_S) as connection:
        connection.sendall(request_bytes)
        reply = parse(read_until_closed(connection, ANSWER_WITHIN_S))
    assert reply.status == status
    assert reply.mimetype == "application/problem+json"
    assert reply.headers["Connection"] == "close"
    body = reply.json()
    check(REGISTRY, SCHEMA, body)
    check_headers(SPEC, REGISTRY, RESPONSE, SimpleNamespace(headers=reply.headers))
    assert body["type"] == PROBLEM_BASE + kind
    assert detail in body["detail"]
    assert body["request_id"] == reply.headers["X-Request-ID"]
    assert body["instance"] == f"urn:uuid:{body['request_id']}"


def test_the_server_answers_normally_after_refusing(server: Server) -> None:
    """A refused connection costs nothing else: the next request is served."""
    with socket.create_connection((HOST, server.port), timeout=ANSWER_WITHIN_S) as connection:
        connection.sendall(b"GARBAGE\r\n\r\n")
        assert parse(read_until_closed(connection, ANSWER_WITHIN_S)).status == 400
    assert server.request("GET", "/healthz").status == 200
