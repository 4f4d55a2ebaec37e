"""Where one request's time goes: each step of the engine against the bare pipeline's steps.

Runs, in this process, the median-length article of eval/dev.jsonl (the one ``make bench``
times over HTTP) through every step of ``Engine.extract`` one at a time (tokenizer,
pre-filter, each pipeline component, event assembly; inside a memory zone, as a request) and
through the same model loaded bare (``spacy.load`` without the excluded components, no memory
zone, the same article again and again: ``make bench``'s raw ``nlp()``), and prints the
median CPU milliseconds (``time.process_time``, which other work on the machine does not
inflate) of each step. The last lines are the totals and the difference the latency target of
issue 5 is about: what the service's engine adds to the bare pipeline, before HTTP.

Usage: ``.venv/bin/python benchmarks/request_path.py [--repeats 100]``
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

from service.config import Settings  # noqa: E402
from service.engine import Engine  # noqa: E402
from service.pipeline import UNUSED_COMPONENTS  # noqa: E402


def median_article() -> str:
    with (ROOT / "eval" / "dev.jsonl").open(encoding="utf-8") as fh:
        texts = sorted((json.loads(line)["text"] for line in fh if line.strip()), key=len)
    return texts[len(texts) // 2]


def steps_of(nlp: Language, text: str, before: list[tuple[str, Callable[[Doc], object]]],
             after: list[tuple[str, Callable[[Doc], object]]], zone: bool) -> dict[str, float]:
    """CPU milliseconds of each step for one pass; the service's in a memory zone, as a request
    runs, the bare pipeline's without one, as ``nlp(text)`` in ``make bench`` runs."""
    times: dict[str, float] = {}
    with nlp.memory_zone() if zone else contextlib.nullcontext():
        started = time.process_time()
        doc = nlp.make_doc(text)
        times["tokenizer"] = time.process_time() - started
        for name, step in [*before, *nlp.pipeline, *after]:
            started = time.process_time()
            step(doc)
            times[name] = time.process_time() - started
    return {name: seconds * 1000 for name, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = Engine(settings)
    bare = spacy.load(settings.spacy_model, exclude=list(UNUSED_COMPONENTS))
    text = median_article()
    types = set(engine.event_types)
    service_steps = ([("pre-filter", lambda doc: engine.prefilter.could_hold_events(doc, types))],
                     [("events", lambda doc: engine._events(doc, text, None, types))])
    runs: dict[str, dict[str, list[float]]] = {"service": {}, "bare": {}}
    for _ in range(args.repeats + 3):  # the first three warm up
        for side, nlp, (before, after) in (("service", engine.nlp, service_steps), ("bare", bare, ([], []))):
            for name, ms in steps_of(nlp, text, before, after, zone=side == "service").items():
                runs[side].setdefault(name, []).append(ms)
    medians = {side: {name: statistics.median(ms[3:]) for name, ms in steps.items()} for side, steps in runs.items()}
    print(f"Median-length article of eval/dev.jsonl ({len(text.split())} words), median CPU ms of "
          f"{args.repeats} passes:\n")
    print(f"{'step':<28} {'service':>8} {'bare':>8}")
    for name in dict.fromkeys([*medians["service"], *medians["bare"]]):
        service, bare_ms = medians["service"].get(name), medians["bare"].get(name)
        print(f"{name:<28} {'' if service is None else f'{service:.2f}':>8} {'' if bare_ms is None else f'{bare_ms:.2f}':>8}")
    total_service, total_bare = sum(medians["service"].values()), sum(medians["bare"].values())
    print(f"{'total':<28} {total_service:>8.2f} {total_bare:>8.2f}")
    print(f"\nengine minus bare pipeline: {total_service - total_bare:+.2f} ms")


if __name__ == "__main__":
    main()
