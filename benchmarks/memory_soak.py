"""Memory soak: does a worker's memory stay flat while it reads a long stream of new words?

Starts the real server (gunicorn.conf.py, two workers, by default ``MAX_REQUESTS=0`` so the
same two processes are measured throughout) on a free 127.0.0.1 port and sends it at least 50,000
requests. Every text is built from sentences of eval/dev.jsonl and eval/background-dev.jsonl
with their capitalised words replaced by names made up for that request (``Vorkanix``,
``Ultrabeno Systems``), so nearly every request brings words the model has never seen: without
``nlp.memory_zone()`` each would stay in the vocabulary for good. One request in ten is a
batch of 2 to 5 such documents.

It prints each worker's resident memory (RSS, and its private part) after a warm-up, at every
tenth of the run, and at the end, with the growth over the warm RSS; the target is a peak under
5 % above it. ``--max-requests N`` runs with gunicorn's worker replacement on instead, to show
the backstop bounding what the soak without it finds.
Only 127.0.0.1 is contacted; the run stops after ``--requests`` or ``--max-minutes``, whichever
comes first. Exit status 1 if a worker grew by 5 % or more, or any request failed.

Usage: ``.venv/bin/python benchmarks/memory_soak.py [--requests 50000] [--warm-up 2000] [--max-requests 0]``
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from loopback import HOST, free_port, ready  # noqa: E402  (benchmarks/ is on sys.path when run)
TARGET_GROWTH = 0.05
SYLLABLES = ("ka", "ven", "dro", "lix", "mar", "tho", "qui", "zen", "bar", "ulo", "pex", "ris", "nor", "vak", "ef",
             "sul", "gri", "tam", "oze", "yun", "hal", "bri", "cor", "dax")
SUFFIXES = ("", "", "", " Technologies", " Systems", " Semiconductor", " Holdings", " Group", " Labs")
CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sentences() -> list[str]:
    """Sentences of both eval sets, 40 to 400 characters long."""
    found = []
    for name in ("dev.jsonl", "background-dev.jsonl"):
        with (ROOT / "eval" / name).open(encoding="utf-8") as fh:
            for line in fh:
                for sentence in SENTENCE_END.split(json.loads(line)["text"]):
                    if 40 <= len(sentence) <= 400:
                        found.append(sentence.strip())
    return found


class NovelText:
    """Texts whose names are new: a counter spelled in syllables makes every name unique."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.sentences = sentences()
        self.counter = 0
        self.lock = threading.Lock()

    def name(self) -> str:
        with self.lock:
            self.counter += 1
            n = self.counter
        word = ""
        while n:
            n, digit = divmod(n, len(SYLLABLES))
            word += SYLLABLES[digit]
        word = (self.random.choice(SYLLABLES) + word).capitalize()
        return word + self.random.choice(SUFFIXES)

    def document(self) -> str:
        picked = self.random.sample(self.sentences, self.random.randint(1, 3))
        return " ".join(CAPITALISED.sub(lambda _: self.name(), sentence) for sentence in picked)

    def request(self) -> tuple[str, dict]:
        """A path and a body: one document, or one time in ten a batch of 2 to 5."""
        if self.random.random() < 0.1:
            documents = [{"id": f"d{i}", "text": self.document()} for i in range(self.random.randint(2, 5))]
            return "/v1/extract/batch", {"documents": documents}
        return "/v1/extract", {"text": self.document(), "document_date": "2025-06-12"}




