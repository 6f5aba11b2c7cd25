"""The `workbench` command: each command on a real database file, errors as one line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workbench.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """Return the URL of a SQLite file with the demo workspace loaded once for this module."""
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["demo"], env={"WORKBENCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "Loaded the demo reports: living-wages, cities-commons." in result.output
    return url


def run(url: str, *args: str, input: str | None = None):
    return runner.invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url}, input=input)


def _command_paths() -> list[list[str]]:
    """Every command and subcommand the `workbench` program registers, read from Typer."""
    import typer.main

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        # Typer ships its own copy of click: a group is whatever has subcommands.
        if isinstance(getattr(command, "commands", None), dict):
            for name, sub in command.commands.items():  # type: ignore[attr-defined]
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_every_command_has_help():
    commands = _command_paths()
    # The list comes from the program itself, so a new command is covered without editing here.
    for expected in (["health"], ["search"], ["history", "verify"], ["glossary", "import"]):
        assert expected in commands
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output


def test_status_json_describes_the_demo_report(demo_db):
    result = run(demo_db, "status", "--report", "living-wages", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["report"]["stage"] == "second_order_draft"
    assert len(data["sections"]) >= 12
    first = data["sections"][0]
    assert set(first) >= {
        "id",
        "code",
        "title",
        "question",
        "status",
        "lead_author",
        "words",
        "due_date",
        "open_comments",
    }
    assert first["lead_author"].endswith("@demo.ipsp.example")
    assert sum(s["open_comments"] for s in data["sections"]) > 0
    assert [c["question"] for c in data["coverage"]] == [
        "known",
        "desirable",
        "obstacles",
        "action",
    ]
    assert all(c["covered"] for c in data["coverage"])
    assert isinstance(data["warnings"], list)


def test_status_table_and_reports_list(demo_db):
    result = run(demo_db, "status", "--report", "cities-commons")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output  # a seven-author team is below the Panel's 10–15
    listed = json.loads(run(demo_db, "reports", "list", "--json").output)
    assert [r["slug"] for r in listed] == ["cities-commons", "living-wages"]
    assert "living-wages" in run(demo_db, "reports", "list").output


def test_users_list(demo_db):
    rows = json.loads(run(demo_db, "users", "list", "--json").output)
    admin = next(r for r in rows if r["email"] == "secretariat@demo.ipsp.example")
    assert admin["roles"] == [{"report": "", "role": "secretariat"}]
    assert any({"report": "living-wages", "role": "cla"} in r["roles"] for r in rows)


def test_unknown_report_is_a_one_line_error(demo_db):
    result = run(demo_db, "status", "--report", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: No report with the slug 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_commands_refuse_an_uninitialised_database(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", "reports", "list")
    assert result.exit_code == 1
    assert "run `workbench init`" in result.stderr


def test_init_then_first_account_then_report_roles(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert "14 themes loaded" in run(url, "init").output
    refused = run(url, "users", "add", "a@panel.org", "--name", "A", "--role", "council_member")
    assert refused.exit_code == 1 and "--role secretariat only" in refused.stderr
    ok = run(
        url,
        "users",
        "add",
        "admin@panel.org",
        "--name",
        "Admin",
        "--role",
        "secretariat",
        "--password",
        "s3cret-passphrase",
    )
    assert ok.exit_code == 0, ok.output
    needs_report = run(url, "users", "add", "la@panel.org", "--name", "LA", "--role", "lead_author")
    assert needs_report.exit_code == 1 and "--report SLUG" in needs_report.stderr
    passwd = run(url, "users", "passwd", "admin@panel.org", "--password", "another-pass")
    assert passwd.exit_code == 0 and "Password set" in passwd.output
    short = run(url, "users", "passwd", "admin@panel.org", "--password", "short")
    assert short.exit_code == 1 and "at least 12" in short.stderr


def test_sources_export_and_import_roundtrip(demo_db, tmp_path):
    for fmt, name in (("csljson", "lib.json"), ("bibtex", "lib.bib"), ("ris", "lib.ris")):
        out = tmp_path / name
        result = run(
            demo_db,
            "sources",
            "export",
            "--report",
            "living-wages",
            "--format",
            fmt,
            "-o",
            str(out),
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    # Re-importing the same library is refused as duplicates, and nothing changes.
    again = run(demo_db, "sources", "import", str(tmp_path / "lib.bib"), "--report", "living-wages")
    assert again.exit_code == 1 and "already in the library" in again.stderr
    skipped = run(
        demo_db,
        "sources",
        "import",
        str(tmp_path / "lib.json"),
        "--report",
        "living-wages",
        "--skip-duplicates",
    )
    assert skipped.exit_code == 0 and "Imported 0 sources" in skipped.output
    into_other = run(
        demo_db,
        "sources",
        "import",
        str(tmp_path / "lib.ris"),
        "--report",
        "cities-commons",
        "--as",
        "leila.moradi@demo.ipsp.example",
    )
    assert into_other.exit_code == 0, into_other.stderr
    assert "Imported" in into_other.output


def test_comments_export_and_reimport(demo_db, tmp_path):
    for name in ("sod.csv", "sod.xlsx"):
        out = tmp_path / name
        result = run(
            demo_db,
            "comments",
            "export",
            "--report",
            "living-wages",
            "--round",
            "SOD",
            "-o",
            str(out),
        )
        assert result.exit_code == 0, result.output
    bad = run(
        demo_db, "comments", "export", "--report", "living-wages", "-o", str(tmp_path / "x.pdf")
    )
    assert bad.exit_code == 1 and ".csv or .xlsx" in bad.stderr
    # The exported numbers are already in the round: the import is refused whole.
    dup = run(
        demo_db,
        "comments",
        "import",
        str(tmp_path / "sod.csv"),
        "--report",
        "living-wages",
        "--round",
        "SOD",
    )
    assert dup.exit_code == 1
    closed = run(
        demo_db,
        "comments",
        "import",
        str(tmp_path / "sod.xlsx"),
        "--report",
        "living-wages",
        "--round",
        "FOD",
    )
    assert closed.exit_code == 1


def test_permissions_apply_on_the_command_line(demo_db, tmp_path):
    out = tmp_path / "b.zip"
    denied = run(demo_db, "backup", "-o", str(out), "--as", "amina.diallo@demo.ipsp.example")
    assert denied.exit_code == 1 and "may not backup" in denied.stderr
    assert not out.exists()


def test_backup_and_restore_commands(demo_db, tmp_path):
    out = tmp_path / "b.zip"
    result = run(demo_db, "backup", "-o", str(out))
    assert result.exit_code == 0, result.output
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = run(target, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    original = json.loads(run(demo_db, "status", "--report", "living-wages", "--json").output)
    copy = json.loads(run(target, "status", "--report", "living-wages", "--json").output)
    assert copy == original
    again = run(target, "restore", str(out))
    assert again.exit_code == 1 and "not empty" in again.stderr


def test_export_writes_word_and_markdown_with_the_csl_json(demo_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(demo_db, "export", "--report", "living-wages")
    assert result.exit_code == 0, result.output
    written = list(tmp_path.glob("living-wages-*.docx"))
    assert len(written) == 1 and written[0].stat().st_size > 10_000
    target = tmp_path / "draft.md"
    result = run(
        demo_db, "export", "--report", "living-wages", "--format", "md", "-o", str(target),
        "--keep-citations",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[@ilo2024experts]" in target.read_text(encoding="utf-8")
    assert (tmp_path / "living-wages-references.json").exists()


def test_export_fails_in_one_line(demo_db, tmp_path):
    result = run(demo_db, "export", "--report", "living-wages", "--format", "odt")
    assert result.exit_code != 0
    assert "not an export format" in result.output
    assert "Traceback" not in result.output
    result = run(demo_db, "export", "--report", "living-wages", "--language", "xx")
    assert result.exit_code != 0 and "not one of the report's languages" in result.output


def test_users_passwd_says_why_a_password_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    run(url, "init")
    admin = "admin@panel.org"
    added = run(url, "users", "add", admin, "--name", "A", "--role", "secretariat")
    assert added.exit_code == 0, added.output
    for password, reason in [
        ("short-pass", "A password needs at least 12 characters; this one has 10."),
        ("1qaz2wsx3edc4rfv", "one of the most common passwords"),
        ("passwordpassword", "too easy to guess"),
        (admin, "cannot be the person's email address"),
    ]:
        refused = run(url, "users", "passwd", admin, "--password", password)
        assert refused.exit_code == 1, password
        assert refused.stderr.startswith("error: ") and reason in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    weak = run(url, "users", "add", "b@panel.org", "--name", "B", "--password", "1q2w3e4r5t6y")
    assert weak.exit_code == 1 and "common passwords" in weak.stderr
    assert "b@panel.org" not in run(url, "users", "list").output


def test_a_command_line_write_is_audited_as_the_command_line(tmp_path):
    import os
    import pwd

    from sqlmodel import Session, select

    from workbench import audit, people
    from workbench.db import make_engine
    from workbench.models import AuditEvent

    url = f"sqlite:///{tmp_path / 'new.db'}"
    run(url, "init")
    run(url, "users", "add", "admin@panel.org", "--name", "Admin", "--role", "secretariat")
    run(url, "users", "add", "clerk@panel.org", "--name", "Clerk", "--role", "secretariat")
    result = run(
        url,
        "users",
        "add",
        "member@panel.org",
        "--name",
        "Member",
        "--role",
        "council_member",
        "--as",
        "clerk@panel.org",
    )
    assert result.exit_code == 0, result.output
    me = pwd.getpwuid(os.geteuid()).pw_name
    engine = make_engine(url)
    with Session(engine) as s:
        clerk = people.get_by_email(s, "clerk@panel.org")
        events = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        added = events[-1]
        # Recorded for the person named with --as, and marked as the command line's doing.
        assert (added.action, added.person_id) == ("create", clerk.id)
        assert added.detail["via"] == "cli" and added.detail["os_user"] == me
        assert audit.origin_label(added) == f"command line (os user {me})"
        assert all(e.detail.get("via") == "cli" for e in events), [e.detail for e in events]
        # Outside a command (the app), events carry no such mark.
        assert audit.current_origin() == {}
        app_event = audit.record(s, clerk, "update", "person", clerk.id)
        assert "via" not in app_event.detail and audit.origin_label(app_event) == "app"
    engine.dispose()
