"""Backups: every table of the workspace in one portable file, restorable on either database.

Vocabulary:

- A **backup** is a ZIP archive holding ``manifest.json`` and one **table
  member** ``tables/<name>.jsonl`` per table: one JSON object per row, ordered
  by primary key, with dates and times as ISO strings.
- The **manifest** names the format and its **format version** (2), the schema
  revision the rows belong to, and for every table its row count, the byte
  length of its member and the SHA-256 of the member's exact bytes.
- **Verifying** a backup reads every member as a stream (never a whole table in
  memory) and checks everything a database would otherwise find half-way
  through a restore: the ZIP itself, the manifest, the set of members, each
  member's size, count and hash, every row's columns and types, every
  reference to another row, and every text against what *both* SQLite and
  PostgreSQL accept (no NUL or other control character but tab, newline and
  carriage return; no text longer than its column allows).

Restoring needs an empty database: a fresh SQLite file, a PostgreSQL database
with no workspace in it, or one that only ``workbench init`` has written to (its
themes are replaced by the backup's, ids and all). The whole file is verified
before the database is touched; then the schema is migrated and every row is
inserted with its original id in one transaction, the members being read and
hashed a second time, and PostgreSQL's id sequences are moved past the ids.
A damaged file is refused with one line saying what is wrong, and the database
is left exactly as it was.

The hashes detect damage and careless edits. They do not prove who wrote the
file: someone who rewrites a member and its manifest entry together makes a
consistent backup, which is still refused if the databases would refuse it.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import workbench.models  # noqa: F401  (registers the tables)
from workbench.errors import ImportFailed, ValidationError
from workbench.limits import (
    MAX_TEXT_CHARS,
    ZIP_ERRORS,
    MiB,
    column_limit,
    read_member,
    text_problem,
)
from workbench.migrate import alembic_config, current_revision, head_revision
from workbench.models import Person, SignInSession, utcnow
from workbench.permissions import Action, require
from workbench.phrasing import Number

FORMAT = "synthesis-workbench-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
BATCH = 2000

#: The manifest is a few kilobytes; anything near this is not ours.
MAX_MANIFEST_BYTES = 1 * MiB
#: One row (one line of a table member); a row past this is refused unread.
MAX_ROW_BYTES = 64 * MiB
#: All table members together, as they inflate (a 10x IPCC-scale workspace is ~2 GiB).
MAX_INFLATED_BYTES = 64 * 1024 * MiB

_CHUNK = 64 * 1024
# Neither database takes a NUL, and no driver can encode a lone surrogate. (Texts
# also obey the workbench's own rule, limits.text_problem; JSON values hold what
# the workbench itself wrote, so only what would break a database is refused there.)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# References the schema cannot declare (they would make a cycle), checked all the same.
_LOGICAL_REFERENCES = {("section", "head_revision_id"): ("sectionrevision", "id")}
# What `workbench init` writes besides the schema: a database holding only these is empty.
# Failed sign-ins against the new database before the restore (someone trying the empty
# app) hold no workspace either: their throttle rows and audit events are dropped too.
_INIT_TABLES = {"theme", "themelink", "signinthrottle"}
_INIT_AUDIT_ACTIONS = ("seed_themes", "sign_in_failed", "sign_in_locked", "sign_in_refused")

_NOUNS = {
    "person": ("person", "people"),
    "report": ("report", "reports"),
    "sectionrevision": ("section revision", "section revisions"),
    "auditevent": ("audit event", "audit events"),
}
_PRINCIPAL = ("person", "report", "sectionrevision")


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _member(table: Table) -> str:
    return f"tables/{table.name}.jsonl"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- writing


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = [c for c in table.primary_key.columns]
    result = conn.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {key: _plain(value) for key, value in row.items()}


def write_backup(*, session: Session, actor: Person, path: Path) -> dict[str, int]:
    """Write every table to a backup file (Secretariat only); return the row counts."""
    require(session, actor, Action.backup)
    return dump(session.get_bind(), path)


@contextmanager
def _snapshot(engine: Engine | Connection) -> Iterator[Connection]:
    """Yield a connection that sees one moment of the database for every table.

    Without it a row written while the backup runs could be in a child table but
    not in its parent, and the backup would be refused when restored.
    """
    if isinstance(engine, Connection):
        yield engine
        return
    if engine.dialect.name == "postgresql":
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
        ):
            yield conn
        return
    with engine.connect() as conn:
        # pysqlite starts no transaction for reads; one explicit BEGIN makes every
        # SELECT below read the same snapshot (WAL lets writers go on meanwhile).
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def dump(engine: Engine | Connection, path: Path) -> dict[str, int]:
    """Write every table of a database to ``path``; return the row counts per table."""
    counts: dict[str, int] = {}
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        with (
            _snapshot(engine) as conn,
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            revision = _revision(conn)
            # Every row is checked as restore will check it: a backup that could not
            # be restored is worse than none, since it is found out only when needed.
            plans = {plan.table.name: plan for plan in _plans()}
            tables: dict[str, dict[str, Any]] = {}
            for table in _tables():
                count = size = 0
                digest = hashlib.sha256()
                plan = plans[table.name]
                with archive.open(_member(table), "w", force_zip64=True) as handle:
                    for row in _rows(conn, table):
                        problem = _row_problem(plan, row)
                        if problem:
                            key = _shown(plan.unique[0], tuple(row[c] for c in plan.unique[0]))
                            raise ValidationError(
                                "No backup was written: the {name} row with {key} cannot be "
                                "restored ({problem}). Correct it, then back up.",
                                name=table.name,
                                key=key,
                                problem=problem,
                            )
                        line = json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
                        handle.write(line)
                        digest.update(line)
                        size += len(line)
                        count += 1
                counts[table.name] = count
                tables[table.name] = {"rows": count, "bytes": size, "sha256": digest.hexdigest()}
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "schema_revision": revision,
                "tables": tables,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return counts


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --------------------------------------------------------------------------- rows


@dataclass
class _ColumnRule:
    """What one column accepts, in the terms of both databases."""

    name: str
    nullable: bool
    kind: str  # int, bool, float, str, enum, datetime, date, json, any
    length: int | None = None
    low: int = 0
    high: int = 0
    choices: frozenset[str] = frozenset()
    aware: bool = False


def _column_rule(column: Any) -> _ColumnRule:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    rule = _ColumnRule(column.name, bool(column.nullable), "any")
    if isinstance(kind, SAEnum):
        rule.kind, rule.choices, rule.length = "enum", frozenset(kind.enums), kind.length
    elif isinstance(kind, Boolean):
        rule.kind = "bool"
    elif isinstance(kind, Integer):
        bits = 16 if isinstance(kind, SmallInteger) else 64 if isinstance(kind, BigInteger) else 32
        rule.kind, rule.low, rule.high = "int", -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    elif isinstance(kind, Float | Numeric):
        rule.kind = "float"
    elif isinstance(kind, DateTime):
        rule.kind, rule.aware = "datetime", bool(kind.timezone)
    elif isinstance(kind, Date):
        rule.kind = "date"
    elif isinstance(kind, JSON):
        rule.kind = "json"
    elif isinstance(kind, String):
        rule.kind = "str"
        rule.length = column_limit(column.table.name, column.name, kind.length)
    return rule


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number a database can store")


def _json_problem(value: Any) -> str | None:
    """Return what no database would store in a JSON value, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return "it holds a NUL character or a broken (surrogate) character"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _shown_value(value: Any) -> str:
    """Return a value as JSON, fit to quote in a one-line message."""
    shown = _UNSTORABLE.sub("?", json.dumps(value, ensure_ascii=False))
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _convert_value(rule: _ColumnRule, value: Any) -> tuple[Any, str | None]:
    """Return the value ready to insert, or a problem ("it …") saying why it cannot be."""
    if value is None:
        return None, None if rule.nullable else "it is empty (null), and the column needs a value"
    kind = rule.kind
    shown = _shown_value(value)
    if kind in ("str", "enum", "datetime", "date") and not isinstance(value, str):
        return None, f"it holds {shown} where text is expected"
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return None, f"it holds {shown} where a whole number is expected"
        if not rule.low <= value <= rule.high:
            return None, f"it holds {value}, beyond what the column stores"
    elif kind == "bool":
        if not isinstance(value, bool):
            return None, f"it holds {shown} where true or false is expected"
    elif kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None, f"it holds {shown} where a number is expected"
    elif kind == "enum":
        if value not in rule.choices:
            return None, f"it holds {shown}, which is not one of its values"
    elif kind == "datetime":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None, f"it holds {shown}, which is not a date and time"
        if rule.aware and moment.utcoffset() is None:
            return None, f"it holds {shown}, a time without its UTC offset"
        if not rule.aware and moment.utcoffset() is not None:
            return None, f"it holds {shown}, a time with an offset the column cannot keep"
        value = moment
    elif kind == "date":
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return None, f"it holds {shown}, which is not a date"
    elif kind == "json":
        problem = _json_problem(value)
        if problem:
            return None, problem
    elif kind == "str":
        # The same rule as every text entering the workbench (limits.text_problem).
        problem = text_problem(value, max_chars=rule.length or MAX_TEXT_CHARS)
        if problem:
            return None, problem
        if _UNSTORABLE.search(value):
            return None, "it holds a broken (surrogate) character"
    return value, None


