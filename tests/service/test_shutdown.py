"""SIGTERM lets the requests in flight finish: none is lost, then the server exits cleanly.

"In flight" means accepted by a worker. gunicorn closes its listening socket at SIGTERM, so
connections still waiting in the kernel's accept queue are reset, whatever the worker class:
docs/operations.md says how to drain an instance before stopping it.
"""
from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import load_jsonl

from .conftest import Reply, accept_queue, start_server

REQUESTS = 4


def test_sigterm_finishes_in_flight_requests(tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_server(tmp_path_factory.mktemp("gunicorn-sigterm"))
    text = "\n\n".join(row["text"] for row in load_jsonl("dev.jsonl"))[:4_000]
    try:
        with ThreadPoolExecutor(REQUESTS) as pool:
            futures = [pool.submit(server.request, "POST", "/v1/extract", {"text": text}) for _ in range(REQUESTS)]
            # Two workers take one request each; the others wait until a worker is free to accept them.
            deadline = time.monotonic() + 60
            while accept_queue(server.port) and time.monotonic() < deadline:
                time.sleep(0.01)
            in_flight = sum(not future.done() for future in futures)
            server.process.send_signal(signal.SIGTERM)
            replies: list[Reply] = [future.result(timeout=60) for future in futures]
        assert in_flight >= 1, "every request finished before SIGTERM: nothing was in flight"
        assert [reply.status for reply in replies] == [200] * REQUESTS
        assert all(reply.json()["meta"]["characters"] == len(text) for reply in replies)
        assert server.process.wait(timeout=40) == 0
        log = server.stderr.read_text()
        assert "Shutting down: Master" in log
        # Workers exit cleanly: no traceback from tearing down gevent (see worker_exit in gunicorn.conf.py).
        assert "Traceback" not in log and "Exception ignored" not in log
    finally:
        server.stop()
