"""The text guard: every text written through the ORM is checked before it is stored.

Terms:

- A **text column** is a ``String`` or ``Text`` column (enum columns excepted:
  their values come from the code, not from people). Its **limit** is
  :func:`workbench.limits.column_limit`: the declared length of a ``String``,
  the cap of :data:`workbench.limits.LONG_TEXT_LIMITS` (or
  :data:`~workbench.limits.MAX_TEXT_CHARS`) for a ``Text``.
- A **JSON column** (a source's CSL record, a report's languages, an audit
  event's details…) has every string inside it checked the same way, keys
  included, walked without recursion and bounded in depth and size.

The check runs on every flush (``before_flush``: new rows in full, changed rows
on the fields that changed) and on ORM bulk inserts and updates given as
parameter rows (``session.execute(insert(Source), rows)``). A text holding a
NUL or another control character (tab, newline and carriage return are
fine), or longer than its column's limit, is refused with a
:class:`~workbench.errors.ValidationError` naming the record and the field,
before any SQL of that flush is sent: SQLite would otherwise store it and
PostgreSQL refuse it with a raw error, and a backup of one could never be
restored into the other. The services roll the transaction back, so nothing
of the refused change is written.

:func:`install` registers the listeners once; importing :mod:`workbench.db`
calls it, so every session of the workbench is guarded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import JSON, Enum, String, Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import NO_VALUE
from sqlalchemy.types import TypeDecorator, TypeEngine

from workbench.errors import ValidationError
from workbench.limits import MAX_TEXT_CHARS, column_limit, text_problem

#: How deep a JSON value may nest, and how many values it may hold, before it is refused.
MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 200_000

#: Field names a person understands, by column name (any table)…
FIELD_NAMES: dict[str, str] = {
    "email": "email address",
    "csl": "bibliographic record (CSL-JSON)",
    "key": "citation key",
    "doi": "DOI",
    "slug": "short name",
    "reviewer_name": "reviewer's name",
    "why_false": "reason it is a false solution",
    "detail": "details",
    "password_hash": "password",
    "code_version": "Code of Ethics version",
    "closing_note": "closing note",
}
#: …and by (table, column) where the same name means something else in one table.
TABLE_FIELD_NAMES: dict[tuple[str, str], str] = {
    ("sectionrevision", "message"): "revision message",
    ("sectionrevision", "text"): "text",
    ("councildecision", "reform"): "reform",
    ("councilvote", "reason"): "reason",
    ("initiative", "who"): "'who' field",
    ("initiative", "what"): "'what' field",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def field_name(table: str, column: str) -> str:
    """Return the words a person reads for a column (its name with spaces when unmapped)."""
    return TABLE_FIELD_NAMES.get((table, column)) or FIELD_NAMES.get(
        column, column.replace("_", " ")
    )


def _quote(value: Any, length: int = 60) -> str:
    """Return a value fit to quote in a message: one line, no control characters, short."""
    text = " ".join(_CONTROL.sub("?", str(value)).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --------------------------------------------------------------------------- records

Getter = Callable[[str], Any]


def _named(noun: str, attribute: str) -> Callable[[Getter, Session | None], str]:
    def describe(get: Getter, _session: Session | None) -> str:
        value = get(attribute)
        return f"the {noun} '{_quote(value)}'" if value not in (None, "") else f"the {noun}"

    return describe


def _section_of(get: Getter, session: Session | None) -> str:
    """Name the section a row belongs to (looked up only when a message needs it)."""
    from workbench.models import Section

    section_id = get("section_id")
    section = None
    if session is not None and section_id is not None:
        try:
            with session.no_autoflush:
                section = session.get(Section, section_id)
        except Exception:  # a message must never fail for want of a name
            section = None
    return f"the section '{_quote(section.code)}'" if section is not None else "a section"


def _revision(get: Getter, session: Session | None) -> str:
    return f"the new revision of {_section_of(get, session)}"


def _translation(get: Getter, session: Session | None) -> str:
    language = get("language")
    into = f" into '{_quote(language)}'" if language else ""
    return f"the translation{into} of {_section_of(get, session)}"


def _comment(get: Getter, _session: Session | None) -> str:
    number = get("number")
    return f"review comment {number}" if number is not None else "the review comment"


def _consensus(get: Getter, _session: Session | None) -> str:
    statement = get("statement")
    return f"the consensus item '{_quote(statement, 40)}'" if statement else "the consensus item"


_RECORDS: dict[str, Callable[[Getter, Session | None], str]] = {
    "theme": _named("theme", "code"),
    "person": _named("person", "email"),
    "report": _named("report", "slug"),
    "section": _named("section", "code"),
    "sectionrevision": _revision,
    "source": _named("source", "key"),
    "finding": _named("finding", "code"),
    "actor": _named("actor", "name"),
    "consensusitem": _consensus,
    "recommendation": _named("recommendation", "code"),
    "initiative": _named("initiative", "name"),
    "reviewround": _named("review round", "name"),
    "reviewcomment": _comment,
    "councildecision": _named("Council decision", "title"),
    "translation": _translation,
    "auditevent": _named("audit record", "action"),
}
_NOUNS: dict[str, str] = {
    "themelink": "link between two themes",
    "ethicssignature": "Code of Ethics signature",
    "position": "actor's position",
    "councilvote": "Council vote",
}


def describe(table: str, get: Getter, session: Session | None = None) -> str:
    """Return how a message names a record ("the person 'a@b.org'", "review comment 12")."""
    describer = _RECORDS.get(table)
    if describer is not None:
        return describer(get, session)
    return f"the {_NOUNS.get(table, table)}"


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class TextColumn:
    """A column the guard checks: its attribute key, column name, kind and limit."""

    key: str
    name: str
    is_json: bool
    limit: int


def _base_type(column_type: TypeEngine) -> TypeEngine:
    if isinstance(column_type, TypeDecorator):
        return column_type.impl_instance
    return column_type


def _text_columns(table: Table, keys: Mapping[str, str] | None = None) -> list[TextColumn]:
    """Return the text and JSON columns of a table (``keys``: column name → attribute key)."""
    found = []
    for column in table.columns:
        base = _base_type(column.type)
        key = (keys or {}).get(column.name, column.key)
        if isinstance(base, Enum):
            continue  # enum values come from the code
        if isinstance(base, JSON):
            # Each string inside holds what a long-text column holds.
            found.append(
                TextColumn(key, column.name, True, column_limit(table.name, column.name, None))
            )
        elif isinstance(base, String):
            limit = column_limit(table.name, column.name, getattr(base, "length", None))
            found.append(TextColumn(key, column.name, False, limit))
    return found


_BY_CLASS: dict[type, tuple[str, list[TextColumn]]] = {}
_BY_TABLE: dict[str, list[TextColumn]] = {}


def _columns_of_class(cls: type) -> tuple[str, list[TextColumn]]:
    cached = _BY_CLASS.get(cls)
    if cached is None:
        mapper = inspect(cls)
        table = mapper.local_table
        keys = {prop.columns[0].name: prop.key for prop in mapper.column_attrs}
        cached = (table.name, _text_columns(table, keys))
        _BY_CLASS[cls] = cached
    return cached


def _columns_of_table(table: Table) -> list[TextColumn]:
    cached = _BY_TABLE.get(table.name)
    if cached is None:
        cached = _text_columns(table)
        _BY_TABLE[table.name] = cached
    return cached


def json_problem(value: Any, *, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """Return why a JSON value cannot be stored (a bad string inside it), or None."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    seen = 0
    while stack:
        item, depth, path = stack.pop()
        seen += 1
        if seen > MAX_JSON_VALUES:
            return f"it holds more than {MAX_JSON_VALUES:,} values"
        if depth > MAX_JSON_DEPTH:
            return f"it is nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, str):
            problem = text_problem(item, max_chars=max_chars)
            if problem:
                return f"in '{path}', {problem}" if path else problem
        elif isinstance(item, Mapping):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    problem = text_problem(key, max_chars=200)
                    if problem:
                        return f"the name '{_quote(key, 40)}' is refused: {problem}"
                stack.append((child, depth + 1, _quote(name, 80)))
        elif isinstance(item, list | tuple):
            for index, child in enumerate(item):
                stack.append((child, depth + 1, f"{path}[{index}]"))
    return None


