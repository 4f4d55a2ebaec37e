"""The playground page in real headless Chromium against a real server.

What a person relies on: the highlights and cards show exactly what the API answers for the text
(offsets are code points, so an emoji before an event must not shift them), the event-type filter
and the document date reach the API, and an API error is shown in words, not swallowed.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask.testing import FlaskClient

from service.playground import SAMPLE_DOCUMENT_DATE, SAMPLE_TEXT
from tests.conftest import api_answer, load_jsonl

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

TIMEOUT = 30
ROLE_KINDS = {"actors": "actor", "dates": "date", "locations": "location", "products": "product"}
EMOJI_TEXT = "🚀🚀 Launch day! Nvidia unveiled its Blackwell Ultra AI chip on Monday in San Jose 🎉."
TYPED_TEXT = (
    "China banned government agencies from buying Micron chips in May 2023. "
    "Separately, Huawei unveiled its Ascend 910C AI chip on Friday."
)


def expected_highlights(events: list[dict[str, Any]]) -> dict[tuple[str, int, int], dict[str, set[str]]]:
    """(kind, start, end) -> the events and roles the page should show for that span."""
    expected: dict[tuple[str, int, int], dict[str, set[str]]] = defaultdict(lambda: {"events": set(), "roles": set()})
    for ev in events:
        for mention in ev["mentions"]:
            expected["trigger", mention["trigger"]["start"], mention["trigger"]["end"]]["events"].add(ev["id"])
        for field, kind in ROLE_KINDS.items():
            for arg in ev[field]:
                entry = expected[kind, arg["start"], arg["end"]]
                entry["events"].add(ev["id"])
                if "role" in arg:
                    entry["roles"].add(arg["role"])
    return dict(expected)


def shown_highlights(driver: WebDriver) -> dict[tuple[str, int, int], dict[str, Any]]:
    """(kind, start, end) -> events, roles, titles and text of the page's highlights (pieces joined)."""
    marks = driver.execute_script("""
        return [...document.querySelectorAll('#highlighted mark.hl')].map((m) => ({
          kind: m.dataset.kind, start: +m.dataset.start, end: +m.dataset.end,
          events: m.dataset.events, roles: m.dataset.roles || '', title: m.title,
          text: m.textContent,
        }));""")
    shown: dict[tuple[str, int, int], dict[str, Any]] = {}
    for m in marks:
        entry = shown.setdefault((m["kind"], m["start"], m["end"]),
                                 {"events": set(m["events"].split()), "roles": set(m["roles"].split()),
                                  "title": m["title"], "text": ""})
        entry["text"] += m["text"]
    return shown


def run_extraction(driver: WebDriver, base_url: str, text: str | None = None) -> None:
    """Open the page, optionally replace the text by typing it, click Extract, wait for the answer."""
    from selenium.webdriver.common.by import By

    open_page(driver, base_url)
    if text is not None:
        box = driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(text)
    driver.find_element(By.ID, "extract-button").click()
    wait_for_answer(driver)


