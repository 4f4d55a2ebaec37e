"""The service against raw spaCy on the same texts, in one run, with alternating rounds.

    python benchmarks/bench.py            # full run, writes benchmarks/RESULTS.md (make bench)
    python benchmarks/bench.py --quick    # a short run that only checks the harness works

The limit for this design on a machine is what the bare pipeline (the same statistical
components the service loads) does on the same texts with one process per core. Each round
measures, back to back: that limit, the service's batch endpoint, single-document requests
at concurrency 4 and 16, on the event-dense development set, on ordinary background news and
on a 1:9 stream of both; rounds alternate so machine drift falls on both sides. The service is
a real gunicorn (one worker per core) started by this script on loopback. Nothing here fails on
speed: the figures are printed and written down.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from loopback import HOST, free_port  # benchmarks/ is on sys.path when run

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BATCH_DOCUMENTS = 8
LATENCY_BLOCK = 10


def load(name: str) -> list[str]:
    with (EVAL / name).open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def stream(dense: list[str], background: list[str], seed: int = 11) -> list[str]:
    """One event-dense article for every nine ordinary ones, shuffled."""
    rng = random.Random(seed)
    mixed = [*dense[: len(background) // 9], *background[: 9 * (len(background) // 9)]]
    rng.shuffle(mixed)
    return mixed


# --- the limit: the bare pipeline, one long-lived process per core ---------------------------

_raw_nlp: Any = None


def _load_raw() -> None:
    global _raw_nlp
    from service.config import Settings, single_threaded_math

    single_threaded_math()  # as the service's workers run, before spaCy imports numpy
    import spacy

    from service.pipeline import UNUSED_COMPONENTS

    _raw_nlp = spacy.load(Settings.from_env().spacy_model, exclude=list(UNUSED_COMPONENTS))


def _raw_worker(connection: Any) -> None:
    """One core's long-lived process: loads the model once, then runs ``nlp.pipe`` on every
    list of texts it is sent and answers when done."""
    _load_raw()
    connection.send("ready")
    while (texts := connection.recv()) is not None:
        for _ in _raw_nlp.pipe(texts, batch_size=BATCH_DOCUMENTS):
            pass
        connection.send(len(texts))


class RawPipelines:
    """The bare pipeline in one process per core, each always given its own share of the texts
    (a process pool may hand both shares to one process, which halves the limit it measures)."""

    def __init__(self, cores: int) -> None:
        context = mp.get_context("fork")
        self.connections, self.processes = [], []
        for _ in range(cores):
            ours, theirs = context.Pipe()
            process = context.Process(target=_raw_worker, args=(theirs,), daemon=True)
            process.start()
            self.connections.append(ours)
            self.processes.append(process)
        for connection in self.connections:
            connection.recv()

    def words_per_second(self, texts: list[str]) -> float:
        started = time.perf_counter()
        for i, connection in enumerate(self.connections):
            connection.send(texts[i::len(self.connections)])
        for connection in self.connections:
            connection.recv()
        return words(texts) / (time.perf_counter() - started)

    def close(self) -> None:
        for connection, process in zip(self.connections, self.processes):
            connection.send(None)
            process.join(timeout=30)


# --- the service: a real gunicorn on loopback ---------------------------------------------------



class Service:
    """gunicorn with the project's configuration, one worker per core."""

    def __init__(self, cores: int) -> None:
        self.port = free_port()
        env = {**os.environ, "HOST": HOST, "PORT": str(self.port), "WORKERS": str(cores), "LOG_LEVEL": "warning"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "service.app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ready_after = self._wait_ready()

    def _wait_ready(self, limit: float = 120.0) -> float:
        while time.perf_counter() - self.started < limit:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited before it was ready")
            try:
                status, _ = self.request("GET", "/readyz")
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn was not ready in time")

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def extract(self, text: str) -> None:
        status, body = self.request("POST", "/v1/extract", {"text": text})
        if status != 200:
            raise RuntimeError(f"/v1/extract answered {status}: {body[:200]!r}")

    def extract_batch(self, texts: list[str]) -> None:
        documents = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
        status, body = self.request("POST", "/v1/extract/batch", {"documents": documents})
        if status != 200:
            raise RuntimeError(f"/v1/extract/batch answered {status}: {body[:200]!r}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def batches(texts: list[str], limit_chars: int) -> list[list[str]]:
    """Texts in request-sized groups under the batch limits."""
    groups: list[list[str]] = [[]]
    size = 0
    for text in texts:
        if groups[-1] and (len(groups[-1]) == BATCH_DOCUMENTS or size + len(text) > limit_chars):
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += len(text)
    return groups


def service_batch_words_per_second(service: Service, texts: list[str], cores: int, limit_chars: int) -> float:
    groups = batches(texts, limit_chars)
    started = time.perf_counter()
    # Two clients per worker, so a worker never waits for its next batch.
    with ThreadPoolExecutor(max_workers=2 * cores) as pool:
        list(pool.map(service.extract_batch, groups))
    return words(texts) / (time.perf_counter() - started)


def service_single_words_per_second(service: Service, texts: list[str], concurrency: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(service.extract, texts))
    return words(texts) / (time.perf_counter() - started)


def latency_ms(service: Service, text: str, repeats: int) -> tuple[list[float], list[float]]:
    """One document at a time through the service over HTTP and through raw ``nlp(text)`` in
    this process, in alternating blocks of ``LATENCY_BLOCK``: drift on the machine falls on both
    sides, and each side runs back to back as it would in use, rather than each request finding
    the caches full of the other side's model."""
    if _raw_nlp is None:
        _load_raw()
    service.extract(text)
    _raw_nlp(text)
    served: list[float] = []
    raw: list[float] = []
    while len(served) < repeats:
        for _ in range(LATENCY_BLOCK):
            started = time.perf_counter()
            service.extract(text)
            served.append((time.perf_counter() - started) * 1000)
        for _ in range(LATENCY_BLOCK):
            started = time.perf_counter()
            _raw_nlp(text)
            raw.append((time.perf_counter() - started) * 1000)
    return served, raw


def memory_mib(pid: int) -> dict[str, float]:
    """PSS and RSS of a process from /proc (PSS shares the preloaded model fairly)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key.lower()] = int(rest.split()[0]) / 1024
    return values


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the run ------------------------------------------------------------------------------------

def run(rounds: int, latency_repeats: int, quick: bool) -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0))
    dense, background = load("dev.jsonl"), load("background-dev.jsonl")
    if quick:
        dense, background = dense[:8], background[:18]
    sets = {"event-dense": dense, "background": background, "stream 1:9": stream(dense, background)}
    median_article = sorted(dense, key=len)[len(dense) // 2]

    sys.path.insert(0, str(ROOT))
    from service.config import Settings

    limit_chars = Settings.from_env().max_batch_chars
    service = Service(cores)
    figures: dict[str, list[float]] = {}
    try:
        raw = RawPipelines(cores)
        try:
            for texts in sets.values():  # warm both sides up
                raw.words_per_second(texts[:cores])
                service_batch_words_per_second(service, texts[:cores], cores, limit_chars)
            for _ in range(rounds):
                for name, texts in sets.items():
                    figures.setdefault(f"raw {name}", []).append(raw.words_per_second(texts))
                    figures.setdefault(f"batch {name}", []).append(
                        service_batch_words_per_second(service, texts, cores, limit_chars))
                    for concurrency in (4, 16):
                        figures.setdefault(f"single c{concurrency} {name}", []).append(
                            service_single_words_per_second(service, texts, concurrency))
        finally:
            raw.close()
        service_latency, raw_latency = latency_ms(service, median_article, latency_repeats)
        memory = {"master": memory_mib(service.process.pid)}
        memory.update({f"worker {pid}": memory_mib(pid) for pid in service.worker_pids()})
    finally:
        service.stop()
    return {
        "cores": cores,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "rounds": rounds,
        "words": {name: words(texts) for name, texts in sets.items()},
        "documents": {name: len(texts) for name, texts in sets.items()},
        "throughput": {k: statistics.median(v) for k, v in figures.items()},
        "latency": {
            "article_words": len(median_article.split()),
            "service": {p: percentile(service_latency, p) for p in (50, 90, 99)},
            "raw": {p: percentile(raw_latency, p) for p in (50, 90, 99)},
        },
        "memory": memory,
        "ready_seconds": service.ready_after,
    }


def report(result: dict[str, Any]) -> str:
    t = result["throughput"]
    lines = [
        f"Machine: {result['cores']} cores ({result['machine']}); {result['rounds']} alternating rounds, medians.",
        "",
        "| texts | documents | words | raw nlp.pipe w/s | batch endpoint w/s | single c4 w/s | single c16 w/s | batch / raw |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in result["words"]:
        raw, batch = t[f"raw {name}"], t[f"batch {name}"]
        lines.append(f"| {name} | {result['documents'][name]} | {result['words'][name]} | {raw:,.0f} | {batch:,.0f} | "
                     f"{t[f'single c4 {name}']:,.0f} | {t[f'single c16 {name}']:,.0f} | {batch / raw:.2f} |")
    lat = result["latency"]
    s, r = lat["service"], lat["raw"]
    lines += [
        "",
        f"Latency, median-length article ({lat['article_words']} words), concurrency 1, milliseconds:",
        "",
        "| | p50 | p90 | p99 |",
        "|---|---|---|---|",
        f"| service (HTTP, /v1/extract) | {s[50]:.1f} | {s[90]:.1f} | {s[99]:.1f} |",
        f"| raw nlp() | {r[50]:.1f} | {r[90]:.1f} | {r[99]:.1f} |",
        "",
        "| memory after warm-up | PSS MiB | RSS MiB |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {m['pss']:.0f} | {m['rss']:.0f} |" for name, m in result["memory"].items()]
    lines += [
        "",
        f"Start to ready (model loaded, warm-up document processed): {result['ready_seconds']:.1f} s",
        "",
        "Ratios against the targets of issue 5:",
        "",
        f"- batch endpoint / raw nlp.pipe, event-dense texts: **{t['batch event-dense'] / t['raw event-dense']:.2f}** (target >= 0.90)",
        f"- single-document p50 minus raw nlp() p50: **{s[50] - r[50]:+.1f} ms** (target <= +3 ms)",
        f"- batch endpoint / raw nlp.pipe, 1:9 stream: **{t['batch stream 1:9'] / t['raw stream 1:9']:.2f}x** (target >= 3x)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run that checks the harness (CI)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-repeats", type=int, default=200)
    parser.add_argument("--write", type=Path, default=None, help=f"write the tables here (full runs: {RESULTS})")
    args = parser.parse_args()
    rounds, repeats = (1, 20) if args.quick else (args.rounds, args.latency_repeats)
    result = run(rounds, repeats, args.quick)
    text = report(result)
    print(text)
    target = args.write or (None if args.quick else RESULTS)
    if target is not None:
        header = "# Benchmark results\n\nWritten by `make bench` (`benchmarks/bench.py`). See the notes below the tables.\n\n"
        notes_marker = "\n## Notes\n"
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        notes = old[old.index(notes_marker):] if notes_marker in old else ""
        target.write_text(header + text + "\n" + notes, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
