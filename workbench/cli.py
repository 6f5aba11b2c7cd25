"""The ``workbench`` command: set up, inspect and feed a workspace from the shell.

Every command works on the database named by ``WORKBENCH_DATABASE_URL`` (default:
the SQLite file ``data/workbench.db``). Write commands act as the person given
with ``--as EMAIL`` (default: the first Secretariat account) and are checked
against the same permissions as the app. On failure a command prints one line,
``error: …``, on stderr and exits non-zero; it never prints a traceback.

The command line authenticates nobody: it is for people who already hold the
database (its file, or its URL and password). ``--as`` only names whom a change
is recorded for; every audit event a command records also says it came from the
command line (``via: cli``) and which operating-system user ran it.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from workbench import audit, limits, people, textguard
from workbench.db import database_url, make_engine, session_scope
from workbench.errors import Conflict, ImportFailed, NotFound, ValidationError, WorkbenchError
from workbench.models import Person, PersonCreate, Role
from workbench.words import noun, plural

app = typer.Typer(
    help="Write, review and approve the Panel's Synthesis Reports from the command line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="People and their accounts.", no_args_is_help=True)
reports_app = typer.Typer(help="Reports and their progress.", no_args_is_help=True)
sources_app = typer.Typer(help="A report's evidence library.", no_args_is_help=True)
sections_app = typer.Typer(help="A report's sections and their text.", no_args_is_help=True)
comments_app = typer.Typer(help="Review comment tables (IPCC shape).", no_args_is_help=True)
history_app = typer.Typer(
    help="The draft history: a git mirror of every revision (derived from the database).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")
app.add_typer(reports_app, name="reports")
app.add_typer(sources_app, name="sources")
app.add_typer(sections_app, name="sections")
app.add_typer(comments_app, name="comments")
app.add_typer(history_app, name="history")

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Record the change for this person (email), checked against their permissions; "
        "default: the first Secretariat account. Nobody is authenticated: the audit trail "
        "also records that it came from the command line, and your operating-system user.",
    ),
]
ReportOption = Annotated[
    str, typer.Option("--report", help="The report's slug, e.g. living-wages.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def os_user() -> str:
    """Return the operating-system user running the command, as the audit trail names them."""
    try:
        import pwd

        # The account of the process, not $USER, which anyone can set to anything.
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "unknown"


@app.callback()
def cli_origin(ctx: typer.Context) -> None:
    """Write, review and approve the Panel's Synthesis Reports from the command line."""
    # Every event recorded until the command ends says it came from here and from whom;
    # with_resource leaves the marker when the command ends (CliRunner runs many in one process).
    ctx.with_resource(audit.origin("cli", os_user=os_user()))


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error on stderr and exit."""
    one_line = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    typer.echo(f"error: {one_line}", err=True)
    raise typer.Exit(code)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and database errors into a one-line message and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except WorkbenchError as exc:
            fail(exc.message)
        except PydanticValidationError as exc:  # a *Create model refused an option's value
            fail(textguard.input_message(exc))
        except SQLAlchemyError as exc:
            fail(
                f"database problem ({database_url().split('@')[-1]}): {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}",
                2,
            )
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "), 2)

    return wrapper


@contextmanager
def open_session() -> Iterator[Session]:
    """Open a session on the configured database, which must have been initialised."""
    from workbench.migrate import current_revision

    engine = make_engine()
    if current_revision(engine) is None:
        fail("the database has no workspace yet; run `workbench init` (or `workbench demo`) first.")
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def acting(session: Session, email: str | None) -> Person:
    """Return the person a write command acts as."""
    if email:
        return people.get_by_email(session, email)
    person = people.first_secretariat(session)
    if person is None:
        raise NotFound(
            "The workspace has no Secretariat account; add one with "
            "`workbench users add EMAIL --name NAME --role secretariat`."
        )
    return person


def echo_json(data: Any) -> None:
    """Print data as indented JSON."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a plain aligned table."""
    if not rows:
        typer.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    typer.echo("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        typer.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


# --------------------------------------------------------------------------- setup


@app.command()
@guarded
def init() -> None:
    """Create or upgrade the database schema and load the Panel's 14 themes."""
    from workbench import themes
    from workbench.migrate import upgrade

    engine = make_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        themes.seed_themes(session)
        count = len(themes.list_themes(session))
    typer.echo(f"Database ready at {database_url().split('@')[-1]}; {count} themes loaded.")
    typer.echo(
        "Next: `workbench users add EMAIL --name NAME --role secretariat` or `workbench demo`."
    )


@app.command()
@guarded
def demo() -> None:
    """Load the demo workspace (idempotent) and print its accounts."""
    from workbench import demo as demo_module
    from workbench import history
    from workbench.migrate import upgrade

    engine = make_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        # One mirror update at the end instead of one per save.
        with history.paused():
            summary = demo_module.load_demo(session, progress=lambda msg: typer.echo(f"  {msg}"))
        mirror = history.configured_path(session)
        mirrored = history.sync(session, mirror) if mirror is not None else None
    typer.echo(summary.describe())
    if mirrored is not None:
        typer.echo(
            f"History mirror: {mirrored.path} ({plural(mirrored.revisions, 'revision')}, "
            f"{plural(mirrored.commits, 'new commit')})."
        )
        if mirrored.push_problem:
            typer.echo(f"warning: {mirrored.push_problem}", err=True)


@app.command()
def health() -> None:
    """Check that the database answers and is at the newest schema (for health checks).

    Exit 0 when it is; 1 when the schema is missing or behind (run `workbench init`);
    2 when the database cannot be reached. Container health checks and the migration
    job of a deployment use it; it writes nothing.
    """
    from workbench.migrate import current_revision, head_revision

    where = database_url().split("@")[-1]
    engine = make_engine()
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        fail(f"the database at {where} cannot be reached: {str(exc).splitlines()[0]}", 2)
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        fail(f"the database at {where} has no workspace yet; run `workbench init`.")
    if current != head:
        fail(
            f"the database at {where} is at schema {current}, this version of the workbench "
            f"needs {head}; run `workbench init` to migrate it."
        )
    typer.echo(f"ok: the database at {where} answers and is at schema {head}.")


# --------------------------------------------------------------------------- users


@users_app.command("add")
@guarded
def users_add(
    email: Annotated[str, typer.Argument(help="The person's email (their sign-in name).")],
    name: Annotated[str, typer.Option("--name", help="Full name as it appears in reports.")],
    password: Annotated[
        str | None, typer.Option("--password", help="Set a password (else they cannot sign in).")
    ] = None,
    role: Annotated[
        list[Role] | None,
        typer.Option("--role", help="A role; repeat for several. Report roles need --report."),
    ] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="The report the report roles are in.")
    ] = None,
    gender: str = "",
    region: str = "",
    country: str = "",
    discipline: str = "",
    sector: str = "",
    affiliation: str = "",
    as_: AsOption = None,
) -> None:
    """Add a person, with workspace roles or roles in one report."""
    from workbench import reports, teams

    roles = role or []
    data = PersonCreate(
        email=email,
        name=name,
        password=password,
        gender=gender,
        region=region,
        country=country,
        discipline=discipline,
        sector=sector,
        affiliation=affiliation,
    )
    workspace_roles = [r for r in roles if r.workspace_wide]
    report_roles = [r for r in roles if not r.workspace_wide]
    if report_roles and not report:
        raise ValidationError("Report roles need --report SLUG.")
    with open_session() as session:
        if people.first_secretariat(session) is None and not as_:
            if workspace_roles != [Role.secretariat] or report_roles:
                raise ValidationError(
                    "The workspace has no Secretariat yet: add the first account with "
                    "--role secretariat only."
                )
            person = people.bootstrap_secretariat(session=session, data=data)
        else:
            actor = acting(session, as_)
            person = people.create_person(
                session=session, actor=actor, data=data, roles=workspace_roles
            )
            if report_roles:
                target = reports.get_report(session, report)
                for r in report_roles:
                    teams.add_member(
                        session=session, actor=actor, report=target, person=person, role=r
                    )
        typer.echo(
            f"Added {person.name} <{person.email}>"
            + (f" as {', '.join(r.label for r in roles)}" if roles else "")
            + "."
        )


