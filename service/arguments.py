"""Attaches actors, dates, locations and products to a mention, by dependency syntax first.

Entities of the mention's sentence are candidates; the tree distance to the trigger, the
doer relation (subject, agent, possessor) and the kind of organisation decide which ones
belong to the mention and in what role. "The company" and "it" resolve to the last
company named before them.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from .attributes import AttributeWords
from .dates import normalise_date
from .entities import Gazetteer, canonical_name, entity_kind
from .mentions import Mention
from .ontology import EventType
from .places import country_of
from .syntax import Sentences, ancestors, doer_head, governing_verb, is_subject_of, tree_distance

ACTOR_DISTANCE = 5
DATE_DISTANCE = 6
PLACE_DISTANCE = 3
PHRASE_PLACE_DISTANCE = 6
PRODUCT_DISTANCE = 7
PHRASE_DISTANCE = 3
AUTHORITY_KINDS = frozenset({"government", "regulator"})
# An entity that only names or compares ("often called China's Nvidia") does nothing.
NAME_GIVING_DEPS = frozenset({"attr", "oprd"})


@dataclass
class Found:
    """One argument found for a mention, with the span of text that names it."""

    kind: str  # actors | dates | locations | products
    span: Span
    role: str | None = None
    label: str | None = None
    entity_kind: str | None = None
    name: str | None = None
    value: str | None = None
    country: str | None = None


@dataclass
class DocContext:
    """What argument attachment needs to know about the whole document."""

    doc: Doc
    document_date: dt.date | None
    gazetteer: Gazetteer
    words: AttributeWords
    companies: list[Span]
    sentences: Sentences

    @classmethod
    def build(cls, doc: Doc, document_date: dt.date | None, gazetteer: Gazetteer, words: AttributeWords,
              sentences: Sentences) -> "DocContext":
        companies = [e for e in sentences.entities if entity_kind(e, gazetteer) == "company"]
        return cls(doc, document_date, gazetteer, words, companies, sentences)

    def antecedent(self, before: int, name: str | None = None) -> Span | None:
        """The last company (called ``name``, if given) named before character ``before``."""
        previous = [c for c in self.companies if c.end_char <= before and (name is None or canonical_name(c) == name)]
        return previous[-1] if previous else None

    def topic_company(self, sentence: Span) -> Span | None:
        """The company the text is about: of those named in this or the previous two sentences,
        the one named most often so far (the latest mention of it)."""
        spans = self.sentences.spans
        index = next(i for i, s in enumerate(spans) if s.start == sentence.start)
        window_start = spans[max(0, index - 2)].start_char
        recent = [c for c in self.companies if window_start <= c.start_char and c.end_char <= sentence.end_char]
        if not recent:
            return None
        counts = Counter(canonical_name(c) for c in self.companies if c.end_char <= sentence.end_char)
        return max(reversed(recent), key=lambda c: counts[canonical_name(c)])


# Entities further than this many words from the trigger are never its arguments; the bound keeps
# the work per mention constant on hostile text (thousands of names in one sentence).
WINDOW = 80


def _nearby_ents(mention: Mention, ctx: DocContext) -> list[Span]:
    """The entities of the mention's sentence within ``WINDOW`` words of its trigger."""
    at = mention.trigger.start
    return [e for e in ctx.sentences.ents(mention.sentence) if abs(e.start - at) <= WINDOW]


def _role(kind: str, entity: Span, mention: Mention, et: EventType) -> str | None:
    trigger = mention.trigger.root
    if mention.stage and is_subject_of(entity, trigger):
        by_subject = et.subject_roles.get(mention.stage, {})
        if kind in by_subject:
            return by_subject[kind]
    ranked = sorted((r.kinds.index(kind), i, r) for i, r in enumerate(et.roles) if kind in r.kinds)
    if not ranked:
        return None
    role = ranked[0][2]
    return role.name if not role.stages or mention.stage is None or mention.stage in role.stages else None


def _actor_candidates(mention: Mention, et: EventType, ctx: DocContext) -> list[tuple[int, Found]]:
    trigger = mention.trigger.root
    near = [mention.trigger.root, *mention.cues]
    out: list[tuple[int, Found]] = []
    for ent in _nearby_ents(mention, ctx):
        if _is_dateline(ent, mention.sentence) or ent.root.dep_ in NAME_GIVING_DEPS:
            continue
        kind = entity_kind(ent, ctx.gazetteer)
        if kind is None and ent.label_ in ("GPE", "NORP") and _is_authority_place(ent, trigger, et):
            kind = "government"
        if kind is None or kind == "product":
            continue
        role = _role(kind, ent, mention, et)
        if role is None:
            continue
        if _is_source(ent, trigger, ctx):
            continue
        distance = min(tree_distance(ent.root, t) for t in near)
        if is_subject_of(ent, trigger):
            distance = 0
        out.append((distance, Found("actors", ent, role=role, label=ent.label_, entity_kind=kind,
                                    name=canonical_name(ent), country=_home_country(ent, ctx))))
    return out


