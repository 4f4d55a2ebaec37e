"""Builds the Flask app: settings, the engine (once per process), routes and error handlers."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from schemas.extract import ExtractRequestSchema
from .api import bp
from .config import Settings
from .engine import Engine
from .errors import register_error_handlers
from .playground import bp as playground_bp


def create_app(settings: Settings | None = None, engine: Engine | None = None, **overrides: Any) -> Flask:
    """The WSGI app. Pass ``engine`` to share one already loaded (tests do)."""
    settings = settings or Settings.from_env(**overrides)
    logging.basicConfig(level=logging.INFO)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.extensions["settings"] = settings
    app.extensions["engine"] = engine or Engine(settings)
    app.extensions["extract_schema"] = ExtractRequestSchema(
        known_types=sorted(app.extensions["engine"].event_types),
        max_text_chars=settings.max_text_chars,
        max_event_types=settings.max_event_types,
    )
    app.register_blueprint(bp)
    app.register_blueprint(playground_bp)
    register_error_handlers(app)
    return app
