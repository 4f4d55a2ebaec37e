"""The playground page as served, without a browser: self-contained, labelled, legible.

These run everywhere (the Flask test client); tests/browser/test_playground.py drives the page.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.playground import SAMPLE_TEXT

STATIC = Path(__file__).resolve().parents[2] / "service" / "static" / "playground"
HIGHLIGHTS = ["trigger", "date", "location", "product",
              "issuer", "approver", "exchange", "developer", "partner", "authority", "target"]


class PageParser(HTMLParser):
    """Collects what the checks below need: asset URLs, form controls, labels."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.controls: list[str] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.urls += [a[k] for k in ("src", "href") if a.get(k)]
        if tag in ("input", "textarea", "select"):
            self.controls.append(a.get("id") or "")
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def css_vars() -> dict[str, str]:
    css = (STATIC / "playground.css").read_text(encoding="utf-8")
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", css))


def test_page_is_html_with_the_sample_and_a_same_origin_policy(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert SAMPLE_TEXT.replace("'", "&#39;") in html
    assert '<html lang="en">' in html


def test_every_asset_is_served_from_this_origin(client: FlaskClient) -> None:
    parser = PageParser()
    parser.feed(client.get("/").get_data(as_text=True))
    assets = [u for u in parser.urls if not u.startswith("data:")]
    assert assets and all(u.startswith("/") and not u.startswith("//") for u in assets), assets
    types = {".css": "text/css", ".js": "text/javascript"}
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.startswith("/static/"):
            assert response.mimetype == types[Path(url).suffix], url
            # No fonts, scripts or styles from elsewhere: the page works offline.
            assert not re.search(rb"https?://|@import|url\(", response.data), url


def test_every_form_control_has_a_label(client: FlaskClient) -> None:
    """Checkboxes are built by the script with their labels; the browser test sees those."""
    parser = PageParser()
    parser.feed(client.get("/").get_data(as_text=True))
    assert parser.controls == ["text", "document-date"]
    assert set(parser.controls) <= parser.labels


@pytest.mark.parametrize("name", HIGHLIGHTS)
def test_highlight_colours_are_legible(css_vars: dict[str, str], name: str) -> None:
    """Text on each highlight, and the white label on its edge colour, pass WCAG AA (4.5:1)."""
    assert contrast(css_vars["ink"], css_vars[name]) >= 7, name
    assert contrast(css_vars["paper"], css_vars[f"{name}-edge"]) >= 4.5, name


def test_highlight_colours_are_distinct(css_vars: dict[str, str]) -> None:
    backgrounds = [css_vars[name].lower() for name in HIGHLIGHTS]
    assert len(set(backgrounds)) == len(HIGHLIGHTS)
