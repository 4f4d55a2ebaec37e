"""A cheap first pass that decides which documents can hold an event at all.

Every event starts from a cue whose needed words or entities lie in the same sentence, and
no sentence crosses a line break. So a document in which no paragraph has a cue of the
requested types together with what that cue needs cannot yield an event, and skipping its
tagger, parser and recogniser changes no result. The pass runs the tokenizer and the
gazetteer's phrase matcher only; entities that only the statistical model could find are
assumed possible wherever a capitalised word (or, for regulators, exchanges and governments,
a word that names the kind) occurs.
"""
from __future__ import annotations

import bisect
import re

from spacy.language import Language
from spacy.tokens import Doc

from .cues import CueFinder, CueMatch
from .entities import Gazetteer, entity_kind

LINE_BREAK = re.compile("\n")


class Prefilter:
    """Answers "could this text hold an event of these types?" from its tokens alone."""

    def __init__(self, nlp: Language, cues: CueFinder, gazetteer: Gazetteer) -> None:
        self.nlp = nlp
        self.cues = cues
        self.gazetteer = gazetteer
        self.known_names = nlp.get_pipe("domain_names")
        # Words whose presence makes an entity of a kind possible: the first word of each kind
        # word ("White" of "White House") and the nouns of authority descriptions ("regulators").
        self.kind_words: dict[str, frozenset[str]] = {
            kind: frozenset(w.split()[0] for w in words) for kind, words in gazetteer.kind_words.items()
        }
        self.authority_words: dict[str, frozenset[str]] = {
            kind: frozenset(w for noun in nouns for w in noun.split()) for kind, nouns in gazetteer.authority_nouns.items()
        }

    def could_hold_events(self, doc: Doc, types: set[str]) -> bool:
        """False only when no parse of the tokenized ``doc`` could yield an event of ``types``.
        Leaves ``doc`` as it found it, so that the pipeline can go on from its tokens."""
        matches, lexicon_hits = self.cues.find(doc, types)
        starters = [m for m in matches if not m.cue.anaphoric]
        if not starters:
            return False
        if any(not m.cue.needs and not m.cue.also for m in starters):
            return True
        breaks = [m.start() for m in LINE_BREAK.finditer(doc.text)]

        def paragraph(char: int) -> int:
            return bisect.bisect(breaks, char)

        present: set[tuple[str, int]] = set()
        for (type_name, lexicon), spans in lexicon_hits.items():
            present |= {(f"{type_name}:{lexicon}", paragraph(s.start_char)) for s in spans}
        # Every name the gazetteer could label, before overlaps between them are resolved.
        for ent in self.known_names.match(doc):
            kind = entity_kind(ent, self.gazetteer)
            if kind:
                present.add((f"entity:{kind}", paragraph(ent.start_char)))
        for token in doc:
            where = paragraph(token.idx)
            if token.is_title or token.is_upper:
                present |= {("entity:company", where), ("entity:place", where)}
            for kind, words in self.kind_words.items():
                if token.text in words:
                    present.add((f"entity:{kind}", where))
            for kind, words in self.authority_words.items():
                if token.lower_ in words:
                    present.add((f"entity:{kind}", where))
        return any(self._needs_present(m, paragraph(m.span.start_char), present) for m in starters)

    @staticmethod
    def _needs_present(match: CueMatch, where: int, present: set[tuple[str, int]]) -> bool:
        et = match.event_type

        def found(need: str) -> bool:
            if need.startswith("entity:"):
                return (need, where) in present
            return (f"{et.name}:{need}", where) in present or any(
                t.startswith("entity:") and (t, where) in present for t in et.lexicons.get(need, ()))

        return all(found(n) for n in match.cue.also) and (not match.cue.needs or any(found(n) for n in match.cue.needs))
