"""Builds the spaCy pipeline once per process: the statistical model plus the domain layer."""
from __future__ import annotations

import spacy
from spacy.language import Language

from spacy.tokens import Doc

from .attribute_rules import compile_attribute_ruler
from .entities import Gazetteer
from .tokenizer import BoundedTokenizer

# Components that English pipelines may carry and the extractor never reads. Sentences come
# from the parser, so the separate sentence recogniser is not needed; words are matched in
# all their inflected forms, so lemmas are not needed either.
UNUSED_COMPONENTS = ("senter", "lemmatizer", "morphologizer", "textcat", "textcat_multilabel", "entity_linker",
                     "spancat", "span_finder", "trainable_lemmatizer", "experimental_coref")

# Strings longer than this in the model's store are not words a text is likely to repeat.
MAX_WARM_WORD = 40


def build_pipeline(model: str, gazetteer: Gazetteer) -> Language:
    """Load ``model`` (a package name or path) without unused components and add the domain layer."""
    nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    compile_attribute_ruler(nlp)
    _split_final_stop_after_codes(nlp)
    _warm_tokenizer(nlp)
    nlp.tokenizer = BoundedTokenizer(nlp.tokenizer, nlp.vocab)
    nlp.add_pipe("line_breaks", first=True)
    # First in the pipeline: its patterns need only the tokenizer, so adding them is fast,
    # and the statistical recogniser then labels around the names it already knows.
    known = nlp.add_pipe("known_names", name="domain_names", first=True, config={
        "code_shapes": list(gazetteer.code_shapes), "not_codes": gazetteer.not_codes(),
        "families": [f["name"] for f in gazetteer.families], "family_model": gazetteer.family_model})
    known.add_patterns(gazetteer.name_patterns())
    nlp.add_pipe("company_names", after="domain_names",
                 config={"suffixes": gazetteer.company_suffixes, "known": gazetteer.company_names()})
    nlp.add_pipe("entity_cleanup", after="ner", config={"not_entities": sorted(gazetteer.not_entities)})
    # Owners: places, nationalities, people, organisations; at most three tokens of them.
    nlp.add_pipe("authority_names", name="domain_authorities", after="entity_cleanup", config={
        "nouns": gazetteer.authority_nouns, "owner_labels": ["GPE", "NORP", "PERSON", "ORG"], "max_owners": 3})
    return nlp


def _warm_tokenizer(nlp: Language) -> None:
    """Tokenize every word of the model's string store once, at start-up, outside any zone.

    Each request runs in a memory zone, in which the tokenizer neither keeps a new word's
    lexeme nor caches how it split a chunk: every request computed the norm, shape and flags
    of its words and split them again, most of the tokenizer's time. The model's strings are
    the words it was trained on; caching them (about 90,000) takes about two seconds at start
    and some 35 MiB, shared by the workers, and halves the tokenizer's time per request."""
    tokenizer = nlp.tokenizer
    words = [s for s in nlp.vocab.strings if 0 < len(s) <= MAX_WARM_WORD and not any(ch.isspace() for ch in s)]
    tokenizer.max_cache_size += len(words)
    for word in words:
        tokenizer(word)


def _split_final_stop_after_codes(nlp: Language) -> None:
    """Split the full stop after a model code that ends in a letter ("910C." -> "910C" ".")."""
    suffixes = [*nlp.Defaults.suffixes, r"(?<=\d[A-Za-z])\.", r"(?<=\d[A-Z]{2})\."]
    nlp.tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search


@Language.component("line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break, so a headline or dateline never joins the body."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if previous.is_space and "\n" in previous.text and not token.is_space:
            token.is_sent_start = True
    return doc
