"""The answers gunicorn writes itself, as problem+json like every other error of the service.

gunicorn refuses a request it cannot parse (a malformed request line or header, a request line
or headers over its limits, an unsupported transfer coding) before the app sees it, and answered
with a page of HTML. Clients read every error of this service as an RFC 9457 problem, so these
are problems too, with a request id as the app's are. The request never reached a route, so the
problem's ``instance`` is the request id as a ``urn:uuid:`` rather than a path. gunicorn looks
its error writer up in ``gunicorn.util`` for each error; :func:`install` replaces it there and
is called by gunicorn.conf.py."""
from __future__ import annotations

import json
import socket
import uuid

from gunicorn import util

from .errors import PROBLEM_JSON, PROBLEM_TYPE_BASE

# gunicorn's statuses for what it refuses (openapi.yaml, ProtocolProblem). Anything else is a
# plain about:blank problem: its 500, and its 403, which needs proxy protocol or TLS, both off.
KINDS = {400: "malformed-request", 431: "header-fields-too-large", 501: "unsupported-transfer-coding"}
# gunicorn's message can quote the offending request line, up to its 4094-byte limit.
MAX_DETAIL_CHARS = 300
DEFAULT_DETAIL = "The server could not process the request."


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """The whole HTTP response: status line, headers and the problem document."""
    request_id = str(uuid.uuid4())
    kind = KINDS.get(status)
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[:MAX_DETAIL_CHARS - 1] + "…"
    body = json.dumps({
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": reason,
        "status": status,
        "detail": detail or DEFAULT_DETAIL,
        "instance": f"urn:uuid:{request_id}",
        "request_id": request_id,
    }).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-ID: {request_id}\r\nX-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + body


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error``."""
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


def install() -> None:
    """Make gunicorn write its own error answers as problems."""
    util.write_error = write_problem
