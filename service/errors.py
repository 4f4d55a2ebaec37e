"""RFC 9457 problem details (``application/problem+json``) for every error the API returns."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

# Problem types are tag URIs: stable identifiers that do not pretend to be web pages.
PROBLEM_TYPE_BASE = "tag:event-extraction,2026:problem:"
log = logging.getLogger(__name__)


class ProblemError(Exception):
    """An error the API reports as a problem document with a specific type and detail."""

    def __init__(self, status: int, kind: str, title: str, detail: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail, self.errors = status, kind, title, detail, errors


def problem_response(status: int, title: str, detail: str, kind: str | None = None,
                     errors: dict[str, Any] | None = None) -> Response:
    """A problem+json response; ``kind`` names the problem type, else ``about:blank``."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def register_error_handlers(app: Flask) -> None:
    """Every error leaves the app as problem+json; a 500 never shows internals."""

    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError) -> Response:
        return problem_response(exc.status, exc.title, exc.detail, exc.kind, exc.errors)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = problem_response(exc.code or 500, exc.name, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        err = InternalServerError()
        return problem_response(500, err.name, "The server could not process the request.")
