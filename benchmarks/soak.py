"""Load, soak and faults: does the real server keep answering under load, slow clients and killed processes?

Starts the server as it runs in production (gunicorn.conf.py: gevent workers, the model preloaded
in the master; two workers, ``MAX_REQUESTS=0`` so the same two processes are measured throughout)
on a free 127.0.0.1 port, and drives it from client processes of its own (``multiprocessing``,
spawned; the standard library's ``http.client``, one request per connection as the server
wants). The requests are texts of eval/background-dev.jsonl (four in five: ordinary news) and
eval/dev.jsonl (event-dense), one in ten a batch of 2 to 8 of them. Four phases, each bounded in
time and printed as a Markdown table:

1. **Load:** 1, 4, 16 and 64 concurrent clients (``--levels``), ``--duration`` seconds each:
   requests, throughput (requests and words a second), latency percentiles, errors (any status
   but 200, or any connection error) and each worker's RSS sampled every second, after a warm-up
   at the highest level (``--warm-up`` seconds). A worker's malloc heap rises under load to a
   high-water mark within the first minutes (measured: about 30 MiB over the freshly forked
   worker with one client at a time, about 10 MiB more with 16 or more) and moves up and down
   by some MiB below it as the heap is trimmed; the question is whether it keeps growing, so
   each worker's highest RSS in the last third of phases 1 and 2 is compared with its highest
   in the first third, and the highest of each minute is printed.
2. **Slow headers:** 64 connections that send a request line and one header, then nothing (each
   one the server closes after ``HEADER_TIMEOUT`` is opened again), while 4 normal clients go on.
3. **kill -9 one worker** under load from 4 plain clients and 4 retrying ones (a connection
   refused or cut off before a whole response is tried again, up to 5 times with a backoff
   from 50 ms: ``POST /v1/extract`` has no side effect); three times (``--kills``), each time
   the worker holding more accepted connections. The master must fork a replacement each time.
4. **SIGTERM to the master** under load from 8 plain clients. gunicorn closes its listening
   socket at once (the workers theirs within a second), so later connections are refused and
   those still in the kernel's accept queue are reset: neither was accepted by a worker. A
   thread reads /proc/net/tcp every few milliseconds, where a connection a worker has accepted
   has an inode (a queued one has none), and notes when the listening socket went away. A
   request that did not get its 200 counts as *lost* unless it was refused at connect, or was
   reset within 250 ms of the listener closing and never seen accepted.

Targets (exit status 1 if any is missed): no error in phases 1 and 2; each worker's RSS in the
last third within 5 % of the first third's, each third read as the median of its per-minute peaks,
so that one transient peak does not count as growth (not judged with ``--quick``: a minute is
too short to settle); the same two workers throughout phases 1 and 2; after each kill, a new worker
and two in all; no request lost by the retrying client, and the plain client's failures all
in flight at a kill; after SIGTERM, no request lost, exit status 0; no traceback in the log.

Why: the robustness issue (load, soak and faults); docs/reliability.md holds a full run's figures
and says what the fast tests (tests/service/test_faults.py and others) check on every run.

Usage: ``.venv/bin/python benchmarks/soak.py [--quick] [--warm-up 60] [--duration 120] [--fault-duration 60]
[--levels 1,4,16,64]`` (``make soak``: about 12 minutes; ``--quick``: about 1). Only 127.0.0.1 is
contacted. Exit status 2 if the server did not start.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import random
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
from loopback import HOST, free_port, ready  # noqa: E402  (benchmarks/ is on sys.path when run)
from memory_soak import TARGET_GROWTH, memory_kib, workers  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")
# Variables of the caller's shell that would change what is measured; the rest passes through.
CONTROLLED = ("API_KEYS", "PROMETHEUS_MULTIPROC_DIR", "EVENT_EXTRACTION_METRICS_MASTER", "WORKERS", "WORKER_CLASS",
              "HOST", "PORT", "LOG_LEVEL", "MAX_REQUESTS", "MAX_REQUESTS_JITTER")
MAX_CLIENT_PROCESSES = 4
BACKGROUND_SHARE = 0.8
BATCH_SHARE = 0.1
BATCH_SIZES = (2, 8)
REQUEST_TIMEOUT_S = 120.0
RETRIES = 5
BACKOFF_S = 0.05
RETRYABLE = ("refused", "reset")
REFUSED_PAUSE_S = 0.02
SLOW_CONNECTIONS = 64
SLOW_HEADER = b"POST /v1/extract HTTP/1.1\r\nHost: 127.0.0.1\r\n"
RSS_INTERVAL_S = 1.0
RESET_MATCH_S = 0.25
SHUTDOWN_WAIT_S = 90.0


class Result(NamedTuple):
    """One request as its client saw it. Times are ``time.monotonic()``, one clock for every process on Linux."""

    started: float
    ended: float
    status: int  # the HTTP status; 0 when no response came
    outcome: str  # "ok", "http" (another status), "refused", "reset", "timeout" or "error"
    words: int
    attempts: int
    local_port: int  # the client's port on the last attempt; 0 if it never connected
    request_id: str

    @property
    def latency(self) -> float:
        """Seconds from the first try to the end of the last."""
        return self.ended - self.started


# --- the client processes ------------------------------------------------------------------------

def load_rows(name: str) -> list[dict]:
    """The rows of one of eval/'s JSON Lines files."""
    with (ROOT / "eval" / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class Requests:
    """Request bodies from the eval sets: mostly background news, one in ten a batch."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.background = load_rows("background-dev.jsonl")
        self.dense = load_rows("dev.jsonl")

    def row(self) -> dict:
        return self.random.choice(self.background if self.random.random() < BACKGROUND_SHARE else self.dense)

    def next(self) -> tuple[str, bytes, int]:
        """A path, a JSON body and the number of words in its texts."""
        if self.random.random() < BATCH_SHARE:
            rows = [self.row() for _ in range(self.random.randint(*BATCH_SIZES))]
            documents = [{"id": f"d{i}", "text": row["text"], "document_date": row["document_date"]}
                         for i, row in enumerate(rows)]
            path, body = "/v1/extract/batch", {"documents": documents}
        else:
            rows = [self.row()]
            path, body = "/v1/extract", {"text": rows[0]["text"], "document_date": rows[0]["document_date"]}
        return path, json.dumps(body).encode("utf-8"), sum(len(row["text"].split()) for row in rows)


def attempt(port: int, path: str, body: bytes, request_id: str) -> tuple[int, str, int]:
    """One try on a new connection: the status (0 if none), the outcome and the client's port."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    local_port = 0
    try:
        connection.connect()
        local_port = connection.sock.getsockname()[1]
        connection.request("POST", path, body, {"Content-Type": "application/json", "X-Request-ID": request_id})
        response = connection.getresponse()
        response.read()
        return response.status, "ok" if response.status == 200 else "http", local_port
    except ConnectionRefusedError:
        return 0, "refused", local_port
    except (ConnectionError, http.client.HTTPException):
        return 0, "reset", local_port  # reset, or closed before a whole response
    except TimeoutError:
        return 0, "timeout", local_port
    except OSError:
        return 0, "error", local_port
    finally:
        connection.close()


def client_loop(port: int, deadline: float, stop: Event, retry: bool, seed: int, out: list[Result]) -> None:
    """One client: a request at a time until the deadline or ``stop``; a retrying one tries a request
    refused or cut off again after a backoff."""
    requests = Requests(seed)
    while time.monotonic() < deadline and not stop.is_set():
        path, body, words = requests.next()
        request_id = uuid.uuid4().hex
        started, attempts = time.monotonic(), 0
        while True:
            attempts += 1
            status, outcome, local_port = attempt(port, path, body, request_id)
            if not (retry and outcome in RETRYABLE and attempts <= RETRIES):
                break
            time.sleep(BACKOFF_S * 2 ** (attempts - 1))
        out.append(Result(started, time.monotonic(), status, outcome, words, attempts, local_port, request_id))
        if outcome == "refused":
            time.sleep(REFUSED_PAUSE_S)


def client_process(port: int, threads: int, retry: bool, seed: int, deadline: float, stop: Event,
                   results: multiprocessing.Queue) -> None:
    """A client process: ``threads`` clients; puts what they saw on ``results`` as plain tuples."""
    out: list[Result] = []
    pool = [threading.Thread(target=client_loop, args=(port, deadline, stop, retry, seed * 1000 + i, out))
            for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put([tuple(result) for result in out])


def slow_process(port: int, count: int, deadline: float, results: multiprocessing.Queue) -> None:
    """Hold ``count`` connections that sent a request line and one header, opening a new one for each
    the server closes; puts (connections opened, closed by the server, answered with data) on ``results``."""
    selector = selectors.DefaultSelector()

    def open_one() -> None:
        connection = socket.create_connection((HOST, port), timeout=5)
        connection.sendall(SLOW_HEADER)
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)

    for _ in range(count):
        open_one()
    opened, closed, answered = count, 0, 0
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            connection = key.fileobj
            try:
                answered += bool(connection.recv(4096))
            except OSError:
                pass
            selector.unregister(connection)
            connection.close()
            closed += 1
            open_one()
            opened += 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    results.put((opened, closed, answered))


class Clients:
    """Client processes started together, ``count`` clients shared out among at most four processes."""

    def __init__(self, port: int, count: int, *, retry: bool, deadline: float, seed: int) -> None:
        self.results: multiprocessing.Queue = SPAWN.Queue()
        self.stop = SPAWN.Event()
        processes = min(count, MAX_CLIENT_PROCESSES)
        shares = [count // processes + (i < count % processes) for i in range(processes)]
        self.processes = [SPAWN.Process(target=client_process, daemon=True,
                                        args=(port, share, retry, seed * 100 + i, deadline, self.stop, self.results))
                          for i, share in enumerate(shares)]
        self.deadline = deadline
        for process in self.processes:
            process.start()

    def collect(self) -> list[Result]:
        """Wait for every process and return what all its clients saw."""
        results: list[Result] = []
        for _ in self.processes:
            wait = max(0.0, self.deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 30
            results.extend(Result(*row) for row in self.results.get(timeout=wait))
        for process in self.processes:
            process.join(timeout=30)
        return results

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)


def run_clients(port: int, count: int, seconds: float, seed: int) -> list[Result]:
    """``count`` plain clients for ``seconds``."""
    with Clients(port, count, retry=False, deadline=time.monotonic() + seconds, seed=seed) as clients:
        return clients.collect()


# --- the server and what is watched on it ----------------------------------------------------------

@dataclass
class Server:
    """A gunicorn in its own process group, its output in files."""

    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    @classmethod
    def start(cls, directory: Path) -> Server:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if key not in CONTROLLED}
        env.update({"HOST": HOST, "PORT": str(port), "WORKERS": "2", "MAX_REQUESTS": "0", "LOG_LEVEL": "info"})
        stdout, stderr = directory / "stdout.log", directory / "stderr.log"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                                        "service.app:create_app()"], cwd=ROOT, env=env, stdout=out, stderr=err,
                                       start_new_session=True)
        return cls(process, port, stdout, stderr)

    def workers(self) -> list[int]:
        return workers(self.process.pid)

    def answered(self) -> list[dict]:
        """The request lines the workers logged so far."""
        lines = self.stdout.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self) -> None:
        """SIGTERM and wait, then SIGKILL whatever is left of the process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_WAIT_S)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


class RssSampler(threading.Thread):
    """Every worker's RSS (KiB) every second: (time, {pid: RSS})."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            sample = {}
            for pid in self.server.workers():
                try:
                    sample[pid] = memory_kib(pid)[0]
                except (OSError, StopIteration, KeyError, ValueError):
                    pass  # the worker is exiting
            self.samples.append((time.monotonic(), sample))
            self.halt.wait(RSS_INTERVAL_S)

    def series(self, start: float, end: float) -> dict[int, list[int]]:
        """Each worker's RSS samples taken between ``start`` and ``end``, oldest first."""
        found: dict[int, list[int]] = {}
        for at, sample in self.samples:
            if start <= at <= end:
                for pid, rss in sample.items():
                    found.setdefault(pid, []).append(rss)
        return found


