"""The model's attribute ruler, compiled to array operations.

The attribute ruler of the English pipelines maps fine-grained tags (and a few words and
dependency labels) to parts of speech and morphology with some 180 token patterns. spaCy runs
them through its general ``Matcher``, which costs about a tenth of the statistical pipeline's
time on a news article. Its patterns are simple (equality, ``IN``, ``NOT_IN`` and ``REGEX``
tests on token attributes, without operators), so the same rules can be evaluated as array
comparisons over ``Doc.to_array``. The result is the same annotation: every token gets the
attributes of the last rule that matched it, as the ruler assigns them
(``tests/unit/test_attribute_rules.py`` compares both on the evaluation sets).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import IDS
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc
from spacy.vocab import Vocab

# Attributes a compiled rule may test; each is read once per document with Doc.to_array.
TESTED = ("ORTH", "LOWER", "NORM", "TAG", "DEP", "POS", "LEMMA", "IS_SPACE", "IS_PUNCT", "IS_ALPHA", "IS_DIGIT")
# Attributes a compiled rule may assign, all token-level and written back with Doc.from_array.
ASSIGNED = ("TAG", "DEP", "POS", "MORPH", "LEMMA")


class UnsupportedRule(ValueError):
    """A pattern uses something the compiled form does not evaluate (operators, other tests)."""


@dataclass(frozen=True)
class Test:
    """One condition on one token attribute: a value set to be in (or not in), or a regex."""

    column: int
    values: np.ndarray | None
    negated: bool = False
    regex: re.Pattern[str] | None = None
    # Values one of which a token must have to pass (empty: no such condition).
    required: frozenset[int] = frozenset()

    def mask(self, columns: np.ndarray, strings: Any) -> np.ndarray:
        column = columns[:, self.column]
        if self.regex is not None:
            matching = [h for h in set(column.tolist()) if self.regex.search(strings[h])]
            return np.isin(column, np.array(matching, dtype=np.uint64))
        found = column == self.values[0]
        for value in self.values[1:]:
            found |= column == value
        return ~found if self.negated else found


@dataclass(frozen=True)
class Rule:
    """The token patterns of one ruler entry, the index of the token they set and its values."""

    patterns: tuple[tuple[tuple[Test, ...], ...], ...]
    index: int
    assigned: tuple[tuple[int, int], ...]

    def apply(self, columns: np.ndarray, values: np.ndarray, strings: Any, present: dict[int, set[int]]) -> None:
        """Assign this rule's values to the tokens it matches, unless it cannot match at all."""
        if not _possible(self, present):
            return
        targets = self.targets(columns, strings)
        for column, value in self.assigned:
            values[targets, column] = value

    def targets(self, columns: np.ndarray, strings: Any) -> np.ndarray:
        """Positions of the tokens this rule assigns to in a document."""
        n = len(columns)
        found = []
        for pattern in self.patterns:
            length = len(pattern)
            if length > n:
                continue
            starts = np.ones(n - length + 1, dtype=bool)
            for offset, tests in enumerate(pattern):
                window = columns[offset:n - length + 1 + offset]
                for test in tests:
                    starts &= test.mask(window, strings)
            found.append(np.flatnonzero(starts) + (self.index if self.index >= 0 else length + self.index))
        if len(found) == 1:
            return found[0]
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Lookup:
    """A run of rules that each test one attribute for one value, such as the tag map's
    ``TAG == "NN"`` rules: applied together as one table look-up, later rules first in the table."""

    column: int
    keys: np.ndarray
    tables: tuple[tuple[int, np.ndarray, np.ndarray], ...]

    @classmethod
    def build(cls, rules: list[Rule]) -> "Lookup":
        column = rules[0].patterns[0][0][0].column
        keys = np.array(sorted({int(r.patterns[0][0][0].values[0]) for r in rules}), dtype=np.uint64)
        tables = []
        for assigned in sorted({a for r in rules for a, _ in r.assigned}):
            has, table = np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.uint64)
            for rule in rules:
                for a, value in rule.assigned:
                    if a == assigned:
                        at = np.searchsorted(keys, rule.patterns[0][0][0].values[0])
                        has[at], table[at] = True, value
            tables.append((assigned, has, table))
        return cls(column, keys, tuple(tables))

    def apply(self, columns: np.ndarray, values: np.ndarray, strings: Any, present: dict[int, set[int]]) -> None:
        column = columns[:, self.column]
        at = np.minimum(np.searchsorted(self.keys, column), len(self.keys) - 1)
        hit = self.keys[at] == column
        for assigned, has, table in self.tables:
            rows = hit & has[at]
            values[rows, assigned] = table[at[rows]]


