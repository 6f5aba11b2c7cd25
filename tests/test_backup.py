"""Backup and restore: everything out, everything back, on either database."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlmodel import Session, SQLModel, select

from workbench import backup, sections
from workbench.db import make_engine
from workbench.errors import ImportFailed, PermissionDenied, ValidationError
from workbench.models import Report, SectionRevision


def snapshot(engine) -> dict[str, list[dict]]:
    """Return every table's rows as plain data, ordered by primary key."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = [
                {k: backup._plain(v) for k, v in row.items()}
                for row in conn.execute(
                    table.select().order_by(*table.primary_key.columns)
                ).mappings()
            ]
    return out


def test_backup_then_restore_gives_identical_content(tmp_path, empty_engine):
    from tests.factories import make_world

    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    from workbench.migrate import upgrade

    upgrade(source)
    with Session(source, expire_on_commit=False) as session:
        world = make_world(session)
        section = world.sections[0]
        sections.save_revision(
            session=session,
            actor=world.la,
            section=section,
            text="Ünïcode — 中文 — عربي\n\nSecond line.",
            base_revision_id=section.head_revision_id,
        )
        path = tmp_path / "backup.zip"
        counts = backup.write_backup(session=session, actor=world.secretariat, path=path)
    assert counts["sectionrevision"] == 5
    engine = empty_engine
    restored = backup.restore(engine, path)
    assert restored == counts
    assert snapshot(engine) == snapshot(source)
    # New rows get fresh ids after a restore (sequences moved past the restored ids).
    with Session(engine, expire_on_commit=False) as session:
        world_la = session.get(type(world.la), world.la.id)
        sec = sections.get_section(session, section.id)
        result = sections.save_revision(
            session=session,
            actor=world_la,
            section=sec,
            text="after restore",
            base_revision_id=sec.head_revision_id,
        )
        assert result.revision.id == 6


def test_restore_refuses_a_database_with_a_workspace(tmp_path, session, world):
    path = tmp_path / "b.zip"
    backup.write_backup(session=session, actor=world.secretariat, path=path)
    target = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    backup.restore(target, path)
    with pytest.raises(ValidationError, match="not empty"):
        backup.restore(target, path)


def test_a_damaged_backup_changes_nothing(tmp_path, session, world):
    path = tmp_path / "b.zip"
    backup.write_backup(session=session, actor=world.secretariat, path=path)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "tables/sectionrevision.jsonl":
                data = data + b"{not json\n"
            dst.writestr(item, data)
    target = make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(ImportFailed, match="sectionrevision.jsonl, line 5 is not valid JSON"):
        backup.restore(target, damaged)
    with Session(target) as check:
        assert check.exec(select(Report)).all() == []
        assert check.exec(select(SectionRevision)).all() == []


def test_not_a_backup(tmp_path):
    bogus = tmp_path / "notes.zip"
    bogus.write_bytes(b"hello")
    with pytest.raises(ImportFailed, match="not a workbench backup"):
        backup.restore(make_engine("sqlite://"), bogus)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ImportFailed, match="no manifest of ours"):
        backup.read_manifest(other)


def test_only_the_secretariat_backs_up(tmp_path, session, world):
    with pytest.raises(PermissionDenied):
        backup.write_backup(session=session, actor=world.cla, path=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()
