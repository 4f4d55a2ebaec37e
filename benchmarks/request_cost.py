"""What a request costs the engine, by size: the measurement behind the request limits.

Runs the engine in this process on real news text from eval/ (dev and background sets, joined
and cut to length) and prints CPU seconds (``time.process_time``), which do not depend on what
else the machine runs, next to wall seconds. Each size is measured ``--repeat`` times and the
least CPU time is kept. Then the shapes a request at the configured limits can take:

* one text of ``MAX_TEXT_CHARS`` (``POST /v1/extract`` at its limit);
* ``MAX_BATCH_CHARS // MAX_TEXT_CHARS`` texts of ``MAX_TEXT_CHARS`` (the worst batch, since the
  cost of a text grows faster than its length);
* ``MAX_BATCH_DOCUMENTS`` texts sharing ``MAX_BATCH_CHARS`` (the most documents).

Usage: ``.venv/bin/python benchmarks/request_cost.py [--sizes 5000 10000 ...] [--repeat 2]``
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.config import Settings  # noqa: E402
from service.engine import Engine  # noqa: E402


def news_stream() -> str:
    """Every text of the dev and background sets, one after another."""
    texts = []
    for name in ("dev.jsonl", "background-dev.jsonl"):
        with (ROOT / "eval" / name).open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return "\n\n".join(texts)


def pieces(stream: str, count: int, size: int) -> list[str]:
    """``count`` texts of ``size`` characters from spread-out places in the stream (wrapping round)."""
    doubled = stream * (size // len(stream) + 2)
    return [doubled[(i * 7919 * size) % len(stream):][:size] for i in range(count)]


def measure(engine: Engine, texts: list[str], repeat: int) -> tuple[float, float]:
    """Least CPU seconds and the wall seconds of that run, over ``repeat`` runs."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        engine.extract(texts)
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 5_000, 10_000, 20_000, 30_000, 50_000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = Engine(settings)
    engine.extract(["Warm-up: Nvidia unveiled its Blackwell chip on Monday."])
    stream = news_stream()
    print(f"{'request':<44} {'chars':>8} {'cpu s':>7} {'wall s':>7} {'chars/cpu s':>11}")

    def report(label: str, texts: list[str]) -> None:
        cpu, wall = measure(engine, texts, args.repeat)
        chars = sum(map(len, texts))
        print(f"{label:<44} {chars:>8} {cpu:>7.2f} {wall:>7.2f} {chars / cpu:>11.0f}", flush=True)

    for size in args.sizes:
        report(f"one text of {size}", pieces(stream, 1, size))
    m, c, d = settings.max_text_chars, settings.max_batch_chars, settings.max_batch_documents
    report(f"at limit: one text of {m}", pieces(stream, 1, m))
    report(f"at limit: batch of {c // m} x {m}", pieces(stream, c // m, m))
    report(f"at limit: batch of {d} x {c // d}", pieces(stream, d, c // d))


if __name__ == "__main__":
    main()