def value_problem(column: TextColumn, value: Any) -> str | None:
    """Return why ``value`` cannot go into ``column``, or None when it can."""
    if value is None:
        return None
    if column.is_json:
        return json_problem(value, max_chars=column.limit)
    if isinstance(value, str):
        return text_problem(value, max_chars=column.limit)
    return None


def _refuse(table: str, column: TextColumn, problem: str, record: str) -> ValidationError:
    what = field_name(table, column.name)
    return ValidationError(
        "The {what} of {record}: {problem}.", what=what, record=record, problem=problem
    )


def check_object(obj: Any, *, session: Session | None = None, changed_only: bool = False) -> None:
    """Raise ValidationError when a text of a mapped object cannot be stored.

    With ``changed_only`` only the attributes changed since the object was
    loaded are checked, so an old value never blocks an unrelated edit.
    """
    table, columns = _columns_of_class(type(obj))
    state = inspect(obj)
    for column in columns:
        if changed_only:
            history = state.attrs[column.key].history
            if not history.added:
                continue
            value = history.added[0]
        else:
            value = state.dict.get(column.key, NO_VALUE)
            if value is NO_VALUE:
                continue  # not set: the column's default applies
        problem = value_problem(column, value)
        if problem:
            get = lambda name: getattr(obj, name, None)  # noqa: E731
            raise _refuse(table, column, problem, describe(table, get, session))


