"""The event model, loaded from one data file per event type and validated at start-up.

A new event type is a new YAML file in ``service/ontology/``: its stages, roles, cue words
and the word lists the cues need nearby. Nothing in the code names an event type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ONTOLOGY_DIR = Path(__file__).parent / "ontology"
ENTITY_KINDS = ("company", "regulator", "exchange", "government", "product", "place")
POLARITIES = ("positive", "negative")


class OntologyError(ValueError):
    """An event-type file is malformed; raised at start-up, never during a request."""


@dataclass(frozen=True)
class Cue:
    """Words that signal an event; ``needs`` names word lists one of which must be nearby."""

    terms: tuple[str, ...]
    stage: str | None = None
    polarity: str = "positive"
    pos: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    # Word lists that must ALL be near as well ("restrict" needs an export word and a technology).
    also: tuple[str, ...] = ()
    # A definite noun that refers back to a happening reported earlier ("the rules", "the
    # offering"): it adds a mention to that event and never starts one.
    anaphoric: bool = False


@dataclass(frozen=True)
class Role:
    """An actor role and the kinds of organisation that can fill it."""

    name: str
    kinds: tuple[str, ...]
    required: bool = False
    # Prepositions that attach a company in this role to the trigger ("with TSMC", "by Intel").
    linked_by: tuple[str, ...] = ()
    # Stages at which the role exists (empty: all); a regulator only approves at approval.
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventType:
    """One event type as the data file describes it."""

    name: str
    description: str
    stages: tuple[str, ...]
    default_stage: str
    primary_role: str
    roles: tuple[Role, ...]
    subject_roles: dict[str, dict[str, str]]
    takes_products: bool
    # Cues of several stages in one sentence report one happening ("unveils X, teases Y").
    one_event_per_sentence: bool
    # Mentions with different dates are different happenings (the 2022 rules, the 2023 rules).
    dates_split_events: bool
    # Sentences that go on about the event's products ("The Ascend 960 is due in 2027") are
    # mentions of it too, with their products and dates.
    continues_on_products: bool
    lexicons: dict[str, tuple[str, ...]]
    cues: tuple[Cue, ...]
    source: str = field(default="", compare=False)

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        return next(r for r in self.roles if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape served by ``GET /v1/event-types``."""
        return {
            "type": self.name,
            "description": self.description,
            "stages": list(self.stages),
            "default_stage": self.default_stage,
            "roles": [{"name": r.name, "kinds": list(r.kinds), "required": r.required, "stages": list(r.stages)}
                      for r in self.roles],
            "primary_role": self.primary_role,
            "products": self.takes_products,
            "one_event_per_sentence": self.one_event_per_sentence,
            "dates_split_events": self.dates_split_events,
            "continues_on_products": self.continues_on_products,
            "cues": [
                {"terms": list(c.terms), "stage": c.stage, "polarity": c.polarity, "needs": list(c.needs), "also": list(c.also),
                 "anaphoric": c.anaphoric}
                for c in self.cues
            ],
        }


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise OntologyError(f"{where}: expected a non-empty list of non-empty strings")
    return tuple(value)


def _parse(data: Any, source: str) -> EventType:
    if not isinstance(data, dict):
        raise OntologyError(f"{source}: expected a mapping at the top level")
    missing = {"type", "description", "stages", "default_stage", "primary_role", "roles", "cues"} - data.keys()
    if missing:
        raise OntologyError(f"{source}: missing keys {sorted(missing)}")
    name = data["type"]
    stages = _strings(data["stages"], f"{source}: stages")
    if data["default_stage"] not in stages:
        raise OntologyError(f"{source}: default_stage {data['default_stage']!r} is not one of {stages}")
    roles = []
    for role_name, spec in (data["roles"] or {}).items():
        kinds = _strings(spec.get("kinds"), f"{source}: roles.{role_name}.kinds")
        unknown = set(kinds) - set(ENTITY_KINDS)
        if unknown:
            raise OntologyError(f"{source}: roles.{role_name} has unknown kinds {sorted(unknown)}")
        role_stages = tuple(spec.get("stages") or ())
        if not set(role_stages) <= set(stages):
            raise OntologyError(f"{source}: roles.{role_name}.stages names an unknown stage")
        roles.append(Role(role_name, kinds, bool(spec.get("required", False)), tuple(spec.get("linked_by") or ()),
                          role_stages))
    role_names = {r.name for r in roles}
    if data["primary_role"] not in role_names:
        raise OntologyError(f"{source}: primary_role {data['primary_role']!r} is not a role")
    subject_roles = data.get("subject_roles") or {}
    for stage, mapping in subject_roles.items():
        if stage not in stages or not set(mapping.values()) <= role_names:
            raise OntologyError(f"{source}: subject_roles.{stage} names an unknown stage or role")
    lexicons = {k: _strings(v, f"{source}: lexicons.{k}") for k, v in (data.get("lexicons") or {}).items()}
    cues = []
    for i, spec in enumerate(data["cues"]):
        where = f"{source}: cues[{i}]"
        cue = Cue(
            terms=_strings(spec.get("terms"), f"{where}.terms"),
            stage=spec.get("stage"),
            polarity=spec.get("polarity", "positive"),
            pos=tuple(spec.get("pos") or ()),
            needs=tuple(spec.get("needs") or ()),
            also=tuple(spec.get("also") or ()),
            anaphoric=bool(spec.get("anaphoric", False)),
        )
        if cue.stage is not None and cue.stage not in stages:
            raise OntologyError(f"{where}: stage {cue.stage!r} is not one of {stages}")
        if cue.polarity not in POLARITIES:
            raise OntologyError(f"{where}: polarity {cue.polarity!r} is not one of {POLARITIES}")
        for need in (*cue.needs, *cue.also):
            kind = need.removeprefix("entity:")
            if need not in lexicons and not (need.startswith("entity:") and kind in ENTITY_KINDS):
                raise OntologyError(f"{where}: needs {need!r}, which is neither a lexicon nor entity:<kind>")
        cues.append(cue)
    return EventType(
        name=name,
        description=str(data["description"]),
        stages=stages,
        default_stage=data["default_stage"],
        primary_role=data["primary_role"],
        roles=tuple(roles),
        subject_roles={k: dict(v) for k, v in subject_roles.items()},
        takes_products=bool((data.get("arguments") or {}).get("products", False)),
        one_event_per_sentence=bool(data.get("one_event_per_sentence", False)),
        dates_split_events=bool(data.get("dates_split_events", False)),
        continues_on_products=bool(data.get("continues_on_products", False)),
        lexicons=lexicons,
        cues=tuple(cues),
        source=source,
    )


def load_ontology(directory: Path = ONTOLOGY_DIR) -> dict[str, EventType]:
    """Every ``*.yaml`` event type in ``directory``, keyed by type name, validated."""
    types: dict[str, EventType] = {}
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            event_type = _parse(yaml.safe_load(fh), path.name)
        if event_type.name in types:
            raise OntologyError(f"{path.name}: event type {event_type.name!r} is defined twice")
        types[event_type.name] = event_type
    if not types:
        raise OntologyError(f"no event types in {directory}")
    return types
