"""Backup and restore: everything out, everything back, on either database; damage refused.

The damaged backups are made here with ``zipfile`` from a real backup of the
demo workspace: one fault each, the manifest otherwise kept consistent, so each
test proves that the fault alone is found, named in one line, and that the
target database is left exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select
from typer.testing import CliRunner

from workbench import backup, sections, themes
from workbench.cli import app
from workbench.db import make_engine, session_scope
from workbench.errors import ImportFailed, PermissionDenied, ValidationError
from workbench.migrate import upgrade
from workbench.models import Membership, Person, Report, SectionRevision

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def snapshot(engine: Engine) -> dict[str, list[dict]]:
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


def state(engine: Engine) -> tuple[list[str], dict[str, int], list[tuple]]:
    """Return what a database holds: its tables, their row counts, and its themes."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        counts = {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in names}
        theme_rows = (
            [tuple(r) for r in conn.execute(text("SELECT id, code, name FROM theme ORDER BY id"))]
            if "theme" in names
            else []
        )
    return names, counts, theme_rows


def init(engine: Engine) -> None:
    """Do what `workbench init` does: migrate and load the 14 themes."""
    upgrade(engine)
    with session_scope(engine) as session:
        themes.seed_themes(session)


@pytest.fixture
def init_target(empty_engine: Engine) -> Engine:
    """Yield a database that only `workbench init` has written to, on each backend."""
    init(empty_engine)
    return empty_engine


@pytest.fixture(scope="module")
def demo_backup(demo_template: Path, tmp_path_factory) -> Path:
    """Return a backup of the demo workspace (written once per module)."""
    path = tmp_path_factory.mktemp("backup") / "demo-backup.zip"
    engine = make_engine(f"sqlite:///{demo_template}")
    backup.dump(engine, path)
    engine.dispose()
    return path


# --------------------------------------------------------------------------- damaging


def members(path: Path) -> dict[str, bytes]:
    """Return every member of a ZIP file, in order."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path: Path, content: dict[str, bytes]) -> Path:
    """Write members to a new ZIP file."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def rebuilt(
    src: Path,
    dst: Path,
    *,
    change: dict[str, Callable[[bytes], bytes]] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
    manifest: Callable[[dict], None] | None = None,
    fix_manifest: bool = True,
) -> Path:
    """Copy a backup with members changed, dropped or added, and the manifest edited.

    With ``fix_manifest`` the manifest's count, size and hash of every changed
    member are recomputed, so the change itself is the only fault.
    """
    content = members(src)
    meta = json.loads(content["manifest.json"])
    for name, edit in (change or {}).items():
        content[name] = edit(content[name])
        if fix_manifest:
            table = name.removeprefix("tables/").removesuffix(".jsonl")
            meta["tables"][table] = {
                "rows": content[name].count(b"\n"),
                "bytes": len(content[name]),
                "sha256": hashlib.sha256(content[name]).hexdigest(),
            }
    for name in drop:
        del content[name]
    content.update(add or {})
    if manifest is not None:
        manifest(meta)
    if "manifest.json" in content:
        content["manifest.json"] = json.dumps(meta).encode()
    return write_zip(dst, content)


