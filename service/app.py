"""Builds the Flask app: settings, the engine (once per process), routes, hooks and error handlers."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response

from schemas.extract import build_request_schemas

from .api import bp
from .auth import require_api_key
from .config import Settings
from .engine import Engine
from .errors import register_error_handlers
from .observability import configure_logging, register_request_hooks
from .playground import bp as playground_bp
from .readiness import Readiness


def create_app(settings: Settings | None = None, engine: Engine | None = None, *, warm_up: bool = True,
               **overrides: Any) -> Flask:
    """The WSGI app. Pass ``engine`` to share one already loaded (tests do).

    With ``warm_up`` (the default) the engine reads a document before the app is returned, so
    under gunicorn's ``preload_app`` the workers fork from a warm process and are ready at once.
    """
    settings = settings or Settings.from_env(**overrides)
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.extensions["settings"] = settings
    app.extensions["engine"] = engine = engine or Engine(settings)
    app.extensions["request_schemas"] = build_request_schemas(
        known_types=sorted(engine.event_types),
        max_text_chars=settings.max_text_chars,
        max_event_types=settings.max_event_types,
        max_batch_documents=settings.max_batch_documents,
        max_batch_chars=settings.max_batch_chars,
        max_document_id_chars=settings.max_document_id_chars,
    )
    app.extensions["readiness"] = readiness = Readiness()
    if warm_up:
        readiness.warm_up(engine)
    register_request_hooks(app)
    app.after_request(_no_sniffing)
    if settings.api_keys:
        require_api_key(app, settings.api_keys)
    app.register_blueprint(bp)
    app.register_blueprint(playground_bp)
    register_error_handlers(app)
    return app


def _no_sniffing(response: Response) -> Response:
    """Every response, errors included: a browser must take the declared Content-Type as it is, so a
    JSON or problem body that echoes a caller's text is never sniffed as HTML and run."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
