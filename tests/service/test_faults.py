"""kill -9 a worker under load: the master forks a replacement at once, a client that retries a
request cut off loses none, and one that does not loses at most the requests it had in flight.

Two kills, one after the other: the first of a worker serving a retrying client's request, the
second of one serving a plain client's, so both kinds of client are cut off (a busy worker holds
one accepted connection, the request it is working on; the rest wait in the kernel's accept queue).
The fast part of the fault runs; the minutes-long load, the other faults (SIGTERM to the master
under load, slow headers alongside normal traffic) and their figures are ``make soak``
(benchmarks/soak.py, docs/reliability.md).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import load_jsonl

from .conftest import HOST, Server, start_server

CLIENTS = 3  # of each kind: enough to keep both workers busy
RETRIES = 5
BACKOFF_S = 0.05
REQUEST_TIMEOUT_S = 30.0
REPLACED_WITHIN_S = 10.0
LOAD_AROUND_KILLS_S = 2.0  # steady load before the first kill, and after the last replacement answered


@dataclass(frozen=True)
class Outcome:
    """One request as its client saw it (``time.monotonic()``)."""

    started: float
    ended: float
    answered: bool
    attempts: int


def attempt(port: int, data: bytes, client_ports: dict[int, bool], retry: bool) -> bool:
    """POST /v1/extract once, on a new connection whose local port is noted in ``client_ports``."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.connect()
        client_ports[connection.sock.getsockname()[1]] = retry
        connection.request("POST", "/v1/extract", data, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status == 200
    finally:
        connection.close()


def send(port: int, data: bytes, client_ports: dict[int, bool], *, retry: bool) -> Outcome:
    """One request; a retrying client tries again when the connection is refused or cut off before
    a whole response (the request has no side effect), up to RETRIES times."""
    started, attempts = time.monotonic(), 0
    while True:
        attempts += 1
        try:
            return Outcome(started, time.monotonic(), attempt(port, data, client_ports, retry), attempts)
        except (ConnectionError, http.client.HTTPException):
            if not retry or attempts > RETRIES:
                return Outcome(started, time.monotonic(), False, attempts)
        except OSError:  # a timeout: not retried
            return Outcome(started, time.monotonic(), False, attempts)
        time.sleep(BACKOFF_S * 2 ** (attempts - 1))


def held_clients(pid: int, port: int) -> set[int]:
    """The client ports of the connections to ``port`` that process ``pid`` has accepted and not closed."""
    accepted = {}  # the server end's inode: the client's port
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01" and fields[9] != "0":
            accepted[f"socket:[{fields[9]}]"] = int(fields[2].split(":")[1], 16)
    held = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(descriptor)
        except OSError:
            continue
        if link in accepted:
            held.add(accepted[link])
    return held


def answered_by(server: Server, pid: int) -> bool:
    """Whether worker ``pid`` has logged a 200; a line still being written is skipped."""
    for line in server.stdout.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("pid") == pid and entry.get("status") == 200:
            return True
    return False


def wait_for(condition: Callable[[], bool], within: float) -> bool:
    """Whether ``condition`` came true within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def kill_worker_serving(server: Server, client_ports: dict[int, bool], retry: bool) -> tuple[float, int]:
    """kill -9 a worker while it serves a request of a retrying (or a plain) client; wait until the
    master has replaced it and the replacement has answered. The kill's time and the replacement."""
    before = set(server.worker_pids())
    victim = 0

    def serving() -> bool:
        nonlocal victim
        for pid in before:
            if any(client_ports.get(client) == retry for client in held_clients(pid, server.port)):
                victim = pid
                return True
        return False

    assert wait_for(serving, within=20), f"no worker served a {'retrying' if retry else 'plain'} client"
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    assert wait_for(lambda: len(set(server.worker_pids()) - {victim}) == 2, within=REPLACED_WITHIN_S), \
        "the master did not replace the killed worker"
    (replacement,) = set(server.worker_pids()) - before
    assert wait_for(lambda: answered_by(server, replacement), within=15), "the replacement answered nothing"
    return killed, replacement


def test_killed_workers_are_replaced_and_a_retrying_client_loses_nothing(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_server(tmp_path_factory.mktemp("gunicorn-faults"))
    row = next(row for row in load_jsonl("dev.jsonl") if 1_000 <= len(row["text"]) <= 2_000)
    data = json.dumps({"text": row["text"], "document_date": row["document_date"]}).encode("utf-8")
    client_ports: dict[int, bool] = {}
    outcomes: dict[bool, list[Outcome]] = {False: [], True: []}
    stop = threading.Event()

    def client(retry: bool) -> None:
        while not stop.is_set():
            outcomes[retry].append(send(server.port, data, client_ports, retry=retry))

    threads = [threading.Thread(target=client, args=(retry,)) for retry in (False, True) for _ in range(CLIENTS)]
    try:
        # Ready means one worker answered; the second may still be starting.
        assert wait_for(lambda: len(set(server.worker_pids())) == 2, within=REPLACED_WITHIN_S)
        for thread in threads:
            thread.start()
        time.sleep(LOAD_AROUND_KILLS_S)
        kills = [kill_worker_serving(server, client_ports, retry) for retry in (True, False)]
        time.sleep(LOAD_AROUND_KILLS_S)
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * (RETRIES + 1))
        assert len(set(server.worker_pids())) == 2
    finally:
        stop.set()
        server.stop()

    times = [killed for killed, _ in kills]
    plain, retrying = outcomes[False], outcomes[True]
    failed = [outcome for outcome in plain if not outcome.answered]
    in_flight = [outcome for outcome in plain if any(outcome.started < killed < outcome.ended for killed in times)]
    assert all(outcome.answered for outcome in retrying), "the retrying client lost a request"
    assert all(any(outcome.started < killed < outcome.ended for killed in times) for outcome in failed), \
        "a request not in flight at a kill failed"
    assert len(failed) <= len(in_flight)
    cut = len(failed) + sum(outcome.attempts > 1 for outcome in retrying)
    assert cut >= 1, "the kills cut off no request"
    assert sum(outcome.started > times[-1] for outcome in plain + retrying) >= CLIENTS, "no load after the kills"