def server_sockets(port: int) -> list[tuple[str, int, str]]:
    """The sockets on the server's side of ``port`` in /proc/net/tcp: (state, client port, inode). The
    listening socket's state is "0A"; a connection's is "01" (established), with inode "0" until accepted."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            found.append((fields[3], int(fields[2].split(":")[1], 16), fields[9]))
    return found


def held_connections(pid: int, port: int) -> int:
    """Connections to ``port`` that process ``pid`` has accepted and not yet closed."""
    accepted = {f"socket:[{inode}]" for state, _, inode in server_sockets(port) if state == "01" and inode != "0"}
    held = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            held += os.readlink(descriptor) in accepted
        except OSError:
            pass  # closed meanwhile
    return held


class AcceptWatcher(threading.Thread):
    """Reads /proc/net/tcp in a loop: which client ports a worker has accepted (the server's end of the
    connection has an inode; one still in the accept queue has none), and when the listening socket went away."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.accepted: dict[int, list[float]] = {}  # client port: [first seen, last seen]
        self.closed_at: float | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            now, listening = time.monotonic(), False
            for state, client_port, inode in server_sockets(self.port):
                if state == "0A":
                    listening = True
                elif state == "01" and inode != "0":
                    self.accepted.setdefault(client_port, [now, now])[1] = now
            if not listening and self.closed_at is None:
                self.closed_at = now
            time.sleep(0.002)

    def was_accepted(self, result: Result) -> bool:
        seen = self.accepted.get(result.local_port)
        return seen is not None and seen[0] <= result.ended and seen[1] >= result.started