def _home_country(ent: Span, ctx: DocContext) -> str | None:
    """The country an organisation belongs to: from the gazetteer, else from a place in its name."""
    known = ctx.gazetteer.organisation_country(ent)
    if known:
        return known
    for size in (len(ent), 2, 1):
        for start in range(ent.start, ent.end - size + 1):
            country = country_of(ent.doc[start:start + size].text)
            if country:
                return country
    return None


def _is_source(ent: Span, trigger: Token, ctx: DocContext) -> bool:
    """Whether ``ent`` only reports the happening: the subject of a speech verb above the trigger."""
    head = doer_head(ent)
    if head is None or head.i == trigger.i or head.lower_ not in ctx.words.speech_verbs:
        return False
    chain = ancestors(trigger)
    if not any(t.i == head.i for t in chain):
        return False
    # "Japan's ministry said it will restrict exports": the speaker is the doer.
    clause = chain[:[t.i for t in chain].index(head.i)]
    return not any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in ctx.words.self_references for t in clause for c in t.children)


def _is_authority_place(ent: Span, trigger: Token, et: EventType) -> bool:
    """A country or capital acting as a government: "Washington restricted", "U.S. curbs". A
    place that only modifies the trigger is the government only where authorities are the
    primary role ("U.S. curbs"); elsewhere it is where things happen ("its Tokyo IPO")."""
    if not any(AUTHORITY_KINDS & set(r.kinds) for r in et.roles):
        return False
    if is_subject_of(ent, trigger):
        return True
    root = ent.root
    modifies = root.head.i == trigger.i and root.dep_ in ("compound", "amod", "poss", "nmod")
    return modifies and bool(AUTHORITY_KINDS & set(et.role(et.primary_role).kinds))


def find_actors(mention: Mention, et: EventType, ctx: DocContext) -> list[Found]:
    """Actors near the trigger, the doer first; the primary role falls back to the nearest fit."""
    candidates = _actor_candidates(mention, et, ctx)
    chosen = [f for d, f in candidates if d <= ACTOR_DISTANCE]
    primary = et.primary_role
    if not any(f.role == primary for f in chosen):
        fallback = _primary_fallback(mention, et, ctx, [f for d, f in sorted(candidates, key=lambda c: c[0])])
        if fallback is not None:
            chosen.append(fallback)
    if "company" in et.role(et.primary_role).kinds:
        chosen = _one_doer(chosen, mention, et)
    return _collapse_authorities(chosen)


def _collapse_authorities(actors: list[Found]) -> list[Found]:
    """One authority per country and role: "the U.S." beside "the Commerce Department" is not a
    second actor, nor is "Commerce Department" in "the Commerce Department's BIS"."""
    named = {(f.role, f.country) for f in actors if f.entity_kind in AUTHORITY_KINDS and f.label != "GPE"}
    kept = []
    for f in actors:
        if f.label in ("GPE", "NORP") and (f.role, f.country) in named:
            continue
        owner_of = f.span.root.head
        if f.span.root.dep_ == "poss" and any(o is not f and o.role == f.role and o.span.start <= owner_of.i < o.span.end
                                             for o in actors):
            continue
        kept.append(f)
    return kept


def _primary_fallback(mention: Mention, et: EventType, ctx: DocContext, ranked: list[Found]) -> Found | None:
    """The primary actor when none is near the trigger, in order of how sure the text makes it:
    the company a pronoun stands for, the maker of the chip in question, the nearest fitting
    entity in the sentence, the company the last sentences were about."""
    primary = et.primary_role
    fits = [f for f in ranked if f.role == primary]
    if "company" not in et.role(primary).kinds:
        return fits[0] if fits else None
    referent = _referent(mention, ctx)
    if referent is None:
        for product in (e for e in _nearby_ents(mention, ctx) if e.label_ == "PRODUCT"):
            developer = ctx.gazetteer.product_developer(product)
            referent = ctx.antecedent(len(ctx.doc.text), developer) if developer else None
            if referent is not None:
                break
    if referent is None and fits:
        return fits[0]
    referent = referent or ctx.topic_company(mention.sentence)
    if referent is None:
        return None
    return Found("actors", referent, role=primary, label=referent.label_, entity_kind="company",
                 name=canonical_name(referent))