@dataclass
class _TablePlan:
    """How to check one table's rows: its columns, keys and references."""

    table: Table
    rules: list[_ColumnRule]
    names: frozenset[str]
    # Column tuples whose values must be unique (primary key first).
    unique: list[tuple[str, ...]]
    # (columns, referred table, referred columns, what to call it)
    references: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = field(default_factory=list)


def _plans() -> list[_TablePlan]:
    plans = []
    names = {t.name: t for t in _tables()}
    for table in _tables():
        unique: list[tuple[str, ...]] = [tuple(c.name for c in table.primary_key.columns)]
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                unique.append(tuple(c.name for c in constraint.columns))
        for index in table.indexes:
            if index.unique and all(hasattr(e, "table") for e in index.expressions):
                unique.append(tuple(c.name for c in index.columns))
        references = [
            (
                tuple(c.name for c in fk.columns),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ]
        for (tname, cname), (rtable, rcolumn) in _LOGICAL_REFERENCES.items():
            if tname == table.name and cname in table.columns and rtable in names:
                references.append(((cname,), rtable, (rcolumn,)))
        rules = [_column_rule(c) for c in table.columns]
        plans.append(_TablePlan(table, rules, frozenset(r.name for r in rules), unique, references))
    return plans


def _parse_row(plan: _TablePlan, line: bytes, where: str) -> dict[str, Any]:
    """Return one line as a row ready to insert, or raise ImportFailed naming the fault."""
    if not line.strip():
        raise ImportFailed(
            "{where} is empty; every line holds one row.",
            where=where,
        )
    try:
        row = json.loads(line.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ImportFailed(
            "{where} is not UTF-8 text.",
            where=where,
        ) from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            "{where} is not valid JSON ({msg}, column {colno}).",
            where=where,
            msg=exc.msg,
            colno=exc.colno,
        ) from None
    except ValueError as exc:
        raise ImportFailed(
            "{where}: {exc}.",
            where=where,
            exc=exc,
        ) from None
    except RecursionError:
        raise ImportFailed(
            "{where} is nested too deeply to be a row.",
            where=where,
        ) from None
    if not isinstance(row, dict):
        raise ImportFailed(
            "{where} is not a JSON object (one row of {name}).",
            where=where,
            name=plan.table.name,
        )
    if row.keys() != plan.names:
        missing = sorted(plan.names - row.keys())
        extra = sorted(row.keys() - plan.names)
        if missing:
            raise ImportFailed(
                "{where} has no column '{column}'.",
                where=where,
                column=missing[0],
            )
        raise ImportFailed(
            "{where} has a column '{column}' that {name} lacks.",
            where=where,
            column=extra[0],
            name=plan.table.name,
        )
    out: dict[str, Any] = {}
    for rule in plan.rules:
        value, problem = _convert_value(rule, row[rule.name])
        if problem:
            raise ImportFailed(
                "{where}, column '{name}': {problem}.",
                where=where,
                name=rule.name,
                problem=problem,
            )
        out[rule.name] = value
    return out


def _row_problem(plan: _TablePlan, row: dict[str, Any]) -> str | None:
    """Return why a row read from the database could not be restored, or None."""
    for rule in plan.rules:
        _, problem = _convert_value(rule, row.get(rule.name))
        if problem:
            return f"column '{rule.name}': {problem}"
    return None


# --------------------------------------------------------------------------- reading


class _Keys:
    """The keys seen so far, to find repeated keys and broken references.

    Only key values are kept (ids, mostly), never rows, so memory grows with the
    number of rows by a few dozen bytes each.
    """

    def __init__(self, plans: list[_TablePlan]) -> None:
        self.plans = plans
        # Which column tuples of each table to remember: its unique keys and
        # whatever other rows refer to.
        wanted: dict[str, set[tuple[str, ...]]] = {}
        for plan in plans:
            wanted.setdefault(plan.table.name, set()).update(plan.unique)
            for _, rtable, rcolumns in plan.references:
                wanted.setdefault(rtable, set()).add(rcolumns)
        self.seen: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {
            (table, columns): set() for table, tuples in wanted.items() for columns in tuples
        }
        self.remembered = {
            table: [(columns, self.seen[(table, columns)]) for columns in tuples]
            for table, tuples in wanted.items()
        }
        self.done: set[str] = set()
        self.deferred: list[tuple[str, tuple[str, ...], tuple[Any, ...], str, tuple[str, ...]]]
        self.deferred = []

    def check(self, plan: _TablePlan, where: str, row: dict[str, Any]) -> None:
        """Raise ImportFailed when a row repeats a unique key or refers to a row not seen."""
        name = plan.table.name
        for columns, rtable, rcolumns in plan.references:
            value = tuple(row[c] for c in columns)
            if None in value:
                continue
            if rtable == name or rtable in self.done:
                # A row may only refer to rows inserted before it.
                if value not in self.seen[(rtable, rcolumns)]:
                    raise ImportFailed(_broken(where, columns, value, rtable))
            else:
                self.deferred.append((where, columns, value, rtable, rcolumns))
        for columns in plan.unique:
            value = tuple(row[c] for c in columns)
            # Both databases let NULLs repeat in a unique key.
            if None not in value and value in self.seen[(name, columns)]:
                raise ImportFailed(
                    "{where} repeats {value}, which must be unique.",
                    where=where,
                    value=_shown(columns, value),
                )
        for columns, seen in self.remembered.get(name, ()):
            value = tuple(row[c] for c in columns)
            if None not in value:
                seen.add(value)

    def check_deferred(self) -> None:
        """Check the references to tables that come later in the file."""
        for where, columns, value, rtable, rcolumns in self.deferred:
            if value not in self.seen[(rtable, rcolumns)]:
                raise ImportFailed(_broken(where, columns, value, rtable))


class _Backup:
    """An open backup file whose manifest and members have been checked."""

    def __init__(self, archive: zipfile.ZipFile, name: str, manifest: dict[str, Any]) -> None:
        self.archive = archive
        self.name = name
        self.manifest = manifest
        self.expected: dict[str, dict[str, Any]] = manifest["tables"]

    def lines(self, table: Table) -> Iterator[tuple[int, bytes]]:
        """Yield (line number, bytes) of a table member, checking its size, count and hash.

        The member is inflated in chunks and refused as soon as it grows past the
        size its manifest entry gives, so memory stays bounded by one row.
        """
        member = _member(table)
        entry = self.expected[table.name]
        digest = hashlib.sha256()
        size = line_no = 0
        pending = bytearray()  # the part of a row read so far; never more than one row
        try:
            with self.archive.open(member) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > entry["bytes"]:
                        raise ImportFailed(
                            "{name}: {member} is longer than the manifest says ({bytes} "
                            "bytes); the file is damaged.",
                            name=self.name,
                            member=member,
                            bytes=Number(entry["bytes"]),
                        )
                    digest.update(chunk)
                    start = 0
                    while (end := chunk.find(b"\n", start)) >= 0:
                        line_no += 1
                        if pending:
                            pending += chunk[start:end]
                            yield line_no, bytes(pending)
                            pending.clear()
                        else:
                            yield line_no, chunk[start:end]
                        start = end + 1
                    pending += chunk[start:]
                    if len(pending) > MAX_ROW_BYTES:
                        raise ImportFailed(
                            "{name}: {member}, line {line} is longer than {limit} MiB; no "
                            "row is that long.",
                            name=self.name,
                            member=member,
                            line=line_no + 1,
                            limit=MAX_ROW_BYTES // MiB,
                        )
        except ImportFailed:
            raise
        except ZIP_ERRORS as exc:
            raise ImportFailed(
                "{name} is damaged: {member} cannot be unpacked ({exc}).",
                name=self.name,
                member=member,
                exc=exc,
            ) from None
        if pending:
            line_no += 1
            yield line_no, bytes(pending)
        self._check_totals(member, entry, size, line_no, digest.hexdigest())

    def _check_totals(
        self, member: str, entry: dict[str, Any], size: int, rows: int, sha256: str
    ) -> None:
        if sha256 != entry["sha256"]:
            raise ImportFailed(
                "{name}: the SHA-256 of {member} does not match the manifest; "
                "the file is damaged or was edited.",
                name=self.name,
                member=member,
            )
        if rows != entry["rows"]:
            raise ImportFailed(
                "{name}: {member} holds {rows} rows; the manifest says {expected}. "
                "The file is damaged or was edited.",
                name=self.name,
                member=member,
                rows=Number(rows),
                expected=Number(entry["rows"]),
            )
        if size != entry["bytes"]:
            raise ImportFailed(
                "{name}: {member} holds {size} bytes; the manifest says "
                "{bytes}. The file is damaged or was edited.",
                name=self.name,
                member=member,
                size=Number(size),
                bytes=Number(entry["bytes"]),
            )

    def rows(
        self, plan: _TablePlan, check: Callable[[str, dict[str, Any]], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every row of a table, checked (by ``check`` too) and converted.

        A faulty row is reported only once the whole member has been hashed: when
        the member is damaged, that is what the person needs to hear.
        """
        member = _member(plan.table)
        lines = self.lines(plan.table)
        for line_no, line in lines:
            where = f"{self.name}: {member}, line {line_no}"
            try:
                row = _parse_row(plan, line, where)
                if check is not None:
                    check(where, row)
            except ImportFailed as fault:
                for _ in lines:  # hash the rest; a mismatch is raised from here
                    pass
                raise fault from None
            yield row

    def verify(self) -> None:
        """Read every row once and raise ImportFailed at the first fault; write nothing."""
        keys = _Keys(_plans())
        for plan in keys.plans:
            for _ in self.rows(plan, lambda where, row, plan=plan: keys.check(plan, where, row)):
                pass
            keys.done.add(plan.table.name)
        keys.check_deferred()

    def insert(self, conn: Connection) -> dict[str, int]:
        """Insert every row in batches (reading and hashing the members again); return counts."""
        counts: dict[str, int] = {}
        for plan in _plans():
            batch: list[dict[str, Any]] = []
            count = 0
            for row in self.rows(plan):
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.execute(insert(plan.table), batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.execute(insert(plan.table), batch)
                count += len(batch)
            counts[plan.table.name] = count
        return counts


def _shown(columns: tuple[str, ...], value: tuple[Any, ...]) -> str:
    return ", ".join(f"{c} {_plain(v)!r}" for c, v in zip(columns, value, strict=True))


def _broken(where: str, columns: tuple[str, ...], value: tuple[Any, ...], rtable: str) -> str:
    return (
        f"{where} refers to {rtable} with {_shown(columns, value)}, "
        f"but the backup holds no such {rtable} before it (a broken reference)."
    )


def _printable(name: str) -> str:
    """Return a name with its control characters replaced, so messages stay one line."""
    return re.sub("[\x00-\x1f\x7f\ud800-\udfff]", "?", name)


def _clean(name: str) -> str:
    """Return a member name from the file, quoted and shortened for a message."""
    shown = _printable(name)
    return f"'{shown if len(shown) <= 80 else shown[:79] + '…'}'"


def _open_error(name: str, exc: BaseException) -> ImportFailed:
    return ImportFailed(
        "{name} is not a readable ZIP file; it may be truncated or damaged ({exc}).",
        name=name,
        exc=exc,
    )


def _check_manifest(name: str, manifest: Any) -> dict[str, Any]:
    """Return the manifest when it is one of ours, of this version, for this schema."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportFailed(
            "{name} is not a workbench backup (no manifest of ours).",
            name=name,
        )
    version = manifest.get("version")
    if version != FORMAT_VERSION:
        raise ImportFailed(
            "{name} is a backup of format version {value}; this version of "
            "the workbench reads format version {format_version} only (it "
            "carries a hash of every table).",
            name=name,
            value=_shown_value(version),
            format_version=FORMAT_VERSION,
        )
    revision = manifest.get("schema_revision")
    # None: written from a database made without migrations (tests); the columns
    # of every row are still checked against this schema.
    if revision is not None and revision != head_revision():
        raise ImportFailed(
            "{name} holds a workspace of schema {value}; this version of "
            "the workbench has schema {revision}. Restore it with the "
            "version that wrote it, then upgrade.",
            name=name,
            value=_shown_value(revision),
            revision=head_revision(),
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise ImportFailed(
            "{name}: the manifest has no table list; the file is damaged.",
            name=name,
        )
    ours = {t.name for t in _tables()}
    for table in sorted(ours - tables.keys()):
        raise ImportFailed(
            "{name}: the manifest does not list the table '{table}'.",
            name=name,
            table=table,
        )
    for table in sorted(tables.keys() - ours):
        raise ImportFailed(
            "{name}: the manifest lists a table '{table}' this workspace lacks.",
            name=name,
            table=table,
        )
    total = 0
    for table, entry in tables.items():
        if not (
            isinstance(entry, dict)
            and all(type(entry.get(k)) is int and entry[k] >= 0 for k in ("rows", "bytes"))
            and isinstance(entry.get("sha256"), str)
            and _HEX64.match(entry["sha256"])
        ):
            raise ImportFailed(
                "{name}: the manifest entry of '{table}' lacks its rows, bytes or SHA-256.",
                name=name,
                table=table,
            )
        total += entry["bytes"]
    if total > MAX_INFLATED_BYTES:
        raise ImportFailed(
            "{name} says it inflates to {size} GiB; at most {limit} GiB are accepted.",
            name=name,
            size=f"{total / 1024 / MiB:,.1f}",
            limit=MAX_INFLATED_BYTES // 1024 // MiB,
        )
    return manifest


@contextmanager
def open_backup(path: Path) -> Iterator[_Backup]:
    """Open a backup and check its manifest and its set of members (rows are read later)."""
    path = Path(path)
    name = _printable(path.name)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ImportFailed(
            "No file at {path}.",
            path=path,
        ) from None
    except ZIP_ERRORS as exc:
        raise _open_error(name, exc) from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if MANIFEST not in names:
            raise ImportFailed(
                "{name} is not a workbench backup: it holds no {manifest}.",
                name=name,
                manifest=MANIFEST,
            )
        try:
            raw = read_member(archive, MANIFEST, cap=MAX_MANIFEST_BYTES, what=name)
            manifest = json.loads(raw, parse_constant=_refuse_constant)
        except (zlib.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ImportFailed(
                "{name}: {manifest} cannot be read ({exc}).",
                name=name,
                manifest=MANIFEST,
                exc=exc,
            ) from None
        manifest = _check_manifest(name, manifest)
        expected = {_member(t) for t in _tables()} | {MANIFEST}
        seen: set[str] = set()
        for member in names:
            if member in seen:
                raise ImportFailed(
                    "{name} holds {member} twice; the file is damaged.",
                    name=name,
                    member=_clean(member),
                )
            seen.add(member)
            if member not in expected:
                raise ImportFailed(
                    "{name} holds an unexpected member {member}; a backup holds "
                    "only {manifest} and tables/<table>.jsonl.",
                    name=name,
                    member=_clean(member),
                    manifest=MANIFEST,
                )
        for member in sorted(expected - seen):
            raise ImportFailed(
                "{name}: the member {member} is missing.",
                name=name,
                member=member,
            )
        yield _Backup(archive, name, manifest)


def read_manifest(path: Path) -> dict[str, Any]:
    """Return a backup's manifest, or raise ImportFailed when the file is not a backup."""
    with open_backup(path) as opened:
        return opened.manifest


def verify_backup(path: Path) -> dict[str, int]:
    """Verify a whole backup without touching any database; return its row counts."""
    with open_backup(path) as opened:
        opened.verify()
        return {table: entry["rows"] for table, entry in opened.expected.items()}


# --------------------------------------------------------------------------- restoring


def _count(n: int, table: str) -> str:
    one, many = _NOUNS.get(table, (f"{table} row", f"{table} rows"))
    return f"{n:,} {one if n == 1 else many}"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _workspace_rows(conn: Connection) -> dict[str, int]:
    """Return the tables holding rows `workbench init` does not write, with their counts."""
    present = set(inspect(conn).get_table_names())
    held: dict[str, int] = {}
    for table in _tables():
        if table.name not in present or table.name in _INIT_TABLES:
            continue
        query = f'SELECT COUNT(*) FROM "{table.name}"'
        if table.name == "auditevent":
            listed = ", ".join(f"'{a}'" for a in _INIT_AUDIT_ACTIONS)
            query += f" WHERE action NOT IN ({listed})"
        n = conn.execute(text(query)).scalar() or 0
        if n:
            held[table.name] = n
    return held


def _require_empty(conn: Connection) -> None:
    held = _workspace_rows(conn)
    if not held:
        return
    principal = [t for t in _PRINCIPAL if t in held] or sorted(held)
    raise ValidationError(
        "The database is not empty: it already holds {held}. Restore "
        "needs an empty database (one `workbench init` made is fine), "
        "so that nothing is overwritten.",
        held=_joined([_count(held[t], t) for t in principal]),
    )


def _require_known_schema(engine: Engine) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    revision = current_revision(engine)
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise ValidationError(
            "The database is at schema {revision}, which this version of "
            "the workbench does not know; restore into a new database.",
            revision=revision,
        ) from None


def _migrate(conn: Connection) -> None:
    """Bring the schema to the newest revision inside the caller's transaction."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _move_sequences(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def restore(engine: Engine, path: Path) -> dict[str, int]:
    """Verify a whole backup, then restore it into an empty database; all or nothing.

    Raises ImportFailed (one line) for a damaged file and ValidationError for a
    database that holds a workspace; in both cases the database is untouched.
    """
    try:
        with open_backup(path) as opened:
            _require_known_schema(engine)
            with engine.connect() as conn:
                _require_empty(conn)
            opened.verify()
            with engine.begin() as conn:
                _migrate(conn)
                _require_empty(conn)  # again, inside the transaction that writes
                for table in reversed(_tables()):
                    conn.execute(table.delete())  # only what `init` wrote
                counts = opened.insert(conn)
                _move_sequences(conn)
                # A restored database starts with nobody signed in: a browser cookie from
                # before the backup must not open the restored workspace.
                conn.execute(
                    update(SignInSession)
                    .where(SignInSession.ended_at.is_(None))
                    .values(ended_at=utcnow())
                )
    except ImportFailed as exc:
        raise ImportFailed(
            "{message} Nothing was restored.",
            exc.problems,
            message=exc.msg,
        ) from None
    return counts
