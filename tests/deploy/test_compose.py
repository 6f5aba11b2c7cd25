"""deploy/: the container recipe names real commands and settings, and nginx accepts its config.

No container runtime runs here, so what can rot is checked against the code itself: every
`workbench` command the compose file and the scheduler run exists with those options;
every setting they pass is one the workbench reads; the replicas nginx balances are the
replicas compose starts, alike in everything; nginx's upload limit is not below
Streamlit's; and `nginx -t` accepts deploy/nginx.conf (made runnable here).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.deploy import nginx_config
from workbench.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(DEPLOY))
import scheduler  # noqa: E402  (deploy/scheduler.py is a script, not a package)

REQUIRE_NGINX = os.environ.get("WORKBENCH_REQUIRE_NGINX") == "1"
CODE = [ROOT / "app.py", ROOT / "ui.py", DEPLOY / "scheduler.py", *ROOT.glob("workbench/*.py")]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def replicas(compose: dict) -> dict[str, dict]:
    """Return the services that run the app (streamlit run app.py)."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("command", [])[:3] == ["streamlit", "run", "app.py"]
    }


def workbench_commands(compose: dict) -> list[list[str]]:
    """Return every `workbench …` command line the compose file runs."""
    found = []
    for service in compose["services"].values():
        command = service.get("command") or []
        if command[:2] == ["sh", "-c"]:
            for part in command[2].split("&&"):
                found.append(shlex.split(part))
        elif command[:1] == ["workbench"]:
            found.append(command)
    return [c[1:] for c in found if c and c[0] == "workbench"]


