"""Which worker class keeps answering while slow clients hold connections open?

For each candidate it starts the real server (gunicorn.conf.py, two workers, the worker class
given on the command line, which overrides the file) on a free 127.0.0.1 port, opens 64
connections that send a request line and one header and then nothing more, and times ten
normal ``POST /v1/extract`` requests sent one after another, each allowed ``--wait`` seconds.
The measurement behind the choice of gevent in docs/operations.md.

Usage: ``.venv/bin/python benchmarks/slow_clients.py [--slow 64] [--wait 10]``
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from loopback import HOST, free_port, ready  # noqa: E402  (benchmarks/ is on sys.path when run)
CANDIDATES = {
    "sync": ["-k", "sync"],
    "gthread, 4 threads": ["-k", "gthread", "--threads", "4"],
    "gthread, 40 threads": ["-k", "gthread", "--threads", "40"],
    "gevent (the default)": [],
}
BODY = json.dumps({"text": "Nvidia unveiled its Blackwell Ultra AI chip on Monday."})






def timed_request(port: int, wait: float) -> float | None:
    """Seconds to an answer, or None when none came within ``wait``."""
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=wait)
        connection.request("POST", "/v1/extract", BODY, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started if response.status == 200 else None
    except OSError:
        return None


def measure(label: str, options: list[str], slow_count: int, wait: float) -> None:
    port = free_port()
    env = {**os.environ, "HOST": HOST, "PORT": str(port), "WORKERS": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", *options,
                               "service.app:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow: list[socket.socket] = []
    try:
        if not ready(server, port):
            print(f"{label:<22} did not start")
            return
        slow = [socket.create_connection((HOST, port)) for _ in range(slow_count)]
        for connection in slow:
            connection.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        times = [timed_request(port, wait) for _ in range(10)]
        answered = sorted(t for t in times if t is not None)
        summary = f"median {answered[len(answered) // 2]:.3f} s, slowest {answered[-1]:.3f} s" if answered else ""
        print(f"{label:<22} {len(answered):>2}/10 answered within {wait:g} s  {summary}", flush=True)
    finally:
        for connection in slow:
            connection.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=64, help="slow connections held open")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds each normal request may take")
    args = parser.parse_args()
    print(f"{args.slow} connections sending headers slowly, 2 workers; 10 normal requests one after another")
    for label, options in CANDIDATES.items():
        measure(label, options, args.slow, args.wait)


if __name__ == "__main__":
    main()
