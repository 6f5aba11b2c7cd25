"""The database objects behind full-text search, on SQLite (FTS5) and PostgreSQL (tsvector).

Migration ``0008`` creates them, :func:`workbench.db.create_all` creates them for
the tests, and :mod:`workbench.search` queries them. Every object is named with
the prefix ``search_`` (:data:`PREFIX`), which is how the models-versus-schema
comparison (:func:`workbench.migrate.include_name`) knows to leave them alone:
SQLModel does not describe virtual tables, triggers or generated columns.

**SQLite.** One FTS5 table per kind:

- ``search_comment``, ``search_source``, ``search_finding`` and
  ``search_recommendation`` are *external-content* tables (``content=`` the
  base table, ``content_rowid=id``): the index holds only the tokens, the text
  stays in the base table, and ``snippet()`` and ``bm25()`` read it from there.
- ``search_section`` holds its own copy of each section's code, title and
  **current text** (the head revision's), its rowid the section's id: the text
  lives in another table (``sectionrevision``), which external content cannot
  follow. Older revisions and the frozen texts of review rounds are not indexed:
  a reader searches what the section says now; the frozen text a comment is
  about is reached through the comment.

Triggers (``AFTER INSERT``, ``AFTER UPDATE OF`` the indexed columns, ``AFTER
DELETE``) keep every table current, whatever writes the rows: the services, the
bulk comment import, ``bench/generate.py``'s direct inserts, a restore. A
revision inserted after its section (a restore inserts sections first) brings
the section's entry up to date through a trigger on ``sectionrevision``.

The tokenizer is ``porter unicode61 remove_diacritics 2``: words are split on
anything but letters and digits, folded to lower case without accents
(``café`` finds ``cafe``), and stemmed the English way (``agreements`` finds
``agreement``). Stemming is applied to the query and the text alike, so names
and source keys still match themselves (``Williams`` is stored and searched as
``william``); the texts are English, so English stemming is what readers expect.

**PostgreSQL.** Each searchable table gains a ``search_tsv tsvector`` column
with a GIN index (``search_ix_<table>``). For comments, sources, findings and
recommendations it is a ``STORED`` generated column: computed once when a row
is written (a GIN expression index costs the same ``to_tsvector`` per write),
and read back as it is when hits are ranked, instead of re-parsing every
matching text for ``ts_rank``. For sections it is an ordinary column that a
``BEFORE INSERT OR UPDATE`` trigger fills from the head revision's text; a
revision inserted later (restore) refreshes its section. The configuration is
``english`` for every text, keys and names included, for the same reason as
the Porter stemmer above: query and text go through the same configuration, so
names still match themselves. Substring matching inside source keys
(``2020`` inside ``smith2020a``) is kept by the source library's own filter,
a ``LIKE`` on the keys of one report, which needs no ``pg_trgm``.
"""

from __future__ import annotations

PREFIX = "search_"

TOKENIZER = "porter unicode61 remove_diacritics 2"

# FTS5 table -> (base table, indexed columns). Sections are handled apart.
SQLITE_EXTERNAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "search_comment": ("reviewcomment", ("comment", "suggested_change", "response")),
    "search_source": ("source", ("key", "title", "authors")),
    "search_finding": ("finding", ("code", "statement", "traceable_account")),
    "search_recommendation": (
        "recommendation",
        ("code", "text", "context_conditions", "normative_assumptions"),
    ),
}

# base table -> the weighted tsvector expression of its generated column.
POSTGRES_GENERATED: dict[str, str] = {
    "reviewcomment": (
        "setweight(to_tsvector('english', comment), 'A')"
        " || setweight(to_tsvector('english', suggested_change), 'B')"
        " || setweight(to_tsvector('english', response), 'C')"
    ),
    "source": (
        "setweight(to_tsvector('english', key), 'A')"
        " || setweight(to_tsvector('english', title), 'A')"
        " || setweight(to_tsvector('english', authors), 'B')"
    ),
    "finding": (
        "setweight(to_tsvector('english', code), 'A')"
        " || setweight(to_tsvector('english', statement), 'A')"
        " || setweight(to_tsvector('english', traceable_account), 'C')"
    ),
    "recommendation": (
        "setweight(to_tsvector('english', code), 'A')"
        " || setweight(to_tsvector('english', text), 'A')"
        " || setweight(to_tsvector('english', context_conditions), 'C')"
        " || setweight(to_tsvector('english', normative_assumptions), 'C')"
    ),
}


