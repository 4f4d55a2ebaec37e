"""RFC 9457 problem details (``application/problem+json``) for every error the API returns."""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

# Problem types are tag URIs: stable identifiers that do not pretend to be web pages.
PROBLEM_TYPE_BASE = "tag:event-extraction,2026:problem:"
PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemError(Exception):
    """An error the API reports as a problem document with a specific type and detail."""

    def __init__(self, status: int, kind: str, title: str, detail: str, errors: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers = errors, headers or {}


def problem_response(status: int, title: str, detail: str, kind: str | None = None,
                     errors: dict[str, Any] | None = None) -> Response:
    """A problem+json response; ``kind`` names the problem type, else ``about:blank``.

    The problem's kind (or, for ``about:blank``, its title as a slug) is kept on ``g`` for the
    error metric, and the request id is repeated in the body so a user can quote it."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    if "request_id" in g:
        body["request_id"] = g.request_id
    g.problem_kind = kind or re.sub(r"[^a-z]+", "-", title.lower()).strip("-")
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _too_large_detail() -> str:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None:
        return f"The request body is {request.content_length} bytes; the limit is {limit} bytes."
    return f"The request body is longer than the limit of {limit} bytes."


def register_error_handlers(app: Flask) -> None:
    """Every error leaves the app as problem+json; a 500 never shows internals."""

    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError) -> Response:
        response = problem_response(exc.status, exc.title, exc.detail, exc.kind, exc.errors)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = exc.code or 500
        if code == 404:
            return problem_response(404, "Not Found",
                                    f"There is nothing at {request.path}; /openapi.yaml lists this service's paths.")
        if code == 405 and exc.valid_methods:
            allowed = ", ".join(exc.valid_methods)
            response = problem_response(405, "Method Not Allowed",
                                        f"{request.method} is not allowed on {request.path}; it allows {allowed}.")
            response.headers["Allow"] = allowed
            return response
        if code == 413:
            # RFC 9110 renamed "Request Entity Too Large"; the detail says the limit.
            return problem_response(413, "Content Too Large", _too_large_detail())
        return problem_response(code, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s (request id %s)", request.method, request.path, g.get("request_id"))
        return problem_response(500, "Internal Server Error", "The server could not process the request.")
