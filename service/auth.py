"""Optional bearer-token authentication of ``/v1/*``; health, readiness, metrics and the spec stay open.

Off unless ``API_KEYS`` lists keys. The token is compared with every key in constant time, so
the response time says nothing about how much of a key a guess got right.
"""
from __future__ import annotations

import hmac
from collections.abc import Sequence

from flask import Flask, request

from .errors import ProblemError

PROTECTED_PREFIX = "/v1/"
REALM = "event-extraction"


def _refuse(detail: str, challenge: str) -> ProblemError:
    return ProblemError(401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def require_api_key(app: Flask, keys: Sequence[str]) -> None:
    """Refuse ``/v1/*`` requests without ``Authorization: Bearer <one of keys>``."""
    expected = [key.encode("utf-8") for key in keys]

    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith(PROTECTED_PREFIX):
            return
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refuse("This endpoint needs an API key: send 'Authorization: Bearer <key>'.",
                          f'Bearer realm="{REALM}"')
        # WSGI hands header values over as Latin-1 text: encoding them back gives the bytes sent.
        given = token.strip().encode("latin-1", "replace")
        matched = False
        for key in expected:
            matched |= hmac.compare_digest(given, key)
        if not matched:
            raise _refuse("The API key is not valid.", f'Bearer realm="{REALM}", error="invalid_token"')
