"""Function words the extractor reads: modality, negation, speech, references, focus; and idioms.

Polarity and modality of a mention are read from the words around its trigger."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from spacy.tokens import Token

from .cues import inflections
from .syntax import CLAUSE_DEPS

DATA_FILE = Path(__file__).parent / "data" / "attributes.yaml"


def _forms(words: list[str]) -> frozenset[str]:
    """The words with their regular inflections; irregular forms are listed in the data file."""
    return frozenset(form for word in words for form in inflections(word))


@dataclass(frozen=True)
class AttributeWords:
    """Modality and negation vocabulary, and phrases that are not what their words say, loaded
    once per process."""

    planned: frozenset[str]
    speculated: frozenset[str]
    negation: frozenset[str]
    speech_verbs: frozenset[str]
    company_references: frozenset[str]
    self_references: frozenset[str]
    focus_words: frozenset[str]
    place_prepositions: frozenset[str]
    not_technology: frozenset[str]

    @classmethod
    def load(cls) -> "AttributeWords":
        with DATA_FILE.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        return cls(
            planned=_forms(data["modality"]["planned"]),
            speculated=_forms(data["modality"]["speculated"]),
            negation=frozenset(data["negation"]),
            speech_verbs=_forms(data["speech_verbs"]),
            company_references=frozenset(data["company_references"]),
            self_references=frozenset(data["self_references"]),
            focus_words=frozenset(data["focus_words"]),
            place_prepositions=frozenset(data["place_prepositions"]),
            not_technology=frozenset(data["not_technology"]),
        )

    def _context(self, trigger: Token) -> list[Token]:
        """The trigger, the verbs it hangs from within its clause, and their modifiers."""
        chain = [trigger]
        while chain[-1].dep_ not in CLAUSE_DEPS and chain[-1].head.i != chain[-1].i and len(chain) < 4:
            head = chain[-1].head
            if head.pos_ not in ("VERB", "AUX", "ADJ") and chain[-1].pos_ in ("VERB", "AUX"):
                break
            chain.append(head)
        words = list(chain)
        for t in chain:
            words.extend(c for c in t.children if c.dep_ in ("aux", "auxpass", "advmod", "neg", "det"))
        return words

    def modality(self, trigger: Token) -> str:
        """``speculated``, ``planned`` or ``asserted``."""
        words = {t.lower_ for t in self._context(trigger)}
        if words & self.speculated:
            return "speculated"
        if words & self.planned:
            return "planned"
        return "asserted"

    def negated(self, trigger: Token) -> bool:
        """Whether the trigger or a verb it hangs from is negated ("has not approved")."""
        return any(t.dep_ in ("neg", "det") and t.lower_ in self.negation for t in self._context(trigger))