# --- figures ---------------------------------------------------------------------------------------

def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def latencies(results: Sequence[Result]) -> str:
    """p50, p90, p99 and max in milliseconds, as table cells."""
    values = [result.latency for result in results]
    return " | ".join(f"{percentile(values, share) * 1000:.0f}" for share in (0.5, 0.9, 0.99, 1.0))


def mib(kib: int) -> str:
    """KiB as MiB, one decimal."""
    return f"{kib / 1024:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table and a blank line."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print(flush=True)


@dataclass
class Checks:
    """Each target, whether it was met, and the figure behind it."""

    rows: list[tuple[str, str, bool | None]] = field(default_factory=list)

    def add(self, target: str, figure: object, met: bool | None) -> None:
        """``met`` None: printed, not judged."""
        self.rows.append((target, str(figure), met))

    def report(self) -> bool:
        verdicts = {True: "yes", False: "**NO**", None: "not judged (--quick: too short to settle)"}
        table(("target", "figure", "met"), [(target, figure, verdicts[met]) for target, figure, met in self.rows])
        return all(met is not False for _, _, met in self.rows)


def memory_over_time(sampler: RssSampler, marks: list[tuple[float, str]], end: float, judged: bool,
                     checks: Checks) -> None:
    """Each worker's highest RSS in each minute since the warm-up began; judges the last third
    against the first (after the warm-up), each as the median of its per-minute peaks: a leak
    raises every minute's peak, a transient peak (a few large requests at once) only one."""
    start, pids = marks[0][0], sorted(sampler.series(marks[0][0], end))
    print("### RSS over time (each worker's highest sample in each minute), MiB\n")
    rows = []
    for minute, peaks in enumerate(minute_peaks(sampler, start, end)):
        phase = [label for at, label in marks if at <= start + 60 * minute][-1]
        rows.append((minute + 1, phase, *(mib(peaks[pid]) if pid in peaks else "" for pid in pids)))
    table(("minute", "phase at its start", *(f"worker {pid}" for pid in pids)), rows)
    measured = marks[1][0]
    series = sampler.series(measured, end)
    print("RSS from the first sample after the warm-up to the last of phase 2, MiB: "
          + " / ".join(f"{mib(series[pid][0])} → {mib(series[pid][-1])}" for pid in pids) + "\n", flush=True)
    third = (end - measured) / 3
    first, last = minute_peaks(sampler, measured, measured + third), minute_peaks(sampler, end - third, end)
    level = {pid: tuple(statistics.median(m[pid] for m in third_peaks if pid in m) for third_peaks in (first, last))
             for pid in pids}
    growth = max(after / before - 1 for before, after in level.values())
    checks.add("RSS flat: each worker's median per-minute peak in the last third of phases 1-2 within 5 % "
               "of the first third's",
               " / ".join(f"{mib(before)} → {mib(after)} MiB" for before, after in level.values())
               + f" ({growth * 100:+.2f} %)", growth < TARGET_GROWTH if judged else None)


