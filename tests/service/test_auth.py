"""Optional authentication: with API_KEYS set, /v1/* needs a bearer key and the probes stay open."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Server, start_server

KEYS = ("first-key-0123456789", "second-key-9876543210")
BODY = {"text": "Nvidia unveiled its Blackwell Ultra AI chip on Monday."}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("gunicorn-auth"), API_KEYS=",".join(KEYS), WORKERS="1")
    yield running
    running.stop()


@pytest.mark.parametrize("key", KEYS)
def test_each_key_opens_v1(secured: Server, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    assert secured.request("POST", "/v1/extract", BODY, headers=headers).status == 200
    assert secured.request("GET", "/v1/info", headers=headers).json()["authentication"] == "bearer"


@pytest.mark.parametrize(("authorization", "error"), [
    pytest.param(None, None, id="missing"),
    pytest.param("Bearer", None, id="no-token"),
    pytest.param(f"Basic {KEYS[0]}", None, id="other-scheme"),
    pytest.param("Bearer wrong-key", "invalid_token", id="wrong-key"),
    pytest.param(f"Bearer {KEYS[0]}x", "invalid_token", id="key-prefix"),
    pytest.param(f"Bearer {KEYS[0][:-1]}", "invalid_token", id="key-truncated"),
    pytest.param("Bearer caf\u00e9", "invalid_token", id="non-ascii"),
])
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/extract"), ("GET", "/v1/event-types"),
                                              ("GET", "/v1/no-such-path")])
def test_v1_without_a_valid_key_is_401(secured: Server, method: str, path: str, authorization: str | None,
                                       error: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    reply = secured.request(method, path, BODY if method == "POST" else None, headers=headers)
    assert reply.status == 401
    assert reply.mimetype == "application/problem+json"
    body = reply.json()
    assert body["type"] == "tag:event-extraction,2026:problem:unauthorized" and body["status"] == 401
    challenge = reply.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer realm=")
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert not any(key in reply.body.decode() for key in KEYS)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.yaml"])
def test_probes_metrics_and_spec_stay_open(secured: Server, path: str) -> None:
    assert secured.request("GET", path).status == 200


def test_without_api_keys_v1_is_open(server: Server) -> None:
    assert server.request("POST", "/v1/extract", BODY).status == 200
    assert server.request("GET", "/v1/info").json()["authentication"] == "none"
