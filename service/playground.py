"""The playground at ``GET /``: paste a text, see its events highlighted next to the structured answer.

People decide whether to trust an extractor by looking at it. The page is plain HTML, CSS and
JavaScript served by this app, with nothing fetched from elsewhere (so it works offline), and it
calls the same public API as any client: ``GET /v1/event-types`` and ``POST /v1/extract``.
"""
from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template

bp = Blueprint("playground", __name__)

# Everything the page loads comes from this origin; the policy makes the browser enforce it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SAMPLE_DOCUMENT_DATE = "2025-06-12"
SAMPLE_TEXT = (
    "On Tuesday the China Securities Regulatory Commission approved Moore Threads Technology's "
    "application to list on the Shanghai Stock Exchange's STAR Market, clearing the way for one of "
    "China's largest GPU designers to go public. The Beijing-based company unveiled its MTT S4000 AI "
    "accelerator in December and plans to start mass production of the chip in Shanghai next quarter. "
    "Separately, the US Commerce Department on Monday added Moore Threads to its entity list, barring "
    "exports of American chipmaking tools to the company."
)


@bp.get("/")
def index() -> Response:
    """The playground page, prefilled with a sample article."""
    html = render_template("playground.html", sample_text=SAMPLE_TEXT, sample_date=SAMPLE_DOCUMENT_DATE)
    response = make_response(html)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