def _one_doer(actors: list[Found], mention: Mention, et: EventType) -> list[Found]:
    """Keep only the doers (and their conjuncts) in a company primary role. Other companies
    near the trigger take a role that a linking preposition gives them ("with TSMC"), or none."""
    primary = [f for f in actors if f.role == et.primary_role]
    if len(primary) <= 1:
        return actors
    trigger = mention.trigger.root
    doers = [f for f in primary if is_subject_of(f.span, trigger)] or primary[:1]
    doer_roots = {f.span.root.i for f in doers}
    doers += [f for f in primary if f not in doers and any(t.i in doer_roots for t in f.span.root.conjuncts)]
    result = [f for f in actors if f.role != et.primary_role or f in doers]
    linked_roles = [r for r in et.roles if r.linked_by and r.name != et.primary_role]
    for f in primary:
        if f in doers:
            continue
        path = {t.lower_ for t in ancestors(f.span.root)[1:3]}
        role = next((r for r in linked_roles if path & set(r.linked_by)), None)
        if role is not None:
            f.role = role.name
            result.append(f)
    return result


def _referent(mention: Mention, ctx: DocContext) -> Span | None:
    """The company that a pronoun or "the company" doing the trigger refers to."""
    trigger = mention.trigger.root
    references = ctx.words.company_references
    for tok in [trigger, *ancestors(trigger)[1:4]]:
        for child in tok.children:
            if child.dep_ in ("nsubj", "nsubjpass", "poss") and child.lower_ in references:
                return ctx.antecedent(child.idx)
    return None


def find_dates(mention: Mention, ctx: DocContext, future: bool) -> list[Found]:
    """DATE entities that say when the happening took place, normalised against the document date."""
    trigger = mention.trigger.root
    found = []
    for ent in _nearby_ents(mention, ctx):
        if ent.label_ != "DATE" or tree_distance(ent.root, trigger) > DATE_DISTANCE:
            continue
        verb = governing_verb(ent.root)
        if verb is not None and verb.i != trigger.i and verb.lower_ in ctx.words.speech_verbs:
            continue
        ahead = future or (verb is not None and ctx.words.modality(verb) != "asserted")
        phrase = date_phrase(ent, mention.sentence)
        value = normalise_date(phrase.text, ctx.document_date, future=ahead)
        if value is None and ctx.document_date is not None:
            continue
        found.append(Found("dates", phrase, value=value))
    return found


def date_phrase(ent: Span, sentence: Span) -> Span:
    """The words that say when: "before the summer", "in 30 days", "July" of "as early as July",
    "last year" of "last year's"."""
    doc = ent.doc
    start, end = ent.start, ent.end
    if doc[start].lower_ == "as":
        while start < end - 1 and doc[start].lower_ in ("as", "early", "soon"):
            start += 1
    if end - start > 1 and doc[end - 1].lower_ in ("'s", "’s"):
        end -= 1
    if start == ent.start and start > sentence.start and doc[start - 1].lower_ in ("before", "after", "in"):
        start -= 1
    return doc[start:end]


def find_locations(mention: Mention, ctx: DocContext, actor_spans: set[tuple[int, int]]) -> list[Found]:
    """Places where the happening takes place or applies, with their ISO country code.

    Close to the trigger, or the object of "to", "in", "into", "from" a little further off
    ("exports of AI chips to China"). Datelines and "Beijing-based" descriptions of a company
    are not where anything happened."""
    near = [mention.trigger.root, *mention.cues]
    found = []
    for ent in _nearby_ents(mention, ctx):
        if ent.label_ not in ("GPE", "LOC") or (ent.start, ent.end) in actor_spans or _is_dateline(ent, mention.sentence):
            continue
        if _describes_a_company(ent):
            continue
        distance = min(tree_distance(ent.root, t) for t in near)
        directed = ent.root.dep_ == "pobj" and ent.root.head.lower_ in ctx.words.place_prepositions
        if distance > PLACE_DISTANCE and not (directed and distance <= PHRASE_PLACE_DISTANCE):
            continue
        country = country_of(ent.text)
        if country:
            found.append(Found("locations", ent, country=country))
    return found


def _describes_a_company(ent: Span) -> bool:
    """"Beijing-based": a place that says where a company sits, not where anything happened."""
    following = [t.lower_ for t in ent.doc[ent.end:ent.end + 2]]
    return following[:1] == ["-based"] or following == ["-", "based"] or ent.text.endswith("-based")


def _is_dateline(ent: Span, sentence: Span) -> bool:
    """A place at the head of a paragraph followed by a dash: "SAN JOSE, California —"."""
    if ent.start - sentence.start > 5:
        return False
    following = ent.doc[ent.end:min(ent.end + 4, sentence.end)]
    shouted = ent.text.isupper() and ent.text.replace(" ", "").isalpha() and len(ent.text) > 3
    spaced_dash = any(t.text in ("—", "–", "-") and (t.whitespace_ or ent.doc[t.i - 1].whitespace_) for t in following)
    return spaced_dash or any(t.text == "(" for t in following) or shouted