def minute_peaks(sampler: RssSampler, start: float, end: float) -> list[dict[int, int]]:
    """For each minute of [start, end) (the last one possibly shorter), each worker's highest RSS sample."""
    return [{pid: max(values) for pid, values in
             sampler.series(start + 60 * minute, min(end, start + 60 * (minute + 1))).items() if values}
            for minute in range(math.ceil((end - start) / 60))]


# --- the phases ----------------------------------------------------------------------------------

def load_phase(server: Server, sampler: RssSampler, levels: Sequence[int], seconds: float, checks: Checks,
               marks: list[tuple[float, str]]) -> None:
    print(f"### 1. Load: {seconds:g} s at each concurrency\n")
    rows = []
    for level in levels:
        started = time.monotonic()
        marks.append((started, f"load, {level} clients"))
        results = run_clients(server.port, level, seconds, seed=level)
        ok = [result for result in results if result.status == 200]
        elapsed = max(result.ended for result in results) - min(result.started for result in results)
        rss = sampler.series(started, time.monotonic())
        memory = " / ".join(f"{mib(values[0])} → {mib(values[-1])} (max {mib(max(values))})"
                            for values in rss.values())
        rows.append((level, len(results), f"{len(results) / elapsed:.1f}", f"{sum(r.words for r in ok) / elapsed:,.0f}",
                     latencies(results), len(results) - len(ok), memory))
        checks.add(f"load at concurrency {level}: no error", f"{len(results) - len(ok)} of {len(results)}",
                   len(ok) == len(results) > 0)
    table(("clients", "requests", "req/s", "words/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors",
           "RSS per worker, MiB: first → last (max)"), rows)


