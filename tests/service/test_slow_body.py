"""A request body that stops arriving does not hold its connection for ever.

gunicorn bounds only the request line and headers (``HEADER_TIMEOUT``); the app reads the body.
gunicorn.conf.py therefore puts ``BODY_TIMEOUT`` on the client socket, and the app answers a read
that waits that long with a 408 problem, after which the connection is closed. The timeout bounds
each wait for more of the body, not the whole body, so a slow but steady upload is still read.
These tests run a real gunicorn with ``BODY_TIMEOUT=2`` and talk to it over raw sockets.
"""
from __future__ import annotations

import io
import json
import re
import socket
import struct
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.config import Settings
from tests.contract.test_openapi import SPEC_PATH, SPEC_URI, check_response

from .conftest import HOST, Reply, Server, parse, read_until_closed, start_server

BODY_TIMEOUT = 2
# Room for a loaded machine on top of the timeout itself.
MARGIN_S = 5.0
# Between two parts of a steady upload: well inside BODY_TIMEOUT, and enough parts to outlast it.
STEADY_GAP_S = 0.5
STEADY_PARTS = 6
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "tag:event-extraction,2026:problem:"
SENTENCE = "Nvidia unveiled its Blackwell chip on Monday."
PARTIAL_BODY = b'{"text": "Nvidia unveiled'
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012))


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("slow-body"), BODY_TIMEOUT=str(BODY_TIMEOUT))
    yield running
    running.stop()


def open_request(server: Server, declared: int, request_id: str, first_part: bytes = b"") -> socket.socket:
    """A connection that has sent the headers of ``POST /v1/extract`` and ``first_part`` of the body."""
    connection = socket.create_connection((HOST, server.port), timeout=MARGIN_S)
    head = (f"POST /v1/extract HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {JSON}\r\n"
            f"Content-Length: {declared}\r\nX-Request-ID: {request_id}\r\n\r\n").encode("ascii")
    connection.sendall(head + first_part)
    return connection


def as_test_response(reply: Reply) -> SimpleNamespace:
    """``reply`` in the shape the contract checks read (a Flask test response's attributes)."""
    return SimpleNamespace(status_code=reply.status, mimetype=reply.mimetype, get_json=reply.json,
                           headers=reply.headers)