def open_page(driver: WebDriver, base_url: str) -> None:
    """Load the playground and wait until the event-type checkboxes have arrived from the API."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base_url + "/")
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#event-types input[type=checkbox]"))


def wait_for_answer(driver: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.ID, "results").is_displayed() or d.find_element(By.ID, "error").is_displayed())
    assert not driver.find_element(By.ID, "error").is_displayed(), driver.find_element(By.ID, "error").text


def set_value(driver: WebDriver, element: WebElement, value: str) -> None:
    """Sets a field as a paste would. ChromeDriver cannot type characters outside the BMP (emoji),
    and a date input's typed format depends on the browser's locale."""
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element, value)


def assert_page_matches(driver: WebDriver, text: str, answer: dict[str, Any]) -> None:
    """Highlights, cards and raw JSON on the page are exactly the API's answer for ``text``."""
    from selenium.webdriver.common.by import By

    events = answer["events"]
    shown = shown_highlights(driver)
    expected = expected_highlights(events)
    assert set(shown) == set(expected)
    points = list(text)  # offsets are code points, as Python indexes a str
    for key, want in expected.items():
        kind, start, end = key
        got = shown[key]
        assert got["events"] == want["events"], key
        assert got["roles"] == want["roles"], key
        assert got["text"] == "".join(points[start:end]), key
        assert kind in got["title"]
    for ev in events:
        for actor in ev["actors"]:
            title = shown["actor", actor["start"], actor["end"]]["title"]
            assert actor["role"] in title and actor["name"] in title
        for date in ev["dates"]:
            assert (date["value"] or "no calendar value") in shown["date", date["start"], date["end"]]["title"]
        for place in ev["locations"]:
            assert place["country"] in shown["location", place["start"], place["end"]]["title"]
    # Splitting the text into marks neither loses nor repeats a character.
    assert driver.find_element(By.ID, "highlighted").get_attribute("textContent") == text

    cards = driver.find_elements(By.CSS_SELECTOR, "#events .event-card")
    assert [c.get_attribute("data-event") for c in cards] == [ev["id"] for ev in events]
    for card, ev in zip(cards, events):
        assert card.get_attribute("data-type") == ev["type"]
        fields = {dd.get_attribute("data-field"): dd.text for dd in card.find_elements(By.CSS_SELECTOR, "dd")}
        assert fields == {"stage": ev["stage"], "polarity": ev["polarity"], "modality": ev["modality"],
                          "confidence": f"{ev['confidence']:.2f}"}
        rows = [tuple(td.get_attribute("textContent") for td in row.find_elements(By.TAG_NAME, "td"))
                for row in card.find_elements(By.CSS_SELECTOR, "tr.arg")]
        want_rows = [(a["role"], a["text"], f"{a['name']} · {a['kind']}") for a in ev["actors"]]
        want_rows += [("date", d["text"], d["value"] or "—") for d in ev["dates"]]
        want_rows += [("location", loc["text"], loc["country"]) for loc in ev["locations"]]
        want_rows += [("product", p["text"], "—") for p in ev["products"]]
        assert rows == want_rows

    raw = json.loads(driver.find_element(By.ID, "raw-json").get_attribute("textContent"))
    assert raw["events"] == events


def save_screenshot(driver: WebDriver, dirs: list[Path], name: str) -> list[Path]:
    """A full-page PNG in each directory."""
    # The window's height includes the browser's frame; the page needs its full height inside it.
    height = driver.execute_script(
        "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight")
    driver.set_window_size(1280, min(max(height, 800), 6000))
    paths = []
    for directory in dirs:
        path = directory / name
        assert driver.save_screenshot(str(path)), path
        assert path.stat().st_size > 10_000
        paths.append(path)
    driver.set_window_size(1280, 1000)
    return paths


def test_sample_article_is_highlighted_as_the_api_answers(driver: WebDriver, live_server: str, client: FlaskClient,
                                                          screenshot_dirs: list[Path]) -> None:
    """The prefilled sample: Extract shows its IPO approval, chip launch and export control."""
    run_extraction(driver, live_server)
    answer = api_answer(client, SAMPLE_TEXT, SAMPLE_DOCUMENT_DATE)
    assert {ev["type"] for ev in answer["events"]} == {"ipo", "chip_development", "policy_ban"}
    assert_page_matches(driver, SAMPLE_TEXT, answer)
    save_screenshot(driver, screenshot_dirs, "playground.png")


def test_typed_text_date_and_type_filter_reach_the_api(driver: WebDriver, live_server: str,
                                                       client: FlaskClient) -> None:
    """A typed paragraph with its own date and one type unticked is what the API is asked."""
    from selenium.webdriver.common.by import By

    open_page(driver, live_server)
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(TYPED_TEXT)
    set_value(driver, driver.find_element(By.ID, "document-date"), "2024-03-04")
    driver.find_element(By.ID, "type-chip_development").click()
    driver.find_element(By.ID, "extract-button").click()
    wait_for_answer(driver)
    answer = api_answer(client, TYPED_TEXT, "2024-03-04", ["ipo", "policy_ban"])
    assert [ev["type"] for ev in answer["events"]] == ["policy_ban"]
    assert_page_matches(driver, TYPED_TEXT, answer)


