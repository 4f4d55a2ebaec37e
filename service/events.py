"""Merges mentions into events: one event per real-world happening per document.

Mentions of one type and stage with the same primary actor (issuer, developer, authority)
and no conflicting dates are one happening. A mention that only names the offering joins
the most advanced step reported for the same actor.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .arguments import Found
from .mentions import Mention
from .ontology import EventType


class _Arguments:
    """Questions merging asks of anything that holds arguments."""

    arguments: list[Found]

    def names(self, role: str) -> set[str]:
        """Names of the actors in ``role``."""
        return {_name_key(f) for f in self.arguments if f.kind == "actors" and f.role == role}

    def countries(self, role: str) -> set[str]:
        """Countries of the actors in ``role``."""
        return {f.country for f in self.arguments if f.kind == "actors" and f.role == role and f.country}

    def date_values(self, body_start: int) -> set[str]:
        """Dates that tell happenings apart: those from token ``body_start`` on, since a
        headline's dates summarise the article."""
        return {f.value for f in self.arguments if f.kind == "dates" and f.value and f.span.start >= body_start}


@dataclass
class Event(_Arguments):
    """A happening with every mention that reports it and the arguments found for them."""

    type: str
    stage: str | None
    polarity: str
    modality: str
    mentions: list[Mention] = field(default_factory=list)
    arguments: list[Found] = field(default_factory=list)
    # Answers kept up to date as mentions arrive: recomputing them over every argument for every
    # new mention is quadratic on a text that repeats one cue thousands of times.
    _names: dict[str, set[str]] = field(default_factory=dict)
    _countries: dict[str, set[str]] = field(default_factory=dict)
    _dates: dict[int, set[str]] = field(default_factory=dict)

    def add(self, candidate: "Candidate") -> None:
        """Take a mention and its arguments into this event."""
        self.mentions.append(candidate.mention)
        self.arguments.extend(candidate.arguments)
        for role, names in self._names.items():
            names |= candidate.names(role)
        for role, countries in self._countries.items():
            countries |= candidate.countries(role)
        for body_start, dates in self._dates.items():
            dates |= candidate.date_values(body_start)

    def names(self, role: str) -> set[str]:
        if role not in self._names:
            self._names[role] = super().names(role)
        return self._names[role]

    def countries(self, role: str) -> set[str]:
        if role not in self._countries:
            self._countries[role] = super().countries(role)
        return self._countries[role]

    def date_values(self, body_start: int) -> set[str]:
        if body_start not in self._dates:
            self._dates[body_start] = super().date_values(body_start)
        return self._dates[body_start]

    def shares_sentence(self, mention: Mention) -> bool:
        return any(m.sentence.start == mention.sentence.start for m in self.mentions)


@dataclass
class Candidate(_Arguments):
    """A mention with its own arguments and attributes, before merging."""

    mention: Mention
    modality: str
    arguments: list[Found]


def _name_key(found: Found) -> str:
    return (found.name or found.span.text).casefold()


def same_actor(a: set[str], b: set[str]) -> bool:
    """Whether two sets of names share an actor; "Biren" and "Shanghai Biren Technology" do."""
    for x in a:
        for y in b:
            tx, ty = set(x.split()), set(y.split())
            if tx <= ty or ty <= tx:
                return True
    return False


def _dates_agree(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return True
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def merge(candidates: list[Candidate], et: EventType, body_start: int) -> list[Event]:
    """Events of one type from its candidates, in document order of their first mention.

    Authorities are one actor when they act for the same country: "Washington", "the U.S.
    Commerce Department" and "the Biden administration" impose one set of US rules."""
    role = et.primary_role
    by_country = "company" not in et.role(role).kinds
    events: list[Event] = []
    for c in (c for c in candidates if c.mention.stage is not None and not c.mention.anaphoric):
        names = c.names(role)
        target = None
        for e in reversed(events):
            same_sentence = et.one_event_per_sentence and e.shares_sentence(c.mention)
            if (e.stage != c.mention.stage and not same_sentence) or e.polarity != c.mention.polarity:
                continue
            if et.dates_split_events and not _dates_agree(e.date_values(body_start), c.date_values(body_start)):
                continue
            same = same_actor(names, e.names(role)) or (
                by_country and bool(c.countries(role) & e.countries(role)))
            if (names and same) or (not names and e is events[-1]):
                target = e
                break
        if target is None:
            target = Event(c.mention.type, c.mention.stage, c.mention.polarity, c.modality)
            events.append(target)
        target.add(c)
    order = {s: i for i, s in enumerate(et.stages)}
    for c in (c for c in candidates if c.mention.stage is None and not c.mention.anaphoric):
        names = c.names(role)
        fits = [e for e in events if e.polarity == "positive" and (same_actor(names, e.names(role)) if names else True)]
        if fits:
            target = max(fits, key=lambda e: order[e.stage or et.default_stage])
        else:
            target = Event(c.mention.type, et.default_stage, c.mention.polarity, c.modality)
            events.append(target)
        target.add(c)
    for c in (c for c in candidates if c.mention.anaphoric):
        earlier = [e for e in events if e.mentions[0].trigger.start < c.mention.trigger.start
                   and c.mention.stage in (None, e.stage)]
        if earlier:
            max(earlier, key=lambda e: max(m.trigger.start for m in e.mentions
                                           if m.trigger.start < c.mention.trigger.start)).add(c)
    for e in events:
        e.mentions.sort(key=lambda m: m.trigger.start)
    return sorted(events, key=lambda e: e.mentions[0].trigger.start)