def find_products(mention: Mention, et: EventType, ctx: DocContext) -> list[Found]:
    """Named chips near the trigger and, for measures, the noun phrases naming what they cover."""
    if not et.takes_products:
        return []
    trigger = mention.trigger.root
    found = [Found("products", product_phrase(e, et, ctx)) for e in _nearby_ents(mention, ctx)
             if e.label_ == "PRODUCT" and tree_distance(e.root, trigger) <= PRODUCT_DISTANCE]
    covered = {(f.span.start, f.span.end) for f in found}
    tech = set(et.lexicons.get("tech", ()))
    if tech:
        sentence = mention.sentence
        at = mention.trigger.start
        lo, hi = max(sentence.start, at - WINDOW), min(sentence.end, at + WINDOW)
        for chunk in ctx.sentences.noun_chunks(sentence):
            if (chunk.start < lo or chunk.end > hi or chunk.root.lower_ not in tech
                    or _is_idiom(chunk, ctx.words.not_technology)):
                continue
            if any(e.label_ in ("PRODUCT", "ORG") and chunk.start <= e.start < chunk.end
                   for e in ctx.sentences.ents(sentence)) or chunk.root.pos_ == "PRON":
                continue
            if tree_distance(chunk.root, trigger) > PHRASE_DISTANCE:
                continue
            phrase = _strip_determiners(chunk, ctx.words.focus_words)
            if phrase is not None and (phrase.start, phrase.end) not in covered and len(phrase) > 1:
                found.append(Found("products", phrase))
    return found


def _is_idiom(chunk: Span, phrases: frozenset[str]) -> bool:
    """Whether a noun phrase ends in one of ``phrases`` ("a bargaining chip"), in lower case."""
    words = [t.lower_ for t in chunk[-3:]]
    return any(" ".join(words[i:]) in phrases for i in range(len(words)))


def product_phrase(ent: Span, et: EventType, ctx: DocContext) -> Span:
    """A product line or technology named as a modifier stands for the phrase it modifies:
    "Ascend AI chips", "older DUV machines". A model ("H20 chip") stands for itself."""
    head = ent.root.head
    chip_words = {w for name in et.lexicons for w in et.lexicons[name] if not w.startswith("entity:")}
    if (not any(ch.isdigit() for ch in ent.text) and ent.root.dep_ in ("compound", "amod", "nmod")
            and head.i >= ent.end and head.lower_ in chip_words):
        start = min([ent.start] + [t.i for t in head.lefts if t.dep_ in ("amod", "compound")])
        return _strip_determiners(ent.doc[start:head.i + 1], ctx.words.focus_words) or ent
    return ent


def _strip_determiners(chunk: Span, focus_words: frozenset[str]) -> Span | None:
    start = chunk.start
    while start < chunk.end and (chunk.doc[start].dep_ in ("det", "poss", "case", "nummod", "predet")
                                 or chunk.doc[start].lower_ in focus_words):
        start += 1
    return chunk.doc[start:chunk.end] if start < chunk.end else None


def continuation_sentences(mentioned: set[int], products: list[Found], developer_names: set[str],
                           ctx: DocContext) -> list[tuple[Span, list[Span]]]:
    """Sentences, not yet mentions, that name a chip of the event's developer or of a product
    line the event already has, with those chips: a roadmap told over several sentences."""
    families = {p.span.text.split()[0] for p in products}
    result = []
    for sentence in ctx.sentences.spans:
        if sentence.start in mentioned:
            continue
        chips = [e for e in ctx.sentences.ents(sentence) if e.label_ == "PRODUCT" and entity_kind(e, ctx.gazetteer) == "product"
                 and ((ctx.gazetteer.product_developer(e) or "").casefold() in developer_names
                      or e.text.split()[0] in families)]
        if chips:
            result.append((sentence, chips))
    return result


def dates_near(chips: list[Span], sentence: Span, ctx: DocContext) -> list[Found]:
    """DATE entities of ``sentence`` within three dependency edges of one of ``chips``, normalised."""
    found = []
    for ent in ctx.sentences.ents(sentence):
        if ent.label_ == "DATE" and min(tree_distance(ent.root, c.root) for c in chips) <= 3:
            verb = governing_verb(ent.root)
            ahead = verb is not None and ctx.words.modality(verb) != "asserted"
            phrase = date_phrase(ent, sentence)
            value = normalise_date(phrase.text, ctx.document_date, future=ahead)
            if value is not None or ctx.document_date is None:
                found.append(Found("dates", phrase, value=value))
    return found
