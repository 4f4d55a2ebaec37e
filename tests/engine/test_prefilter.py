"""The pre-filter skips the parser only where no event could come out: results never change."""
from __future__ import annotations

import pytest

from service.engine import Engine
from tests.conftest import load_jsonl

OWN_DOCUMENTS = [
    "Regulators approved the listing.\n\nShenzhen Chipco filed for an IPO on the Nasdaq on Monday.",
    "The bourse accepted the application.\nChipco Holdings plans to raise $1 billion.",
    "Prices of oil rose as the market traded higher and the board met.",
    "The U.S. restricted exports.\n\nNvidia's H20 chips were affected.",
    "Acme Semiconductor unveiled the AX900 accelerator on Tuesday in Austin.",
    "Tokyo's government banned the sale of vapes.",
    "The Commerce Department added Foo Micro to the Entity List, restricting its access to U.S. technology.",
    "CHIPMAKER ZETA WINS APPROVAL FOR SHANGHAI IPO",
    "",
    "   \n\n  ",
    "🚀" * 300 + " Huawei unveiled the Ascend 950PR chip.",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = load_jsonl("dev.jsonl") + load_jsonl("background-dev.jsonl")
    return [d["text"] for d in docs] + OWN_DOCUMENTS


def test_output_is_identical_with_and_without_the_prefilter(engine: Engine, texts: list[str]) -> None:
    with_filter = engine.extract(texts, prefilter=True)
    without = engine.extract(texts, prefilter=False)
    for text, a, b in zip(texts, with_filter, without):
        assert a == b, text[:80]


def test_ordinary_news_is_mostly_skipped(engine: Engine) -> None:
    background = [d["text"] for d in load_jsonl("background-dev.jsonl")]
    kept = [t for t in background if engine.prefilter.could_hold_events(engine.nlp.make_doc(t), set(engine.event_types))]
    assert len(kept) <= len(background) // 4


def test_event_documents_are_kept(engine: Engine) -> None:
    assert engine.prefilter.could_hold_events(engine.nlp.make_doc(OWN_DOCUMENTS[4]), {"chip_development"})
    assert not engine.prefilter.could_hold_events(engine.nlp.make_doc(OWN_DOCUMENTS[4]), {"ipo"})
    assert not engine.prefilter.could_hold_events(engine.nlp.make_doc(OWN_DOCUMENTS[2]), set(engine.event_types))