def test_emoji_before_an_event_does_not_shift_highlights(driver: WebDriver, live_server: str, client: FlaskClient,
                                                         screenshot_dirs: list[Path]) -> None:
    """Code-point offsets after astral characters land on the right words; Ctrl+Enter extracts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(driver, live_server)
    box = driver.find_element(By.ID, "text")
    set_value(driver, box, EMOJI_TEXT)
    set_value(driver, driver.find_element(By.ID, "document-date"), "")
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_for_answer(driver)
    answer = api_answer(client, EMOJI_TEXT, None)
    assert answer["events"], "the emoji text should hold a chip launch"
    assert_page_matches(driver, EMOJI_TEXT, answer)
    trigger = driver.find_element(By.CSS_SELECTOR, "#highlighted mark.kind-trigger")
    assert trigger.get_attribute("textContent") == "unveiled"
    save_screenshot(driver, screenshot_dirs, "playground-emoji.png")


def test_crossing_spans_are_split_not_lost(driver: WebDriver, live_server: str, client: FlaskClient,
                                          screenshot_dirs: list[Path]) -> None:
    """ipo-007 of the dev set: the exchange "STAR Market" and the trigger "Market debut" overlap
    without nesting, so the trigger is drawn in two pieces that carry the whole span's data."""
    from selenium.webdriver.common.by import By

    doc = next(d for d in load_jsonl("dev.jsonl") if d["id"] == "ipo-007")
    open_page(driver, live_server)
    set_value(driver, driver.find_element(By.ID, "text"), doc["text"])
    set_value(driver, driver.find_element(By.ID, "document-date"), doc["document_date"] or "")
    driver.find_element(By.ID, "extract-button").click()
    wait_for_answer(driver)
    answer = api_answer(client, doc["text"], doc["document_date"])
    assert_page_matches(driver, doc["text"], answer)
    pieces = driver.find_elements(By.CSS_SELECTOR, "#highlighted mark.part-start, #highlighted mark.part-end")
    assert pieces, "a crossing overlap should have been split"
    save_screenshot(driver, screenshot_dirs, "playground-overlap.png")


def test_api_error_is_shown_readably(driver: WebDriver, live_server: str, client: FlaskClient) -> None:
    """A 422 problem document appears with its title, detail and the field's message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(driver, live_server)
    set_value(driver, driver.find_element(By.ID, "text"), "   ")
    driver.find_element(By.ID, "extract-button").click()
    error = driver.find_element(By.ID, "error")
    WebDriverWait(driver, TIMEOUT).until(lambda d: error.is_displayed())
    problem = client.post("/v1/extract", json={"text": "   ", "document_date": SAMPLE_DOCUMENT_DATE}).get_json()
    assert error.get_attribute("role") == "alert"
    assert f"{problem['title']} (422)" in error.text
    assert problem["detail"] in error.text
    assert f"text: {problem['errors']['text'][0]}" in error.text
    assert not driver.find_element(By.ID, "results").is_displayed()
    assert driver.find_element(By.ID, "extract-button").is_enabled()


def test_page_loads_nothing_from_elsewhere(driver: WebDriver, live_server: str) -> None:
    """Every resource the browser fetched came from the server itself: the page works offline."""
    driver.get_log("browser")  # drop what earlier tests logged (a 422 on purpose)
    run_extraction(driver, live_server)
    urls = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert urls, "the page should have fetched its script, stylesheet and the API"
    assert all(url.startswith(live_server + "/") for url in urls), urls
    logs = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not logs, logs
