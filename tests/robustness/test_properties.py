"""Property tests of the engine: whatever Unicode arrives, extraction returns, its spans index the
text exactly, it is deterministic, and every date value is a TIMEX3 form the service documents.

Lone surrogates are left out on purpose: they are not characters, the API refuses them with a
422 before the engine sees them (schemas/extract.py), and tests/api covers that refusal.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from service.dates import TIMEX_VALUE
from service.engine import Engine

from .conftest import check_spans, date_values

EVAL = Path(__file__).resolve().parents[2] / "eval" / "dev.jsonl"
SENTENCES = [
    sentence.strip() + "."
    for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()
    for sentence in json.loads(line)["text"].split(". ") if 20 < len(sentence) < 400
]

# Every code point except the surrogate block: controls (NUL, CR, LF, U+0085, U+2028), combining
# marks, right-to-left scripts, emoji, private use, unassigned, noncharacters.
CHARACTERS = st.characters(exclude_categories=("Cs",))
ODD = st.sampled_from([
    "\x00", "\r\n", "\r", "\u0085", "\u2028", "\u2029", "\t", "\x0b", "\x0c", "\x1b[31m", "\u200b", "\u200d",
    "\ufeff", "\u202e", "\u0301", "e\u0301", "\u0301" * 50, "مرحبا", "שלום", "\u05d0\u05b8", "👩‍👩‍👧‍👦", "🇨🇳",
    "🚀", "𝐍𝐯𝐢𝐝𝐢𝐚", "ＮＶＩＤＩＡ", "İ", "ß", "ﬁ", "\U0010ffff", "\ufffe", "<b>", "&amp;", "'s", "’s", "--", "—",
    "...", "2025", "Q3", "FY24", "3Q25", "H1", "next month", "May 2023", "2025-06-01", "Monday", "$5 billion",
    "x" * 2_000, "1" * 500, "-" * 300, "'" * 200, '"' * 200, "(" * 100,
])
FRAGMENT = st.one_of(st.text(CHARACTERS, max_size=40), ODD, st.sampled_from(SENTENCES))
TEXTS = st.lists(FRAGMENT, min_size=1, max_size=12).map(" ".join)
# Every date Python has, 0001-01-01 to 9999-12-31: relative dates must not overflow at either end.
DATES = st.one_of(st.none(), st.dates())
# No example database: nothing is written into the working tree, and every run is independent.
COMMON = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


def extract(engine: Engine, text: str, date: dt.date | None = None, prefilter: bool | None = None) -> list[dict]:
    (events,) = engine.extract([text], [date], prefilter=prefilter)
    return events


def check(text: str, events: list[dict]) -> None:
    check_spans(text, events)
    for value in date_values(events):
        assert value is None or TIMEX_VALUE.fullmatch(value), value
    assert all(isinstance(event["type"], str) for event in events)


def test_the_sentences_the_strategies_draw_from_hold_events(engine: Engine) -> None:
    """Otherwise the properties below would only ever check empty results."""
    results = engine.extract(SENTENCES)
    assert sum(1 for events in results if events) >= len(SENTENCES) // 10
    assert any(event["dates"] for events in results for event in events)


@COMMON
@given(text=st.text(CHARACTERS, min_size=1, max_size=300))
def test_any_text_is_read_and_spans_index_it(engine: Engine, text: str) -> None:
    check(text, extract(engine, text))


@COMMON
@given(text=TEXTS, date=DATES)
def test_sentences_mixed_with_junk(engine: Engine, text: str, date: dt.date | None) -> None:
    """Real sentences among junk, so events (and their spans and dates) actually occur.

    The prefilter is switched off so the whole pipeline reads every example."""
    events = extract(engine, text, date, prefilter=False)
    check(text, events)
    assert events == extract(engine, text, date, prefilter=False), "not deterministic"


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(TEXTS, min_size=1, max_size=6), date=DATES)
def test_batch_equals_one_by_one(engine: Engine, texts: list[str], date: dt.date | None) -> None:
    """Reading texts together (one nlp.pipe) gives each the events it gets alone: no state leaks."""
    together = engine.extract(texts, [date] * len(texts))
    alone = [extract(engine, text, date) for text in texts]
    assert together == alone
    for text, events in zip(texts, together):
        check(text, events)


@pytest.mark.parametrize("text", [
    pytest.param("x" * 50_000, id="one-50k-token"),
    pytest.param("Nvidia, " * 6_000, id="thousands-of-entity-names"),
    pytest.param("\x00" * 10_000 + "Nvidia unveiled a chip on Monday.", id="nul-run"),
    pytest.param("\r\n" * 10_000 + "Nvidia unveiled a chip.", id="crlf-run"),
    pytest.param("\u0301" * 20_000 + " Nvidia unveiled a chip.", id="combining-run"),
    pytest.param("Nvidia's " * 5_000 + "IPO was approved.", id="possessive-run"),
    pytest.param("2025-" * 8_000 + " Nvidia unveiled a chip in Q3.", id="date-like-run"),
    pytest.param("next month " * 4_000 + "Nvidia unveiled a chip.", id="relative-date-run"),
])
def test_pathological_texts_at_the_limit(engine: Engine, text: str) -> None:
    events = extract(engine, text, dt.date(2025, 6, 1), prefilter=False)
    check(text, events)