@users_app.command("passwd")
@guarded
def users_passwd(
    email: Annotated[str, typer.Argument(help="Whose password to set.")],
    password: Annotated[
        str | None, typer.Option("--password", help="The new password (prompted when omitted).")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Set a person's password (prompts twice unless --password is given)."""
    if password is None:
        if not sys.stdin.isatty():
            raise ValidationError("No terminal to prompt on; pass --password.")
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise ValidationError("The two passwords differ; nothing was changed.")
    with open_session() as session:
        person = people.get_by_email(session, email)
        actor = acting(session, as_)
        people.set_password(session=session, actor=actor, person=person, password=password)
    typer.echo(f"Password set for {person.email}.")


@users_app.command("list")
@guarded
def users_list(as_json: JsonOption = False) -> None:
    """List people with their roles per report."""
    with open_session() as session:
        rows = people.list_people_with_roles(session)
    if as_json:
        echo_json(rows)
        return
    echo_table(
        [
            {
                "email": r["email"],
                "name": r["name"],
                "roles": "; ".join(
                    f"{x['role']}@{x['report']}" if x["report"] else x["role"] for x in r["roles"]
                ),
            }
            for r in rows
        ],
        ["email", "name", "roles"],
    )


# --------------------------------------------------------------------------- reports


@reports_app.command("list")
@guarded
def reports_list(as_json: JsonOption = False) -> None:
    """List reports with their stage and progress."""
    from workbench import reports

    with open_session() as session:
        rows = [p.as_dict() for p in reports.list_reports(session)]
    if as_json:
        echo_json(rows)
        return
    echo_table(
        [
            {
                "slug": r["slug"],
                "stage": r["stage"],
                "sections": r["sections"],
                "accepted": f"{r['accepted_share']:.0%}",
                "words": f"{r['words']}/{r['word_target']}",
                "open comments": r["open_comments"],
                "due": r["due_date"],
            }
            for r in rows
        ],
        ["slug", "stage", "sections", "accepted", "words", "open comments", "due"],
    )


@reports_app.command("new-edition")
@guarded
def reports_new_edition(
    report: ReportOption,
    reason: Annotated[str, typer.Option(help="What the new edition corrects (kept on record).")],
    as_: AsOption = None,
) -> None:
    """Start a corrigendum: the next edition of an approved or published report."""
    from workbench import reports

    with open_session() as session:
        actor = acting(session, as_)
        found = reports.get_report(session, report)
        reports.start_new_edition(session=session, actor=actor, report=found, reason=reason)
        typer.echo(
            f"{found.slug} is now edition {found.edition}, back at the final draft stage; "
            "its text needs a new Council approval."
        )


def report_status(session: Session, slug: str) -> dict[str, Any]:
    """Return a report's status as JSON-ready data (sections, coverage, warnings)."""
    from workbench import reports, reviews, sections, teams

    report = reports.get_report(session, slug)
    section_rows = sections.list_sections(session, report.id)
    leads = {
        p.id: p.email
        for p in session.exec(
            select(Person).where(
                col(Person.id).in_([s.lead_author_id for s in section_rows if s.lead_author_id])
            )
        ).all()
    }
    open_counts = reviews.open_comment_counts(session, report_id=report.id)
    progress = reports.report_progress(session, report)
    return {
        "report": {
            "slug": report.slug,
            "title": report.title,
            "stage": report.stage.value,
            "start_date": report.start_date.isoformat(),
            "due_date": report.due_date.isoformat(),
            "languages": report.languages,
            "words": progress.words,
            "word_target": progress.word_target,
            "open_comments": progress.open_comments,
        },
        "sections": [
            {
                "id": s.id,
                "code": s.code,
                "title": s.title,
                "question": s.question.value,
                "status": s.status.value,
                "lead_author": leads.get(s.lead_author_id),
                "words": s.words,
                "word_target": s.word_target,
                "due_date": s.due_date.isoformat() if s.due_date else None,
                "open_comments": open_counts.get(s.id, 0),
            }
            for s in section_rows
        ],
        "coverage": [
            {
                "question": c.question.value,
                "label": c.question.label,
                "sections": c.sections,
                "with_text": c.with_text,
                "accepted": c.accepted,
                "words": c.words,
                "covered": c.covered,
            }
            for c in sections.coverage(session, report.id)
        ],
        "warnings": teams.team_warnings(session, report)
        + sections.coverage_gaps(session, report.id),
    }


@app.command()
@guarded
def status(report: ReportOption, as_json: JsonOption = False) -> None:
    """Show every section of a report, the four-question coverage and the rule warnings."""
    with open_session() as session:
        data = report_status(session, report)
    if as_json:
        echo_json(data)
        return
    info = data["report"]
    typer.echo(f"{info['title']} ({info['slug']}) — stage: {info['stage']}, due {info['due_date']}")
    typer.echo("")
    echo_table(
        [
            {
                "id": s["id"],
                "code": s["code"],
                "title": s["title"][:40],
                "status": s["status"],
                "lead": s["lead_author"] or "",
                "words": f"{s['words']}/{s['word_target'] or '-'}",
                "due": s["due_date"] or "",
                "open": s["open_comments"],
            }
            for s in data["sections"]
        ],
        ["id", "code", "title", "status", "lead", "words", "due", "open"],
    )
    typer.echo("")
    for cov in data["coverage"]:
        mark = "covered" if cov["covered"] else "GAP"
        typer.echo(
            f"  [{mark}] {cov['label']} — {plural(cov['sections'], 'section')}, "
            f"{plural(cov['words'], 'word')}"
        )
    if data["warnings"]:
        typer.echo("")
        for warning in data["warnings"]:
            typer.echo(f"  warning: {warning}")


# --------------------------------------------------------------------------- search

SEARCH_KINDS = ("sections", "sources", "comments", "findings", "recommendations")


@app.command("search")
@guarded
def search_command(
    text: Annotated[str, typer.Argument(help='What to look for: words, "a phrase", -word.')],
    report: Annotated[
        str | None, typer.Option("--report", help="Only this report (its slug).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only this kind: sections, sources, comments, findings or recommendations "
            "(repeat for several).",
        ),
    ] = None,
    as_email: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Find only what this person (email) may read in the app; default: "
            "everything in the workspace.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="Hits to show.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Search the workspace's sections, sources, comments, findings and recommendations."""
    from workbench import search
    from workbench.reports import get_report

    kinds = [k.strip().lower() for k in kind or []]
    unknown = [k for k in kinds if k not in SEARCH_KINDS]
    if unknown:
        raise ValidationError(
            f"--kind {unknown[0]} is not a kind; choose from {', '.join(SEARCH_KINDS)}."
        )
    with open_session() as session:
        if report is not None:
            get_report(session, report)  # an unknown slug is an error, not "no hits"
        person = people.get_by_email(session, as_email) if as_email else None
        results = search.search(
            session,
            person=person,
            text=text,
            report=report,
            kinds=kinds or None,
            limit=limit,
            scope=None if person is not None else search.everything(session),
        )
    if results.query.empty:
        fail('nothing to search for: type a word (a "-word" only leaves words out).')
    if as_json:
        echo_json(
            {
                "query": text,
                "totals": results.totals,
                "capped_at": search.CANDIDATES,
                "hits": [hit.as_dict() for hit in results.hits],
            }
        )
        return
    if not results.hits:
        typer.echo(f"No results for {text!r}.")
        return
    counted = ", ".join(
        f"{'≥' if n >= search.CANDIDATES else ''}{n} {k}" for k, n in results.totals.items() if n
    )
    typer.echo(f"{len(results.hits)} best of {counted}:")
    for number, hit in enumerate(results.hits, start=1):
        snippet = " ".join(search.marked(hit.snippet, "[", "]").split())
        typer.echo("")
        typer.echo(f"{number:>3}. {hit.kind[:-1]} {hit.label} ({hit.report_slug})  {hit.url}")
        typer.echo(f"     {snippet}")


# --------------------------------------------------------------------------- sources


def _read_upload(path: Path, limit: int) -> bytes:
    """Read a file to import, refusing it by its size before a byte of it is read."""
    if not path.is_file():
        raise NotFound(f"No file at {path}.")
    size = path.stat().st_size
    if size > limit:
        raise ValidationError(
            f"{path.name} is {size / 1024 / 1024:.1f} MiB; at most {limit // 1024 // 1024} MiB "
            "is accepted here."
        )
    with path.open("rb") as handle:
        # Read one byte past the limit: a file that grew since stat() is refused too.
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(f"{path.name} is larger than {limit // 1024 // 1024} MiB.")
    return content


@sources_app.command("import")
@guarded
def sources_import(
    file: Annotated[Path, typer.Argument(help="A .bib, .ris or .json (CSL-JSON) file.")],
    report: ReportOption,
    skip_duplicates: Annotated[
        bool, typer.Option(help="Skip entries already in the library instead of refusing.")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Import a bibliography into a report's library: every entry, or none."""
    from workbench import reports, sources

    content = _read_upload(file, limits.MAX_BIBLIOGRAPHY_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        result = sources.import_sources(
            session=session,
            actor=actor,
            report=target,
            filename=file.name,
            content=content,
            on_duplicate="skip" if skip_duplicates else "error",
        )
    typer.echo(f"Imported {plural(result.added, 'source')} into {report}.")
    if result.skipped:
        typer.echo(
            f"Skipped {len(result.skipped)} already in the library: {', '.join(result.skipped)}"
        )
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")


@sources_app.command("export")
@guarded
def sources_export(
    report: ReportOption,
    fmt: Annotated[str, typer.Option("--format", help="csljson, bibtex or ris.")] = "csljson",
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")] = Path(
        "sources.json"
    ),
    as_: AsOption = None,
) -> None:
    """Export a report's library as CSL-JSON, BibTeX or RIS."""
    from workbench import reports, sources

    if fmt not in ("csljson", "bibtex", "ris"):
        raise ValidationError(f"Unknown format '{fmt}': use csljson, bibtex or ris.")
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        text = sources.export_sources(session=session, actor=actor, report=target, fmt=fmt)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}.")


@app.command("export")
@guarded
def export_report(
    report: ReportOption,
    fmt: Annotated[
        str, typer.Option("--format", help="docx, pdf (needs LibreOffice) or md.")
    ] = "docx",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="The file to write (default: SLUG-VERSION.docx, .pdf or .md)."
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="Export in another of the report's languages (fr, es, ar, zh…): each "
            "section's finished translation and every word the document writes itself, from "
            "the glossary (default: English).",
        ),
    ] = None,
    keep_citations: Annotated[
        bool,
        typer.Option(
            "--keep-citations",
            help="Markdown only: leave [@key] citations and write the CSL-JSON beside the file.",
        ),
    ] = False,
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help="review (default): during an open round, the draft as the round froze it, "
            "with line numbers and the open comments; current: the current drafts, work in "
            "progress.",
        ),
    ] = "review",
    page_numbers: Annotated[
        bool,
        typer.Option(
            "--page-numbers",
            help="Word: have LibreOffice write the page numbers into the contents (slower; "
            "Word also fills them in when it opens the file). A PDF always has them.",
        ),
    ] = False,
    as_: AsOption = None,
) -> None:
    """Export a whole report as a Word document, a PDF or pandoc Markdown, for the Council."""
    from workbench import export, reports

    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        result = export.export_report(
            session=session,
            actor=actor,
            report=target,
            fmt=fmt,
            language=language,
            keep_citations=keep_citations,
            text=text,
            page_numbers=page_numbers,
        )
    path = output or Path(result.filename)
    path.write_bytes(result.content)
    typer.echo(f"Wrote {path} (version {result.version}).")
    if result.csl_json is not None:
        beside = path.with_name(f"{target.slug}-references.json")
        beside.write_bytes(result.csl_json)
        typer.echo(f"Wrote {beside} (the sources, CSL-JSON).")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


