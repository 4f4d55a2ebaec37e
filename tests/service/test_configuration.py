"""Settings come from the environment, gunicorn.conf.py turns them into gunicorn's, and
docs/operations.md documents every one of them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields

import pytest

from service.config import ServerSettings, Settings, usable_cpus

from .conftest import ROOT

# Prints what gunicorn would read from gunicorn.conf.py, in a child process: loading the file
# sets up a metrics directory in the environment, which must not leak into the test process.
READ_CONFIG = """
import json, os, runpy, sys
config = runpy.run_path("gunicorn.conf.py")
names = ("bind", "workers", "worker_class", "worker_connections", "timeout", "graceful_timeout", "keepalive",
         "max_requests", "max_requests_jitter", "loglevel", "preload_app", "worker_tmp_dir", "accesslog")
values = {name: config[name] for name in names}
values["metrics_dir"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
values["omp_threads"] = os.environ["OMP_NUM_THREADS"]
config["on_exit"](None)
print(json.dumps(values))
"""


def read_gunicorn_config(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "OMP_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", READ_CONFIG], cwd=ROOT, env={**environment, **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_reads_the_server_settings_from_the_environment() -> None:
    config = read_gunicorn_config(HOST="0.0.0.0", PORT="9123", WORKERS="3", TIMEOUT="90", HEADER_TIMEOUT="7",
                                  MAX_REQUESTS="0", LOG_LEVEL="warning")
    assert config["bind"] == "0.0.0.0:9123"
    assert (config["workers"], config["timeout"], config["keepalive"], config["max_requests"]) == (3, 90, 7, 0)
    assert config["loglevel"] == "warning"
    assert config["preload_app"] is True and config["worker_class"] == "gevent"
    assert config["worker_tmp_dir"] == "/dev/shm" and config["accesslog"] is None
    assert config["omp_threads"] == "1"
    assert not os.path.exists(config["metrics_dir"]), "on_exit removes the metrics directory it made"


def test_gunicorn_defaults() -> None:
    config = read_gunicorn_config()
    server = ServerSettings()
    assert config["bind"] == "127.0.0.1:8080"
    assert config["workers"] == usable_cpus()
    assert (config["timeout"], config["graceful_timeout"], config["keepalive"]) == \
        (server.timeout, server.graceful_timeout, server.header_timeout)
    assert (config["max_requests"], config["max_requests_jitter"]) == (server.max_requests, server.max_requests_jitter)


def test_an_operator_metrics_directory_is_emptied_and_kept(tmp_path) -> None:
    stale = tmp_path / "counter_12345.db"
    stale.write_bytes(b"old run")
    config = read_gunicorn_config(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert config["metrics_dir"] == str(tmp_path)
    assert not stale.exists() and tmp_path.is_dir()


@pytest.mark.parametrize(("variable", "value"), [("WORKERS", "two"), ("WORKERS", "0"), ("PORT", "-1"),
                                                 ("MAX_TEXT_CHARS", "1e5"), ("PREFILTER", "maybe"),
                                                 ("LOG_LEVEL", "loud")])
def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        Settings.from_env()
        ServerSettings.from_env()


def test_api_keys_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", " one, two ,,three ")
    assert Settings.from_env().api_keys == ("one", "two", "three")
    monkeypatch.setenv("API_KEYS", "")
    assert Settings.from_env().api_keys == ()


def test_usable_cpus_never_exceeds_the_affinity_mask() -> None:
    assert 1 <= usable_cpus() <= len(os.sched_getaffinity(0))


def test_every_setting_is_documented() -> None:
    """docs/operations.md has a row for every environment variable the service reads."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for spec in (*fields(Settings), *fields(ServerSettings)):
        assert f"| `{spec.name.upper()}` |" in text, spec.name
