"""The compiled attribute ruler annotates exactly as spaCy's: same tags, dependencies, parts of
speech, morphology and lemmas on every token of the evaluation sets and of texts that reach its
rarer rules (multi-token patterns, NOT_IN, regular expressions, whitespace tokens)."""
from __future__ import annotations

import numpy as np
import pytest
import spacy
from spacy.attrs import IDS
from spacy.language import Language

from service.attribute_rules import AttributeRules, Lookup, UnsupportedRule, compile_attribute_ruler
from service.config import Settings
from service.engine import Engine
from service.pipeline import UNUSED_COMPONENTS
from tests.conftest import load_jsonl

COMPARED = [IDS[name] for name in ("TAG", "DEP", "POS", "MORPH", "LEMMA", "HEAD")]
RARE_RULES = [
    "I ain't gonna sell, and we gotta wait; let's see what 'em folks say.",
    "There is a chip. There's a ban, and there are rules, but it isn't over.",
    "Nothin' doin', ol' pal: somethin' we'll do. Did they? He does, she did, it has had.",
    "  \n\n  Spaces\t\tand\n tabs  \n",
    "Which chips? Those that the Commerce Department listed, all of them, both lines.",
    "",
]


@pytest.fixture(scope="module")
def stock(settings: Settings) -> Language:
    return spacy.load(settings.spacy_model, exclude=list(UNUSED_COMPONENTS))


def test_compiled_rules_annotate_every_token_as_the_ruler_does(stock: Language) -> None:
    ruler = stock.get_pipe("attribute_ruler")
    rules = AttributeRules.compile(ruler)
    texts = [row["text"] for name in ("dev.jsonl", "background-dev.jsonl") for row in load_jsonl(name)] + RARE_RULES
    differing = []
    with stock.select_pipes(disable=["attribute_ruler"]):
        for text, doc in zip(texts, stock.pipe(texts)):
            expected, compiled = ruler(doc.copy()), rules(doc.copy())
            if not np.array_equal(expected.to_array(COMPARED), compiled.to_array(COMPARED)):
                differing.append(text[:60])
    assert differing == []
    # The rare texts reach rules beyond the tag map's table look-up.
    tag_map_only = AttributeRules(ruler.vocab, [step for step in rules.steps if isinstance(step, Lookup)])
    with stock.select_pipes(disable=["attribute_ruler"]):
        docs = list(stock.pipe(RARE_RULES))
    assert any(not np.array_equal(rules(d.copy()).to_array(COMPARED), tag_map_only(d.copy()).to_array(COMPARED))
               for d in docs)


def test_the_pipeline_runs_the_compiled_ruler_in_the_ruler_place(engine: Engine) -> None:
    names = engine.nlp.pipe_names
    assert "attribute_ruler" not in names
    assert names.index("parser") < names.index("compiled_attribute_ruler") < names.index("ner")


def test_a_ruler_with_an_unsupported_pattern_is_kept() -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "a", "OP": "+"}]], {"POS": "DET"})
    with pytest.raises(UnsupportedRule):
        AttributeRules.compile(ruler)
    assert compile_attribute_ruler(nlp) is False
    assert nlp.pipe_names == ["attribute_ruler"]
