"""The extraction engine: texts in, JSON-ready events out. No HTTP here.

The API, a command-line tool and batch jobs all call :meth:`Engine.extract`. The spaCy
pipeline is built once in the constructor; each call runs inside ``nlp.memory_zone()`` and
turns every ``Doc`` into plain dicts before the zone closes, so a long-lived process does
not grow its vocabulary with every new word it reads.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import spacy
from spacy.tokens import Doc, Span
from thinc.api import Ops, get_current_ops, set_current_ops

from .arguments import (DocContext, Found, continuation_sentences, dates_near, find_actors, find_dates,
                        find_locations, find_products, product_phrase)
from .attributes import AttributeWords
from .config import Settings
from .cues import CueFinder
from .entities import Gazetteer
from .events import Candidate, Event, merge
from .mentions import Mention, find_mentions
from .ontology import EventType, load_ontology
from .pipeline import build_pipeline
from .prefilter import Prefilter
from .syntax import Sentences

ARGUMENT_KINDS = ("actors", "dates", "locations", "products")


class Engine:
    """Holds the pipeline and the event model; safe to share across requests in one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.event_types: dict[str, EventType] = load_ontology()
        self.gazetteer = Gazetteer.load()
        self.words = AttributeWords.load()
        self.nlp = build_pipeline(settings.spacy_model, self.gazetteer)
        self.cues = CueFinder(self.nlp, self.event_types)
        self.prefilter = Prefilter(self.nlp, self.cues, self.gazetteer)
        self.ops: Ops = get_current_ops()

    @cached_property
    def model_info(self) -> dict[str, Any]:
        """Name, version and components of the loaded pipeline. Computed once: ``nlp.meta``
        collects every component's labels, a millisecond per request for a constant."""
        meta = self.nlp.meta
        return {
            "name": f"{meta.get('lang', '')}_{meta.get('name', '')}",
            "version": meta.get("version", ""),
            "spacy_version": spacy.__version__,
            "components": list(self.nlp.pipe_names),
        }

    def extract(
        self,
        texts: Sequence[str],
        document_dates: Sequence[dt.date | None] | None = None,
        event_types: Sequence[str] | None = None,
        prefilter: bool | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Events for each text, in order. ``event_types`` limits the types (default: all);
        ``prefilter`` overrides the setting that skips texts which cannot hold an event."""
        dates = list(document_dates) if document_dates is not None else [None] * len(texts)
        if len(dates) != len(texts):
            raise ValueError("document_dates must have one entry per text")
        wanted = set(event_types) if event_types else set(self.event_types)
        unknown = wanted - set(self.event_types)
        if unknown:
            raise ValueError(f"unknown event types: {sorted(unknown)}")
        use_prefilter = self.settings.prefilter if prefilter is None else prefilter
        # A gevent worker runs each request in a greenlet with a fresh context, in which thinc
        # has no current ops: each layer call then looked its backends up again (failed imports,
        # a scan of installed packages' entry points), about 0.5 ms of every request.
        set_current_ops(self.ops)
        with self.nlp.memory_zone():
            # Tokenized once: the pre-filter reads the tokens, the pipeline goes on from them.
            tokenized = [self.nlp.make_doc(t) for t in texts]
            kept = [not use_prefilter or self.prefilter.could_hold_events(d, wanted) for d in tokenized]
            docs = iter(self.nlp.pipe(d for d, keep in zip(tokenized, kept) if keep))
            return [self._events(next(docs), text, day, wanted) if keep else []
                    for text, keep, day in zip(texts, kept, dates)]

    def _events(self, doc: Doc, text: str, document_date: dt.date | None, wanted: set[str]) -> list[dict[str, Any]]:
        """The events of one parsed document; ``text`` is the document's text, which its spans index."""
        cue_matches, lexicon_hits = self.cues.find(doc, wanted)
        if not cue_matches:
            return []
        sentences = Sentences(doc)
        mentions = find_mentions(doc, cue_matches, lexicon_hits, self.gazetteer, sentences)
        ctx = DocContext.build(doc, document_date, self.gazetteer, self.words, sentences)
        events: list[Event] = []
        for name in sorted(wanted):
            et = self.event_types[name]
            candidates = [self._candidate(m, et, ctx) for m in mentions if m.type == name]
            events.extend(e for e in merge(candidates, et, sentences.spans[0].end) if self._complete(e, et))
        mentioned = {m.sentence.start for m in mentions}
        for event in events:
            et = self.event_types[event.type]
            if et.continues_on_products:
                self._continue_on_products(event, et, ctx, mentioned)
        events.sort(key=lambda e: e.mentions[0].trigger.start)
        return [_event_dict(f"ev{i + 1}", e, text) for i, e in enumerate(events)]

    def _candidate(self, mention: Mention, et: EventType, ctx: DocContext) -> Candidate:
        trigger = mention.trigger.root
        modality = self.words.modality(trigger)
        if self.words.negated(trigger):
            mention.polarity = "negative"
        actors = find_actors(mention, et, ctx)
        taken = {(f.span.start, f.span.end) for f in actors}
        args = actors + find_dates(mention, ctx, future=modality != "asserted")
        args += find_locations(mention, ctx, taken) + find_products(mention, et, ctx)
        return Candidate(mention, modality, args)

    @staticmethod
    def _continue_on_products(event: Event, et: EventType, ctx: DocContext, mentioned: set[int]) -> None:
        """Add the sentences that go on about the event's chips as mentions of it."""
        developers = event.names(et.primary_role)
        products = [f for f in event.arguments if f.kind == "products"]
        if not developers:
            return
        for sentence, chips in continuation_sentences(mentioned, products, developers, ctx):
            mention = Mention(et.name, None, event.polarity, chips[0], sentence, [c.root for c in chips], anaphoric=True)
            found = [Found("products", product_phrase(c, et, ctx)) for c in chips] + dates_near(chips, sentence, ctx)
            event.add(Candidate(mention, event.modality, found))
            mentioned.add(sentence.start)

    @staticmethod
    def _complete(event: Event, et: EventType) -> bool:
        """An event needs a filler for each required role and at least one actor or product."""
        roles = {f.role for f in event.arguments if f.kind == "actors"}
        if any(r.required and r.name not in roles for r in et.roles):
            return False
        return bool(roles) or any(f.kind == "products" for f in event.arguments)


def _span(span: Span, text: str) -> dict[str, Any]:
    """A span as JSON; its text cut from the document's (``Span.text`` joins its tokens again)."""
    start, end = span.start_char, span.end_char
    return {"text": text[start:end], "start": start, "end": end}


def _arguments(found: list[Found], kind: str, text: str) -> list[dict[str, Any]]:
    """One entry per distinct argument, named by its longest surface form."""
    merged: dict[tuple, dict[str, Any]] = {}
    read: set[int] = set()
    for f in (f for f in found if f.kind == kind):
        if kind == "actors":
            key: tuple = (f.role, (f.name or f.span.text).casefold())
            item = {**_span(f.span, text), "role": f.role, "label": f.label, "kind": f.entity_kind, "name": f.name}
        elif kind == "dates":
            # One entry per value; a phrase read twice (by two merged mentions) keeps its first value.
            if f.span.start_char in read:
                continue
            read.add(f.span.start_char)
            key = (f.value or f.span.text.casefold(),)
            item = {**_span(f.span, text), "value": f.value}
        elif kind == "locations":
            key = (f.span.text.casefold(),)
            item = {**_span(f.span, text), "country": f.country}
        else:
            key = (f.span.text.casefold(),)
            item = _span(f.span, text)
        old = merged.get(key)
        if old is None or len(item["text"]) > len(old["text"]):
            merged[key] = item
    items = sorted(merged.values(), key=lambda i: i["start"])
    if kind == "actors":
        items = _drop_contained_names(items)
    return items


def _drop_contained_names(actors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"Biren" and "Shanghai Biren Technology" in one role are one actor: keep the longer name."""
    kept: list[dict[str, Any]] = []
    for a in sorted(actors, key=lambda a: -len(a["text"])):
        words = set(a["text"].casefold().split())
        if not any(k["role"] == a["role"] and words <= set(k["text"].casefold().split()) for k in kept):
            kept.append(a)
    return sorted(kept, key=lambda a: a["start"])


def _confidence(event: Event) -> float:
    """A heuristic score: more mentions and more filled arguments make an event more certain."""
    kinds = {f.kind for f in event.arguments}
    score = 0.5 + 0.1 * min(len(event.mentions) - 1, 2) + 0.05 * len(kinds)
    return round(min(score, 0.95), 2)


def _event_dict(event_id: str, event: Event, text: str) -> dict[str, Any]:
    first = next((m for m in event.mentions if m.stage is not None), event.mentions[0])
    return {
        "id": event_id,
        "type": event.type,
        "stage": event.stage,
        "polarity": event.polarity,
        "modality": event.modality,
        "confidence": _confidence(event),
        "trigger": _span(first.trigger, text),
        "mentions": [{"trigger": _span(m.trigger, text), "sentence": _span(m.sentence, text)} for m in event.mentions],
        **{kind: _arguments(event.arguments, kind, text) for kind in ARGUMENT_KINDS},
    }
