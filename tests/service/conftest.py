"""A real gunicorn (gunicorn.conf.py, the real model) on a free loopback port, and a small HTTP client.

Each server loads the model once in its master, so the suite starts as few as it can: one shared
server for most tests (the session-wide ``server`` fixture in tests/conftest.py, which the contract
and hostile-input suites use too), and one each where a test needs other settings or ends the server.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
# Variables a developer's shell may hold that the tests set themselves. Other settings (limits,
# timeouts) pass through: the tests read them from the same environment as the server.
CONTROLLED = ("API_KEYS", "PROMETHEUS_MULTIPROC_DIR", "EVENT_EXTRACTION_METRICS_MASTER", "WORKERS", "WORKER_CLASS",
              "HOST", "PORT", "LOG_LEVEL")


@dataclass
class Reply:
    """One HTTP response, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def mimetype(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    """A running gunicorn and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path
    env: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: Any = None, *, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60.0) -> Reply:
        """Send one request on a new connection; ``body`` is sent as JSON."""
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            try:
                connection.request(method, path, body=data, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server answered (413) and closed before reading the whole body; its answer
                # is still in the socket.
                pass
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON request lines the workers wrote to stdout so far: whole lines only, since a
        worker may be writing the last one as it is read."""
        text = self.stdout.read_text(encoding="utf-8")
        whole = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in whole.splitlines() if line.startswith("{")]

    def worker_pids(self) -> list[int]:
        """The master's worker processes now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not go within the graceful timeout."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def accept_queue(port: int) -> int:
    """Connections to ``port`` that no worker has accepted yet (the listening socket's queue)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state, queues = line.split()[1], line.split()[3], line.split()[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            return int(queues.split(":")[1], 16)
    raise LookupError(f"nothing listens on port {port}")


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(directory: Path, **settings: str) -> Server:
    """Start gunicorn with ``settings`` as environment variables and wait until /readyz says 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env.update({"HOST": HOST, "PORT": str(port), "WORKERS": "2", **settings})
    directory.mkdir(parents=True, exist_ok=True)
    stdout, stderr = directory / "stdout.log", directory / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "service.app:create_app()"],
                                   cwd=ROOT, env=env, stdout=out, stderr=err)
    server = Server(process, port, stdout, stderr, env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{stderr.read_text()[-3000:]}")
        try:
            # Ready once a worker answers and every worker has been forked: gunicorn starts
            # them one after another, so the first can answer while the last is not yet there.
            if (server.request("GET", "/readyz", timeout=2).status == 200
                    and len(server.worker_pids()) == int(env["WORKERS"])):
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"gunicorn was not ready within {START_TIMEOUT_S} s:\n{stderr.read_text()[-3000:]}")


def read_until_closed(connection: socket.socket, within: float) -> bytes:
    """All the server sends until it closes the connection; fails if it has not closed within ``within`` s."""
    deadline = time.monotonic() + within
    received = bytearray()
    while (remaining := deadline - time.monotonic()) > 0:
        connection.settimeout(remaining)
        try:
            data = connection.recv(65536)
        except TimeoutError:
            break
        if not data:
            return bytes(received)
        received += data
    pytest.fail(f"the server did not close the connection within {within} s; it sent {bytes(received)[:300]!r}")


def parse(raw: bytes) -> Reply:
    """A raw HTTP/1.1 response, as read off a socket."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, _, header_lines = head.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), raw[:300]
    return Reply(int(status_line.split()[1]), http.client.parse_headers(io.BytesIO(header_lines + b"\r\n\r\n")), body)
