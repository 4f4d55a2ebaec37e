"""A real server on a free loopback port and a real headless Chromium driven through ChromeDriver.

The browser is Debian's ``chromium`` with its ``chromium-driver``. Where they are missing and the
tests run as root with apt-get (CI's fresh machine), ``make browser-deps`` installs them; only where
no browser can be had at all do the browser tests skip, saying why.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import make_server

if TYPE_CHECKING:  # selenium is imported in the fixture, so that its absence is reported clearly
    from selenium.webdriver.remote.webdriver import WebDriver

REPO = Path(__file__).resolve().parents[2]
# Flags that let Chromium start as root in a container and keep it off the (closed) network.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
)


@dataclass(frozen=True)
class BrowserPaths:
    chromium: str
    chromedriver: str


def find_browser() -> BrowserPaths | None:
    """Chromium and its driver on PATH, if both are there."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return BrowserPaths(chromium, driver) if chromium and driver else None


@pytest.fixture(scope="session")
def browser_paths() -> BrowserPaths:
    """Finds Chromium, installing Debian's packages first when we can (root with apt-get)."""
    found = find_browser()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("no Chromium/ChromeDriver on PATH and no root apt-get to install them: "
                    "run `make browser-deps` (Debian packages chromium, chromium-driver)")
    result = subprocess.run(["make", "-s", "browser-deps"], check=False, cwd=REPO, capture_output=True, text=True, timeout=900)
    found = find_browser()
    if not found:
        pytest.skip(f"`make browser-deps` could not install Chromium (exit {result.returncode}): "
                    f"{(result.stderr or result.stdout)[-500:]}")
    return found


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The real app behind werkzeug's threaded server on a free 127.0.0.1 port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def driver(browser_paths: BrowserPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the session, with a fresh profile."""
    try:
        from selenium import webdriver
    except ImportError:
        pytest.fail("a browser is available but selenium is not installed: run `make dev-venv`")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_paths.chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    service = webdriver.ChromeService(executable_path=browser_paths.chromedriver)
    browser = webdriver.Chrome(options=options, service=service)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


@pytest.fixture()
def screenshot_dirs(tmp_path: Path) -> list[Path]:
    """Where screenshots go: the test's tmp dir, and ``$SCREENSHOT_DIR`` when it is set."""
    dirs = [tmp_path]
    if os.environ.get("SCREENSHOT_DIR"):
        extra = Path(os.environ["SCREENSHOT_DIR"])
        extra.mkdir(parents=True, exist_ok=True)
        dirs.append(extra)
    return dirs
