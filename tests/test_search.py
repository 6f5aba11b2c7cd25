"""Full-text search: what a person types, what they find, and what they may not find."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from tests.factories import make_person, make_report, make_section, make_world
from workbench import reviews, search, sources
from workbench.models import (
    Agreement,
    Confidence,
    Evidence,
    Finding,
    Horizon,
    Question,
    Recommendation,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    Scale,
    Section,
    SectionRevision,
    Source,
    Stage,
)

HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "*",
    "NEAR(a b)",
    "a:b",
    "col:word",
    "(((",
    ")",
    "AND OR NOT",
    "-",
    "--x",
    "^x",
    "'; DROP TABLE source; --",
    "wages\x00living",
    "\x00",
    "&|!<->:*",
    "x" * 10_000,
    "mot " * 5_000,
    "🙂 ✓ 最低工资",
]


def fill(session: Session, report: Report, word: str) -> dict[str, int]:
    """Add one item of every kind to a report, each saying ``word``; return their ids."""
    section = make_section(
        session,
        report,
        f"9.{report.id}",
        Question.known,
        text=f"The {word} section text on living wages.\n",
    )
    source = Source(
        report_id=report.id, key=f"{word}2020a", title=f"A study of {word} wages", authors="Okafor"
    )
    finding = Finding(
        report_id=report.id,
        code=f"F{report.id}",
        statement=f"Wages of {word} workers fell.",
        evidence=Evidence.robust,
        agreement=Agreement.high,
        confidence=Confidence.high,
    )
    recommendation = Recommendation(
        report_id=report.id,
        code=f"R{report.id}",
        text=f"Raise {word} wages.",
        scale=Scale.national,
        horizon=Horizon.short_term,
    )
    review_round = ReviewRound(
        report_id=report.id,
        name="FOD",
        stage=Stage.first_order_draft,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 2, 1),
    )
    session.add_all([source, finding, recommendation, review_round])
    session.flush()
    comment = ReviewComment(
        round_id=review_round.id,
        number=123,
        section_id=section.id,
        from_line=1,
        to_line=1,
        reviewer_name="Ana Reviewer",
        comment=f"Say more about {word} collective agreements.",
    )
    session.add(comment)
    session.commit()
    return {
        "sections": section.id,
        "sources": source.id,
        "findings": finding.id,
        "recommendations": recommendation.id,
        "comments": comment.id,
        "round": review_round.id,
    }


def found(session: Session, person, text: str, **options) -> dict[str, set[int]]:
    """Return the ids found per kind."""
    results = search.search(session, person=person, text=text, **options)
    hits: dict[str, set[int]] = {}
    for hit in results.hits:
        hits.setdefault(hit.kind, set()).add(hit.id)
    return hits


# ---------------------------------------------------------------------------
# The query parser


def test_typed_text_becomes_words_phrases_and_exclusions():
    query = search.parse('Collective  "living WAGE" -informal')
    assert [t.words for t in query.terms] == [("collective",), ("living", "wage"), ("informal",)]
    assert [t.negated for t in query.terms] == [False, False, True]
    assert query.fts5() == '("collective" AND "living wage") NOT "informal"'
    assert query.tsquery() == "('collective') & ('living' <-> 'wage') & !('informal')"
    assert search.parse("smith20", prefix_last=True).fts5() == '"smith20"*'
    assert search.parse("smith20").fts5() == '"smith20"'
    # Only words to leave out, or no word at all: nothing to search for.
    assert search.parse("-informal").empty
    assert search.parse('" * ( : ').empty
    assert search.parse("").empty and search.parse(None).empty


@pytest.mark.parametrize("typed", HOSTILE)
def test_no_typed_text_raises_an_sql_error(session, world, typed):
    """Quotes, operators, column filters, NUL bytes and very long input search words or nothing."""
    ids = fill(session, world.report, "aardvark")
    results = search.search(session, person=world.secretariat, text=typed)
    assert results.total >= 0
    page, total = reviews.list_comments(session, round_id=ids["round"], text=typed)
    assert total == len(page)
    page, total = sources.search_sources(session, report_id=world.report.id, text=typed)
    assert total == len(page)


def test_a_long_query_counts_only_its_first_terms():
    query = search.parse(" ".join(f"w{i}" for i in range(100)))
    assert len(query.terms) == search.MAX_TERMS


# ---------------------------------------------------------------------------
# What is found


def test_every_kind_is_found_ranked_with_a_snippet_and_an_address(session, world):
    ids = fill(session, world.report, "aardvark")
    results = search.search(session, person=world.cla, text="aardvark wages")
    by_kind = {hit.kind: hit for hit in results.hits}
    assert set(by_kind) == {"sections", "sources", "findings", "recommendations"}
    # "aardvark wages" is not in the comment: every word must be there.
    assert results.totals["comments"] == 0
    section = by_kind["sections"]
    assert section.id == ids["sections"]
    assert section.label == f"9.{world.report.id} Section 9.{world.report.id}"
    assert section.url == f"/write?report=test-report&section={ids['sections']}"
    assert search.MARK_START + "aardvark" + search.MARK_END in section.snippet.lower()
    assert by_kind["sources"].label == "aardvark2020a"
    assert by_kind["sources"].url == "/evidence?report=test-report"
    assert by_kind["findings"].url == "/evidence?report=test-report"
    assert by_kind["recommendations"].url == "/recommendations?report=test-report"
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)

    comment = search.search(session, person=world.cla, text="collective agreement").hits
    assert [(h.kind, h.id, h.label) for h in comment] == [("comments", ids["comments"], "FOD #123")]
    assert comment[0].url == (
        f"/review?report=test-report&review_round={ids['round']}"
        "&review_filter_text=collective+agreement"
    )


def test_stemming_accents_phrases_and_exclusions(session, world):
    ids = fill(session, world.report, "aardvark")
    assert found(session, world.cla, "AGREEMENT")["comments"] == {ids["comments"]}
    assert found(session, world.cla, '"collective agreements"')["comments"] == {ids["comments"]}
    assert "comments" not in found(session, world.cla, '"agreements collective"')
    assert "comments" not in found(session, world.cla, "collective -aardvark")
    make_section(session, world.report, "9.9", Question.known, text="Un café équitable.\n")
    assert found(session, world.cla, "café équitable")["sections"]
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 folds accents; PostgreSQL's english configuration keeps them (README).
        assert found(session, world.cla, "cafe equitable")["sections"]


def test_the_index_follows_updates_and_deletes(session, world):
    ids = fill(session, world.report, "aardvark")
    source = session.get(Source, ids["sources"])
    source.title = "A study of pangolin wages"
    session.add(source)
    section = session.get(Section, ids["sections"])
    revision = SectionRevision(
        section_id=section.id, number=2, text="Now about the okapi.\n", parent_id=None
    )
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.delete(session.get(Finding, ids["findings"]))
    session.commit()
    hits = found(session, world.cla, "pangolin")
    assert hits == {"sources": {ids["sources"]}}
    assert found(session, world.cla, "okapi") == {"sections": {ids["sections"]}}
    # The section's earlier text is no longer what it says; the deleted finding is gone.
    assert "sections" not in found(session, world.cla, "living wages aardvark")
    assert "findings" not in found(session, world.cla, "aardvark")


def test_paging_and_totals(session, world):
    for i in range(5):
        session.add(
            Source(report_id=world.report.id, key=f"k{i}", title="Okapi wages", authors="A")
        )
    session.commit()
    first = search.search(session, person=world.cla, text="okapi", limit=2)
    second = search.search(session, person=world.cla, text="okapi", limit=2, offset=2)
    assert first.totals["sources"] == second.totals["sources"] == 5
    assert len(first.hits) == len(second.hits) == 2
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    only = search.search(session, person=world.cla, text="okapi", kinds=["findings"])
    assert only.hits == [] and set(only.totals) == {"findings"}


# ---------------------------------------------------------------------------
# Who finds what


def test_a_reviewer_finds_nothing_of_another_report(session, world):
    mine = fill(session, world.report, "aardvark")
    other = make_report(session, "other-report")
    theirs = fill(session, other, "aardvark")
    hits = found(session, world.reviewer, "aardvark")
    assert hits == {kind: {mine[kind]} for kind in search.KINDS}
    assert not any(theirs[kind] in hits.get(kind, set()) for kind in search.KINDS)
    assert found(session, world.reviewer, "aardvark", report="other-report") == {}
    # The Secretariat reads every report.
    assert found(session, world.secretariat, "aardvark")["comments"] == {
        mine["comments"],
        theirs["comments"],
    }


def test_someone_in_two_of_three_reports_finds_both_and_not_the_third(session, world):
    # On PostgreSQL the comments and sources of some reports are searched round by round
    # and report by report (one query per kind): every one of them must be in it.
    second = make_report(session, "second-report")
    third = make_report(session, "third-report")
    person = make_person(
        session,
        "Two Reports",
        roles=[(Role.lead_author, world.report), (Role.lead_author, second)],
    )
    first_ids, second_ids = (
        fill(session, world.report, "aardvark"),
        fill(session, second, "aardvark"),
    )
    third_ids = fill(session, third, "aardvark")
    hits = found(session, person, "aardvark")
    for kind in ("sources", "comments"):
        assert hits[kind] == {first_ids[kind], second_ids[kind]}, kind
        assert third_ids[kind] not in hits[kind]


def test_council_members_and_translators_find_no_review_comment(session, world):
    ids = fill(session, world.report, "aardvark")
    translator = make_person(session, "Tess Translator", roles=[(Role.translator, world.report)])
    for person in (world.council[0], translator):
        hits = found(session, person, "aardvark")
        assert "comments" not in hits
        assert hits["sources"] == {ids["sources"]}
    # A section opens the Write page for its authors and the Dashboard (its download) for others.
    section = next(
        h
        for h in search.search(session, person=translator, text="aardvark").hits
        if h.kind == "sections"
    )
    assert section.url.startswith("/dashboard?report=test-report")


def test_outsiders_deactivated_people_and_nobody_find_nothing(session, world):
    fill(session, world.report, "aardvark")
    assert search.search(session, person=world.outsider, text="aardvark").hits == []
    assert search.search(session, person=None, text="aardvark").hits == []
    world.reviewer.active = False
    session.add(world.reviewer)
    session.commit()
    results = search.search(session, person=world.reviewer, text="aardvark")
    assert results.hits == [] and results.total == 0


def test_everything_is_the_command_lines_scope(session):
    world = make_world(session)
    fill(session, world.report, "aardvark")
    results = search.search(session, person=None, text="aardvark", scope=search.everything(session))
    assert {h.kind for h in results.hits} == set(search.KINDS)
    assert results.hits[0].as_dict()["snippet"].count("**") >= 2


def test_a_restored_backup_is_searchable(engine, empty_engine, tmp_path):
    """A restore inserts the rows; the triggers index them (sections before their revisions too)."""
    from workbench import backup
    from workbench.db import session_scope

    with session_scope(engine) as session:
        world = make_world(session)
        ids = fill(session, world.report, "aardvark")
    path = tmp_path / "workspace.zip"
    backup.dump(engine, path)
    backup.restore(empty_engine, path)
    with session_scope(empty_engine) as session:
        hits = found(session, None, "aardvark", scope=search.everything(session))
        assert hits == {kind: {ids[kind]} for kind in search.KINDS}
        # The sample text of the first sections, written before the restore, is found too.
        assert (
            len(found(session, None, "widespread", scope=search.everything(session))["sections"])
            == 4
        )


def test_the_search_command(tmp_path):
    """`workbench search`: everything by default, --as limits it, --json, --kind, bad options."""
    import json

    from typer.testing import CliRunner

    from workbench import migrate
    from workbench.cli import app
    from workbench.db import make_engine, session_scope

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        world = make_world(session)
        mine = fill(session, world.report, "aardvark")
        fill(session, make_report(session, "other-report"), "aardvark")
        reviewer = world.reviewer.email
    engine.dispose()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["search", *args], env={"WORKBENCH_DATABASE_URL": url})

    result = run("aardvark", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"] == {kind: 2 for kind in search.KINDS}
    assert "**aardvark**" in " ".join(h["snippet"] for h in data["hits"]).lower()

    result = run("aardvark", "--as", reviewer, "--kind", "comments", "--json")
    hits = json.loads(result.output)["hits"]
    assert [(h["kind"], h["id"], h["report"]) for h in hits] == [
        ("comments", mine["comments"], "test-report")
    ]

    result = run("aardvark", "--report", "other-report", "--kind", "sources")
    assert result.exit_code == 0
    assert "source aardvark2020a (other-report)" in result.output
    assert "[aardvark]" in result.output

    assert "No results for 'okapi'." in run("okapi").output
    for args, message in [
        (["--kind", "people"], "--kind people is not a kind"),
        (["--report", "nowhere"], "No report with the slug 'nowhere'"),
        (["--as", "nobody@example.org"], "No person with the email"),
    ]:
        result = run("aardvark", *args)
        assert result.exit_code != 0 and message in result.output, result.output
    result = run("* -aardvark")
    assert result.exit_code != 0 and "nothing to search for" in result.output
