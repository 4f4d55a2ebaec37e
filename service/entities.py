"""The domain entity layer: gazetteers of organisations and chips, turned into spaCy patterns.

Known names come from data files and are labelled before the statistical recogniser runs,
so that chip makers are ORG and chips are PRODUCT; unknown company names still come from
the model. Each gazetteer entity carries ``kind|canonical name`` as its span id, which is
how the extractor tells a regulator from a company.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.tokens import Doc, Span
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

    def shape_patterns(self) -> list[dict[str, Any]]:
        """Token patterns for chip model codes and "<family> <code>" names such as "Ascend 910C"."""
        known = sorted(self.code_exceptions | {s for o in self.organisations for s in _surfaces(o) if " " not in s})
        patterns = []
        for shape in self.code_shapes:
            token = {"TEXT": {"REGEX": shape, "NOT_IN": known}}
            patterns.append({"label": "PRODUCT", "pattern": [token], "id": "product|"})
        # After a product line's name any short token with a digit is a model: "Snapdragon X3".
        model = {"TEXT": {"REGEX": r"^(?=.*\d)[A-Za-z0-9+-]{1,8}$"}}
        for family in self.families:
            fam = [{"ORTH": word} for word in family["name"].split()]
            patterns.append({"label": "PRODUCT", "pattern": fam + [model], "id": f"product|{family['name']}"})
        return patterns

    def company_names(self) -> dict[str, str]:
        """Every surface form of a known company, mapped to its canonical name."""
        return {s: o["name"] for o in self.organisations if o["kind"] == "company" for s in _surfaces(o)}

    def authority_patterns(self) -> list[dict[str, Any]]:
        """Token patterns for "<place or person>['s] <authority noun>" descriptions."""
        patterns = []
        # At most three owner words: an unbounded "+" is quadratic on long runs of names.
        owner = {"ENT_TYPE": {"IN": ["GPE", "NORP", "PERSON", "ORG"]}}
        owners = [owner, {**owner, "OP": "?"}, {**owner, "OP": "?"}]
        possessive = {"ORTH": {"IN": ["'s", "’s"]}, "OP": "?"}
        for kind, nouns in self.authority_nouns.items():
            for noun in nouns:
                words = [{"LOWER": w} for w in noun.split()]
                patterns.append({"label": "ORG", "pattern": [*owners, possessive, *words], "id": f"{kind}|"})
        return patterns

    def kind_from_name(self, name: str) -> str:
        """The kind of an organisation the gazetteer does not know, guessed from its name."""
        for kind, words in self.kind_words.items():
            if any(re.search(rf"\b{re.escape(w)}\b", name) for w in words):
                return kind
        return "company"


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
        self.lengths = sorted({len(s) for s in self.suffixes}, reverse=True)

    def __call__(self, doc: Doc) -> Doc:
        found = []
        for i in range(len(doc)):
            for length in self.lengths:
                if i + length > len(doc) or tuple(t.text for t in doc[i:i + length]) not in self.suffixes:
                    continue
                start = i
                while (start > 0 and i - start < self.MAX_NAME_WORDS and doc[start - 1].is_title
                       and doc[start - 1].lower_ not in self.NOT_NAME_WORDS):
                    start -= 1
                if start < i:
                    end = i + length
                    name = next((self.known[doc[start:e].text] for e in range(end, start, -1)
                                 if doc[start:e].text in self.known), "")
                    found.append(Span(doc, start, end, label="ORG", span_id=f"company|{name}"))
                break
        if found:
            doc.ents = filter_spans([*doc.ents, *found])
        return doc