def workers(master: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return sorted(children)


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident set size and its private part (not shared with the master or the other worker), in KiB."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    rollup = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    private = sum(int(rollup[key].split()[0]) for key in ("Private_Clean", "Private_Dirty"))
    return rss, private


def post(port: int, path: str, body: dict) -> int:
    """The response's status, or 0 when the connection failed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def send(port: int, texts: NovelText, count: int, clients: int, deadline: float, statuses: Counter) -> int:
    """Send ``count`` requests from ``clients`` threads; the number sent before the deadline
    (a thread stops at the first failed connection: the server is gone)."""
    sent = Counter()
    lock = threading.Lock()

    def client(share: int) -> None:
        for _ in range(share):
            if time.monotonic() > deadline or statuses[0]:
                return
            path, body = texts.request()
            status = post(port, path, body)
            with lock:
                statuses[status] += 1
                sent["n"] += 1

    shares = [count // clients + (i < count % clients) for i in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent["n"]




def report(label: str, master: int, warm: float | None) -> dict[int, tuple[int, int]]:
    """Print every current worker's memory (growth against ``warm``, the warm RSS) and return it."""
    now = {pid: memory_kib(pid) for pid in workers(master)}
    cells = []
    for pid, (rss, private) in now.items():
        growth = f" ({(rss / warm - 1) * 100:+5.2f} %)" if warm else ""
        cells.append(f"pid {pid}: RSS {rss / 1024:6.1f} MiB{growth}, private {private / 1024:5.1f} MiB")
    print(f"{label:>22} | " + " | ".join(cells), flush=True)
    return now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000, help="requests after the warm-up (default 50000)")
    parser.add_argument("--warm-up", type=int, default=2_000, help="requests before the baseline is taken")
    parser.add_argument("--clients", type=int, default=3, help="concurrent client threads")
    parser.add_argument("--max-requests", type=int, default=0,
                        help="the server's MAX_REQUESTS (jitter a tenth of it); 0, the default, keeps the same workers")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="stop sending after this long")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "HOST": HOST, "PORT": str(port), "WORKERS": "2", "LOG_LEVEL": "warning",
           "MAX_REQUESTS": str(args.max_requests), "MAX_REQUESTS_JITTER": str(args.max_requests // 10)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                               "service.app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + args.max_minutes * 60
    statuses: Counter = Counter()
    try:
        if not ready(server, port):
            print("the server did not become ready; its log is above", file=sys.stderr)
            return 2
        texts = NovelText(args.seed)
        pids = workers(server.pid)
        print(f"gunicorn {server.pid} on {HOST}:{port}, workers {pids}, MAX_REQUESTS={args.max_requests}; "
              f"{len(texts.sentences)} sentences", flush=True)
        report("after start-up", server.pid, None)
        started = time.monotonic()
        send(port, texts, args.warm_up, args.clients, deadline, statuses)
        baseline = report(f"after {args.warm_up} warm-up", server.pid, None)
        warm = max(rss for rss, _ in baseline.values())
        step = max(1, args.requests // 10)
        total, final, peak = 0, baseline, warm
        while total < args.requests and time.monotonic() < deadline and not statuses[0]:
            total += send(port, texts, min(step, args.requests - total), args.clients, deadline, statuses)
            final = report(f"after {total}", server.pid, warm)
            peak = max(peak, *(rss for rss, _ in final.values()))
        elapsed = time.monotonic() - started
        print(f"\n{total} requests after the warm-up ({sum(statuses.values())} in all) in {elapsed:.0f} s, "
              f"{sum(statuses.values()) / elapsed:.0f} requests/s; statuses {dict(statuses)}; "
              f"{texts.counter} new names", flush=True)
        for pid, (rss, private) in final.items():
            print(f"worker {pid}: RSS {rss / 1024:.1f} MiB ({(rss / warm - 1) * 100:+.2f} % on the warm "
                  f"{warm / 1024:.1f} MiB), private {private / 1024:.1f} MiB")
        print(f"highest RSS of any worker at any sample: {peak / 1024:.1f} MiB ({(peak / warm - 1) * 100:+.2f} %)")
        same = list(final) == pids or args.max_requests > 0
        ok = same and set(statuses) == {200} and total >= args.requests and peak / warm - 1 < TARGET_GROWTH
        print("target (peak < 5 % over the warm RSS, no failed request):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
