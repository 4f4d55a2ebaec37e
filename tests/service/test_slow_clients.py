"""Slow clients do not starve the service: with 64 connections sending their headers slowly,
normal requests are still answered at once (gevent workers; sync workers answer none), and the
slow connections are closed once their header time is up, so they cannot pile up.
"""
from __future__ import annotations

import socket
import time

from service.config import ServerSettings

from .conftest import HOST, Server

SLOW_CONNECTIONS = 64
NORMAL_REQUESTS = 10
# A normal request takes tens of milliseconds; this leaves room for a loaded machine.
ANSWER_WITHIN_S = 5.0


def closed_by_server(connection: socket.socket, within: float) -> bool:
    """Whether the server closes ``connection`` (without answering) within ``within`` seconds."""
    connection.settimeout(within)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_normal_requests_are_answered_while_64_clients_send_headers_slowly(server: Server) -> None:
    header_timeout = ServerSettings.from_env().header_timeout
    opened = time.monotonic()
    slow = [socket.create_connection((HOST, server.port)) for _ in range(SLOW_CONNECTIONS)]
    try:
        for connection in slow:
            connection.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        for connection in slow:
            connection.sendall(b"Content-Type: application/json\r\n")
        started = time.monotonic()
        for _ in range(NORMAL_REQUESTS):
            reply = server.request("POST", "/v1/extract", {"text": "Nvidia unveiled its Blackwell chip on Monday."},
                                   timeout=ANSWER_WITHIN_S)
            assert reply.status == 200
        assert time.monotonic() - started < ANSWER_WITHIN_S
        assert time.monotonic() - opened < header_timeout, "the slow connections were not open throughout"
        wait = header_timeout - (time.monotonic() - opened) + 3
        assert all(closed_by_server(connection, wait) for connection in slow)
    finally:
        for connection in slow:
            connection.close()
