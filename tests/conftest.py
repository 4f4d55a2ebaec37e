"""Shared fixtures: the real engine (loaded once per test session), the app and its client, and
one real gunicorn on loopback for every suite that talks HTTP."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.config import Settings, single_threaded_math

single_threaded_math()  # as in the server, before the engine imports numpy: the same parse every call

from service.app import create_app  # noqa: E402
from service.engine import Engine  # noqa: E402
from tests.service.conftest import Server, start_server  # noqa: E402

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    return Engine(settings)


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine):
    app = create_app(settings, engine=engine)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared gunicorn: two workers, every setting at its default. One per session, so that
    tests/service, the contract fuzzing and the hostile-input suite load the model once between them."""
    running = start_server(tmp_path_factory.mktemp("gunicorn"))
    yield running
    running.stop()


def api_answer(client: FlaskClient, text: str, document_date: str | None = None,
               event_types: list[str] | None = None) -> dict[str, Any]:
    """What ``POST /v1/extract`` answers for the text, through the app in this process."""
    body: dict[str, Any] = {"text": text, "document_date": document_date}
    if event_types:
        body["event_types"] = event_types
    response = client.post("/v1/extract", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def load_jsonl(name: str) -> list[dict]:
    """A data set kept in the repository's ``eval/`` folder."""
    with (EVAL_DIR / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
