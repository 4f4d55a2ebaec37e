"""The rest of the API through the Flask test client, with the real model: the batch endpoint,
readiness, self-description, request ids, authentication and the metrics exposition.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.config import Settings
from service.engine import Engine

from .test_extract_api import PROBLEM_BASE, THREE_TYPES, problem

LIMITS = Settings.from_env()


def batch(client: FlaskClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/extract/batch", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# ---------------------------------------------------------------------------------------------
# Batch


def test_batch_results_are_in_request_order_and_match_single_requests(client: FlaskClient) -> None:
    texts = THREE_TYPES.split(". ")
    documents = [{"id": f"d{9 - i}", "text": text, "document_date": "2025-06-12"} for i, text in enumerate(texts)]
    data = batch(client, documents=documents)
    assert [r["id"] for r in data["results"]] == ["d9", "d8", "d7"]
    for document, result in zip(documents, data["results"]):
        alone = client.post("/v1/extract", json={"text": document["text"], "document_date": "2025-06-12"}).get_json()
        assert result["events"] == alone["events"]
        assert (result["characters"], result["event_count"]) == (len(document["text"]), len(result["events"]))
    meta = data["meta"]
    assert (meta["documents"], meta["characters"]) == (3, sum(len(t) for t in texts))
    assert meta["event_count"] == sum(r["event_count"] for r in data["results"]) == 3
    assert meta["event_types"] == ["chip_development", "ipo", "policy_ban"]


def test_batch_event_types_filter_applies_to_every_document(client: FlaskClient) -> None:
    documents = [{"id": str(i), "text": THREE_TYPES} for i in range(2)]
    data = batch(client, documents=documents, event_types=["policy_ban"])
    assert all({e["type"] for e in r["events"]} == {"policy_ban"} for r in data["results"])
    assert data["meta"]["event_types"] == ["policy_ban"]


def test_batch_document_dates_are_per_document(client: FlaskClient) -> None:
    text = "China's securities regulator approved Biren Technology's IPO in Hong Kong on Tuesday."
    documents = [{"id": "a", "text": text, "document_date": "2025-06-12"}, {"id": "b", "text": text},
                 {"id": "c", "text": text, "document_date": None}]
    values = [r["events"][0]["dates"][0]["value"] for r in batch(client, documents=documents)["results"]]
    assert values == ["2025-06-10", None, None]


INVALID_BATCHES = [
    pytest.param({}, "documents", id="documents-missing"),
    pytest.param({"documents": []}, "documents", id="documents-empty"),
    pytest.param({"documents": "text"}, "documents", id="documents-string"),
    pytest.param({"documents": [None]}, "documents.0", id="document-null"),
    pytest.param({"documents": [["a", "x"]]}, "documents.0", id="document-array"),
    pytest.param({"documents": [{"text": "x"}]}, "documents.0.id", id="id-missing"),
    pytest.param({"documents": [{"id": 1, "text": "x"}]}, "documents.0.id", id="id-number"),
    pytest.param({"documents": [{"id": "", "text": "x"}]}, "documents.0.id", id="id-empty"),
    pytest.param({"documents": [{"id": "i" * (LIMITS.max_document_id_chars + 1), "text": "x"}]}, "documents.0.id",
                 id="id-too-long"),
    pytest.param({"documents": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "documents.1.id",
                 id="id-repeated"),
    pytest.param({"documents": [{"id": "a", "text": "x"}, {"id": "b"}]}, "documents.1.text", id="text-missing"),
    pytest.param({"documents": [{"id": "a", "text": " "}]}, "documents.0.text", id="text-whitespace"),
    pytest.param({"documents": [{"id": "a", "text": "a" * (LIMITS.max_text_chars + 1)}]},
                 # A text over its own limit can also be over the batch's; the batch's is checked first.
                 "documents.0.text" if LIMITS.max_text_chars < LIMITS.max_batch_chars else "documents",
                 id="text-over-limit"),
    pytest.param({"documents": [{"id": "a", "text": "x", "document_date": "2025-6-1"}]},
                 "documents.0.document_date", id="loose-date"),
    pytest.param({"documents": [{"id": "a", "text": "x", "lang": "en"}]}, "documents.0.lang", id="unknown-field"),
    pytest.param({"documents": [{"id": "a", "text": "x"}], "document_date": "2025-06-01"}, "document_date",
                 id="batch-level-date"),
    pytest.param({"documents": [{"id": "a", "text": "x"}], "event_types": ["ipo", "ipo"]}, "event_types",
                 id="types-repeated"),
    pytest.param({"documents": [{"id": str(i), "text": "x"} for i in range(LIMITS.max_batch_documents + 1)]},
                 "documents", id="too-many-documents"),
    pytest.param({"documents": [{"id": str(i), "text": "a" * (LIMITS.max_batch_chars // 2 + 1)} for i in range(2)]},
                 "documents", id="too-many-characters"),
]


@pytest.mark.parametrize(("body", "path"), INVALID_BATCHES)
def test_invalid_batch_is_422_naming_the_document_and_field(client: FlaskClient, body: dict[str, Any],
                                                           path: str) -> None:
    """The whole request is refused; ``detail`` names each bad field by its dotted path."""
    data = problem(client.post("/v1/extract/batch", json=body), 422, "validation-error")
    assert path in data["detail"].removeprefix("Invalid fields: ").rstrip(".").split(", ")
    errors: Any = data["errors"]
    for key in path.split("."):
        errors = errors[key]
    assert errors


def test_every_bad_document_is_reported_at_once(client: FlaskClient) -> None:
    documents = [{"id": "a", "text": "ok"}, {"id": "b", "text": ""}, {"id": "a", "text": "ok"},
                 {"id": "d", "text": "ok", "document_date": "yesterday"}]
    data = problem(client.post("/v1/extract/batch", json={"documents": documents}), 422, "validation-error")
    assert data["detail"] == "Invalid fields: documents.1.text, documents.2.id, documents.3.document_date."
    assert set(data["errors"]["documents"]) == {"1", "2", "3"}


def test_batch_limit_messages_state_the_limits(client: FlaskClient, settings: Settings) -> None:
    over = [{"id": str(i), "text": "x"} for i in range(settings.max_batch_documents + 1)]
    data = problem(client.post("/v1/extract/batch", json={"documents": over}), 422, "validation-error")
    assert str(settings.max_batch_documents) in data["errors"]["documents"][0]
    heavy = [{"id": str(i), "text": "a" * settings.max_text_chars} for i in range(
        settings.max_batch_chars // settings.max_text_chars + 1)]
    data = problem(client.post("/v1/extract/batch", json={"documents": heavy}), 422, "validation-error")
    assert str(settings.max_batch_chars) in data["errors"]["documents"][0]


# ---------------------------------------------------------------------------------------------
# Readiness and self-description


def test_readyz_is_503_until_the_warm_up_document_is_read(settings: Settings, engine: Engine) -> None:
    cold = create_app(settings, engine=engine, warm_up=False)
    response = cold.test_client().get("/readyz")
    data = problem(response, 503, "not-ready")
    assert response.headers["Retry-After"]
    assert "warm-up" in data["detail"]
    assert cold.test_client().get("/healthz").status_code == 200
    cold.extensions["readiness"].warm_up(engine)
    ready = cold.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_info_describes_what_is_serving(client: FlaskClient, settings: Settings, engine: Engine) -> None:
    info = client.get("/v1/info").get_json()
    assert info["service"]["name"] == "event-extraction" and info["service"]["version"]
    assert info["model"]["name"] == engine.model_info["name"]
    assert info["model"]["components"] == engine.model_info["components"]
    assert info["ontology"]["event_types"] == sorted(engine.event_types)
    assert info["ontology"]["version"].startswith("sha256:")
    assert info["limits"] == settings.limits()
    assert info["authentication"] == "none"


# ---------------------------------------------------------------------------------------------
# Request ids


@pytest.mark.parametrize("given", ["abc", "A.b_c-9", "x" * 128, str(uuid.uuid4())])
def test_valid_request_id_is_returned(client: FlaskClient, given: str) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "x" * 129, "a b", "a/b", "é", "a\tb", "<script>"])
def test_invalid_request_id_is_replaced(client: FlaskClient, given: str) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert returned != given and uuid.UUID(returned).version == 4


def test_errors_carry_the_request_id(client: FlaskClient) -> None:
    response = client.post("/v1/extract", json={}, headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42" == response.get_json()["request_id"]


# ---------------------------------------------------------------------------------------------
# Authentication


@pytest.fixture(scope="module")
def secured(settings: Settings, engine: Engine) -> Flask:
    return create_app(Settings.from_env(api_keys=("k1-secret", "k2-secret")), engine=engine)


@pytest.mark.parametrize("key", ["k1-secret", "k2-secret"])
def test_any_configured_key_is_accepted(secured: Flask, key: str) -> None:
    response = secured.test_client().post("/v1/extract", json={"text": THREE_TYPES},
                                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer ", "bearer k1-secretx", "Token k1-secret",
                                           "Bearer k1-secre", "Bearer \u00e9\u00e9"])
def test_missing_or_wrong_key_is_401(secured: Flask, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = secured.test_client().post("/v1/extract/batch", json={"documents": []}, headers=headers)
    data = problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="event-extraction"')
    assert "secret" not in response.get_data(as_text=True)
    assert data["instance"] == "/v1/extract/batch"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.yaml"])
def test_operations_endpoints_need_no_key(secured: Flask, path: str) -> None:
    assert secured.test_client().get(path).status_code == 200


def test_keys_never_appear_in_settings_repr() -> None:
    assert "k1-secret" not in repr(Settings.from_env(api_keys=("k1-secret",)))


# ---------------------------------------------------------------------------------------------
# Metrics


def test_metrics_count_documents_events_and_errors(client: FlaskClient) -> None:
    def sample(name: str, labels: str = "") -> float:
        text = client.get("/metrics").get_data(as_text=True)
        line = next((ln for ln in text.splitlines() if ln.startswith(f"{name}{labels} ")), None)
        return float(line.split()[-1]) if line else 0.0

    documents, errors = sample("event_extraction_documents_total"), sample(
        "event_extraction_errors_total", '{kind="validation-error"}')
    chips = sample("event_extraction_events_total", '{type="chip_development"}')
    batch(client, documents=[{"id": str(i), "text": THREE_TYPES} for i in range(3)])
    client.post("/v1/extract", json={"text": ""})
    assert sample("event_extraction_documents_total") == documents + 3
    assert sample("event_extraction_events_total", '{type="chip_development"}') == chips + 3
    assert sample("event_extraction_errors_total", '{kind="validation-error"}') == errors + 1
    response = client.get("/metrics")
    assert response.mimetype == "text/plain"
    assert PROBLEM_BASE not in response.get_data(as_text=True)