def slow_phase(server: Server, seconds: float, checks: Checks, marks: list[tuple[float, str]]) -> None:
    print(f"### 2. {SLOW_CONNECTIONS} slow-header connections held for {seconds:g} s, 4 normal clients\n")
    marks.append((time.monotonic(), "slow headers"))
    results: multiprocessing.Queue = SPAWN.Queue()
    slow = SPAWN.Process(target=slow_process, daemon=True,
                         args=(server.port, SLOW_CONNECTIONS, time.monotonic() + seconds, results))
    slow.start()
    try:
        time.sleep(1.0)
        normal = run_clients(server.port, 4, seconds - 2.0, seed=7)
        opened, closed, answered = results.get(timeout=seconds + 30)
        slow.join(timeout=10)
    finally:
        if slow.is_alive():
            slow.terminate()
    ok = [result for result in normal if result.status == 200]
    table(("slow held", "slow opened", "closed by the server", "answered with data", "normal requests", "errors",
           "p50 ms", "p90 ms", "p99 ms", "max ms"),
          [(SLOW_CONNECTIONS, opened, closed, answered, len(normal), len(normal) - len(ok), latencies(normal))])
    checks.add("slow headers: every normal request answered", f"{len(ok)} of {len(normal)}",
               len(ok) == len(normal) > 0)


class Kill(NamedTuple):
    """One worker killed, and its replacement."""

    victim: int
    held: int  # accepted connections the victim held just before the kill
    at: float  # time.monotonic()
    at_wall: float  # time.time(), to compare with the log
    replacement: int | None
    replaced_after: float | None


