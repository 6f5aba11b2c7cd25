"""The real thing on this machine: two app servers, one PostgreSQL database, nginx in front.

What deploy/compose.yaml runs in containers runs here as processes, all on 127.0.0.1:
two ``streamlit run app.py`` on free ports, sharing the database (a fresh copy of the
demo), ``WORKBENCH_SECRET_KEY`` and the mirror folder, behind Debian's nginx running
deploy/nginx.conf (with only addresses, ports and paths replaced, see
:mod:`tests.deploy.nginx_config`) over TLS with a throwaway certificate. Two Chromium
sessions go through nginx, each pinned to a different replica by its cookie; they write
the same section; the second save is refused as a conflict, keeping its text; a reload
that lands on the other replica stays signed in; and at the end the history mirror both
servers wrote is verified clean.

Without nginx, Chromium or PostgreSQL this skips, saying what is missing — unless
``WORKBENCH_REQUIRE_NGINX=1`` (or ``WORKBENCH_REQUIRE_BROWSER=1`` /
``WORKBENCH_REQUIRE_POSTGRES=1``), as in CI, where it fails instead. Every process it
starts is stopped by its PID at the end, also when the test fails.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import git
import pytest
from sqlmodel import Session, col, select

from tests.browser.conftest import (
    CHROMIUM,
    _free_port,
    _skip_or_fail,
    shot,
    sign_in,
    start_streamlit,
    stop_process,
    wait_idle,
    wait_until_healthy,
)
from tests.deploy import nginx_config
from tests.deploy.postgres import database_url, drop_database, fresh_demo_database
from workbench import history
from workbench.db import make_engine
from workbench.models import AuditEvent, Report, Section, SectionRevision

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_NGINX = os.environ.get("WORKBENCH_REQUIRE_NGINX") == "1"
LA = "wei.zhang@demo.ipsp.example"  # Zhang Wei leads 3.1 in living-wages
CLA = "amina.diallo@demo.ipsp.example"
REPORT = "living-wages"
CODE = "3.1"
TITLE = "Employer market power and weakened bargaining"
FROM_ONE = "Saved through the first replica: wages follow bargaining power."
FROM_TWO = "Typed on the second replica before the first one saved."
COOKIE = "workbench_replica"
REPLICA_HEADER = "X-Workbench-Replica"
UNVERIFIED = ssl._create_unverified_context()  # the certificate is a throwaway self-signed one


@dataclass(frozen=True)
class Deployment:
    """Two replicas behind nginx: the address to browse and what is behind it."""

    base: str
    replicas: list[str]
    database_url: str
    env: dict[str, str]
    folder: Path


def get(url: str, replica_key: str | None = None) -> tuple[int, Message, bytes]:
    """GET through nginx (optionally with a replica cookie): status, headers, body."""
    headers = {"Cookie": f"{COOKIE}={replica_key}"} if replica_key else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, context=UNVERIFIED, timeout=10) as response:
        return response.status, response.headers, response.read()


def keys_for_each_replica(base: str, replicas: list[str]) -> dict[str, str]:
    """Return, for each replica's address, a cookie value nginx sends to it."""
    found: dict[str, str] = {}
    for n in range(200):
        key = f"browser-{n}"
        _, headers, _ = get(f"{base}/_stcore/health", key)
        found.setdefault(headers[REPLICA_HEADER], key)
        if len(found) == len(replicas):
            return found
    raise AssertionError(f"200 keys reached only {sorted(found)} of {replicas}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    """Start two replicas on a fresh PostgreSQL copy of the demo and nginx in front."""
    if nginx_config.NGINX is None:
        if REQUIRE_NGINX:
            pytest.fail("WORKBENCH_REQUIRE_NGINX=1 but nginx is not installed")
        pytest.skip("two-replica test: nginx is not installed (apt-get install nginx)")
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    # The servers start while the database is made: they touch it only when a browser comes.
    url = database_url("replicas")
    folder = tmp_path_factory.mktemp("replicas")
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "WORKBENCH_DATABASE_URL": url,
        "WORKBENCH_SECRET_KEY": secret,
        "STREAMLIT_SERVER_COOKIE_SECRET": secret,
        "WORKBENCH_MIRROR_PATH": str(folder / "mirror"),
        "WORKBENCH_CLIENT_IP_HEADER": "X-Forwarded-For",
    }
    started: list[subprocess.Popen] = []
    try:
        ports = [_free_port(), _free_port()]
        for number, port in enumerate(ports, start=1):
            started.append(start_streamlit(port, env, folder / f"app{number}.log"))
        fresh_demo_database("replicas")
        engine = make_engine(url)
        with Session(engine) as s:  # the mirror starts up to date, as in a running deployment
            history.sync(s, folder / "mirror", push=False)
        engine.dispose()
        for number, (port, server) in enumerate(zip(ports, started, strict=True), start=1):
            wait_until_healthy(f"http://127.0.0.1:{port}", server, folder / f"app{number}.log")
        https_port = _free_port()
        files = nginx_config.render(folder / "nginx", ports, _free_port(), https_port)
        with (folder / "nginx.log").open("w") as log:
            nginx = subprocess.Popen(
                [nginx_config.NGINX, "-p", str(files.prefix), "-c", str(files.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(nginx)
        base = f"https://127.0.0.1:{https_port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                get(f"{base}/_stcore/health")
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "nginx did not start:\n"
                        + (folder / "nginx.log").read_text()
                        + (files.error_log.read_text() if files.error_log.exists() else "")
                    ) from None
                time.sleep(0.2)
        yield Deployment(
            base=base,
            replicas=[f"127.0.0.1:{port}" for port in ports],
            database_url=url,
            env=env,
            folder=folder,
        )
    finally:
        for process in started:  # all at once, then wait for each (by its PID)
            if process.poll() is None:
                process.terminate()
        for process in reversed(started):
            stop_process(process)
        drop_database(url)


def test_nginx_pins_each_browser_to_one_replica_and_answers_health(deployment):
    base = deployment.base
    status, headers, body = get(f"{base}/_stcore/health")
    assert (status, body) == (200, b"ok")
    # A browser without the cookie gets one; it is for nginx only (HttpOnly), HTTPS only.
    (cookie,) = [c for c in headers.get_all("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    for flag in ("Path=/", "HttpOnly", "SameSite=Lax", "Secure"):
        assert flag in cookie
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers[REPLICA_HEADER] in deployment.replicas
    keys = keys_for_each_replica(base, deployment.replicas)
    assert sorted(keys) == sorted(deployment.replicas)
    for replica, key in keys.items():
        for _ in range(5):
            status, headers, body = get(f"{base}/_stcore/health", key)
            assert (status, body) == (200, b"ok")
            assert headers[REPLICA_HEADER] == replica
            # A browser with a key keeps it.
            assert not [c for c in headers.get_all("Set-Cookie", []) if COOKIE in c]


def test_the_app_sees_the_browsers_address_not_the_proxys(deployment, browser):
    """Sign-in throttling counts per browser: the app reads X-Forwarded-For through nginx.

    nginx connects to the app servers from 127.0.0.3 here, the browser from 127.0.0.1;
    a refused sign-in is recorded with the address the app took for the browser's.
    """
    from playwright.sync_api import expect

    context = browser.new_context(ignore_https_errors=True)
    try:
        tab = context.new_page()
        tab.goto(deployment.base)
        tab.get_by_role("textbox", name="Email").fill(CLA)
        tab.get_by_role("textbox", name="Password").fill("not the password")
        tab.get_by_role("button", name="Sign in", exact=True).click()
        expect(tab.get_by_test_id("stAlert").first).to_be_visible()
    finally:
        context.close()
    engine = make_engine(deployment.database_url)
    with Session(engine) as s:
        failed = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "sign_in_failed")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    engine.dispose()
    assert failed is not None
    assert failed.detail["client"] == "127.0.0.1"
    assert nginx_config.PROXY_ADDRESS != "127.0.0.1"


def _section(database_url: str) -> tuple[int, int, str]:
    """Return section 3.1's id, its head revision's number and text."""
    engine = make_engine(database_url)
    with Session(engine) as s:
        report = s.exec(select(Report).where(Report.slug == REPORT)).one()
        section = s.exec(
            select(Section).where(Section.report_id == report.id, Section.code == CODE)
        ).one()
        head = s.get(SectionRevision, section.head_revision_id)
        found = (section.id, head.number, head.text)
    engine.dispose()
    return found


def test_two_browsers_on_two_replicas_write_one_section(deployment, browser):
    from playwright.sync_api import expect

    base = deployment.base
    keys = keys_for_each_replica(base, deployment.replicas)
    one, two = deployment.replicas
    section_id, head_before, _ = _section(deployment.database_url)
    address = f"{base}/write?report={REPORT}&section={section_id}"

    def browser_on(replica: str):
        context = browser.new_context(
            ignore_https_errors=True, viewport={"width": 1400, "height": 1000}
        )
        context.add_cookies([{"name": COOKIE, "value": keys[replica], "url": base}])
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        return context, tab

    (context_a, a), (context_b, b) = browser_on(one), browser_on(two)
    try:
        for tab, replica, email in ((a, one, LA), (b, two, CLA)):
            response = tab.goto(base)
            assert response.headers[REPLICA_HEADER.lower()] == replica
            sign_in(tab, base, email)
            response = tab.goto(address)
            assert response.headers[REPLICA_HEADER.lower()] == replica
            tab.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
            wait_idle(tab)

        # B (second replica) starts typing at the top and does not save yet.
        editor_b = b.get_by_role("textbox", name="Text (Markdown)")
        editor_b.fill(FROM_TWO + "\n\n" + editor_b.input_value())
        editor_b.press("Control+Enter")
        wait_idle(b)
        expect(b.get_by_text("● Unsaved changes, based on revision")).to_be_visible()

        # A (first replica) adds a sentence at the end and saves.
        editor_a = a.get_by_role("textbox", name="Text (Markdown)")
        editor_a.fill(editor_a.input_value().rstrip() + "\n\n" + FROM_ONE + "\n")
        editor_a.press("Control+Enter")
        wait_idle(a)
        save_a = a.get_by_role("button", name="Save", exact=True)
        expect(save_a).to_be_enabled()
        save_a.click()
        wait_idle(a)
        saved = f"Saved revision {head_before + 1} of section {CODE}."
        expect(a.get_by_test_id("stAlert").filter(has_text=saved)).to_be_visible()

        # B saves: refused as a conflict, its text kept and merged with A's save.
        b.get_by_role("button", name="Save", exact=True).click()
        wait_idle(b)
        expect(
            b.get_by_test_id("stAlert").filter(has_text="while you were writing").first
        ).to_be_visible()
        expect(b.get_by_text(FROM_ONE).first).to_be_visible()  # A's save, seen on replica 2
        expect(b.get_by_text(FROM_TWO).first).to_be_visible()  # B's text, not lost
        shot(b, "replicas-1-conflict-on-the-second-replica")
        _, head, text = _section(deployment.database_url)
        assert head == head_before + 1
        assert FROM_ONE in text and FROM_TWO not in text

        b.get_by_role("button", name="Save the merged text").click()
        wait_idle(b)
        saved = f"Saved revision {head_before + 2} of section {CODE}."
        expect(b.get_by_test_id("stAlert").filter(has_text=saved)).to_be_visible()
        _, head, text = _section(deployment.database_url)
        assert head == head_before + 2
        assert FROM_ONE in text and FROM_TWO in text

        # A reloads on the first replica and reads B's save.
        response = a.reload()
        assert response.headers[REPLICA_HEADER.lower()] == one
        a.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
        wait_idle(a)
        expect(a.get_by_role("textbox", name="Text (Markdown)")).to_have_value(
            re.compile(re.escape(FROM_TWO))
        )

        # A's browser now reaches the other replica (its own went away, or the cookie
        # was lost): a reload there stays signed in, on the same page.
        context_a.add_cookies([{"name": COOKIE, "value": keys[two], "url": base}])
        response = a.reload()
        assert response.headers[REPLICA_HEADER.lower()] == two
        a.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
        wait_idle(a)
        expect(a.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
        expect(a.get_by_role("textbox", name="Text (Markdown)")).to_have_value(
            re.compile(re.escape(FROM_ONE))
        )
        shot(a, "replicas-2-signed-in-on-the-other-replica")
    finally:
        context_a.close()
        context_b.close()

    # Both servers wrote into one mirror: no drift, and both saves are in it.
    verify = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "history", "verify"],
        cwd=ROOT,
        env=deployment.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with git.Repo(deployment.folder / "mirror") as repo:
        found = repo.git.grep("-l", "-F", FROM_TWO, "main", "--", f"reports/{REPORT}")
        assert found.strip()
        saves = [c for c in repo.iter_commits("main", max_count=2)]
    assert [c.author.email for c in saves] == [CLA, LA]
