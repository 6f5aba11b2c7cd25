"""Backups: every table of the workspace in one portable file, restorable on either database.

A backup is a ZIP archive holding ``manifest.json`` (format version, schema
revision, row counts) and one ``tables/<name>.jsonl`` file per table, one JSON
object per row, with dates and times as ISO strings. It is written and read
table by table, so a workspace of IPCC size never has to fit in memory at once.

Restoring needs an empty database (a fresh SQLite file, or a PostgreSQL database
with no workspace in it): it migrates the schema, inserts every row with its
original id in one transaction, and moves PostgreSQL's id sequences past them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, TypeDecorator, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import workbench.models  # noqa: F401  (registers the tables)
from workbench.errors import ImportFailed, ValidationError
from workbench.migrate import current_revision, upgrade
from workbench.models import Person
from workbench.permissions import Action, require

FORMAT = "synthesis-workbench-backup"
FORMAT_VERSION = 1
BATCH = 2000


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = [c for c in table.primary_key.columns]
    result = conn.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {key: _plain(value) for key, value in row.items()}


def write_backup(*, session: Session, actor: Person, path: Path) -> dict[str, int]:
    """Write every table to a backup file (Secretariat only); return the row counts."""
    require(session, actor, Action.backup)
    return dump(session.get_bind(), path)


def dump(engine: Engine | Connection, path: Path) -> dict[str, int]:
    """Write every table of a database to ``path``; return the row counts per table."""
    counts: dict[str, int] = {}
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    conn_cm = engine.connect() if isinstance(engine, Engine) else _nullcontext(engine)
    with conn_cm as conn, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        revision = _revision(conn)
        for table in _tables():
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as handle:
                for row in _rows(conn, table):
                    handle.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
                    count += 1
            counts[table.name] = count
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema_revision": revision,
            "tables": counts,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)
    return counts


class _nullcontext:
    def __init__(self, value: Connection) -> None:
        self.value = value

    def __enter__(self) -> Connection:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        conn.rollback()
        return None


def _python_type(column: Any) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return datetime
    if isinstance(kind, Date):
        return date
    return None


def _convert(table: Table, row: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if value is not None:
            try:
                kind = _python_type(column)
                if kind is datetime:
                    value = datetime.fromisoformat(value)
                elif kind is date:
                    value = date.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise ImportFailed(
                    f"{where}: column '{column.name}' holds '{value}': {exc}"
                ) from exc
        out[column.name] = value
    return out


def read_manifest(path: Path) -> dict[str, Any]:
    """Return a backup's manifest, or raise ImportFailed when the file is not a backup."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ImportFailed(f"{Path(path).name} is not a workbench backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise ImportFailed(f"{Path(path).name} is not a workbench backup (no manifest of ours).")
    if manifest.get("version") != FORMAT_VERSION:
        raise ImportFailed(
            f"{Path(path).name} is a backup of format {manifest.get('version')}; "
            f"this version reads format {FORMAT_VERSION}."
        )
    return manifest


def restore(engine: Engine, path: Path) -> dict[str, int]:
    """Restore a backup into an empty database (migrating it first); all or nothing."""
    manifest = read_manifest(path)
    upgrade(engine)
    with engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(Person.__table__)).scalar()
    if people:
        raise ValidationError(
            "The database is not empty; restore into a new database so nothing is overwritten."
        )
    expected_revision = manifest.get("schema_revision")
    if expected_revision and expected_revision != current_revision(engine):
        raise ImportFailed(
            f"The backup is of schema {expected_revision}, the database of "
            f"{current_revision(engine)}; use the workbench version that wrote it."
        )
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive, engine.begin() as conn:
        for table in _tables():
            name = f"tables/{table.name}.jsonl"
            if name not in archive.namelist():
                counts[table.name] = 0
                continue
            batch: list[dict[str, Any]] = []
            count = 0
            with archive.open(name) as handle:
                for line_no, line in enumerate(io.TextIOWrapper(handle, encoding="utf-8"), 1):
                    if not line.strip():
                        continue
                    where = f"{name}, line {line_no}"
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ImportFailed(f"{where} is not valid JSON: {exc}") from exc
                    batch.append(_convert(table, row, where))
                    if len(batch) >= BATCH:
                        conn.execute(insert(table), batch)
                        count += len(batch)
                        batch = []
            if batch:
                conn.execute(insert(table), batch)
                count += len(batch)
            counts[table.name] = count
            if count != manifest["tables"].get(table.name, count):
                raise ImportFailed(
                    f"{name} holds {count} rows; the manifest promised "
                    f"{manifest['tables'][table.name]}. The backup is damaged."
                )
        if conn.dialect.name == "postgresql":
            for table in _tables():
                if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                        )
                    )
    return counts