def _sqlite_create() -> list[str]:
    statements: list[str] = []
    for fts, (base, columns) in SQLITE_EXTERNAL.items():
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        statements += [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names},"
            f" content='{base}', content_rowid='id', tokenize='{TOKENIZER}')",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {base} BEGIN"
            f" INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {base} BEGIN"
            f" INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {names} ON {base} BEGIN"
            f" INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
            f" INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    head = "coalesce((SELECT r.text FROM sectionrevision r WHERE r.id = new.head_revision_id), '')"
    statements += [
        "CREATE INDEX IF NOT EXISTS search_ix_section_head ON section (head_revision_id)",
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_section USING fts5(code, title, text,"
        f" tokenize='{TOKENIZER}')",
        "CREATE TRIGGER IF NOT EXISTS search_section_ai AFTER INSERT ON section BEGIN"
        " INSERT INTO search_section(rowid, code, title, text)"
        f" VALUES (new.id, new.code, new.title, {head}); END",
        "CREATE TRIGGER IF NOT EXISTS search_section_au"
        " AFTER UPDATE OF code, title, head_revision_id ON section BEGIN"
        " DELETE FROM search_section WHERE rowid = old.id;"
        " INSERT INTO search_section(rowid, code, title, text)"
        f" VALUES (new.id, new.code, new.title, {head}); END",
        "CREATE TRIGGER IF NOT EXISTS search_section_ad AFTER DELETE ON section BEGIN"
        " DELETE FROM search_section WHERE rowid = old.id; END",
        "CREATE TRIGGER IF NOT EXISTS search_section_revision"
        " AFTER INSERT ON sectionrevision BEGIN"
        " DELETE FROM search_section WHERE rowid IN"
        " (SELECT id FROM section WHERE head_revision_id = new.id);"
        " INSERT INTO search_section(rowid, code, title, text)"
        " SELECT s.id, s.code, s.title, new.text FROM section s"
        " WHERE s.head_revision_id = new.id; END",
        "DELETE FROM search_section",
        "INSERT INTO search_section(rowid, code, title, text)"
        " SELECT s.id, s.code, s.title, coalesce(r.text, '') FROM section s"
        " LEFT JOIN sectionrevision r ON r.id = s.head_revision_id",
    ]
    return statements


def _sqlite_drop() -> list[str]:
    statements: list[str] = []
    for fts, _ in SQLITE_EXTERNAL.items():
        statements += [f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")]
        statements.append(f"DROP TABLE IF EXISTS {fts}")
    statements += [
        f"DROP TRIGGER IF EXISTS {t}"
        for t in (
            "search_section_ai",
            "search_section_au",
            "search_section_ad",
            "search_section_revision",
        )
    ]
    statements += [
        "DROP TABLE IF EXISTS search_section",
        "DROP INDEX IF EXISTS search_ix_section_head",
    ]
    return statements


_SECTION_FUNCTION = """
CREATE OR REPLACE FUNCTION search_section_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv :=
        setweight(to_tsvector('english', NEW.code || ' ' || NEW.title), 'A')
        || to_tsvector('english', coalesce(
            (SELECT r.text FROM sectionrevision r WHERE r.id = NEW.head_revision_id), ''));
    RETURN NEW;
END
$$
"""

_REVISION_FUNCTION = """
CREATE OR REPLACE FUNCTION search_revision_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE section SET head_revision_id = head_revision_id WHERE head_revision_id = NEW.id;
    RETURN NULL;
END
$$
"""


def _postgres_create() -> list[str]:
    statements: list[str] = []
    for table, expression in POSTGRES_GENERATED.items():
        statements += [
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_tsv tsvector"
            f" GENERATED ALWAYS AS ({expression}) STORED",
            f"CREATE INDEX IF NOT EXISTS search_ix_{table} ON {table} USING gin (search_tsv)",
        ]
    statements += [
        "ALTER TABLE section ADD COLUMN IF NOT EXISTS search_tsv tsvector",
        "CREATE INDEX IF NOT EXISTS search_ix_section ON section USING gin (search_tsv)",
        "CREATE INDEX IF NOT EXISTS search_ix_section_head ON section (head_revision_id)",
        _SECTION_FUNCTION,
        _REVISION_FUNCTION,
        "DROP TRIGGER IF EXISTS search_section_tsv ON section",
        "CREATE TRIGGER search_section_tsv BEFORE INSERT OR UPDATE OF code, title,"
        " head_revision_id ON section FOR EACH ROW EXECUTE FUNCTION search_section_tsv()",
        "DROP TRIGGER IF EXISTS search_revision_head ON sectionrevision",
        "CREATE TRIGGER search_revision_head AFTER INSERT OR UPDATE OF text ON sectionrevision"
        " FOR EACH ROW EXECUTE FUNCTION search_revision_head()",
        # Backfill: the generated columns fill themselves; the sections' column is set here.
        "UPDATE section SET head_revision_id = head_revision_id",
    ]
    return statements


def _postgres_drop() -> list[str]:
    statements = [
        "DROP TRIGGER IF EXISTS search_revision_head ON sectionrevision",
        "DROP TRIGGER IF EXISTS search_section_tsv ON section",
        "DROP FUNCTION IF EXISTS search_revision_head()",
        "DROP FUNCTION IF EXISTS search_section_tsv()",
        "DROP INDEX IF EXISTS search_ix_section_head",
    ]
    for table in (*POSTGRES_GENERATED, "section"):
        statements += [
            f"DROP INDEX IF EXISTS search_ix_{table}",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_tsv",
        ]
    return statements


def create_statements(dialect: str) -> list[str]:
    """Return the SQL that creates (idempotently) and backfills the search objects."""
    return _sqlite_create() if dialect == "sqlite" else _postgres_create()


def drop_statements(dialect: str) -> list[str]:
    """Return the SQL that removes every search object."""
    return _sqlite_drop() if dialect == "sqlite" else _postgres_drop()


__all__ = ["PREFIX", "create_statements", "drop_statements"]
