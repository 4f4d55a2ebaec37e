"""Turns cue matches into event mentions: one per happening reported in a sentence.

A cue that needs a word list counts only when a word of that list (or an entity of the
named kind) is close to it in the dependency tree. Cues of one type that are linked
become one mention whose trigger is the cue highest in the tree, so "approved Biren's IPO"
is one approval mention, not an approval and an offering.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .cues import CueMatch
from .entities import Gazetteer, entity_kind
from .ontology import EventType
from .syntax import Sentences, ancestors, tree_distance

LINK_DISTANCE = 3
# Words further apart than this are never linked; the bound keeps linking linear on hostile text.
LINK_WINDOW = 60
# No real sentence reports more happenings than this; a text that repeats a cue word thousands of
# times without a full stop would otherwise cost time and output in the square of its length.
MAX_CUES_PER_SENTENCE = 24
# A participle cue used as a noun modifier describes a thing rather than reporting a
# happening: "chips designed to comply with the rules", "Chinese-made processors". An
# infinitive is a happening: "a plan to list on the KOSPI".
DESCRIPTIVE_DEPS = ("acl", "amod")
PARTICIPLE_TAGS = ("VBN", "VBG")
# A needed word that only modifies another noun counts only if that noun is needed too:
# "chip" in "AI chip designer Cambricon" does not make "debut" a chip launch.
MODIFIER_DEPS = ("compound", "amod", "nmod", "npadvmod")
# What makes a noun refer back to something already reported.
DEFINITE = frozenset({"the", "this", "these", "that", "those", "its", "their", "his", "her"})


@dataclass
class Mention:
    """One report of a happening: type, stage (None when only the offering is named), trigger."""

    type: str
    stage: str | None
    polarity: str
    trigger: Span
    sentence: Span
    cues: list[Token] = field(default_factory=list)
    anaphoric: bool = False


def _purpose_passive(verb: Token) -> bool:
    """A passive that says what a thing is or is for: "GPUs, which are designed to power cars",
    "processors that were designed with U.S. software"."""
    deps = {c.dep_ for c in verb.children}
    return "auxpass" in deps and ("xcomp" in deps or verb.dep_ == "relcl")


def _needs_met(match: CueMatch, lexicon_tokens: dict[str, list[Token]], entity_tokens: dict[str, list[Token]],
               heads: set[int]) -> bool:
    root = match.span.root
    if root.pos_ == "VERB" and ((root.dep_ in DESCRIPTIVE_DEPS and root.tag_ in PARTICIPLE_TAGS)
                                or _purpose_passive(root)):
        return False
    # A staged cue that only modifies a noun that is no cue names a kind of thing, not a
    # happening: "semiconductor manufacturing equipment", "production lines".
    if match.cue.stage and root.dep_ in ("compound", "amod") and root.head.i not in heads:
        return False
    if match.cue.anaphoric and not any(c.lower_ in DEFINITE for c in root.children if c.dep_ in ("det", "poss")):
        return False
    return all(_near(match, need, lexicon_tokens, entity_tokens, heads) for need in match.cue.also) and (
        not match.cue.needs or any(_near(match, need, lexicon_tokens, entity_tokens, heads) for need in match.cue.needs))


def _near(match: CueMatch, need: str, lexicon_tokens: dict[str, list[Token]], entity_tokens: dict[str, list[Token]],
          heads: set[int]) -> bool:
    """Whether a word of lexicon ``need`` (or an entity of kind ``entity:<kind>``) is close to the cue."""
    root = match.span.root
    pool = entity_tokens.get(need.removeprefix("entity:"), []) if need.startswith("entity:") else lexicon_tokens.get(need, [])
    for t in pool:
        if abs(t.i - root.i) > LINK_WINDOW or match.span.start <= t.i < match.span.end:
            continue
        if tree_distance(root, t) > LINK_DISTANCE:
            continue
        if t.dep_ not in MODIFIER_DEPS or t.head.i in heads or t.head.i == root.i:
            return True
    return False


def find_mentions(doc: Doc, cues: list[CueMatch], lexicon_hits: dict[tuple[str, str], list[Span]], gazetteer: Gazetteer,
                  sentences: Sentences) -> list[Mention]:
    """Mentions in document order, one per linked group of cues in a sentence."""
    entity_tokens: dict[str, dict[int, list[Token]]] = {}
    for ent in sentences.entities:
        kind = entity_kind(ent, gazetteer) or ("place" if ent.label_ == "GPE" else None)
        if kind:
            entity_tokens.setdefault(kind, {}).setdefault(sentences.of(ent.start).start, []).append(ent.root)
    mentions: list[Mention] = []
    by_sentence: dict[int, list[CueMatch]] = {}
    for m in cues:
        by_sentence.setdefault(sentences.of(m.span.start).start, []).append(m)
    for sent_start, matches in by_sentence.items():
        matches = matches[:MAX_CUES_PER_SENTENCE]
        sentence = sentences.of(matches[0].span.start)
        ents = {kind: toks.get(sent_start, []) for kind, toks in entity_tokens.items()}
        for et in {m.event_type.name: m.event_type for m in matches}.values():
            lex = _lexicon_tokens(et, lexicon_hits, sentence, ents)
            heads = {t.i for toks in lex.values() for t in toks} | {m.span.root.i for m in matches}
            valid = [m for m in matches if m.event_type.name == et.name and _needs_met(m, lex, ents, heads)]
            mentions.extend(_group(valid, sentence))
    return sorted(mentions, key=lambda m: m.trigger.start)


def _lexicon_tokens(et: EventType, lexicon_hits: dict[tuple[str, str], list[Span]], sentence: Span,
                    ents: dict[str, list[Token]]) -> dict[str, list[Token]]:
    """Per lexicon of ``et``, its words in the sentence, counting ``entity:<kind>`` entries as entities."""
    pools: dict[str, list[Token]] = {}
    for name, terms in et.lexicons.items():
        pool = [s.root for s in lexicon_hits.get((et.name, name), []) if sentence.start <= s.start < sentence.end]
        for term in terms:
            if term.startswith("entity:"):
                pool.extend(ents.get(term.removeprefix("entity:"), []))
        pools[name] = pool
    return pools


def _same_happening(a: CueMatch, b: CueMatch) -> bool:
    """Two cues report one step when they are close and agree on the stage, or when one is
    the noun the other governs ("approved the registration", "withdraws its filing")."""
    distance = tree_distance(a.span.root, b.span.root)
    if a.cue.stage == b.cue.stage:
        return distance <= 2
    child = a.span.root if a.span.root.head.i == b.span.root.i else b.span.root
    return distance == 1 and child.pos_ in ("NOUN", "PROPN") and child.dep_ in ("dobj", "pobj", "compound", "nsubjpass")


def _group(matches: list[CueMatch], sentence: Span) -> list[Mention]:
    """Link cues of one type in one sentence and make one mention per group."""
    staged = [m for m in matches if m.cue.stage is not None and not m.cue.anaphoric]
    anchors = [m for m in matches if m.cue.stage is None or m.cue.anaphoric]
    depth = {m.span.root.i: len(ancestors(m.span.root)) for m in matches}
    groups: list[list[CueMatch]] = []
    for m in sorted(staged, key=lambda m: depth[m.span.root.i]):
        for g in groups:
            if any(_same_happening(m, o) for o in g):
                g.append(m)
                break
        else:
            groups.append([m])
    mentions = []
    for g in groups:
        head = g[0]
        linked = [a for a in anchors if any(tree_distance(a.span.root, o.span.root) <= LINK_DISTANCE for o in g)]
        anchors = [a for a in anchors if a not in linked]
        polarity = "negative" if any(m.cue.polarity == "negative" for m in g) else "positive"
        mentions.append(Mention(head.event_type.name, head.cue.stage, polarity, head.span, sentence,
                                [m.span.root for m in g + linked]))
    for a in anchors:
        mentions.append(Mention(a.event_type.name, a.cue.stage, a.cue.polarity, a.span, sentence, [a.span.root],
                                anaphoric=a.cue.anaphoric))
    return mentions