def log_line(server: Server, request_id: str, within: float) -> dict[str, Any]:
    """The server's request log line for ``request_id``, waiting up to ``within`` s for it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        lines = [line for line in server.log_lines() if line["request_id"] == request_id]
        if lines:
            return lines[0]
        time.sleep(0.1)
    pytest.fail(f"no request line for {request_id} within {within} s")


def error_count(server: Server, kind: str) -> float:
    """``event_extraction_errors_total`` for one problem kind, summed over the workers."""
    metrics = server.request("GET", "/metrics", timeout=MARGIN_S).body.decode("utf-8")
    match = re.search(rf'^event_extraction_errors_total\{{kind="{kind}"\}} (\S+)$', metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_a_body_that_stops_arriving_is_a_408_and_the_connection_is_closed(slow_server: Server) -> None:
    connection = open_request(slow_server, 1000, "stalled-body", PARTIAL_BODY)
    started = time.monotonic()
    try:
        normal = slow_server.request("POST", "/v1/extract", {"text": SENTENCE}, timeout=BODY_TIMEOUT)
        assert normal.status == 200 and normal.json()["events"]
        assert time.monotonic() - started < BODY_TIMEOUT, "the stalled body was not pending throughout"
        raw = read_until_closed(connection, BODY_TIMEOUT + MARGIN_S)
        waited = time.monotonic() - started
    finally:
        connection.close()
    reply = parse(raw)
    assert reply.status == 408, raw[:500]
    assert waited > BODY_TIMEOUT - 0.5, f"answered after {waited:.2f} s, before the timeout"
    assert reply.headers["Connection"] == "close"
    check_response(REGISTRY, SPEC, "/v1/extract", "post", as_test_response(reply), media=PROBLEM_JSON)
    body = reply.json()
    assert body["type"] == PROBLEM_BASE + "body-timeout"
    assert f"within {BODY_TIMEOUT} s" in body["detail"]
    assert body["request_id"] == "stalled-body"
    assert log_line(slow_server, "stalled-body", MARGIN_S)["status"] == 408


def test_a_body_sent_slowly_but_steadily_is_read(slow_server: Server) -> None:
    """Each wait is bounded, not the whole body: parts 0.5 s apart outlast BODY_TIMEOUT and are read."""
    body = json.dumps({"text": SENTENCE}).encode("utf-8")
    size = -(-len(body) // STEADY_PARTS)
    connection = open_request(slow_server, len(body), "steady-body")
    started = time.monotonic()
    try:
        for offset in range(0, len(body), size):
            time.sleep(STEADY_GAP_S)
            connection.sendall(body[offset:offset + size])
        assert time.monotonic() - started > BODY_TIMEOUT, "the upload was faster than the timeout it should outlast"
        reply = parse(read_until_closed(connection, MARGIN_S))
    finally:
        connection.close()
    assert reply.status == 200, reply.body[:500]
    assert reply.json()["events"] and reply.json()["meta"]["characters"] == len(SENTENCE)


@pytest.mark.parametrize(("how", "kind"), [
    pytest.param("closed", "malformed-json", id="closed"),
    pytest.param("reset", "incomplete-body", id="reset"),
])
def test_a_client_that_leaves_mid_body_leaves_no_traceback(slow_server: Server, how: str, kind: str) -> None:
    """Closed (FIN): what arrived is read, a cut JSON text, so a 400. Reset (RST): the read fails,
    a 400 ``incomplete-body``. Either way the answer goes nowhere, and nothing is logged as an error."""
    logged_before = len(slow_server.stderr.read_text(encoding="utf-8"))
    kind_before = error_count(slow_server, kind)
    request_id = f"left-mid-body-{how}"
    connection = open_request(slow_server, 1000, request_id, PARTIAL_BODY)
    # Long enough for the worker to be waiting for the rest, well short of the timeout.
    time.sleep(BODY_TIMEOUT / 2)
    if how == "reset":
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    assert log_line(slow_server, request_id, MARGIN_S)["status"] == 400
    assert error_count(slow_server, kind) == kind_before + 1
    # The worker writes its answer to the closed connection after the request line is logged.
    time.sleep(0.5)
    logged = slow_server.stderr.read_text(encoding="utf-8")[logged_before:]
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-3000:]


@pytest.mark.parametrize(("error", "status", "kind"), [
    pytest.param(TimeoutError("timed out"), 408, "body-timeout", id="timeout"),
    pytest.param(ConnectionResetError(104, "Connection reset by peer"), 400, "incomplete-body", id="reset"),
])
def test_a_failed_body_read_is_the_documented_problem(client: FlaskClient, settings: Settings, error: OSError,
                                                      status: int, kind: str) -> None:
    """The app's side alone, as a WSGI server hands it a socket error: the problem the spec documents."""
    class FailingStream(io.BytesIO):
        def readinto(self, buffer: Any) -> int:
            raise error

    response = client.post("/v1/extract", input_stream=FailingStream(b" " * 100), content_type=JSON)
    assert response.status_code == status
    check_response(REGISTRY, SPEC, "/v1/extract", "post", response, media=PROBLEM_JSON)
    assert response.get_json()["type"] == PROBLEM_BASE + kind
    if status == 408:
        assert f"within {settings.body_timeout} s" in response.get_json()["detail"]


def test_the_spec_states_the_default_body_timeout() -> None:
    default = Settings().body_timeout
    assert f"(`BODY_TIMEOUT`) | {default} | 408 |" in SPEC["info"]["description"]
    assert f"`BODY_TIMEOUT` ({default} s)" in SPEC["components"]["responses"]["RequestTimeout"]["description"]


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "soon"])
def test_an_invalid_body_timeout_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Zero would make the socket non-blocking, so it is refused like any other invalid value."""
    monkeypatch.setenv("BODY_TIMEOUT", value)
    with pytest.raises(ValueError, match="BODY_TIMEOUT"):
        Settings.from_env()
