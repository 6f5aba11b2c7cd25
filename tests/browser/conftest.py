"""Browser tests: Playwright drives Debian's Chromium against a real `streamlit run app.py`.

The server runs on 127.0.0.1 on a free port, on a fresh copy of the demo
workspace. Screenshots go to ``test-output/browser/`` (ignored by git). Without
Chromium or Playwright these tests skip with the reason, unless
``WORKBENCH_REQUIRE_BROWSER=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from workbench import demo
from workbench.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "browser"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = demo.DEMO_PASSWORD


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("WORKBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here, but {reason}")
    pytest.skip(f"browser test: {reason}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The ``browser`` fixture is in tests/conftest.py: one Chromium per test process, shared
# by the browser tests and the deployment tests (Playwright's sync API allows one at a time).


@dataclass(frozen=True)
class RunningApp:
    """A running app: the address to browse and the database it works on."""

    url: str
    database_url: str


def start_streamlit(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``streamlit run app.py`` on 127.0.0.1:``port``; its output goes to ``log_path``."""
    with log_path.open("w") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until_healthy(base: str, server: subprocess.Popen, log_path: Path) -> None:
    """Wait (at most 60 s) until the server at ``base`` answers its health check."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the app did not start:\n" + log_path.read_text())
        time.sleep(0.5)


def stop_process(process: subprocess.Popen) -> None:
    """Stop a process this test started (by its PID): terminate, then kill after 10 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, demo_template) -> Iterator[RunningApp]:
    """Start the app on a fresh copy of the demo workspace; yield it; stop it afterwards."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    db_path = folder / "workbench.db"
    shutil.copy(demo_template, db_path)
    url = f"sqlite:///{db_path}"
    port = _free_port()
    env = {**os.environ, "WORKBENCH_DATABASE_URL": url}
    log_path = folder / "streamlit.log"
    server = start_streamlit(port, env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, log_path)
        yield RunningApp(url=base, database_url=url)
    finally:
        stop_process(server)


@pytest.fixture(scope="module")
def app_url(app_server: RunningApp) -> str:
    """Return the URL of the module's running app."""
    return app_server.url


@pytest.fixture(scope="module")
def app_db_url(app_server: RunningApp) -> str:
    """Return the database URL (WORKBENCH_DATABASE_URL) of the module's running app."""
    return app_server.database_url


@contextmanager
def db_session(database_url: str) -> Iterator[Session]:
    """Open a read session on the app's database (to check what the browser saved)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            yield s
    finally:
        engine.dispose()


@pytest.fixture
def page(browser, app_url, request):
    """Yield a fresh browser page; save a screenshot named after the test when it ends."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(SHOTS / f"{request.node.name}-end.png"), full_page=True)
    finally:
        context.close()


def shot(tab, name: str) -> None:
    """Save a screenshot of the page under test-output/browser/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab, app_url: str, email: str) -> None:
    """Sign in through the sign-in page and wait for the dashboard."""
    tab.goto(app_url)
    tab.get_by_role("textbox", name="Email").fill(email)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.get_by_role("heading", name="Dashboard").wait_for()


def go_to(tab, title: str) -> None:
    """Open a page from the sidebar navigation."""
    tab.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    tab.wait_for_load_state("networkidle")


def wait_idle(tab) -> None:
    """Wait until Streamlit has finished running the script."""
    tab.wait_for_timeout(300)
    tab.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)