def scheduler_commands(monkeypatch, tmp_path) -> list[list[str]]:
    """Return the `workbench` commands each scheduled job runs (recorded, not run)."""
    ran: list[list[str]] = []

    def record(args, env=None):
        ran.append(list(args))
        if args[0] == "backup":
            Path(args[args.index("-o") + 1]).write_bytes(b"")
        return True

    monkeypatch.setattr(scheduler, "run", record)
    monkeypatch.setenv("WORKBENCH_SMTP_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv(scheduler.BACKUP_DIR_ENV, str(tmp_path))
    for job in scheduler.jobs():
        job.action()
    return ran


def assert_cli_accepts(args: list[str]) -> None:
    """Assert the CLI has this command and accepts these options (asked for its help)."""
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, (args, result.output)
    assert "Usage" in result.output, args


def test_the_compose_file_has_the_services_a_panel_needs(compose):
    services = compose["services"]
    assert {"db", "migrate", "scheduler", "nginx"} <= set(services)
    apps = replicas(compose)
    assert len(apps) >= 2
    for name, service in apps.items():
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["volumes"][0].endswith(":/var/lib/workbench/mirror"), name
    # The replicas differ in nothing but their name: same image, settings, secret, mirror.
    first, *others = apps.values()
    for other in others:
        assert other == first
    env = first["environment"]
    assert env["WORKBENCH_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["WORKBENCH_DATABASE_URL"].endswith("@db:5432/workbench")
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == env["WORKBENCH_SECRET_KEY"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert (
        services["scheduler"]["environment"]["WORKBENCH_SECRET_KEY"] == env["WORKBENCH_SECRET_KEY"]
    )
    assert set(services["nginx"]["depends_on"]) == set(apps)


def test_nginx_balances_exactly_the_replicas_compose_starts(compose):
    assert nginx_config.replica_names() == sorted(replicas(compose))


def test_every_workbench_command_run_by_the_deployment_exists(compose, monkeypatch, tmp_path):
    commands = workbench_commands(compose) + scheduler_commands(monkeypatch, tmp_path)
    firsts = {f"{c[0]} {c[1]}" if c[0] == "history" else c[0] for c in commands}
    assert firsts == {"init", "health", "history sync", "notify", "backup", "restore"}
    for args in commands:
        assert_cli_accepts(args)


def test_every_setting_passed_is_one_the_workbench_reads(compose):
    code = "\n".join(path.read_text() for path in CODE)
    settings = set()
    for service in compose["services"].values():
        settings |= {k for k in service.get("environment", {}) if k.startswith("WORKBENCH_")}
    assert settings
    for name in sorted(settings):
        assert f'"{name}"' in code, f"{name} is passed by compose.yaml but read nowhere"
    from streamlit import config

    for name in ("STREAMLIT_SERVER_COOKIE_SECRET",):
        option = name.removeprefix("STREAMLIT_").lower().split("_", 1)
        key = option[0] + "." + re.sub(r"_(\w)", lambda m: m.group(1).upper(), option[1])
        assert config.get_option(key) is not None, key


def test_the_env_example_names_every_variable_compose_needs(compose):
    needed = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text()))
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert needed == example


def test_the_image_runs_what_the_replicas_run_and_checks_the_database(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    command = next(iter(replicas(compose).values()))["command"]
    assert 'CMD ["' + '", "'.join(command) + '"]' in dockerfile
    assert "&& workbench health" in dockerfile
    assert "pip install -c constraints.txt" in dockerfile
    assert "USER workbench" in dockerfile
    for package in ("git", "libreoffice-writer-nogui", "poppler-utils", "fonts-noto-cjk"):
        assert f" {package}" in dockerfile


def test_nginx_lets_through_what_streamlit_accepts():
    limit_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"][
        "maxUploadSize"
    ]
    conf = nginx_config.NGINX_CONF.read_text()
    body = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert limit_mb <= body <= limit_mb + 5
    stream = conf.split("location /_stcore/stream {", 1)[1].split("}", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert "proxy_read_timeout 1d;" in stream
    # nginx inherits no proxy_set_header into a location that sets one: every location that
    # sets any sets them all (the app reads the browser's address from the WebSocket's).
    server_level = conf.split("location / {", 1)[0].rsplit("server {", 1)[1]
    forwarded = [line.strip() for line in server_level.splitlines() if "proxy_set_header" in line]
    assert any("X-Forwarded-For" in line for line in forwarded)
    for block in conf.split("location ")[1:]:
        body = block.split("}", 1)[0]
        if "proxy_set_header" in body:
            for line in forwarded:
                if "Connection" not in line:
                    assert line in body, (block.split("{", 1)[0], line)
    assert "hash $workbench_replica_key consistent;" in conf


def test_nginx_accepts_the_configuration(tmp_path):
    if nginx_config.NGINX is None:
        if REQUIRE_NGINX:
            pytest.fail("WORKBENCH_REQUIRE_NGINX=1 but nginx is not installed")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    files = nginx_config.render(tmp_path, [18501, 18502], 18080, 18443)
    result = nginx_config.check(files)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_scheduler_keeps_only_backups_that_restore(tmp_path, demo_template):
    """One scheduler run on the demo: a backup, proven by a restore, and the mirror synced."""
    backups = tmp_path / "backups"
    mirror = tmp_path / "mirror"
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    (tmp_path / "workbench.db").write_bytes(Path(demo_template).read_bytes())
    env = {
        **os.environ,
        "WORKBENCH_DATABASE_URL": url,
        "WORKBENCH_MIRROR_PATH": str(mirror),
        "WORKBENCH_BACKUP_DIR": str(backups),
        "WORKBENCH_COMMAND": f"{sys.executable} -m workbench.cli",
        "WORKBENCH_SMTP_URL": "",
    }
    done = subprocess.run(
        [sys.executable, str(DEPLOY / "scheduler.py"), "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no email notifications are sent" in done.stdout
    assert "workbench history sync: ok" in done.stdout
    assert "restore-tested" in done.stdout
    kept = list(backups.glob("workbench-*.zip"))
    assert len(kept) == 1
    assert not list((backups / "incoming").iterdir())
    with zipfile.ZipFile(kept[0]) as archive:
        assert "manifest.json" in archive.namelist()
    verify = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "history", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # A second run at once: the backup is not due again (its time is read from the folder).
    again = subprocess.run(
        [sys.executable, str(DEPLOY / "scheduler.py"), "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "workbench backup" not in again.stdout
    assert len(list(backups.glob("workbench-*.zip"))) == 1


def test_a_backup_that_does_not_restore_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(scheduler.BACKUP_DIR_ENV, str(tmp_path))

    def fake(args, env=None):
        if args[0] == "backup":
            Path(args[args.index("-o") + 1]).write_bytes(b"not a zip")
            return True
        return False  # the restore test refuses it

    monkeypatch.setattr(scheduler, "run", fake)
    assert scheduler.backup_job() is False
    assert not list(tmp_path.glob("workbench-*.zip"))
    assert len(list((tmp_path / "incoming").glob("workbench-*.zip"))) == 1


def test_the_image_keeps_what_the_app_reads_beside_the_package():
    """The build context leaves out runtime files, never the folders the app reads."""
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for folder in ("app.py", "views", "workbench", "migrations", "templates", "locales", "data"):
        assert (ROOT / folder).exists()
        assert not [p for p in patterns if p.rstrip("/") in (folder, f"{folder}/*")], folder
    for runtime in ("data/*.db", "data/mirror", "data/session-secret", "deploy/.env"):
        assert runtime in patterns