def kill_worker(server: Server) -> Kill:
    """kill -9 the worker holding more accepted connections; wait up to 30 s for the master to replace it."""
    before = server.workers()
    held = {pid: held_connections(pid, server.port) for pid in before}
    victim = max(before, key=held.__getitem__)
    os.kill(victim, signal.SIGKILL)
    killed_at, killed_wall = time.monotonic(), time.time()
    while time.monotonic() < killed_at + 30:
        now = server.workers()
        if victim not in now and len(now) == 2:
            return Kill(victim, held[victim], killed_at, killed_wall, (set(now) - set(before)).pop(),
                        time.monotonic() - killed_at)
        time.sleep(0.005)
    return Kill(victim, held[victim], killed_at, killed_wall, None, None)


def kill_phase(server: Server, seconds: float, kills: int, checks: Checks) -> None:
    print(f"### 3. kill -9 one worker under load, {kills} times ({seconds:g} s, 4 plain and 4 retrying clients)\n")
    started = time.monotonic()
    with Clients(server.port, 4, retry=False, deadline=started + seconds, seed=31) as plain, \
            Clients(server.port, 4, retry=True, deadline=started + seconds, seed=37) as retrying:
        done = []
        for number in range(1, kills + 1):
            time.sleep(max(0.0, started + seconds * number / (kills + 1) - time.monotonic()))
            done.append(kill_worker(server))
        groups = {"plain": plain.collect(), "retrying": retrying.collect()}
    answered = server.answered()
    rows = []
    for kill in done:
        first = min((datetime.fromisoformat(line["time"]).timestamp() for line in answered
                     if line["pid"] == kill.replacement), default=None)
        rows.append((f"{kill.at - started:.0f} s", kill.victim, kill.held, kill.replacement or "none",
                     f"{kill.replaced_after * 1000:.0f}" if kill.replaced_after else "",
                     f"{(first - kill.at_wall) * 1000:.0f}" if first else ""))
    table(("kill at", "worker", "accepted connections it held", "replacement", "forked after ms",
           "first answer after ms"), rows)
    rows = []
    for name, results in groups.items():
        failed = [result for result in results if result.status != 200]
        in_flight = [result for result in results if any(result.started < kill.at < result.ended for kill in done)]
        retried = sum(result.attempts > 1 for result in results)
        rows.append((name, len(results), len(failed), retried, len(in_flight), latencies(results)))
        if name == "plain":
            checks.add("kill -9: plain client's failures at most its requests in flight at a kill",
                       f"{len(failed)} failed, {len(in_flight)} in flight",
                       len(failed) <= len(in_flight) and set(failed) <= set(in_flight))
        else:
            checks.add("kill -9: retrying client lost nothing", f"{len(failed)} lost, {retried} retried", not failed)
    table(("client", "requests", "failed", "retried", "in flight at a kill", "p50 ms", "p90 ms", "p99 ms",
           "max ms"), rows)
    replaced = [kill for kill in done if kill.replacement]
    checks.add("kill -9: the master forked a replacement each time, two workers again",
               f"{len(replaced)} of {len(done)}, the slowest after "
               f"{max((kill.replaced_after or 0 for kill in done), default=0) * 1000:.0f} ms; workers now "
               f"{server.workers()}", len(replaced) == len(done) and len(server.workers()) == 2)