def check_rows(
    table: Table, rows: Iterable[Mapping[str, Any]], *, session: Session | None = None
) -> None:
    """Raise ValidationError when a text in rows bound for ``table`` cannot be stored."""
    columns = _columns_of_table(table)
    for row in rows:
        for column in columns:
            if column.name in row:
                value = row[column.name]
            elif column.key in row:
                value = row[column.key]
            else:
                continue
            problem = value_problem(column, value)
            if problem:
                raise _refuse(table.name, column, problem, describe(table.name, row.get, session))


def input_message(exc: PydanticValidationError) -> str:
    """Return a message a person can act on for a form model's refusal (``PersonCreate``…).

    The ``*Create`` classes check lengths and types before a service runs; their
    own messages name Python types, so they are retold in the guard's words.
    """
    model = re.sub(r"(Create|Update|Base)$", "", exc.title)
    table = model.lower()
    noun = _NOUNS.get(table) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", model).lower()
    parts = []
    for error in exc.errors(include_url=False):
        column = str(error["loc"][0]) if error.get("loc") else ""
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if error["type"] == "string_too_long" and isinstance(value, str):
            problem = f"it is {len(value):,} characters long; at most {ctx['max_length']:,} fit"
        else:
            problem = error["msg"][0].lower() + error["msg"][1:]
        what = field_name(table, column) if column else "value"
        parts.append(f"The {what} of the new {noun}: {problem}.")
    return " ".join(parts) or f"The new {noun} was refused."


# --------------------------------------------------------------------------- listeners


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        check_object(obj, session=session)
    for obj in session.dirty:
        check_object(obj, session=session, changed_only=True)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update):
        return
    table = getattr(state.statement, "table", None)
    params = state.parameters
    if not isinstance(table, Table) or not params:
        return
    rows = [params] if isinstance(params, Mapping) else params
    check_rows(table, rows, session=state.session)


def install() -> None:
    """Register the guard on every ORM session (once; later calls do nothing)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    if not event.contains(Session, "do_orm_execute", _on_execute):
        event.listen(Session, "do_orm_execute", _on_execute)
