"""Cue matching on a blank pipeline: terms match inflected and tokenized the way text is."""
from __future__ import annotations

import spacy

from service.cues import CueFinder, inflections
from service.ontology import load_ontology


def test_inflections_cover_regular_verb_and_noun_forms() -> None:
    assert {"unveil", "unveils", "unveiled", "unveiling"} <= set(inflections("unveil"))
    assert {"approves", "approved", "approving"} <= set(inflections("approve"))
    assert {"bars", "barred", "barring"} <= set(inflections("bar"))
    assert {"applies", "applied"} <= set(inflections("apply"))


def test_cues_match_inflections_and_hyphenated_terms_without_a_tagger() -> None:
    nlp = spacy.blank("en")
    finder = CueFinder(nlp, load_ontology())
    doc = nlp("Biren's IPO was APPROVED after a first-day rally; Huawei unveiled chips.")
    cues, lexicons = finder.find(doc, {"ipo", "chip_development"})
    found = {(c.event_type.name, c.span.text) for c in cues}
    assert ("ipo", "IPO") in found
    assert ("ipo", "APPROVED") in found
    assert ("ipo", "first-day") in found
    assert ("chip_development", "unveiled") in found
    assert any(name == "chip" for (_, name) in lexicons)


def test_only_requested_types_are_returned() -> None:
    nlp = spacy.blank("en")
    finder = CueFinder(nlp, load_ontology())
    cues, _ = finder.find(nlp("Huawei unveiled a chip and filed for an IPO."), {"ipo"})
    assert cues and {c.event_type.name for c in cues} == {"ipo"}