def sigterm_phase(server: Server, seconds: float, checks: Checks) -> None:
    print(f"### 4. SIGTERM to the master under load (8 clients, the signal after {seconds:g} s)\n")
    watcher = AcceptWatcher(server.port)
    deadline = time.monotonic() + seconds + SHUTDOWN_WAIT_S
    with Clients(server.port, 8, retry=False, deadline=deadline, seed=41) as clients:
        time.sleep(seconds)
        watcher.start()
        time.sleep(0.2)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = server.process.wait(timeout=SHUTDOWN_WAIT_S)
        except subprocess.TimeoutExpired:
            code = None
        exited_after = time.monotonic() - signalled
        time.sleep(0.3)
        clients.stop.set()
        results = clients.collect()
    watcher.halt.set()
    watcher.join(timeout=5)
    answered_by_server = {line["request_id"] for line in server.answered() if line["status"] == 200}

    def kind(result: Result) -> str:
        if result.status == 200:
            return "answered"
        if result.ended < signalled or result.request_id in answered_by_server or watcher.was_accepted(result):
            return "lost"
        if result.outcome == "refused":
            return "refused"
        if (result.outcome == "reset" and watcher.closed_at is not None
                and abs(result.ended - watcher.closed_at) <= RESET_MATCH_S):
            return "queued"
        return "lost"

    kinds = Counter(kind(result) for result in results)
    finished = sum(result.status == 200 and result.started < signalled < result.ended for result in results)
    table(("requests", "answered 200", "of them sent before the signal, answered after it",
           "refused at connect (not accepted)", "reset in the accept queue (not accepted)", "lost",
           "p50 ms", "p90 ms", "p99 ms", "max ms"),
          [(len(results), kinds["answered"], finished, kinds["refused"], kinds["queued"], kinds["lost"],
            latencies([result for result in results if result.status == 200]))])
    closed = f"{(watcher.closed_at - signalled) * 1000:.0f} ms" if watcher.closed_at else "never seen"
    print(f"Master exit status {code}, {exited_after:.2f} s after SIGTERM; listening socket gone after {closed}.\n",
          flush=True)
    checks.add("SIGTERM: no accepted request lost", f"{kinds['lost']} lost of {len(results)}",
               kinds["lost"] == 0 and kinds["answered"] > 0)
    checks.add("SIGTERM: requests in progress at the signal were answered after it", finished, finished > 0)
    checks.add("SIGTERM: the master exits with status 0", f"{code} after {exited_after:.2f} s", code == 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about a minute in all)")
    parser.add_argument("--warm-up", type=float, default=60.0, help="seconds at the highest level before measuring")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds at each concurrency level")
    parser.add_argument("--fault-duration", type=float, default=60.0,
                        help="seconds of the slow-header and kill phases (the SIGTERM phase takes a quarter)")
    parser.add_argument("--levels", default="1,4,16,64", help="concurrency levels, comma-separated")
    parser.add_argument("--kills", type=int, default=3, help="workers killed one after another in phase 3")
    args = parser.parse_args()
    if args.quick:
        args.warm_up, args.duration, args.fault_duration = 10.0, 6.0, 12.0
    levels = [int(level) for level in args.levels.split(",")]

    with tempfile.TemporaryDirectory(prefix="soak-") as directory:
        server = Server.start(Path(directory))
        try:
            if not ready(server.process, server.port):
                print(server.stderr.read_text()[-3000:], file=sys.stderr)
                print("the server did not become ready", file=sys.stderr)
                return 2
            deadline = time.monotonic() + 30
            while len(pids := server.workers()) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)  # ready once the first worker answers; the second may still be forking
            print(f"## Soak and faults: gunicorn {server.process.pid} on {HOST}:{server.port}, workers {pids}, "
                  f"{os.cpu_count()} CPUs; {args.duration:g} s per level, {args.fault_duration:g} s per fault phase\n",
                  flush=True)
            checks = Checks()
            sampler = RssSampler(server)
            sampler.start()
            time.sleep(0.1)
            fresh = sampler.samples[0][1]
            marks = [(time.monotonic(), "warm-up")]
            run_clients(server.port, max(levels), args.warm_up, seed=1)
            warm = sampler.samples[-1][1]
            print(f"Worker RSS, MiB: {' / '.join(mib(rss) for rss in fresh.values())} after start-up, "
                  f"{' / '.join(mib(rss) for rss in warm.values())} after a {args.warm_up:g} s warm-up at "
                  f"{max(levels)} clients\n", flush=True)
            load_phase(server, sampler, levels, args.duration, checks, marks)
            slow_phase(server, args.fault_duration, checks, marks)
            sampler.halt.set()
            sampler.join()
            memory_over_time(sampler, marks, time.monotonic(), not args.quick, checks)
            checks.add("the same two workers throughout phases 1 and 2", f"{pids} → {server.workers()}",
                       server.workers() == pids == sorted(warm))
            kill_phase(server, args.fault_duration, args.kills, checks)
            sigterm_phase(server, args.fault_duration / 4, checks)
            log = server.stderr.read_text(errors="replace")
            checks.add("no traceback in the server's log", log.count("Traceback"), "Traceback" not in log)
            print("### Targets\n")
            return 0 if checks.report() else 1
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
