"""Handing out "the next number" when several people write at the same moment.

Terms:

- A **scope** is the row that numbers are unique under: a review round for its
  comments' numbers (``ReviewComment.number`` is unique per round).
- **Allocating** a number is reading the highest number in the scope and
  saving a row with one more, in the same transaction.
- The **scope lock** is what makes allocating safe: whoever holds it is the
  only one numbering rows in that scope until their transaction ends, so the
  highest number they read is still the highest when they insert.

Why a lock, and not retries or a counter table:

- *Retrying on the unique constraint* (read max+1 in a SAVEPOINT, insert, try
  again on IntegrityError) does not work on SQLite: once a transaction has read,
  it cannot become a writer after someone else committed (SQLite answers
  "database is locked" at once, without waiting), so the retry would have to
  restart the whole transaction. On PostgreSQL it works but needs a bound, and
  under a burst of reviewers a bound is either too small (a raw error) or large.
- *A counter row per scope* (``UPDATE counter SET value = value + 1 RETURNING``)
  needs a table and a migration, and every scope would need its counter kept in
  step with imports and restores.
- *The lock* needs no schema and never fails: writers in one scope wait their
  turn (a comment takes milliseconds) instead of colliding. On PostgreSQL it is
  ``SELECT … FOR NO KEY UPDATE`` on the scope's row: it serialises the writers
  of one round only, and it does not block anyone reading the round or adding
  rows that merely refer to it. SQLite has one writer at a time anyway, so the
  lock is the database's write lock, taken *before* reading the highest number
  (``BEGIN IMMEDIATE``, which waits for the busy timeout set in
  :mod:`workbench.db`) rather than when the insert comes.

Both rely on what :mod:`workbench.db` sets up: PostgreSQL at its default READ
COMMITTED (each statement sees what was committed before it started, so the
highest number is read after the lock is granted), and the SQLite driver's
default of beginning a transaction at the first write (so the reads a service
makes before it allocates hold no snapshot that could go stale).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, func, select

from workbench.errors import Conflict

__all__ = ["lock_scope", "next_number"]


def lock_scope(session: Session, table: type[SQLModel], row_id: int, *, what: str) -> None:
    """Hold the right to number rows under one row of ``table`` until the transaction ends.

    ``what`` names the thing being saved, for the message shown when SQLite stays
    busy longer than its timeout (nothing was written then).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is None or raw.in_transaction:
            # Already writing in this transaction, so the write lock is already held.
            return
        try:
            raw.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            session.rollback()
            raise Conflict(
                "{what} was not saved: the database stayed busy with other writes for too "
                "long. Nothing was changed; try again in a moment.",
                what=what,
            ) from None
        return
    key = table.__table__.primary_key.columns  # type: ignore[attr-defined]
    (id_column,) = list(key)
    try:
        session.exec(select(id_column).where(id_column == row_id).with_for_update(key_share=True))
    except OperationalError:
        session.rollback()
        raise Conflict(
            "{what} was not saved: the database could not give it a number in time. "
            "Nothing was changed; try again in a moment.",
            what=what,
        ) from None


def next_number(session: Session, column: Any, *conditions: Any) -> int:
    """Return one more than the highest ``column`` among rows meeting ``conditions`` (1 if none).

    Call it after :func:`lock_scope` on the scope the conditions select, in the same
    transaction, and insert the row before committing.
    """
    highest = session.exec(select(func.max(column)).where(*conditions)).one()
    return int(highest or 0) + 1
