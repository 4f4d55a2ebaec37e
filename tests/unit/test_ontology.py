"""Event-type files are validated at start-up, so a broken file never reaches a request."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.ontology import OntologyError, load_ontology

VALID = {
    "type": "merger",
    "description": "Two companies combine.",
    "stages": ["announced", "completed"],
    "default_stage": "announced",
    "primary_role": "buyer",
    "roles": {"buyer": {"kinds": ["company"], "required": True}, "target": {"kinds": ["company"]}},
    "lexicons": {"deal": ["merger", "acquisition"]},
    "cues": [{"terms": ["acquire", "buy"], "stage": "announced", "needs": ["deal", "entity:company"]}],
}


def _write(directory: Path, name: str, data: dict) -> None:
    (directory / name).write_text(yaml.safe_dump(data), encoding="utf-8")


def test_shipped_event_types_load() -> None:
    types = load_ontology()
    assert set(types) == {"ipo", "chip_development", "policy_ban"}
    for et in types.values():
        assert et.default_stage in et.stages
        assert any(c.stage for c in et.cues)


def test_a_new_event_type_is_a_new_file(tmp_path: Path) -> None:
    _write(tmp_path, "merger.yaml", VALID)
    merger = load_ontology(tmp_path)["merger"]
    assert merger.role("buyer").required
    assert merger.to_dict()["stages"] == ["announced", "completed"]


@pytest.mark.parametrize("change, message", [
    ({"default_stage": "rumoured"}, "default_stage"),
    ({"primary_role": "seller"}, "primary_role"),
    ({"roles": {"buyer": {"kinds": ["robot"]}}}, "unknown kinds"),
    ({"cues": [{"terms": ["buy"], "stage": "closed"}]}, "stage 'closed'"),
    ({"cues": [{"terms": ["buy"], "needs": ["money"]}]}, "needs 'money'"),
    ({"cues": [{"terms": ["buy"], "polarity": "maybe"}]}, "polarity"),
    ({"cues": [{"terms": []}]}, "terms"),
    ({"stages": "announced"}, "stages"),
])
def test_malformed_files_are_rejected_with_the_reason(tmp_path: Path, change: dict, message: str) -> None:
    _write(tmp_path, "merger.yaml", {**VALID, **change})
    with pytest.raises(OntologyError, match=message):
        load_ontology(tmp_path)


def test_missing_keys_and_duplicate_types_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", {k: v for k, v in VALID.items() if k != "cues"})
    with pytest.raises(OntologyError, match="missing keys"):
        load_ontology(tmp_path)
    _write(tmp_path, "a.yaml", VALID)
    _write(tmp_path, "b.yaml", VALID)
    with pytest.raises(OntologyError, match="defined twice"):
        load_ontology(tmp_path)
