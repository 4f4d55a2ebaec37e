"""gunicorn settings, read from the environment through ``service.config.ServerSettings``.

Run: ``gunicorn -c gunicorn.conf.py 'service.app:create_app()'`` (``make serve``). The model is
loaded and warmed up once in the master (``preload_app``) and the workers fork from it, sharing
its memory. docs/operations.md explains each choice and the measurements behind it.
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

_TEMP_PREFIX = "event-extraction-metrics-"

# Before anything imports numpy or thinc (service.config itself imports neither).
from service.config import single_threaded_math  # noqa: E402

single_threaded_math()

# prometheus_client reads this when first imported: every worker then writes its metrics to
# files here, and /metrics adds them up. Values of an earlier run would be counted again, so a
# directory given by the operator is emptied; this file is read again on SIGHUP, which must not
# empty it under running workers, hence the marker naming the master that set it up.
_METRICS_ENV, _MARKER_ENV = "PROMETHEUS_MULTIPROC_DIR", "EVENT_EXTRACTION_METRICS_MASTER"
if os.environ.get(_MARKER_ENV) != str(os.getpid()):
    if os.environ.get(_METRICS_ENV):
        for _stale in Path(os.environ[_METRICS_ENV]).glob("*.db"):
            _stale.unlink()
    else:
        os.environ[_METRICS_ENV] = tempfile.mkdtemp(prefix=_TEMP_PREFIX)
    os.environ[_MARKER_ENV] = str(os.getpid())
_METRICS_DIR = Path(os.environ[_METRICS_ENV])

from prometheus_client import multiprocess  # noqa: E402  (after the environment is set)

from service.config import ServerSettings, Settings  # noqa: E402
from service.protocol_errors import install as install_protocol_errors  # noqa: E402

# Requests gunicorn cannot parse are answered as problem+json, as the app's errors are.
install_protocol_errors()
_server = ServerSettings.from_env()
_app = Settings.from_env()
if _server.worker_class == "gevent":
    from gevent.monkey import MonkeyPatchWarning

    # gevent's workers patch the standard library after the app is loaded (preload_app). It
    # warns that ssl was imported first (by spaCy's download helpers); the service makes no
    # outgoing connections, so nothing uses the unpatched ssl.
    warnings.filterwarnings("ignore", message="Monkey-patching ssl after ssl", category=MonkeyPatchWarning)

bind = f"{_server.host}:{_server.port}"
workers = _server.workers
worker_class = _server.worker_class
worker_connections = _server.worker_connections
timeout = _server.timeout
graceful_timeout = _server.graceful_timeout
keepalive = _server.header_timeout
max_requests = _server.max_requests
max_requests_jitter = _server.max_requests_jitter
loglevel = _app.log_level
preload_app = True
# The heartbeat file is touched every second; on disk that can stall a worker for seconds.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app writes one JSON line per request to stdout; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"


def when_ready(server: Any) -> None:
    """Freeze the loaded model's objects out of the garbage collector's reach before the fork.

    A collection in a worker would otherwise write to every object it scans, copying the
    master's shared pages into each worker: measured, 26 MiB less private memory per worker."""
    gc.collect()
    gc.freeze()


def worker_exit(server: Any, worker: Any) -> None:
    """Hand the frozen objects back to the collector, so they are freed while the interpreter is
    whole: left frozen to the end, a logging handler is freed after gevent has been torn down,
    and every worker exit printed a traceback."""
    gc.unfreeze()


def pre_request(worker: Any, req: Any) -> None:
    """One request per connection, and a bound on the wait for its body.

    A gevent worker keeps every connection it accepted, so a client's pool of keep-alive
    connections can all land on one worker and queue behind each other while another worker
    idles. Closing after each response sends every request to whichever worker is free to
    accept it; a new loopback or LAN connection costs far less than the shortest extraction.

    gunicorn bounds the request line and headers (``keepalive``) but not the body, which the app
    reads: a client that declares a Content-Length and stops sending would hold its connection
    for ever. The socket timeout makes each read wait at most ``BODY_TIMEOUT`` seconds, and the
    app answers 408 (service/api.py). It stays set while the response is written, so a client
    that stops reading an answer too large for the socket buffers is dropped too."""
    req.must_close = True
    req.unreader.sock.settimeout(_app.body_timeout)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges; its counters stay in the totals."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this configuration made it."""
    if _METRICS_DIR.name.startswith(_TEMP_PREFIX) and _METRICS_DIR.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(_METRICS_DIR, ignore_errors=True)