@dataclass(frozen=True)
class WordLookup:
    """A run of rules that each test the same few attributes for one value each, such as the
    morphology rules' ``LOWER == "is" and TAG == "VBZ"``: tokens are screened on the most
    varied attribute (few of a document's words are in the table), then looked up whole."""

    columns: tuple[int, ...]
    screen: int
    screened: np.ndarray
    table: dict[tuple[int, ...], tuple[tuple[int, int], ...]]

    @classmethod
    def build(cls, rules: list[Rule]) -> "WordLookup":
        tests = [sorted(rule.patterns[0][0], key=lambda t: t.column) for rule in rules]
        columns = tuple(t.column for t in tests[0])
        merged: dict[tuple[int, ...], dict[int, int]] = {}
        for rule, rule_tests in zip(rules, tests):
            key = tuple(int(t.values[0]) for t in rule_tests)
            merged.setdefault(key, {}).update(rule.assigned)
        screen = max(range(len(columns)), key=lambda i: len({key[i] for key in merged}))
        screened = np.array(sorted({key[screen] for key in merged}), dtype=np.uint64)
        return cls(columns, screen, screened, {k: tuple(v.items()) for k, v in merged.items()})

    def apply(self, columns: np.ndarray, values: np.ndarray, strings: Any, present: dict[int, set[int]]) -> None:
        column = columns[:, self.columns[self.screen]]
        at = np.minimum(np.searchsorted(self.screened, column), len(self.screened) - 1)
        rows = np.flatnonzero(self.screened[at] == column)
        for row, key in zip(rows.tolist(), columns[np.ix_(rows, self.columns)].tolist()):
            for assigned, value in self.table.get(tuple(key), ()):
                values[row, assigned] = value


class AttributeRules:
    """Applies a ruler's rules in its order, so a later rule's value wins, as in the ruler."""

    def __init__(self, vocab: Vocab, steps: list[Rule | Lookup | WordLookup]) -> None:
        self.vocab = vocab
        self.steps = steps
        self.tested = [IDS[name] for name in TESTED]
        self.assigned = [IDS[name] for name in ASSIGNED]
        # Columns whose values present in a document let a rule be skipped without a test.
        self.screened = sorted({t.column for step in steps if isinstance(step, Rule)
                                for pattern in step.patterns for tests in pattern for t in tests if t.required})

    @classmethod
    def compile(cls, ruler: AttributeRuler) -> "AttributeRules":
        """The ruler's patterns as rules; raises UnsupportedRule when one cannot be compiled."""
        vocab = ruler.vocab
        steps: list[Rule | Lookup | WordLookup] = []
        run: list[Rule] = []
        entries = ruler.patterns  # rebuilt from the ruler's matcher on every read
        for entry, attrs, index in zip(entries, ruler.attrs, ruler.indices):
            assigned = []
            for attr, value in attrs.items():
                name = next((n for n in ASSIGNED if IDS[n] == attr), None)
                if name is None:
                    raise UnsupportedRule(f"assigns attribute {attr}")
                assigned.append((ASSIGNED.index(name), int(value)))
            patterns = tuple(tuple(_tests(token, vocab) for token in pattern) for pattern in entry["patterns"])
            rule = Rule(patterns, index, tuple(assigned))
            signature = _signature(rule)
            if signature is not None and run and _signature(run[0]) == signature:
                run.append(rule)
                continue
            steps.extend(_close(run))
            run = [rule] if signature is not None else []
            if not run:
                steps.append(rule)
        steps.extend(_close(run))
        # Morphology the ruler assigns must be known outside any memory zone it is first used in.
        for entry in entries:
            if "MORPH" in entry["attrs"]:
                vocab.morphology.add(entry["attrs"]["MORPH"])
        return cls(vocab, steps)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        columns = doc.to_array(self.tested)
        values = doc.to_array(self.assigned)
        present = {i: set(columns[:, i].tolist()) for i in self.screened}
        for step in self.steps:
            step.apply(columns, values, self.vocab.strings, present)
        doc.from_array(self.assigned, values)
        return doc


