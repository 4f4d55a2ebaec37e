"""The bounded tokenizer keeps every character and stays fast on whitespace-free runs."""
from __future__ import annotations

import random

import pytest
import spacy

from service.tokenizer import MAX_RUN, BoundedTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> BoundedTokenizer:
    nlp = spacy.blank("en")
    return BoundedTokenizer(nlp.tokenizer, nlp.vocab)


@pytest.mark.parametrize("text", [
    "Nvidia unveiled the H20 on Monday.",
    "a" * (MAX_RUN + 1),
    " " + "b" * 300 + "  c" + "d" * 250 + "\n\nNvidia launched the B200.",
    "x" * 250 + " ",
    "🚀" * 1000 + " tail",
    "\r\n" + "(" * 500 + "\t" + ")" * 501,
])
def test_text_is_kept_exactly(tokenizer: BoundedTokenizer, text: str) -> None:
    assert tokenizer(text).text == text


def test_long_runs_are_cut_into_bounded_tokens(tokenizer: BoundedTokenizer) -> None:
    doc = tokenizer("start " + "q" * (5 * MAX_RUN) + " end")
    assert max(len(t.text) for t in doc) == MAX_RUN
    assert [t.text for t in doc][0] == "start" and doc[-1].text == "end"


def test_random_texts_round_trip(tokenizer: BoundedTokenizer) -> None:
    rng = random.Random(7)
    alphabet = ["a", "Z", "9", " ", "  ", "\n", "(", ")", ".", "🚀", "e\u0301", "\u05d0", "\x00", "-"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) * rng.choice([1, 1, 2, 150]) for _ in range(rng.randint(0, 40)))
        assert tokenizer(text).text == text


def test_a_hundred_thousand_brackets_never_reach_the_quadratic_path(tokenizer: BoundedTokenizer) -> None:
    doc = tokenizer("(" * 100_000)
    assert doc.text == "(" * 100_000
    assert max(len(t.text) for t in doc) <= MAX_RUN
