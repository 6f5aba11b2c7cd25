"""The README stays true: its demo accounts, commands and settings match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.main import get_command

from workbench.cli import app
from workbench.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_demo_accounts_table_matches_the_demo_people():
    people = json.loads((ROOT / "data" / "demo" / "people.json").read_text(encoding="utf-8"))
    listed = set(re.findall(r"`([\w.+-]+@demo\.ipsp\.example)`", README))
    assert listed == {p["email"] for p in people}
    assert f"**`{DEMO_PASSWORD}`**" in README


def test_every_command_is_documented():
    def walk(command, prefix=""):
        for name, sub in getattr(command, "commands", {}).items():
            full = f"{prefix}{name}"
            if getattr(sub, "commands", None):
                yield from walk(sub, full + " ")
            else:
                yield full

    for name in walk(get_command(app)):
        assert f"`workbench {name}" in README, f"`workbench {name}` is not in the README"


def test_the_two_commands_exist():
    assert "bash scripts/demo.sh" in README and (ROOT / "scripts" / "demo.sh").exists()
    assert "bash scripts/test.sh" in README and (ROOT / "scripts" / "test.sh").exists()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci
