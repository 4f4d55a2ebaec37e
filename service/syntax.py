"""Small dependency-tree helpers shared by cue linking and argument attachment."""
from __future__ import annotations

from spacy.tokens import Doc, Span, Token

SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj", "agent", "poss")
CLAUSE_DEPS = ("ccomp", "advcl", "relcl", "parataxis")


def ancestors(token: Token) -> list[Token]:
    """The token and its heads up to the sentence root."""
    path = [token]
    head = token.head
    while head.i != token.i and len(path) <= 64:
        path.append(head)
        token, head = head, head.head
    return path


def tree_distance(a: Token, b: Token) -> int:
    """Number of dependency edges between two tokens of one sentence (large if unrelated)."""
    if a.i == b.i:
        return 0
    up_a = ancestors(a)
    index_a = {t.i: n for n, t in enumerate(up_a)}
    for n, t in enumerate(ancestors(b)):
        if t.i in index_a:
            return n + index_a[t.i]
    return 99


def governing_verb(token: Token) -> Token | None:
    """The nearest verb at or above ``token``."""
    for t in ancestors(token):
        if t.pos_ in ("VERB", "AUX"):
            return t
    return None


def doer_head(entity: Span) -> Token | None:
    """The word ``entity`` is the subject, agent or possessor of, if any."""
    root = entity.root
    for _ in range(8):  # bounded: a list of thousands of conjoined names is one long chain
        if root.dep_ not in ("compound", "appos", "conj") or root.head.i == root.i:
            break
        root = root.head
    if root.dep_ in SUBJECT_DEPS:
        return root.head
    if root.dep_ == "pobj" and root.head.dep_ == "agent":
        return root.head.head
    return None


def is_subject_of(entity: Span, trigger: Token) -> bool:
    """Whether ``entity`` is the doer of ``trigger`` or of a verb a few steps above it."""
    head = doer_head(entity)
    return head is not None and any(t.i == head.i for t in ancestors(trigger)[:4])


class Sentences:
    """The sentences of a document, their entities and noun chunks, computed once: ``Span.sent``,
    ``Span.ents`` and ``Span.noun_chunks`` scan the whole document on every call, which makes a
    long document quadratic."""

    def __init__(self, doc: Doc) -> None:
        self.spans: list[Span] = list(doc.sents)
        self.entities: list[Span] = list(doc.ents)
        self._index = [0] * len(doc)
        for n, sentence in enumerate(self.spans):
            self._index[sentence.start:sentence.end] = [n] * (sentence.end - sentence.start)
        self._entities: list[list[Span]] = [[] for _ in self.spans]
        for ent in self.entities:
            self._entities[self._index[ent.start]].append(ent)
        self._doc = doc
        self._chunks: dict[int, list[Span]] = {}

    def ents(self, sentence: Span) -> list[Span]:
        """The entities of ``sentence``."""
        return self._entities[self._index[sentence.start]]

    def noun_chunks(self, sentence: Span) -> list[Span]:
        """The noun chunks of ``sentence``, found on first use. A chunk is a word's subtree, which
        never leaves its sentence, so the language's chunker reads only this sentence."""
        n = self._index[sentence.start]
        if n not in self._chunks:
            chunker = self._doc.noun_chunks_iterator
            self._chunks[n] = [Span(self._doc, start, end, label=label) for start, end, label in chunker(self.spans[n])]
        return self._chunks[n]

    def of(self, token_index: int) -> Span:
        """The sentence that holds token ``token_index``."""
        return self.spans[self._index[token_index]]
