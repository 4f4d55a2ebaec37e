"""The domain entity layer: gazetteers of organisations and chips, turned into spaCy patterns.

Known names come from data files and are labelled before the statistical recogniser runs,
so that chip makers are ORG and chips are PRODUCT; unknown company names still come from
the model. Each gazetteer entity carries ``kind|canonical name`` as its span id, which is
how the extractor tells a regulator from a company.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import SpanRuler
from spacy.pipeline.span_ruler import prioritize_new_ents_filter
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

DATA_DIR = Path(__file__).parent / "data"
ORG_LABELS = ("ORG",)
PLACE_LABELS = ("GPE", "LOC", "NORP")


def _load(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass(frozen=True)
class Gazetteer:
    """Everything the entity layer knows, loaded once per process."""

    organisations: list[dict[str, Any]]
    products: list[dict[str, Any]]
    families: list[dict[str, Any]]
    not_entities: frozenset[str]
    code_shapes: tuple[str, ...]
    family_model: str
    code_exceptions: frozenset[str]
    authority_nouns: dict[str, list[str]]
    kind_words: dict[str, list[str]]
    company_suffixes: list[str]
    countries: dict[str, str | None]
    developers: dict[str, str | None]

    @classmethod
    def load(cls) -> "Gazetteer":
        orgs = _load("gazetteers/organisations.yaml")
        products = _load("gazetteers/products.yaml")
        corrections = _load("entities.yaml")
        kinds = _load("organisation_kinds.yaml")
        product_entries = (products.get("products") or []) + (products.get("families") or [])
        return cls(
            organisations=orgs["organisations"],
            products=products.get("products") or [],
            families=products.get("families") or [],
            not_entities=frozenset(corrections["not_entities"]),
            code_shapes=tuple(corrections["product_code_shapes"]),
            family_model=corrections["family_model_shape"],
            code_exceptions=frozenset(corrections["product_code_exceptions"]),
            authority_nouns=corrections["authority_nouns"],
            kind_words=kinds["kinds"],
            company_suffixes=kinds["company_suffixes"],
            countries={o["name"]: o.get("country") for o in orgs["organisations"]},
            developers={p["name"]: p.get("developer") for p in product_entries},
        )

    def organisation_country(self, span: Span) -> str | None:
        """The home country the gazetteer gives for a known organisation."""
        return self.countries.get(canonical_name(span))

    def is_family(self, span: Span) -> bool:
        """Whether a product entity names only a product line ("Ascend"), not a model."""
        return span.text in {f["name"] for f in self.families}

    def product_developer(self, span: Span) -> str | None:
        """The canonical developer of a known chip or chip family, if the gazetteer says."""
        return self.developers.get(canonical_name(span))

    def name_patterns(self) -> list[dict[str, Any]]:
        """Phrase patterns for every known organisation and product name, with headline caps."""
        patterns = []
        for org in self.organisations:
            span_id = f"{org['kind']}|{org['name']}"
            for surface in _surfaces(org):
                patterns.append({"label": "ORG", "pattern": surface, "id": span_id})
        for product in self.products:
            span_id = f"product|{product['name']}"
            for surface in _surfaces(product):
                patterns.append({"label": "PRODUCT", "pattern": surface, "id": span_id})
        return patterns

    def not_codes(self) -> list[str]:
        """Tokens shaped like chip model codes that are not chips: listed exceptions ("G20") and
        one-word organisation names."""
        return sorted(self.code_exceptions | {s for o in self.organisations for s in _surfaces(o) if " " not in s})

    def company_names(self) -> dict[str, str]:
        """Every surface form of a known company, mapped to its canonical name."""
        return {s: o["name"] for o in self.organisations if o["kind"] == "company" for s in _surfaces(o)}

    @cached_property
    def _kind_patterns(self) -> dict[str, re.Pattern[str]]:
        return {kind: re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")
                for kind, words in self.kind_words.items() if words}

    def kind_from_name(self, name: str) -> str:
        """The kind of an organisation the gazetteer does not know, guessed from its name."""
        return next((kind for kind, pattern in self._kind_patterns.items() if pattern.search(name)), "company")


def _surfaces(entry: dict[str, Any]) -> list[str]:
    names = [entry["name"], *(entry.get("aliases") or [])]
    caps = [n.upper() for n in names if len(n) > 3 and n.upper() != n]
    return list(dict.fromkeys(names + caps))


def entity_kind(span: Span, gazetteer: Gazetteer) -> str | None:
    """``company``/``regulator``/``exchange``/``government``, or ``product`` for a chip the domain
    layer knows (the model's own PRODUCT entities are cars and phones as often as chips)."""
    if span.id_:
        return span.id_.split("|", 1)[0]
    if span.label_ in ORG_LABELS:
        return gazetteer.kind_from_name(span.text)
    return None


def canonical_name(span: Span) -> str:
    """The gazetteer's name for a known entity, else its text."""
    if span.id_ and "|" in span.id_:
        name = span.id_.split("|", 1)[1]
        if name:
            return name
    return span.text


@Language.factory("known_names", default_config={"code_shapes": [], "not_codes": [], "families": [],
                                                "family_model": ""})
def make_known_names(nlp: Language, name: str, code_shapes: list[str], not_codes: list[str], families: list[str],
                     family_model: str) -> "KnownNames":
    """Factory for :class:`KnownNames`."""
    return KnownNames(nlp, name, code_shapes, not_codes, families, family_model)


class KnownNames(SpanRuler):
    """A span ruler over the gazetteer's names that also labels chip models: codes by their
    shape ("H20", "MI300X") and a product line's name followed by a model ("Snapdragon X3").
    Both are found outside spaCy's token ``Matcher``: as its REGEX predicates, every shape was
    called in Python for every token, which cost more than the rest of the domain layer."""

    def __init__(self, nlp: Language, name: str, code_shapes: list[str], not_codes: list[str], families: list[str],
                 family_model: str) -> None:
        super().__init__(nlp, name, spans_key=None, annotate_ents=True, validate=True, overwrite=False)
        self.code_shape = re.compile("|".join(f"(?:{shape})" for shape in code_shapes)) if code_shapes else None
        self.not_codes = frozenset(not_codes)
        self.family_model = re.compile(family_model) if family_model else None
        self.families = PhraseMatcher(nlp.vocab)
        for family in families:
            self.families.add(f"product|{family}", [nlp.make_doc(family)])

    def match(self, doc: Doc) -> list[Span]:
        """The ruler's matches and the models, without the overlaps resolved."""
        spans = super().match(doc)
        models = self._codes(doc) | self._family_models(doc)
        return sorted(set(spans) | models) if models else spans

    def _codes(self, doc: Doc) -> set[Span]:
        if self.code_shape is None or not len(doc):
            return set()
        orths = doc.to_array(ORTH)
        strings = doc.vocab.strings
        codes = [h for h in np.unique(orths).tolist()
                 if strings[h] not in self.not_codes and self.code_shape.search(strings[h])]
        if not codes:
            return set()
        return {Span(doc, i, i + 1, label="PRODUCT", span_id="product|")
                for i in np.flatnonzero(np.isin(orths, codes)).tolist()}

    def _family_models(self, doc: Doc) -> set[Span]:
        if self.family_model is None:
            return set()
        return {Span(doc, start, end + 1, label="PRODUCT", span_id=doc.vocab.strings[key])
                for key, start, end in self.families(doc)
                if end < len(doc) and self.family_model.search(doc[end].text)}


@Language.factory("authority_names", default_config={"nouns": {}, "owner_labels": [], "max_owners": 3})
def make_authority_names(nlp: Language, name: str, nouns: dict[str, list[str]], owner_labels: list[str],
                         max_owners: int) -> "AuthorityNames":
    """Factory for :class:`AuthorityNames`."""
    return AuthorityNames(nlp, nouns, frozenset(owner_labels), max_owners)


class AuthorityNames:
    """Names of authorities made of an owner and a common noun: "China's securities regulator",
    "the Dutch government", "the Trump administration". The owner is one to ``max_owners``
    tokens of a place, nationality, person or organisation entity, then an optional possessive;
    the name replaces the entities it overlaps. Found from the nouns backwards: as token
    patterns, the owner test ran in Python at every token for every noun, and an unbounded
    owner run was quadratic on long runs of names."""

    POSSESSIVES = frozenset({"'s", "’s"})

    def __init__(self, nlp: Language, nouns: dict[str, list[str]], owner_labels: frozenset[str],
                 max_owners: int) -> None:
        self.nouns = PhraseMatcher(nlp.vocab, attr="LOWER")
        for kind, words in nouns.items():
            self.nouns.add(f"{kind}|", [nlp.make_doc(w) for w in words])
        self.owner_labels = owner_labels
        self.max_owners = max_owners

    def __call__(self, doc: Doc) -> Doc:
        found = set()
        for key, start, end in self.nouns(doc):
            span_id = doc.vocab.strings[key]
            owners_ends = [start]
            if start > 0 and doc[start - 1].text in self.POSSESSIVES:
                owners_ends.append(start - 1)
            for owners_end in owners_ends:
                first = owners_end
                while (owners_end - first < self.max_owners and first > 0
                       and doc[first - 1].ent_type_ in self.owner_labels):
                    first -= 1
                    found.add(Span(doc, first, end, label="ORG", span_id=span_id))
        if found:
            doc.ents = sorted(prioritize_new_ents_filter(list(doc.ents), sorted(found)))
        return doc


@Language.factory("entity_cleanup", default_config={"not_entities": []})
def make_entity_cleanup(nlp: Language, name: str, not_entities: list[str]) -> "EntityCleanup":
    """Factory for :class:`EntityCleanup`."""
    return EntityCleanup(frozenset(not_entities))


class EntityCleanup:
    """Drops entities the small model invents in this domain ("AI" as ORG, "IPO" as GPE) and
    trims line breaks and possessive endings the model sometimes includes at an entity's edge."""

    def __init__(self, not_entities: frozenset[str]) -> None:
        self.not_entities = not_entities

    def __call__(self, doc: Doc) -> Doc:
        kept = []
        for ent in doc.ents:
            start, end = ent.start, ent.end
            while start < end and doc[start].is_space:
                start += 1
            while end > start and (doc[end - 1].is_space or doc[end - 1].lower_ in ("'s", "’s", "'", "’")):
                end -= 1
            span = Span(doc, start, end, label=ent.label, span_id=ent.id) if (start, end) != (ent.start, ent.end) else ent
            if len(span) and span.text not in self.not_entities and span.text.strip("’'\"") not in self.not_entities:
                kept.append(span)
        doc.ents = kept
        return doc


@Language.factory("company_names", default_config={"suffixes": [], "known": {}})
def make_company_names(nlp: Language, name: str, suffixes: list[str], known: dict[str, str]) -> "CompanyNames":
    """Factory for :class:`CompanyNames`."""
    return CompanyNames(nlp, suffixes, known)


class CompanyNames:
    """Labels capitalised words ending in a company suffix ("Acme Silicon", "Nvidia Corp.") as
    companies the gazetteer may not know. A known name inside keeps its canonical name, and a
    gazetteer entity of the same extent wins. A linear scan, not a Matcher pattern with "+":
    such a pattern is quadratic on long runs of capitalised words."""

    MAX_NAME_WORDS = 5
    NOT_NAME_WORDS = frozenset({"the", "a", "an", "this", "its", "their"})

    def __init__(self, nlp: Language, suffixes: list[str], known: dict[str, str]) -> None:
        self.known = known
        self.suffixes = {tuple(s.split()) for s in suffixes}
        self.first_words = frozenset(s[0] for s in self.suffixes)
        self.lengths = sorted({len(s) for s in self.suffixes}, reverse=True)

    def __call__(self, doc: Doc) -> Doc:
        found = []
        words = [t.text for t in doc]
        for i, word in enumerate(words):
            if word not in self.first_words:
                continue
            for length in self.lengths:
                if i + length > len(words) or tuple(words[i:i + length]) not in self.suffixes:
                    continue
                start = self._name_start(doc, i)
                if start < i:
                    end = i + length
                    name = next((self.known[doc[start:e].text] for e in range(end, start, -1)
                                 if doc[start:e].text in self.known), "")
                    found.append(Span(doc, start, end, label="ORG", span_id=f"company|{name}"))
                break
        if found:
            doc.ents = filter_spans([*doc.ents, *found])
        return doc

    def _name_start(self, doc: Doc, suffix_at: int) -> int:
        """Where the capitalised words before a suffix begin. A place in brackets between them
        belongs to the name: "MetaX Integrated Circuits (Shanghai) Co."."""
        start, words = suffix_at, 0
        while start > 0 and words < self.MAX_NAME_WORDS:
            before = doc[start - 1]
            if before.text == ")":
                opening = self._bracketed_words_start(doc, start - 1)
                if opening is None or opening == 0 or not self._name_word(doc[opening - 1]):
                    break
                start = opening
            elif self._name_word(before):
                start -= 1
                words += 1
            else:
                break
        return start

    def _bracketed_words_start(self, doc: Doc, closing: int) -> int | None:
        """The "(" of "( Title words )" ending at token ``closing``, if the brackets hold one to
        three capitalised words."""
        for opening in range(closing - 2, max(closing - 5, -1), -1):
            if doc[opening].text == "(":
                inner = doc[opening + 1:closing]
                return opening if all(self._name_word(t) for t in inner) else None
        return None

    def _name_word(self, token: Token) -> bool:
        """A capitalised word: "Integrated", and also "MetaX" or "SMIC", which are not title case."""
        capitalised = token.is_title or (token.text[:1].isupper() and token.is_alpha)
        return capitalised and token.lower_ not in self.NOT_NAME_WORDS