# --------------------------------------------------------------------------- sections


@sections_app.command("import-docx")
@guarded
def sections_import_docx(
    file: Annotated[Path, typer.Argument(help="A .docx file holding the section's draft.")],
    report: ReportOption,
    section_id: Annotated[
        int, typer.Option("--section", help="The section's id (`workbench status` lists them).")
    ],
    base_revision: Annotated[
        int | None,
        typer.Option(
            "--base-revision",
            help="The revision number the draft was written from (default: the current one); "
            "if the section has moved on since, nothing is saved.",
        ),
    ] = None,
    as_: AsOption = None,
) -> None:
    """Save a section draft written in Word as the section's next revision."""
    from workbench import docx_import, reports, sections
    from workbench.models import Section, SectionRevision

    content = _read_upload(file, limits.MAX_DOCX_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        section = session.get(Section, section_id)
        if section is None or section.report_id != target.id:
            raise NotFound(
                f"Report '{report}' has no section with the id {section_id}; "
                f"`workbench status --report {report}` lists the ids."
            )
        if base_revision is None:
            base_id = section.head_revision_id
        else:
            base_id = sections.get_revision_by_number(
                session, section_id=section.id, number=base_revision
            ).id
        try:
            result, warnings = docx_import.import_section_docx(
                session=session,
                actor=actor,
                section=section,
                filename=file.name,
                content=content,
                base_revision_id=base_id,
            )
        except Conflict as exc:
            head = (
                session.get(SectionRevision, exc.head_revision_id) if exc.head_revision_id else None
            )
            author = session.get(Person, head.author_id) if head and head.author_id else None
            since = f"revision {base_revision}" if base_revision is not None else "you started"
            now = head.number if head else 0
            raise Conflict(
                f"Section {section.code} has moved on to revision {now}"
                + (f" (by {author.name})" if author else "")
                + f" since {since}; nothing was saved. Merge your draft with the current text, "
                f"then import it with --base-revision {now}."
            ) from None
        revision = result.revision
        typer.echo(
            f"Saved revision {revision.number} of section {section.code} ({section.title}) "
            f"from {file.name}: {revision.words} words."
        )
    for warning in warnings:
        typer.echo(f"warning: {warning}")
    if result.unknown_keys:
        typer.echo(
            f"warning: no source in the report has the {noun(len(result.unknown_keys), 'key')} "
            + ", ".join(result.unknown_keys)
            + "."
        )


# --------------------------------------------------------------------------- comments


@comments_app.command("import")
@guarded
def comments_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx comment table.")],
    report: ReportOption,
    round_name: Annotated[str, typer.Option("--round", help="The review round, e.g. SOD.")],
    as_: AsOption = None,
) -> None:
    """Import a comment table into an open review round: every row, or none."""
    from workbench import reports, reviews

    content = _read_upload(file, limits.MAX_TABLE_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        review_round = reviews.get_round(session, report_id=target.id, name=round_name)
        count = reviews.import_comments(
            session=session,
            actor=actor,
            report=target,
            round=review_round,
            filename=file.name,
            content=content,
        )
    typer.echo(f"Imported {plural(count, 'comment')} into {report} {round_name}.")


@comments_app.command("import-docx")
@guarded
def comments_import_docx(
    file: Annotated[
        Path, typer.Argument(help="A review copy (.docx) exported by the workbench, with comments.")
    ],
    report: ReportOption,
    round_name: Annotated[str, typer.Option("--round", help="The review round, e.g. SOD.")],
    as_: AsOption = None,
) -> None:
    """Import the comments reviewers left in Word on a review copy: every comment, or none."""
    from workbench import docx_import, reports, reviews

    content = _read_upload(file, limits.MAX_DOCX_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        review_round = reviews.get_round(session, report_id=target.id, name=round_name)
        result = docx_import.import_comments_docx(
            session=session,
            actor=actor,
            report=target,
            round=review_round,
            filename=file.name,
            content=content,
        )
    typer.echo(result.summary(f"{report} {round_name}"))


@comments_app.command("export")
@guarded
def comments_export(
    report: ReportOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="A .csv or .xlsx file.")],
    round_name: Annotated[
        str | None, typer.Option("--round", help="The round (default: the most recent).")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Export a round's comment table as CSV or XLSX (by the output's extension)."""
    from workbench import reports, reviews

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise ValidationError(f"Write to a .csv or .xlsx file, not '{output.name}'.")
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        review_round = (
            reviews.get_round(session, report_id=target.id, name=round_name) if round_name else None
        )
        data = reviews.export_comments(
            session, actor=actor, report=target, round=review_round, fmt=fmt
        )
    output.write_bytes(data)
    typer.echo(f"Wrote {output}.")


# --------------------------------------------------------------------------- history

MirrorPathOption = Annotated[
    Path | None,
    typer.Option(
        "--path",
        help="The mirror's folder (default: WORKBENCH_MIRROR_PATH, or data/mirror beside "
        "the default database).",
    ),
]


def _mirror_path(session: Session, path: Path | None) -> Path:
    from workbench import history

    target = path.expanduser().absolute() if path is not None else history.configured_path(session)
    if target is None:
        raise ValidationError(
            "No history mirror is configured for this database: set WORKBENCH_MIRROR_PATH "
            "or pass --path DIR."
        )
    return target


@history_app.command("rebuild")
@guarded
def history_rebuild(path: MirrorPathOption = None) -> None:
    """Recreate the mirror from the database: every revision in order, a snapshot, the tags."""
    from workbench import history

    with open_session() as session:
        target = _mirror_path(session, path)
        result = history.rebuild(session, target)
    typer.echo(
        f"Rebuilt the history mirror at {target}: {plural(result.revisions, 'revision')} in "
        f"{plural(result.commits, 'commit')}, {plural(len(result.tags), 'tag')}; "
        f"HEAD tree {result.tree}."
    )
    if result.pushed:
        typer.echo("Pushed the branch and the tags to WORKBENCH_MIRROR_REMOTE.")
    if result.push_problem:
        typer.echo(f"warning: {result.push_problem}", err=True)


@history_app.command("sync")
@guarded
def history_sync(path: MirrorPathOption = None) -> None:
    """Bring the mirror up to date without rewriting it: revisions, files and tags."""
    from workbench import history

    with open_session() as session:
        target = _mirror_path(session, path)
        result = history.sync(session, target)
    typer.echo(
        f"The history mirror at {target} is up to date: "
        f"{plural(result.revisions, 'revision')}, {plural(result.commits, 'new commit')}, "
        f"{plural(len(result.tags), 'new tag')}."
    )
    if result.push_problem:
        typer.echo(f"warning: {result.push_problem}", err=True)


@history_app.command("verify")
@guarded
def history_verify(path: MirrorPathOption = None) -> None:
    """Compare the mirror with the database; exit non-zero when they differ."""
    from workbench import history

    with open_session() as session:
        target = _mirror_path(session, path)
        result = history.verify(session, target)
    if result.drift:
        for problem in result.drift:
            typer.echo(f"drift: {problem}")
        fail(
            f"the history mirror at {target} differs from the database "
            f"({plural(len(result.drift), 'problem')}); `workbench history rebuild` recreates it."
        )
    typer.echo(
        f"The history mirror at {target} matches the database: "
        f"{plural(result.revisions, 'revision')}, {plural(result.tags, 'tag')}."
    )


# --------------------------------------------------------------------------- backup


@app.command()
@guarded
def backup(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The backup file to write.")
    ] = Path(f"workbench-backup-{date.today().isoformat()}.zip"),
    as_: AsOption = None,
) -> None:
    """Write the whole workspace to one file (every table, every revision)."""
    from workbench.backup import write_backup

    with open_session() as session:
        actor = acting(session, as_)
        counts = write_backup(session=session, actor=actor, path=output)
    typer.echo(
        f"Wrote {output}: {sum(counts.values())} rows in {len(counts)} tables, "
        "each with its row count and SHA-256 in the manifest."
    )


@app.command()
@guarded
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `workbench backup`.")],
) -> None:
    """Verify a backup, then restore it into an empty database (SQLite or PostgreSQL).

    A database that only `workbench init` wrote to counts as empty. A damaged
    file is refused in one line and the database is left as it was.
    """
    from workbench.backup import restore as restore_backup

    if not file.is_file():
        raise ImportFailed(f"No file at {file}.")
    engine = make_engine()
    try:
        counts = restore_backup(engine, file)
    finally:
        engine.dispose()
    typer.echo(
        f"Verified and restored {sum(counts.values())} rows in {len(counts)} tables from {file}."
    )


# --------------------------------------------------------------------------- mail and calendars


@app.command()
@guarded
def notify(
    send: Annotated[
        bool, typer.Option("--send", help="Send the messages that are due through SMTP.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show the messages that are due; send nothing, mark nothing "
            "(the day's reminders are still recorded in the inbox).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Email each person what is due under their notification settings (cron or a timer).

    Mentions and other kinds chosen 'by email' go at once; daily and weekly
    digests when the last one is 24 hours or 7 days old. One message per
    person; items are marked emailed only once the server accepted it, so a
    failed send is retried at the next run. Settings: WORKBENCH_SMTP_URL,
    WORKBENCH_MAIL_FROM, WORKBENCH_BASE_URL.
    """
    from workbench import mail, notifications
    from workbench.models import utcnow

    if send == dry_run:
        fail(
            "choose --dry-run to see the messages that are due, or --send to send them "
            "(e.g. `workbench notify --dry-run --json`).",
            2,
        )
    # Settings first: a mistyped URL should not wait behind the database.
    if send:
        settings = mail.smtp_settings()
        sender = mail.mail_from()
        base = mail.base_url(required=True)
    else:
        base = mail.base_url()
    now = utcnow()
    with open_session() as session:
        scan = getattr(notifications, "scan", None)
        # The day's reminders (due soon, overdue, rounds closing) are recorded first, in
        # the inbox as well, so that this run mails them; recording them twice adds nothing.
        reminders = int(scan(session, now.date()) or 0) if scan is not None else 0
        if dry_run:
            messages = mail.compose(session, now=now, base=base)
            if as_json:
                echo_json(
                    {
                        "dry_run": True,
                        "base_url": base,
                        "reminders_recorded": reminders,
                        "messages": [m.as_json() for m in messages],
                    }
                )
                return
            items = sum(m.total for m in messages)
            typer.echo(
                f"Dry run: {plural(len(messages), 'message')} due "
                f"({plural(items, 'item')}); nothing sent, nothing marked. Links on {base}."
            )
            if reminders:
                typer.echo(f"Recorded {plural(reminders, 'reminder')} of today's deadlines.")
            for m in messages:
                typer.echo(f"- {m.name} <{m.to}>: {m.subject} ({plural(m.total, 'item')})")
            return
        result = mail.deliver(session, settings=settings, sender=sender, base=base, now=now)
    if as_json:
        echo_json(
            {
                "reminders_recorded": reminders,
                "sent": [m.as_json() for m in result.sent],
                "failed": [{"to": m.to, "reason": reason} for m, reason in result.failed],
            }
        )
    else:
        typer.echo(
            f"Sent {plural(len(result.sent), 'message')} ({plural(result.items_sent, 'item')}) "
            f"through {settings.address}."
        )
        for message, reason in result.failed:
            typer.echo(f"not sent to {message.to}: {reason}", err=True)
    if result.failed:
        fail(
            f"{plural(len(result.failed), 'message')} could not be sent; their items stay "
            "pending and the next run tries again."
        )


@app.command()
@guarded
def calendar(
    person: Annotated[str | None, typer.Option("--person", help="Whose deadlines (email).")] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The iCalendar file to write.")
    ] = Path("deadlines.ics"),
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Instead: answer the private calendar addresses (GET …/TOKEN.ics) until "
            "stopped; publish them behind your web server as WORKBENCH_CALENDAR_URL.",
        ),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="With --serve: the address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="With --serve: the port.")] = 8502,
) -> None:
    """Write a person's deadlines (sections due, review rounds closing) as an iCalendar file."""
    from workbench import calendars, mail

    base = mail.base_url()
    if serve:
        with open_session():
            pass  # refuses a database without a workspace, in one line
        engine = make_engine()
        server = calendars.feed_server(engine, host, port)
        typer.echo(
            f"Serving private calendars on http://{host}:{server.server_port}/TOKEN.ics "
            f"(links on {base}); Ctrl-C stops."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            engine.dispose()
        return
    if not person:
        fail("name whose deadlines to write with --person EMAIL (or use --serve).", 2)
    with open_session() as session:
        who = people.get_by_email(session, person)
        count = len(calendars.deadlines(session, who))
        content = calendars.feed(session, who, base=base)
    output.write_bytes(content)
    typer.echo(f"Wrote {output}: {plural(count, 'deadline')} for {who.name}.")


# --------------------------------------------------------------------------- translations

translations_app = typer.Typer(
    help="Translations in and out of translators' own tools (CAT tools) as XLIFF 1.2.",
    no_args_is_help=True,
)
app.add_typer(translations_app, name="translations")


@translations_app.command("export")
@guarded
def translations_export(
    report: ReportOption,
    language: Annotated[
        str, typer.Option("--language", help="The language to translate into, e.g. fr.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlf file to write.")],
    stale_only: Annotated[
        bool,
        typer.Option(
            "--stale-only",
            help="Only the sections that still need work: not translated yet, in progress, "
            "or stale (the source changed since it was translated). Sections translated or "
            "reviewed against the current text are left out.",
        ),
    ] = False,
) -> None:
    """Write a report's sections as XLIFF for a CAT tool: one unit per paragraph."""
    from workbench import reports, translations, xliff

    with open_session() as session:
        target = reports.get_report(session, report)
        export = xliff.build_export(
            session, report=target, language=language, stale_only=stale_only
        )
    output.write_bytes(export.data)
    typer.echo(
        f"Wrote {output}: {plural(export.units, 'paragraph')} from "
        f"{plural(export.sections, 'section')} of {report}, to translate into "
        f"{translations.language_name(export.language)}."
    )
    if not export.units:
        typer.echo(
            "Nothing needs translating: every section is translated against its current text."
            if stale_only
            else "The report has no section with text yet."
        )


@translations_app.command("import")
@guarded
def translations_import(
    file: Annotated[Path, typer.Argument(help="An .xlf file exported by `translations export`.")],
    report: ReportOption,
    accept_warnings: Annotated[
        bool,
        typer.Option(
            "--accept-warnings",
            help="Save even when the translation checks warn (errors still refuse the file).",
        ),
    ] = False,
    as_: AsOption = None,
) -> None:
    """Save the translations of an XLIFF file: every section, or none."""
    from workbench import reports, xliff

    content = _read_upload(file, limits.MAX_XLIFF_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        target = reports.get_report(session, report)
        try:
            summary = xliff.import_xliff(
                session=session,
                actor=actor,
                data=content,
                filename=file.name,
                report=target,
                acknowledge_warnings=accept_warnings,
            )
        except ValidationError as exc:
            if accept_warnings or "warnings" not in exc.message:
                raise
            raise ValidationError(
                f"{exc.message} Run the import again with --accept-warnings to save anyway."
            ) from None
    typer.echo(
        f"Imported {file.name} into {report} ({summary.language}): "
        f"{plural(len(summary.updated), 'section')} updated, "
        f"{len(summary.unchanged)} unchanged, "
        f"{len(summary.skipped)} skipped because their source changed since the export."
    )
    if summary.untranslated:
        typer.echo(
            f"Not translated in the file (left as they are): {', '.join(summary.untranslated)}."
        )
    for skipped in summary.skipped:
        typer.echo(
            f"skipped: section {skipped.code} ({skipped.title}) is at revision "
            f"{skipped.current_revision}, the file was exported from revision "
            f"{skipped.exported_revision}; changed: {', '.join(skipped.units)}. "
            "Export it again and translate what changed."
        )


# --------------------------------------------------------------------------- glossary

glossary_app = typer.Typer(
    help="The glossary of calibrated (IPCC) and Panel terms in each language, as CSV or TBX.",
    no_args_is_help=True,
)
app.add_typer(glossary_app, name="glossary")

GlossaryLanguageOption = Annotated[
    str, typer.Option("--language", help="A language code, e.g. fr, es, ar, zh or pt-BR.")
]


@glossary_app.command("list")
@guarded
def glossary_list(
    language: GlossaryLanguageOption,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only one kind: calibrated, panel or document.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the glossary's terms in one language, beside the English."""
    from workbench import glossary
    from workbench.models import GlossaryKind

    chosen = None
    if kind is not None:
        try:
            chosen = GlossaryKind(kind.strip().lower())
        except ValueError:
            raise ValidationError(
                "The kind '{kind}' is unknown; use calibrated, panel or document.", kind=kind
            ) from None
    code = glossary.normalise_language(language)
    if not glossary.valid_language(code):
        raise ValidationError(
            "'{language}' is not a language code such as en, fr, es, ar or zh.", language=language
        )
    with open_session() as session:
        entries = [
            e for e in glossary.terms(session, code).values() if chosen is None or e.kind == chosen
        ]
    rows = [
        {
            "concept": e.concept,
            "kind": e.kind.value,
            "language": e.language,
            "english": e.english,
            "term": e.term,
            "note": e.note,
            "source": e.source,
        }
        for e in entries
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"The glossary has no terms in {code} yet.")
        return
    echo_table(rows, ["concept", "kind", "english", "term"])


@glossary_app.command("import")
@guarded
def glossary_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .tbx glossary file.")],
    as_: AsOption = None,
) -> None:
    """Import a glossary file (CSV or TBX): every term, or none."""
    from workbench import glossary

    content = _read_upload(file, glossary.MAX_GLOSSARY_BYTES)
    with open_session() as session:
        actor = acting(session, as_)
        summary = glossary.import_glossary(
            session=session, actor=actor, data=content, filename=file.name
        )
    typer.echo(
        f"Imported {file.name} ({', '.join(summary.languages)}): "
        f"{plural(summary.added, 'term')} added, {summary.updated} changed, "
        f"{summary.unchanged} already so."
    )


@glossary_app.command("export")
@guarded
def glossary_export(
    language: GlossaryLanguageOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or tbx.")] = "csv",
) -> None:
    """Write one language's glossary, with the English, as CSV or TBX."""
    from workbench import glossary

    with open_session() as session:
        content = glossary.export_glossary(session, language=language, fmt=fmt)
        count = len(glossary.terms(session, language))
    output.write_bytes(content)
    typer.echo(f"Wrote {output}: {plural(count, 'term')} in {language}, with the English.")


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