def _signature(rule: Rule) -> tuple[int, ...] | None:
    """The attributes a rule tests when it is one token tested for one value of each, setting
    that token (it can then join a look-up of rules like it); None for any other rule."""
    if len(rule.patterns) != 1 or len(rule.patterns[0]) != 1 or rule.index not in (0, -1):
        return None
    tests = rule.patterns[0][0]
    if any(t.regex is not None or t.negated or len(t.values) != 1 for t in tests):
        return None
    columns = tuple(sorted(t.column for t in tests))
    return columns if len(set(columns)) == len(columns) else None


def _close(run: list[Rule]) -> list[Rule | Lookup | WordLookup]:
    """A run of rules of one signature as one look-up, or the rule itself when it stands alone."""
    if len(run) < 2:
        return list(run)
    return [Lookup.build(run) if len(run[0].patterns[0][0]) == 1 else WordLookup.build(run)]


def _possible(rule: Rule, present: dict[int, set[int]]) -> bool:
    """False when every pattern has a test for values that no token of the document has."""
    return any(all(not test.required or not test.required.isdisjoint(present[test.column])
                   for tests in pattern for test in tests) for pattern in rule.patterns)


def _tests(token: dict[str, Any], vocab: Vocab) -> tuple[Test, ...]:
    tests = []
    for key, spec in token.items():
        if key not in TESTED:
            raise UnsupportedRule(f"tests {key}")
        column = TESTED.index(key)
        if isinstance(spec, dict):
            if set(spec) - {"IN", "NOT_IN", "REGEX"}:
                raise UnsupportedRule(f"uses {sorted(spec)} on {key}")
            for op, operand in spec.items():
                if op == "REGEX":
                    if key.startswith("IS_"):
                        raise UnsupportedRule(f"REGEX on {key}")
                    tests.append(Test(column, None, regex=re.compile(operand)))
                else:
                    tests.append(_value_test(column, _hashes(operand, key, vocab), negated=op == "NOT_IN"))
        else:
            tests.append(_value_test(column, _hashes([spec], key, vocab), negated=False))
    return tuple(tests)


def _value_test(column: int, values: np.ndarray, negated: bool) -> Test:
    return Test(column, values, negated, required=frozenset() if negated else frozenset(values.tolist()))


def _hashes(values: list[Any], key: str, vocab: Vocab) -> np.ndarray:
    """The values as Doc.to_array holds them: booleans as 0/1, strings as their hashes."""
    if key.startswith("IS_"):
        return np.array([int(bool(v)) for v in values], dtype=np.uint64)
    if key == "POS":
        return np.array([IDS[v] if isinstance(v, str) else v for v in values], dtype=np.uint64)
    return np.array([vocab.strings[v] if isinstance(v, str) else v for v in values], dtype=np.uint64)


@Language.factory("compiled_attribute_ruler")
def make_compiled_attribute_ruler(nlp: Language, name: str) -> "CompiledAttributeRuler":
    return CompiledAttributeRuler()


class CompiledAttributeRuler:
    """A pipeline slot that runs the compiled rules; filled by :func:`compile_attribute_ruler`."""

    rules: AttributeRules | None = None

    def __call__(self, doc: Doc) -> Doc:
        return self.rules(doc) if self.rules is not None else doc


def compile_attribute_ruler(nlp: Language, name: str = "attribute_ruler") -> bool:
    """Replace the pipeline's attribute ruler by its compiled form; False (ruler kept) when a
    pattern cannot be compiled."""
    if name not in nlp.pipe_names:
        return False
    try:
        rules = AttributeRules.compile(nlp.get_pipe(name))
    except UnsupportedRule:
        return False
    component = nlp.replace_pipe(name, "compiled_attribute_ruler")
    component.rules = rules
    nlp.rename_pipe(name, "compiled_attribute_ruler")
    return True
