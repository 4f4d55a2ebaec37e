"""Finds the words that signal events (cues) and the word lists cues need nearby.

Cue and lexicon terms come from the ontology files. Each term matches on its lower-case form
and, for lower-case terms, its regular inflections, so "unveiled" matches the term "unveil".
A cue's part-of-speech condition is checked on parsed text after matching.
"""
from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from .ontology import Cue, EventType


@dataclass(frozen=True)
class CueMatch:
    """A cue found in a document: its event type, the cue, and the matched words."""

    event_type: EventType
    cue: Cue
    span: Span


def inflections(word: str) -> list[str]:
    """Regular English inflections of a word, so cues match even where the tagger is wrong
    (headlines in capitals) and on text that was only tokenized."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if len(word) > 2 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return sorted(forms)


# Words that may stand between a two-word term's verb and its object: "received its registration".
DETERMINERS = ("its", "their", "the", "a", "an", "his", "her", "our")


def term_forms(words: list[str]) -> list[list[str]]:
    """Every word sequence a term matches: as written, or with its first or last word inflected
    ("unveiled", "mass shipments"), or a two-word term with a determiner inside. Irregular
    forms are listed as terms in the data files."""
    lower = [w.lower() for w in words]
    forms = [lower]
    if " ".join(words) == " ".join(lower):
        forms += [[first, *lower[1:]] for first in inflections(lower[0])]
        if len(lower) > 1:
            forms += [[*lower[:-1], last] for last in inflections(lower[-1])]
        if len(lower) == 2:
            forms += [[first, det, lower[1]] for first in inflections(lower[0]) for det in DETERMINERS]
    return forms


class CueFinder:
    """One phrase matcher (hash look-ups on lower-case tokens) for the cues and lexicons of
    every event type, built once per process. It needs only the tokenizer."""

    def __init__(self, nlp: Language, event_types: dict[str, EventType]) -> None:
        self.event_types = event_types
        self._tokenizer = nlp.tokenizer
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._cues: dict[str, tuple[EventType, Cue]] = {}
        self._lexicons: dict[str, tuple[str, str]] = {}
        for et in event_types.values():
            for i, cue in enumerate(et.cues):
                key = f"cue:{et.name}:{i}"
                self._cues[key] = (et, cue)
                self.matcher.add(key, self._phrases(cue.terms))
            for name, terms in et.lexicons.items():
                key = f"lex:{et.name}:{name}"
                self._lexicons[key] = (et.name, name)
                plain = [t for t in terms if not t.startswith("entity:")]
                if plain:
                    self.matcher.add(key, self._phrases(plain))

    def _phrases(self, terms: tuple[str, ...] | list[str]) -> list[Doc]:
        """Token sequences for every form of ``terms``, split the way the tokenizer splits text
        (so "first-day" is three tokens)."""
        forms = {" ".join(f) for term in terms for f in term_forms([t.text for t in self._tokenizer(term)])}
        return [self._tokenizer(form) for form in sorted(forms)]

    def find(self, doc: Doc, types: set[str]) -> tuple[list[CueMatch], dict[tuple[str, str], list[Span]]]:
        """Cue matches of the requested types and, per (type, lexicon), the matched spans.

        On a parsed document a cue's part-of-speech condition applies to its last word; on a
        document that was only tokenized it cannot, so every form matches (a superset)."""
        parsed = doc.has_annotation("POS")
        cues: list[CueMatch] = []
        lexicon_hits: dict[tuple[str, str], list[Span]] = {}
        for match_id, start, end in self.matcher(doc):
            key = doc.vocab.strings[match_id]
            span = doc[start:end]
            if key in self._cues:
                et, cue = self._cues[key]
                if et.name in types and not (parsed and cue.pos and span[-1].pos_ not in cue.pos):
                    cues.append(CueMatch(et, cue, span))
            else:
                lexicon_hits.setdefault(self._lexicons[key], []).append(span)
        return _longest_first(cues), lexicon_hits


def _longest_first(matches: list[CueMatch]) -> list[CueMatch]:
    """Drop cue matches of a type inside a longer match of the same type ("mass production" over
    "production"). A word that is both a step and a reference back ("the approval") keeps both
    readings; the needs decide which one holds."""
    longest = max((len(m.span) for m in matches), default=0)
    kept_at: dict[tuple[str, int], list[CueMatch]] = {}
    kept: list[CueMatch] = []
    for m in sorted(matches, key=lambda m: (-len(m.span), m.span.start)):
        name, start, end = m.event_type.name, m.span.start, m.span.end
        nearby = [k for s in range(start - longest, start + 1) for k in kept_at.get((name, s), [])]
        inside = any(k.span.end >= end and (k.span.start, k.span.end) != (start, end) for k in nearby)
        same = any((k.span.start, k.span.end) == (start, end) and k.cue.anaphoric == m.cue.anaphoric for k in nearby)
        if not inside and not same:
            kept.append(m)
            kept_at.setdefault((name, start), []).append(m)
    return sorted(kept, key=lambda m: m.span.start)
