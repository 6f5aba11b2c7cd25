"""`workbench health`: what a container health check and the migration job rely on."""

from __future__ import annotations

import socket

from alembic import command
from typer.testing import CliRunner

from workbench.cli import app
from workbench.db import make_engine
from workbench.migrate import alembic_config, head_revision, upgrade

runner = CliRunner()


def run(url: str):
    return runner.invoke(app, ["health"], env={"WORKBENCH_DATABASE_URL": url})


def test_a_migrated_database_is_healthy(tmp_path):
    url = f"sqlite:///{tmp_path / 'ok.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    result = run(url)
    assert result.exit_code == 0, result.output
    assert f"is at schema {head_revision()}" in result.output


def test_a_database_never_migrated_is_not_healthy(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.exit_code == 1
    assert "has no workspace yet; run `workbench init`" in result.output


def test_a_database_behind_the_code_is_not_healthy(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    engine.dispose()
    result = run(url)
    assert result.exit_code == 1
    assert f"needs {head_revision()}; run `workbench init` to migrate it" in result.output


def test_an_unreachable_database_exits_2():
    with socket.socket() as sock:  # a port nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/nothing?connect_timeout=3")
    assert result.exit_code == 2
    assert "cannot be reached" in result.output
    assert "secret" not in result.output