def edit_row(index: int, edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    """Return a member edit that changes one row (0-based) and re-serialises it."""

    def apply(data: bytes) -> bytes:
        lines = data.decode().splitlines()
        row = json.loads(lines[index])
        edit(row)
        lines[index] = json.dumps(row, ensure_ascii=False)
        return ("\n".join(lines) + "\n").encode()

    return apply


def replace_line(index: int, line: bytes) -> Callable[[bytes], bytes]:
    """Return a member edit that replaces one line (0-based) with raw bytes."""

    def apply(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[index] = line
        return b"\n".join(lines)

    return apply


def flip_compressed_bytes(src: Path, dst: Path, member: str) -> Path:
    """Copy a ZIP file with four bytes in the middle of one member's deflate stream flipped."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as archive:
        info = archive.getinfo(member)
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 4):
        data[i] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def _set(column: str, value: object) -> Callable[[dict], None]:
    def apply(row: dict) -> None:
        row[column] = value

    return apply


PERSON = "tables/person.jsonl"
REVISIONS = "tables/sectionrevision.jsonl"

# (id, how to damage (src, dst) -> path, what the one-line message must say)
DAMAGES: list[tuple[str, Callable[[Path, Path], Path], str]] = [
    (
        "not-a-zip",
        lambda src, dst: (dst.write_bytes(b"these are my notes, not a backup"), dst)[1],
        r"is not a readable ZIP file; it may be truncated or damaged",
    ),
    (
        "truncated",
        lambda src, dst: (dst.write_bytes(src.read_bytes()[: src.stat().st_size * 2 // 3]), dst)[1],
        r"is not a readable ZIP file; it may be truncated or damaged",
    ),
    (
        "missing-manifest",
        lambda src, dst: rebuilt(src, dst, drop=("manifest.json",)),
        r"is not a workbench backup: it holds no manifest\.json",
    ),
    (
        "wrong-format-version",
        lambda src, dst: rebuilt(src, dst, manifest=_set("version", 1)),
        r"is a backup of format version 1; this version of the workbench reads format version 2",
    ),
    (
        "missing-member",
        lambda src, dst: rebuilt(src, dst, drop=(REVISIONS,)),
        r"the member tables/sectionrevision\.jsonl is missing",
    ),
    (
        "unexpected-member",
        lambda src, dst: rebuilt(src, dst, add={"tables/extra.jsonl": b"{}\n"}),
        r"holds an unexpected member 'tables/extra\.jsonl'",
    ),
    (
        "changed-row",
        lambda src, dst: rebuilt(
            src, dst, change={PERSON: edit_row(1, _set("name", "Someone Else"))}, fix_manifest=False
        ),
        r"the SHA-256 of tables/person\.jsonl does not match the manifest",
    ),
    (
        "damaged-deflate-stream",
        lambda src, dst: flip_compressed_bytes(src, dst, REVISIONS),
        r"tables/sectionrevision\.jsonl.*damaged|damaged.*tables/sectionrevision\.jsonl",
    ),
    (
        "tampered-count",
        lambda src, dst: rebuilt(
            src,
            dst,
            manifest=lambda m: m["tables"]["report"].update(rows=m["tables"]["report"]["rows"] + 1),
        ),
        r"tables/report\.jsonl holds \d+ rows; the manifest says \d+\. The file is damaged",
    ),
    (
        "tampered-hash",
        lambda src, dst: rebuilt(
            src, dst, manifest=lambda m: m["tables"]["membership"].update(sha256="0" * 64)
        ),
        r"the SHA-256 of tables/membership\.jsonl does not match the manifest",
    ),
    (
        "row-not-json",
        lambda src, dst: rebuilt(src, dst, change={PERSON: replace_line(2, b'{"id": 3, "name": ')}),
        r"tables/person\.jsonl, line 3 is not valid JSON",
    ),
    (
        "row-of-wrong-type",
        lambda src, dst: rebuilt(src, dst, change={PERSON: edit_row(0, _set("active", "yes"))}),
        r"tables/person\.jsonl, line 1, column 'active': it holds \"yes\" where true or false",
    ),
    (
        "value-that-does-not-convert",
        lambda src, dst: rebuilt(
            src, dst, change={"tables/report.jsonl": edit_row(0, _set("start_date", "2026-13-45"))}
        ),
        r"tables/report\.jsonl, line 1, column 'start_date': it holds \"2026-13-45\", "
        r"which is not a date",
    ),
    (
        "unknown-enum-value",
        lambda src, dst: rebuilt(
            src, dst, change={"tables/report.jsonl": edit_row(0, _set("stage", "abandoned"))}
        ),
        r"column 'stage': it holds \"abandoned\", which is not one of its values",
    ),
    (
        "broken-reference",
        lambda src, dst: rebuilt(
            src, dst, change={"tables/membership.jsonl": edit_row(0, _set("person_id", 99999))}
        ),
        r"tables/membership\.jsonl, line 1 refers to person with person_id 99999, "
        r"but the backup holds no such person",
    ),
    (
        "head-revision-absent",
        lambda src, dst: rebuilt(
            src, dst, change={"tables/section.jsonl": edit_row(0, _set("head_revision_id", 99999))}
        ),
        r"tables/section\.jsonl, line 1 refers to sectionrevision with head_revision_id 99999",
    ),
    (
        "repeated-id",
        lambda src, dst: rebuilt(src, dst, change={PERSON: edit_row(1, _set("id", 1))}),
        r"tables/person\.jsonl, line 2 repeats id 1, which must be unique",
    ),
    (
        "nul-in-a-text",
        lambda src, dst: rebuilt(
            src, dst, change={PERSON: edit_row(0, _set("name", "Ada\x00Lovelace"))}
        ),
        r"tables/person\.jsonl, line 1, column 'name': "
        r"it contains a control character \(code 0x00\)",
    ),
    (
        "control-character-in-a-text",
        lambda src, dst: rebuilt(
            src, dst, change={REVISIONS: edit_row(0, _set("text", "Ring the bell\x07 now."))}
        ),
        r"column 'text': it contains a control character \(code 0x07\)",
    ),
    (
        "over-long-text",
        lambda src, dst: rebuilt(src, dst, change={PERSON: edit_row(0, _set("name", "x" * 201))}),
        r"tables/person\.jsonl, line 1, column 'name': it is 201 characters long; at most 200 fit",
    ),
    (
        "over-long-section-text",
        lambda src, dst: rebuilt(
            src, dst, change={REVISIONS: edit_row(0, _set("text", "w" * 2_000_001))}
        ),
        r"tables/sectionrevision\.jsonl, line 1, column 'text': it is 2,000,001 characters long; "
        r"at most 2,000,000 fit",
    ),
    (
        "missing-column",
        lambda src, dst: rebuilt(
            src, dst, change={PERSON: edit_row(0, lambda row: row.pop("email"))}
        ),
        r"tables/person\.jsonl, line 1 has no column 'email'",
    ),
    (
        "number-out-of-range",
        lambda src, dst: rebuilt(
            src, dst, change={"tables/section.jsonl": edit_row(0, _set("word_target", 2**40))}
        ),
        r"column 'word_target': it holds 1099511627776, beyond what the column stores",
    ),
    (
        "time-without-offset",
        lambda src, dst: rebuilt(
            src, dst, change={PERSON: edit_row(0, _set("created_at", "2026-01-01T10:00:00"))}
        ),
        r"column 'created_at': it holds \"2026-01-01T10:00:00\", a time without its UTC offset",
    ),
]


@pytest.mark.parametrize(
    ("damage", "expected"), [(d[1], d[2]) for d in DAMAGES], ids=[d[0] for d in DAMAGES]
)
def test_a_damaged_backup_is_refused_in_one_line_and_changes_nothing(
    damage, expected, demo_backup, init_target, tmp_path
):
    damaged = damage(demo_backup, tmp_path / "damaged.zip")
    before = state(init_target)
    with pytest.raises(ImportFailed) as refused:
        backup.restore(init_target, damaged)
    message = refused.value.message
    assert "\n" not in message
    assert message.startswith("damaged.zip")
    assert message.endswith("Nothing was restored.")
    assert re.search(expected, message), message
    assert state(init_target) == before


def test_a_damaged_backup_leaves_a_database_with_no_tables_without_tables(
    demo_backup, empty_engine, tmp_path
):
    damaged = rebuilt(
        demo_backup,
        tmp_path / "damaged.zip",
        change={"tables/membership.jsonl": edit_row(3, _set("report_id", 4242))},
    )
    with pytest.raises(ImportFailed, match="refers to report with report_id 4242"):
        backup.restore(empty_engine, damaged)
    assert state(empty_engine) == ([], {}, [])


# --------------------------------------------------------------------------- round trips


def test_the_manifest_carries_each_tables_count_and_hash(demo_backup, demo_template):
    content = members(demo_backup)
    manifest = json.loads(content["manifest.json"])
    assert manifest["format"] == backup.FORMAT and manifest["version"] == 2
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine) as session:
        people = session.exec(select(func.count()).select_from(Person)).one()
    engine.dispose()
    assert manifest["tables"]["person"]["rows"] == people > 0
    assert set(manifest["tables"]) == {t.name for t in SQLModel.metadata.sorted_tables}
    for table, entry in manifest["tables"].items():
        data = content[f"tables/{table}.jsonl"]
        assert entry == {
            "rows": data.count(b"\n"),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }


def test_backup_then_restore_gives_identical_content(tmp_path, empty_engine):
    from tests.factories import make_world

    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade(source)
    with Session(source, expire_on_commit=False) as session:
        world = make_world(session)
        section = world.sections[0]
        sections.save_revision(
            session=session,
            actor=world.la,
            section=section,
            text="Ünïcode — 中文 — عربي\n\nSecond line.\tTabbed.\r\n",
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


def test_init_then_restore_gives_the_demo_workspace_back(demo_backup, demo_template, init_target):
    assert len(state(init_target)[2]) == themes.THEME_COUNT
    counts = backup.restore(init_target, demo_backup)
    source = make_engine(f"sqlite:///{demo_template}")
    assert snapshot(init_target) == snapshot(source)
    assert counts == {t: len(rows) for t, rows in snapshot(source).items()}
    source.dispose()


def test_failed_sign_ins_on_the_new_database_do_not_block_the_restore(
    demo_backup, demo_template, init_target
):
    from workbench import people

    with session_scope(init_target) as s:
        assert (
            people.authenticate(s, "nobody@example.org", "not the password", client="10.0.0.9")
            is None
        )
    counts = backup.restore(init_target, demo_backup)
    source = make_engine(f"sqlite:///{demo_template}")
    assert snapshot(init_target) == snapshot(source)
    assert counts["person"] == len(snapshot(source)["person"])
    source.dispose()


def test_restore_refuses_a_database_with_people_naming_what_it_holds(
    tmp_path, demo_backup, session, world
):
    engine = session.get_bind()
    people = session.exec(select(func.count()).select_from(Person)).one()
    revisions = session.exec(select(func.count()).select_from(SectionRevision)).one()
    before = state(engine)
    with pytest.raises(ValidationError) as refused:
        backup.restore(engine, demo_backup)
    assert refused.value.message == (
        f"The database is not empty: it already holds {people} people, 1 report and "
        f"{revisions} section revisions. Restore needs an empty database (one `workbench init` "
        "made is fine), so that nothing is overwritten."
    )
    assert state(engine) == before


def test_restore_refuses_an_initialised_database_someone_has_started_using(
    demo_backup, init_target
):
    with session_scope(init_target) as s:
        s.add(Person(email="first@example.org", name="First Person"))
        s.commit()
    before = state(init_target)
    with pytest.raises(ValidationError, match="already holds 1 person\\. Restore needs"):
        backup.restore(init_target, demo_backup)
    assert state(init_target) == before


def test_a_backup_written_while_people_work_is_one_moment_and_restores(
    tmp_path, engine, monkeypatch
):
    """A person and their membership added half-way through a backup are both out, or both in."""
    from tests.factories import make_world

    if engine.dialect.name == "sqlite":  # a file, so that a second connection can write
        engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")
        upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        world = make_world(s)
        people_before = s.exec(select(func.count()).select_from(Person)).one()
        secretariat = world.secretariat
    real_rows = backup._rows

    def rows_with_a_write_between_tables(conn, table):
        if table.name == "membership":
            # Someone adds a person and their role after `person` was read.
            with Session(
                make_engine(str(engine.url.render_as_string(hide_password=False)))
            ) as other:
                newcomer = Person(email="late@example.org", name="Late Comer")
                other.add(newcomer)
                other.flush()
                other.add(
                    Membership(person_id=newcomer.id, report_id=world.report.id, role="reviewer")
                )
                other.commit()
                other.get_bind().dispose()
        yield from real_rows(conn, table)

    monkeypatch.setattr(backup, "_rows", rows_with_a_write_between_tables)
    path = tmp_path / "busy.zip"
    with Session(engine, expire_on_commit=False) as s:
        backup.write_backup(session=s, actor=s.get(Person, secretariat.id), path=path)
    copy = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    counts = backup.restore(copy, path)
    assert counts["person"] == people_before
    with Session(copy) as s:
        assert s.exec(select(Person).where(Person.email == "late@example.org")).first() is None


def test_no_backup_is_written_of_a_row_that_could_not_be_restored(tmp_path, session, world):
    # A text stored before the workbench refused control characters (written here with SQL,
    # past the checks): the backup says which row to correct instead of failing at restore.
    session.execute(
        text("UPDATE person SET name = :name WHERE id = :id"),
        {"name": "Bell\x07 Ringer", "id": world.outsider.id},
    )
    session.commit()
    path = tmp_path / "b.zip"
    with pytest.raises(ValidationError) as refused:
        backup.write_backup(session=session, actor=world.secretariat, path=path)
    assert refused.value.message == (
        f"No backup was written: the person row with id {world.outsider.id} cannot be restored "
        "(column 'name': it contains a control character (code 0x07) at position 5; remove it). "
        "Correct it, then back up."
    )
    assert list(tmp_path.iterdir()) == []


def test_not_a_backup(tmp_path):
    bogus = tmp_path / "notes.zip"
    bogus.write_bytes(b"hello")
    with pytest.raises(ImportFailed, match="notes.zip is not a readable ZIP file"):
        backup.restore(make_engine("sqlite://"), bogus)
    other = write_zip(tmp_path / "other.zip", {"manifest.json": b'{"format": "something-else"}'})
    with pytest.raises(ImportFailed, match="no manifest of ours"):
        backup.read_manifest(other)


def test_only_the_secretariat_backs_up(tmp_path, session, world):
    with pytest.raises(PermissionDenied):
        backup.write_backup(session=session, actor=world.cla, path=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


# --------------------------------------------------------------------------- bounded memory


def _bomb(path: Path, *, declared_bytes: int, inflated: int, fill: bytes) -> Path:
    """Write a backup whose person member inflates to ``inflated`` bytes of ``fill``.

    The member is deflated chunk by chunk, so the test never holds it whole; the
    manifest is otherwise a real one.
    """
    manifest = {
        "format": backup.FORMAT,
        "version": backup.FORMAT_VERSION,
        "schema_revision": None,
        "tables": {
            t.name: {"rows": 0, "bytes": 0, "sha256": hashlib.sha256(b"").hexdigest()}
            for t in SQLModel.metadata.sorted_tables
        },
    }
    manifest["tables"]["person"] = {"rows": 1, "bytes": declared_bytes, "sha256": "0" * 64}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for table in SQLModel.metadata.sorted_tables:
            if table.name != "person":
                archive.writestr(f"tables/{table.name}.jsonl", b"")
        with archive.open(PERSON, "w", force_zip64=True) as handle:
            block = fill * (1024 * 1024 // len(fill))
            for _ in range(inflated // len(block)):
                handle.write(block)
    return path


def _restore_under_memory_cap(
    path: Path, target: Path, cap_mib: int
) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        f"""
        import resource
        from workbench import backup
        from workbench.db import make_engine
        from workbench.errors import ImportFailed
        cap = {cap_mib} * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        try:
            backup.restore(make_engine("sqlite:///{target}"), "{path}")
        except ImportFailed as exc:
            print("REFUSED", exc.message)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True
    )


def test_a_member_inflating_past_its_manifest_entry_is_refused_in_bounded_memory(tmp_path):
    # 1 GiB of zeros deflates to about 1 MB; the manifest says the member is 1 kB.
    bomb = _bomb(tmp_path / "bomb.zip", declared_bytes=1000, inflated=1024**3, fill=b"\n")
    assert bomb.stat().st_size < 5 * 1024 * 1024
    result = _restore_under_memory_cap(bomb, tmp_path / "target.db", 512)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "REFUSED bomb.zip: tables/person.jsonl is longer than the manifest says" in result.stdout
    assert not (tmp_path / "target.db").exists() or state(
        make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    ) == ([], {}, [])


def test_a_gigabyte_row_is_refused_in_bounded_memory(tmp_path):
    # One line with no end: a reader that collects a line before checking it runs out.
    bomb = _bomb(tmp_path / "row.zip", declared_bytes=1024**3, inflated=1024**3, fill=b"x")
    result = _restore_under_memory_cap(bomb, tmp_path / "target.db", 512)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "REFUSED row.zip: tables/person.jsonl, line 1 is longer than 64 MiB" in result.stdout


# --------------------------------------------------------------------------- command line

runner = CliRunner()


def _cli(url: str, *args: str):
    return runner.invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url})


def test_cli_init_then_restore(tmp_path, demo_backup):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert _cli(url, "init").exit_code == 0
    result = _cli(url, "restore", str(demo_backup))
    assert result.exit_code == 0, result.output
    assert "Verified and restored" in result.stdout
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Report)).one() >= 1
    engine.dispose()


CLI_DAMAGES = [
    d
    for d in DAMAGES
    if d[0]
    in {
        "truncated",
        "damaged-deflate-stream",
        "tampered-count",
        "broken-reference",
        "nul-in-a-text",
    }
]


@pytest.mark.parametrize("damage", [d[1] for d in CLI_DAMAGES], ids=[d[0] for d in CLI_DAMAGES])
def test_cli_restore_of_a_damaged_file_prints_one_error_line(tmp_path, demo_backup, damage):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert _cli(url, "init").exit_code == 0
    damaged = damage(demo_backup, tmp_path / "damaged.zip")
    result = _cli(url, "restore", str(damaged))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: damaged.zip"), result.stderr
    assert lines[0].endswith("Nothing was restored.")
