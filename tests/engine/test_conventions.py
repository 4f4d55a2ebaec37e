"""The annotation guide's conventions, each on a short text written for the test."""
from __future__ import annotations

import datetime as dt

from service.engine import Engine

DAY = dt.date(2025, 6, 12)  # a Thursday


def _one(engine: Engine, text: str, types: list[str] | None = None) -> list[dict]:
    return engine.extract([text], [DAY], types)[0]


def test_repeated_mentions_of_one_happening_are_one_event(engine: Engine) -> None:
    events = _one(engine, "Regulators approved Zeta Semiconductor's IPO on Tuesday. "
                          "The approval came after a six-month review of Zeta Semiconductor's listing application.")
    approvals = [e for e in events if e["type"] == "ipo" and e["stage"] == "approval"]
    assert len(approvals) == 1
    assert len(approvals[0]["mentions"]) >= 2
    assert approvals[0]["dates"][0]["value"] == "2025-06-10"


def test_the_company_resolves_to_the_organisation_named_before(engine: Engine) -> None:
    events = _one(engine, "Acme Silicon reported strong demand. The company unveiled the AX900 accelerator on Monday.")
    launch = next(e for e in events if e["type"] == "chip_development")
    assert [a["text"] for a in launch["actors"] if a["role"] == "developer"] == ["Acme Silicon"]
    assert {p["text"] for p in launch["products"]} == {"AX900"}


def test_withdrawn_filing_is_a_negative_filing(engine: Engine) -> None:
    events = _one(engine, "Cerebras Systems withdrew its IPO filing on Friday.", ["ipo"])
    assert [(e["stage"], e["polarity"]) for e in events] == [("filing", "negative")]


def test_lifting_a_measure_is_a_negative_event(engine: Engine) -> None:
    events = _one(engine, "The Dutch government lifted its export restrictions on ASML's lithography machines.")
    lifted = [e for e in events if e["type"] == "policy_ban"]
    assert lifted and lifted[0]["polarity"] == "negative"
    assert {a["text"]: a["role"] for a in lifted[0]["actors"]} == {"Dutch government": "authority", "ASML": "target"}


def test_bans_outside_technology_are_not_events(engine: Engine) -> None:
    assert _one(engine, "France banned smoking on beaches and in parks from July.") == []
    assert _one(engine, "The tennis player accepted a three-month doping ban.") == []


def test_ipo_market_talk_is_not_an_event(engine: Engine) -> None:
    assert _one(engine, "The IPO market is booming, bankers said, as listings rebound worldwide.") == []


def test_planned_and_speculated_modality(engine: Engine) -> None:
    planned = _one(engine, "Nvidia will launch the Rubin chip next year.", ["chip_development"])
    speculated = _one(engine, "Groq may file for an IPO as soon as next year.", ["ipo"])
    assert planned[0]["modality"] == "planned" and planned[0]["dates"][0]["value"] == "2026"
    assert speculated[0]["modality"] == "speculated"


def test_places_get_country_codes(engine: Engine) -> None:
    events = _one(engine, "Biren Technology debuted on the Hong Kong stock exchange on Friday.", ["ipo"])
    assert events[0]["stage"] == "listing"
    assert any(loc["country"] == "HK" for loc in events[0]["locations"]) or any(
        a["role"] == "exchange" for a in events[0]["actors"])


def test_an_idiom_ending_in_a_technology_word_is_not_a_product(engine: Engine) -> None:
    events = _one(engine, "The Zeta X40 has become a bargaining chip in trade talks, and Washington "
                          "restricted its sales to China in April.", ["policy_ban"])
    assert events, "the measure itself is still an event"
    products = {p["text"] for e in events for p in e["products"]}
    assert "X40" in products or "Zeta X40" in products
    assert not any("bargaining" in p for p in products)
