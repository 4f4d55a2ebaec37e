"""The real pipeline on the annotated sets in eval/: quality floors, exact offsets, determinism."""
from __future__ import annotations

import datetime as dt
import importlib.util

import pytest

from service.engine import Engine
from tests.conftest import EVAL_DIR, load_jsonl

# Floors a little under the figures measured when they were set (see README, "Quality"):
# a change that loses events or arguments fails here, not in a user's dashboard.
MIN_EVENT_F1 = 0.86
MIN_ARGUMENT_F1 = 0.66
MAX_SPURIOUS_PER_100_BACKGROUND_DOCS = 3.0


def _scorer():
    spec = importlib.util.spec_from_file_location("score", EVAL_DIR / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predict(engine: Engine, docs: list[dict]) -> dict[str, list[dict]]:
    dates = [dt.date.fromisoformat(d["document_date"]) if d.get("document_date") else None for d in docs]
    results = engine.extract([d["text"] for d in docs], dates)
    return {d["id"]: events for d, events in zip(docs, results)}


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return load_jsonl("dev.jsonl")


@pytest.fixture(scope="module")
def dev_predictions(engine: Engine, dev: list[dict]) -> dict[str, list[dict]]:
    return _predict(engine, dev)


def test_dev_set_scores_above_the_floor(dev: list[dict], dev_predictions: dict[str, list[dict]]) -> None:
    report = _scorer().score(dev, dev_predictions)
    assert report["event"]["f1"] >= MIN_EVENT_F1, report["event"]
    assert report["argument"]["f1"] >= MIN_ARGUMENT_F1, report["argument"]


def test_background_news_yields_almost_no_events(engine: Engine) -> None:
    background = load_jsonl("background-dev.jsonl")
    report = _scorer().score(background, _predict(engine, background))
    assert report["spurious_per_100_docs"] <= MAX_SPURIOUS_PER_100_BACKGROUND_DOCS, report["errors"]


def _spans(event: dict) -> list[dict]:
    spans = [event["trigger"]]
    for mention in event["mentions"]:
        spans += [mention["trigger"], mention["sentence"]]
    for kind in ("actors", "dates", "locations", "products"):
        spans += event[kind]
    return spans


def test_every_span_points_at_its_text(dev: list[dict], dev_predictions: dict[str, list[dict]]) -> None:
    for doc in dev:
        for event in dev_predictions[doc["id"]]:
            for span in _spans(event):
                assert doc["text"][span["start"]:span["end"]] == span["text"], (doc["id"], span)


def test_results_do_not_depend_on_batching_or_order(engine: Engine, dev: list[dict],
                                                    dev_predictions: dict[str, list[dict]]) -> None:
    reversed_docs = list(reversed(dev[:12]))
    again = _predict(engine, reversed_docs)
    one_by_one = {d["id"]: _predict(engine, [d])[d["id"]] for d in dev[:6]}
    for doc_id, events in {**again, **one_by_one}.items():
        assert events == dev_predictions[doc_id], doc_id


def test_event_type_filter_returns_only_those_types(engine: Engine, dev: list[dict]) -> None:
    texts = [d["text"] for d in dev[:15]]
    for name in engine.event_types:
        for events in engine.extract(texts, event_types=[name]):
            assert {e["type"] for e in events} <= {name}
