"""Helpers the benchmark scripts share for a gunicorn they start on loopback."""
from __future__ import annotations

import http.client
import socket
import subprocess
import time

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ready(server: subprocess.Popen[bytes], port: int) -> bool:
    """Wait up to two minutes for /readyz to say 200; False if the server exits or never does."""
    limit = time.monotonic() + 120
    while time.monotonic() < limit and server.poll() is None:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False
