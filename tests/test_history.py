"""The draft history: every revision a commit in a git mirror; its tags; rebuild and verify."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import threading
from datetime import date, timedelta
from pathlib import Path

import git
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from tests.factories import World, make_world
from tests.test_council import at_council_review
from tests.test_reviews import open_fod
from workbench import council, history, reports, sections
from workbench.cli import app
from workbench.db import DEFAULT_URL, create_all, make_engine
from workbench.models import (
    DecisionKind,
    Person,
    Section,
    SectionRevision,
    SectionStatus,
    Source,
    Stage,
    Vote,
)

runner = CliRunner()


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def no_remembered_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test with no mirror or push problem remembered."""
    monkeypatch.setattr(history, "_problems", {"mirror": None, "push": None})


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Turn the mirror on, in a throwaway folder."""
    path = tmp_path / "mirror"
    monkeypatch.setenv(history.MIRROR_ENV, str(path))
    return path


def save(
    session: Session,
    world: World,
    index: int,
    text: str,
    *,
    author: Person | None = None,
    message: str = "",
) -> sections.SaveResult:
    section = world.sections[index]
    session.refresh(section)
    return sections.save_revision(
        session=session,
        actor=author or world.lead_authors[index],
        section=section,
        text=text,
        base_revision_id=section.head_revision_id,
        message=message,
    )


def repo_at(path: Path) -> git.Repo:
    return git.Repo(path)


def trailer_ids(path: Path) -> list[int]:
    """Return the revision ids the mirror's commits carry, oldest first."""
    with repo_at(path) as repo:
        ids = []
        for commit in reversed(list(repo.iter_commits("main"))):
            last = commit.message.strip().splitlines()[-1]
            if last.startswith(f"{history.TRAILER}: "):
                ids.append(int(last.split(": ")[1]))
        return ids


def file_in_head(path: Path, name: str) -> bytes:
    with repo_at(path) as repo:
        return (repo.head.commit.tree / name).data_stream.read()


def head_tree(path: Path) -> str:
    with repo_at(path) as repo:
        return repo.head.commit.tree.hexsha


def all_revision_ids(session: Session) -> list[int]:
    return list(session.exec(select(SectionRevision.id).order_by(SectionRevision.id)).all())


def fsck(path: Path) -> None:
    result = subprocess.run(
        ["git", "fsck", "--strict", "--no-progress"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr.lower(), result.stderr


# --------------------------------------------------------------------------- content and authorship


def test_saves_by_different_people_become_their_commits(session, world, mirror):
    first = save(
        session,
        world,
        0,
        "Wages fell in 2024. Prices rose faster.\n\nNew data follow [@anker2017].\n",
        message="Update the trend paragraph",
    )
    second = save(session, world, 1, "Justice asks for a decent life. It asks for more!\n")
    assert first.mirror_note is None and second.mirror_note is None

    # The factory's first drafts were caught up too, in id order, each by its own author.
    assert trailer_ids(mirror) == all_revision_ids(session)
    with repo_at(mirror) as repo:
        commits = list(repo.iter_commits("main"))
        newest, before = commits[0], commits[1]
        assert (newest.author.name, newest.author.email) == (
            world.lead_authors[1].name,
            world.lead_authors[1].email,
        )
        assert newest.committer.email == world.lead_authors[1].email
        assert (before.author.name, before.author.email) == (
            world.lead_authors[0].name,
            world.lead_authors[0].email,
        )
        assert before.message == (
            f"Update the trend paragraph\n\n{history.TRAILER}: {first.revision.id}\n"
        )
        assert newest.message.startswith("Revision 2\n\n")  # the default message of a save
        created = first.revision.created_at.replace(tzinfo=None)
        assert before.authored_datetime.replace(tzinfo=None) == created.replace(microsecond=0)
        assert before.committed_date == before.authored_date
        names = sorted(blob.path for blob in newest.tree.traverse() if blob.type == "blob")
    assert names == [
        "reports/test-report/01-section-1-1.md",
        "reports/test-report/02-section-2-1.md",
        "reports/test-report/03-section-3-1.md",
        "reports/test-report/04-section-4-1.md",
        "reports/test-report/comments.csv",
        "reports/test-report/report.json",
        "reports/test-report/sources.json",
    ]
    assert file_in_head(mirror, "reports/test-report/01-section-1-1.md") == (
        b"Wages fell in 2024.\nPrices rose faster.\n\nNew data follow [@anker2017].\n"
    )
    assert file_in_head(mirror, "reports/test-report/02-section-2-1.md") == (
        b"Justice asks for a decent life.\nIt asks for more!\n"
    )
    # The working tree shows the same files, for people who browse the folder.
    assert (mirror / "reports/test-report/02-section-2-1.md").read_bytes().startswith(b"Justice")


def test_report_sources_and_comments_are_mirrored(session, world, mirror):
    session.add(
        Source(
            report_id=world.report.id,
            key="anker2017",
            csl={"type": "book", "title": "Living Wages Around the World", "issued": 2017},
        )
    )
    session.commit()
    review_round = open_fod(session, world)
    from tests.test_reviews import comment_on

    comment_on(session, world, review_round, comment="=Cite the ILO estimates here.")
    save(session, world, 2, "Obstacles remain. Opportunities too.\n")

    meta = json.loads(file_in_head(mirror, "reports/test-report/report.json"))
    assert meta["title"] == world.report.title
    assert meta["stage"] == "first_order_draft"
    assert meta["languages"] == ["en", "fr"]
    assert meta["start_date"] == "2026-01-01"
    assert [s["code"] for s in meta["outline"]] == ["1.1", "2.1", "3.1", "4.1"]
    first = meta["outline"][0]
    assert first == {
        "code": "1.1",
        "title": "Section 1.1",
        "question": "known",
        "status": "in_review",
        "lead_author": world.lead_authors[0].email,
        "file": "01-section-1-1.md",
    }
    csl = json.loads(file_in_head(mirror, "reports/test-report/sources.json"))
    assert csl == [
        {
            "id": "anker2017",
            "type": "book",
            "title": "Living Wages Around the World",
            "issued": 2017,
        }
    ]
    table = file_in_head(mirror, "reports/test-report/comments.csv").decode("utf-8-sig")
    header, row = table.splitlines()[:2]
    assert header.startswith("Round,No,Section,From line,To line,Reviewer")
    assert row.startswith("FOD,1,1.1,1,3,Reviewer,")
    assert "'=Cite the ILO estimates here." in row  # neutralised as the export does


def test_renaming_and_reordering_moves_the_files_at_the_next_commit(session, world, mirror):
    save(session, world, 0, "First text.\n")
    sections.update_section(
        session=session, actor=world.cla, section=world.sections[0], title="Où en est-on ?"
    )
    sections.update_section(
        session=session, actor=world.cla, section=world.sections[1], title="生活工资"
    )
    save(session, world, 3, "Action text.\n")
    with repo_at(mirror) as repo:
        names = {b.name for b in (repo.head.commit.tree / "reports/test-report").blobs}
    assert "01-ou-en-est-on.md" in names
    assert "02-section-2-1.md" in names  # a title with no ASCII letters falls back to its code
    assert "01-section-1-1.md" not in names


# --------------------------------------------------------------------------- one sentence per line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Wages fell. They rose! Why? "Quoted." (Aside.) [@key] says so. Dr. Smith is.',
            'Wages fell.\nThey rose!\nWhy?\n"Quoted."\n(Aside.)\n[@key] says so.\nDr. Smith is.',
        ),
        ("By J. Doe. The U.S. Congress.", "By J. Doe.\nThe U.S. Congress."),
        ("- One. Two.\n1. Three. Four.\n", "- One.\n  Two.\n1. Three.\n   Four.\n"),
        ("> Quoted. Again.\n", "> Quoted.\n> Again.\n"),
        ("# Heading. Kept\n\nText. More.\n", "# Heading. Kept\n\nText.\nMore.\n"),
        ("| a. B | c |\n|---|---|\n| x. Y | z |\n", None),
        ("```\ncode. Not split\n```\n", None),
        ("    indented code. Kept\n", None),
        ("Term. Word\n: Definition. Here\n", None),
        ("Setext. Heading\n===\n", None),
        ("Inline `code. Kept` here. Next.", "Inline `code. Kept` here.\nNext."),
        ("Math $x. Y$ here. Next.", "Math $x. Y$ here.\nNext."),
        (
            "A [link. Text](http://x.org/a. B) here. Next.",
            "A [link. Text](http://x.org/a. B) here.\nNext.",
        ),
        ("<div>\nRaw. HTML.\n</div>\n", None),
        ("[^1]: The note. More.\n", None),
        ("Über alles. Ça va. Ελληνικά. Κείμενο.", "Über alles.\nÇa va.\nΕλληνικά.\nΚείμενο."),
        ("Line one. Two\r\nNext. Line\r\n", "Line one.\r\nTwo\r\nNext.\r\nLine\r\n"),
        ("A sentence. I. Roman stays. (a) too.", "A sentence. I. Roman stays. (a) too."),
    ],
)
def test_one_sentence_per_line(text, expected):
    assert history.one_sentence_per_line(text) == (text if expected is None else expected)


TRICKY_MARKDOWN = [
    'Wages fell. They rose! Why? "Because," he said. (Really.) [@a; @b, p. 4] agree. Dr. X. Y.',
    "- First item. Second sentence.\n- Another. One more.\n\n1. Numbered. Yes.\n2) Other. Two.\n",
    "> Quoted. Another quote.\n> > Nested. Deep.\n\nPara.\n> Not a quote in pandoc. Next.\n",
    "Para `code. With` text. Next one. ``a ` b. C`` end. Last.\n",
    "Costs $5. The price is $10. Then more. Math $x. Y$ inline. Done.\n",
    'Text with <span title="A. B">html. Inside</span> tag. Next. <https://x.org/a. B> Z.\n',
    "Footnote.[^1] Next.\n\n[^1]: The note. More note.\n\n[ref]: http://x.org 'A. B'\n",
    "*Emphasis.* Next. **Bold.** Then _under._ More. ***Both.*** Last.\n",
    "---\ntitle: A. B\n---\n\nText. More.\n",
    "Term. Word\n\n: Definition. Here. There.\n\nAfter. Para.\n",
    "A. Smith went. B. Jones too. (a) item. (A) Thing. I. Roman. (@) ex. #. Hash.\n",
    "Line one. Two  \nHard break. Next\\\nBackslash break. End.\n",
    "Back\\\\. Slash. Escaped \\. Dot. Brackets \\[ Open. Close.\n",
    "Grid:\n\n+---+---+\n| A. B | C |\n+---+---+\n\n"
    "Simple:\n\n  A. B   C\n  ----   -\n  x. Y   z\n",
    "::: note\nInside a div. Two sentences.\n:::\n",
    "<!-- a comment. With\n\nA blank line. Inside -->\nAfter. Text.\n",
    "Lists\n\n-     code in item. Kept\n\n- item\n\n    Continuation para. Two.\n",
    "Emoji 🎉. Next 🙂 sentence. 中文。Next. العربية. Текст. Ещё.\n",
    "Un texte. « Guillemets. » Suite. ¿Pregunta? ¡Sí! Fin.\n",
    "[Link\ntext. Over](u) lines. Next `code\nspan. X` end. Last.\n",
    "# h ` x\n`` y `code. X` after. Next.\n",  # pandoc: the heading's code runs on
    '[a](u "Title. Two") and [s]{title="A. B"} <span title="a > b. C">x. Y</span> Z.\n',
    "+ [x]:\n) ) : > \\. [link. Z](u. V) Next.\n",  # a definition's title on the next line
    "Two  spaces. After  periods.  Kept `a.  B` as. Code.\n",
]


@pytest.mark.parametrize("text", TRICKY_MARKDOWN)
def test_splitting_never_changes_what_the_markdown_means(text):
    """Pandoc and CommonMark read the mirrored text exactly as the original."""
    pypandoc = pytest.importorskip("pypandoc")
    markdown_it = pytest.importorskip("markdown_it")
    mirrored = history.one_sentence_per_line(text)
    assert history.one_sentence_per_line(mirrored) == mirrored  # stable

    def pandoc(source: str) -> object:
        def same_space(node: object) -> object:
            if isinstance(node, dict):
                if node.get("t") == "SoftBreak":
                    return {"t": "Space"}
                return {k: same_space(v) for k, v in node.items()}
            if isinstance(node, list):
                return [same_space(v) for v in node]
            return node

        return same_space(json.loads(pypandoc.convert_text(source, "json", "markdown"))["blocks"])

    parser = markdown_it.MarkdownIt("commonmark")

    def commonmark(source: str) -> list[object]:
        shape: list[object] = []
        for token in parser.parse(source):
            if token.children is None:
                shape.append((token.type, token.content, token.markup, token.info))
                continue
            inline: list[list[str]] = []
            for child in token.children:
                kind, content = child.type, child.content
                if kind == "softbreak":
                    kind, content = "text", " "
                if inline and kind == "text" and inline[-1][0] == "text":
                    inline[-1][1] += content
                else:
                    inline.append([kind, content])
            # Runs of spaces in text render as one space (in code they are kept).
            for part in inline:
                if part[0] == "text":
                    part[1] = re.sub(" +", " ", part[1])
            shape.append((token.type, inline))
        return shape

    assert pandoc(mirrored) == pandoc(text)
    assert commonmark(mirrored) == commonmark(text)


def test_long_lines_split_quickly():
    line = "A sentence that goes on for a while. " * 300 + "x" * 12_000 + ". Tail."
    mirrored = history.one_sentence_per_line(line)
    assert mirrored.count("\n") == 300
    assert mirrored.endswith("x" * 12_000 + ".\nTail.")


# --------------------------------------------------------------------------- unusual text


UNUSUAL = (
    "# Des salaires décents — أجور لائقة — 生活工资 — जीवन निर्वाह मजदूरी\n\n"
    "Les salaires ont baissé. العمال يطالبون بأجور لائقة. 工资上涨了。Ça continue! "
    "🎉🙂 Émojis. 👩🏽‍🔧 Done.\n\n"
    "Paths like C:\\Users\\panel\\data and a trailing backslash\\\n"
    "Prices in $ and €: $5. The $10 basket. Math $x^2 + \\$y$.\n\n"
    + "Long line "
    + ("word " * 2_500)
    + ". Then a short one.\n\n"
    + "Windows line. Ending\r\n"
)


def test_unusual_markdown_is_mirrored_exactly(session, world, mirror, tmp_path):
    text = UNUSUAL.replace("Windows line. Ending\r\n", "")
    result = save(session, world, 0, text + "Windows line. Ending\r\nLast.\r\n")
    stored = session.get(SectionRevision, result.revision.id).text
    assert "\r" not in stored  # a save keeps LF line ends
    name = "reports/test-report/01-section-1-1.md"
    data = file_in_head(mirror, name)
    assert data == history.mirror_text(stored).encode("utf-8")
    assert (mirror / name).read_bytes() == data
    assert (
        "Les salaires ont baissé.\nالعمال يطالبون بأجور لائقة.\n"
        "工资上涨了。Ça continue! 🎉🙂 Émojis." in data.decode("utf-8")
    )
    assert "C:\\Users\\panel\\data and a trailing backslash\\\n" in data.decode("utf-8")
    assert max(len(line) for line in data.decode("utf-8").splitlines()) > 10_000
    # A text with CRLF line ends (one written without the editor) keeps them in the mirror.
    crlf = history.mirror_text("One. Two\r\nThree. Four\r\n")
    assert crlf == "One.\r\nTwo\r\nThree.\r\nFour\r\n"

    assert history.verify(session, mirror).drift == []
    rebuilt = tmp_path / "rebuilt"
    history.rebuild(session, rebuilt)
    assert head_tree(rebuilt) == head_tree(mirror)


# --------------------------------------------------------------------------- tags


def test_opening_a_round_tags_the_newest_frozen_revision(session, world, mirror):
    save(session, world, 0, "Before the round. It is frozen.\n")
    newest = save(session, world, 1, "The newest frozen text. Yes.\n").revision
    open_fod(session, world, name="FOD 1")
    save(session, world, 2, "Written after the round opened.\n")
    with repo_at(mirror) as repo:
        tags = {t.name: t for t in repo.tags}
        assert set(tags) == {"test-report/fod-1"}
        assert tags["test-report/fod-1"].commit.message.endswith(
            f"{history.TRAILER}: {newest.id}\n"
        )
    assert history.round_tag("living-wages", "SOD") == "living-wages/sod"
    assert history.round_tag("x", "Runde Zwei/..lock", 7) == "x/runde-zwei-.lock-"


def publish(session: Session, world: World) -> int:
    """Accept every section, have the Council approve the report, and publish it."""
    for section in world.sections:
        session.refresh(section)
        section.status = SectionStatus.accepted
        session.add(section)
    at_council_review(session, world)
    decision = council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )
    for member in world.council:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    council.close_decision(session=session, actor=world.secretariat, decision=decision)
    reports.advance_stage(
        session=session, actor=world.secretariat, report=world.report, to=Stage.approved
    )
    reports.advance_stage(
        session=session, actor=world.secretariat, report=world.report, to=Stage.published
    )
    return decision.id


def test_approval_and_publication_are_tagged(session, world, mirror):
    approved_text = save(session, world, 3, "The approved text. Final.\n").revision
    decision_id = publish(session, world)
    with repo_at(mirror) as repo:
        tags = {t.name: t for t in repo.tags}
        assert set(tags) == {f"test-report/approved-{decision_id}", "test-report/published"}
        approval = tags[f"test-report/approved-{decision_id}"].commit
        assert approval.message.endswith(f"{history.TRAILER}: {approved_text.id}\n")
        assert tags["test-report/published"].commit == repo.head.commit
        report_json = repo.head.commit.tree / "reports/test-report/report.json"
        meta = json.loads(report_json.data_stream.read())
    assert meta["stage"] == "published"
    assert history.verify(session, mirror).drift == []


def test_a_corrected_edition_is_published_under_a_tag_of_its_own(session, world, mirror):
    publish(session, world)
    reports.start_new_edition(
        session=session, actor=world.secretariat, report=world.report, reason="Typo in 3.1"
    )
    corrected = save(session, world, 3, "The corrected text.\n").revision
    second = publish(session, world)
    with repo_at(mirror) as repo:
        tags = {t.name: t for t in repo.tags}
        first, again = tags["test-report/published"], tags["test-report/published-edition-2"]
        assert first.commit != again.commit
        assert tags[f"test-report/approved-{second}"].commit.message.endswith(
            f"{history.TRAILER}: {corrected.id}\n"
        )
    assert history.verify(session, mirror).drift == []


# --------------------------------------------------------------------------- rebuild and verify


def test_rebuild_gives_the_same_head_tree_and_tags(session, world, mirror, tmp_path):
    save(session, world, 0, "One. Two.\n")
    open_fod(session, world)
    save(session, world, 1, "Three. Four.\n", author=world.cla, message="A CLA's edit")
    rebuilt = tmp_path / "rebuilt"
    result = history.rebuild(session, rebuilt)
    assert head_tree(rebuilt) == head_tree(mirror)
    assert trailer_ids(rebuilt) == trailer_ids(mirror) == all_revision_ids(session)
    assert result.tags == ["test-report/fod"]
    with repo_at(rebuilt) as new, repo_at(mirror) as live:
        assert new.tags[0].commit.message == live.tags[0].commit.message

        # Same authors and dates for every revision (the live mirror also has a snapshot
        # commit, made when opening the round changed the section statuses).
        def revision_commits(repo: git.Repo) -> list[tuple[str, int, str]]:
            return [
                (c.author.email, c.authored_date, c.message)
                for c in repo.iter_commits()
                if history.TRAILER in c.message
            ]

        assert revision_commits(new) == revision_commits(live)
    # Rebuilding in place replaces the history and keeps the tree.
    history.rebuild(session, mirror)
    assert head_tree(mirror) == head_tree(rebuilt)
    assert history.verify(session, mirror).drift == []
    fsck(mirror)


def test_verify_finds_a_file_edited_in_the_mirror(session, world, mirror):
    save(session, world, 0, "One. Two.\n")
    assert history.verify(session, mirror).drift == []
    edited = mirror / "reports/test-report/01-section-1-1.md"
    edited.write_text("Someone edited the mirror.\n", encoding="utf-8")
    assert history.verify(session, mirror).drift == [
        "The mirror's folder has changes that are not committed."
    ]
    with repo_at(mirror) as repo:
        repo.index.add([str(edited)])
        repo.index.commit("Edit behind the workbench's back")
    drift = history.verify(session, mirror).drift
    assert drift == ["reports/test-report/01-section-1-1.md differs from the database."]
    # The next mirror update writes the database's text again.
    save(session, world, 1, "Another save.\n")
    assert history.verify(session, mirror).drift == []


def test_verify_finds_a_deleted_commit(session, world, mirror):
    save(session, world, 0, "One. Two.\n")
    last = save(session, world, 1, "Three. Four.\n").revision
    with repo_at(mirror) as repo:
        repo.git.reset("--hard", "HEAD~1")
    drift = history.verify(session, mirror).drift
    assert f"1 revision is not in the mirror: id {last.id}." in drift
    assert "reports/test-report/02-section-2-1.md differs from the database." in drift
    # The mirror notices and catches up at the next update.
    save(session, world, 2, "Five.\n")
    assert history.verify(session, mirror).drift == []
    assert trailer_ids(mirror) == all_revision_ids(session)


def test_verify_finds_changes_made_behind_the_mirrors_back(session, world, mirror):
    save(session, world, 0, "One. Two.\n")
    section = world.sections[1]
    head = session.get(SectionRevision, section.head_revision_id)
    sneaky = SectionRevision(
        section_id=section.id, number=head.number + 1, parent_id=head.id, text="Sneaky.\n"
    )
    session.add(sneaky)
    session.flush()
    section.head_revision_id = sneaky.id
    session.add(section)
    session.commit()
    drift = history.verify(session, mirror).drift
    assert f"1 revision is not in the mirror: id {sneaky.id}." in drift
    assert "reports/test-report/02-section-2-1.md differs from the database." in drift
    open_fod(session, world)
    drift = history.verify(session, mirror).drift
    assert drift == []  # opening the round caught up, snapshotted and tagged

    # A mirror made from another database: same ids, other authors or times.
    first = session.get(SectionRevision, all_revision_ids(session)[0])
    first.created_at = first.created_at - timedelta(days=3)
    session.add(first)
    session.commit()
    drift = history.verify(session, mirror).drift
    assert drift == [
        "1 revision in the mirror has another author or time than in the database "
        f"(was the mirror made from another database?): id {first.id}."
    ]


def test_verify_finds_a_missing_tag_and_a_missing_mirror(session, world, mirror, tmp_path):
    open_fod(session, world)
    with repo_at(mirror) as repo:
        repo.delete_tag("test-report/fod")
    assert history.verify(session, mirror).drift == ["The tag test-report/fod is missing."]
    nowhere = tmp_path / "nowhere"
    assert history.verify(session, nowhere).drift == [f"There is no history mirror at {nowhere}."]


# --------------------------------------------------------------------------- never fail a save


def test_a_mirror_path_that_is_a_file_never_fails_a_save(session, world, mirror):
    mirror.write_text("not a folder", encoding="utf-8")
    result = save(session, world, 0, "Saved although the mirror is unavailable. Yes.\n")
    assert result.mirror_note == history.BEHIND_NOTE
    assert result.revision.id == world.sections[0].head_revision_id
    assert "is a file" in history.last_problem()
    later = save(session, world, 1, "Second save, still no mirror.\n", author=world.cla)
    assert later.mirror_note == history.BEHIND_NOTE

    mirror.unlink()
    caught_up = save(session, world, 2, "Now the mirror is back.\n")
    assert caught_up.mirror_note is None
    assert history.last_problem() is None
    assert trailer_ids(mirror) == all_revision_ids(session)
    with repo_at(mirror) as repo:
        authors = [c.author.email for c in repo.iter_commits()][:3]
    assert authors == [world.lead_authors[2].email, world.cla.email, world.lead_authors[0].email]
    assert history.verify(session, mirror).drift == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_mirror_never_fails_a_save(session, world, mirror):
    save(session, world, 0, "First.\n")
    objects = mirror / ".git" / "objects"
    modes = {p: p.stat().st_mode for p in [objects, *objects.iterdir()]}
    for p in modes:
        p.chmod(0o555)
    try:
        result = save(session, world, 1, "Saved while the mirror is read-only.\n")
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert result.mirror_note == history.BEHIND_NOTE
    save(session, world, 2, "After.\n")
    assert trailer_ids(mirror) == all_revision_ids(session)


def test_a_busy_mirror_never_fails_a_save(session, world, mirror, monkeypatch):
    save(session, world, 0, "First.\n")
    monkeypatch.setattr(history, "LOCK_TIMEOUT", 0.2)
    fd = os.open(mirror / ".git" / history.LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = save(session, world, 1, "Saved while another update holds the lock.\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert result.mirror_note == history.BEHIND_NOTE
    assert "lock" in history.last_problem()
    assert save(session, world, 2, "After.\n").mirror_note is None
    assert trailer_ids(mirror) == all_revision_ids(session)


def test_a_foreign_repository_is_never_written(session, world, mirror):
    with git.Repo.init(mirror) as foreign:
        (mirror / "mine.txt").write_text("my project\n", encoding="utf-8")
        foreign.index.add(["mine.txt"])
        foreign.index.commit("My own work")
        before = foreign.head.commit.hexsha
    result = save(session, world, 0, "Text.\n")
    assert result.mirror_note == history.BEHIND_NOTE
    assert "did not create" in history.last_problem()
    with repo_at(mirror) as repo:
        assert repo.head.commit.hexsha == before


def test_two_saves_at_once_never_corrupt_the_mirror(tmp_path, mirror):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine = make_engine(url)
    create_all(engine)
    with Session(engine, expire_on_commit=False) as setup:
        world = make_world(setup)
        section_ids = [s.id for s in world.sections]
        author_ids = [p.id for p in world.lead_authors]
    results: dict[int, sections.SaveResult] = {}
    errors: list[BaseException] = []

    def write(index: int, attempt: int, barrier: threading.Barrier) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                section = own.get(Section, section_ids[index])
                author = own.get(Person, author_ids[index])
                barrier.wait()
                results[index] = sections.save_revision(
                    session=own,
                    actor=author,
                    section=section,
                    text=f"Attempt {attempt} by writer {index}. Racing.\n",
                    base_revision_id=section.head_revision_id,
                )
        except BaseException as exc:
            errors.append(exc)

    for attempt in range(3):
        barrier = threading.Barrier(2)
        results.clear()
        threads = [threading.Thread(target=write, args=(i, attempt, barrier)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert all(r.mirror_note is None for r in results.values())
        mirrored = trailer_ids(mirror)
        assert {r.revision.id for r in results.values()} <= set(mirrored)
        assert len(mirrored) == len(set(mirrored))
    fsck(mirror)
    with Session(engine, expire_on_commit=False) as check:
        assert trailer_ids(mirror) == all_revision_ids(check)
        assert history.verify(check, mirror).drift == []
    engine.dispose()


# --------------------------------------------------------------------------- configuration, remote


def test_the_default_mirror_is_only_beside_the_default_database(session, monkeypatch, tmp_path):
    from sqlalchemy import create_engine

    monkeypatch.setattr(history, "DEFAULT_MIRROR_PATH", tmp_path / "default")
    assert history.configured_path(session) is None  # a test database: no mirror
    default = Session(create_engine(DEFAULT_URL))  # never connects
    assert history.configured_path(default) == tmp_path / "default"
    monkeypatch.setenv(history.MIRROR_ENV, str(tmp_path / "chosen"))
    assert history.configured_path(session) == tmp_path / "chosen"
    default.close()


def test_without_a_mirror_nothing_is_written(session, world, tmp_path):
    result = save(session, world, 0, "Text.\n")
    assert result.mirror_note is None
    assert history.configured_path(session) is None


def test_tags_are_pushed_to_a_remote(session, world, mirror, tmp_path, monkeypatch):
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True).close()
    monkeypatch.setenv(history.REMOTE_ENV, str(bare))
    save(session, world, 0, "Before the round.\n")
    open_fod(session, world)
    with git.Repo(bare) as remote, repo_at(mirror) as repo:
        assert remote.heads.main.commit.hexsha == repo.head.commit.hexsha
        assert [t.name for t in remote.tags] == ["test-report/fod"]
    assert history.last_problem() is None

    monkeypatch.setenv(history.REMOTE_ENV, str(tmp_path / "no-such-remote.git"))
    publish(session, world)  # the pushes fail; the Council's decision and publication do not
    assert world.report.stage == Stage.published
    assert "could not be pushed" in history.last_problem()
    monkeypatch.setenv(history.REMOTE_ENV, str(bare))
    result = history.sync(session, mirror)
    assert result.pushed and result.push_problem is None
    with git.Repo(bare) as remote:
        assert "test-report/published" in [t.name for t in remote.tags]


# --------------------------------------------------------------------------- the command line


def cli(url: str, *args: str, **env: str):
    return runner.invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url, **env})


@pytest.fixture
def cli_world(tmp_path) -> tuple[str, World]:
    """Return the URL of a migrated SQLite file holding a world, and the world."""
    from workbench.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        world = make_world(s)
    engine.dispose()
    return url, world


def test_rebuild_and_verify_through_the_command_line(cli_world, tmp_path, monkeypatch):
    url, world = cli_world
    monkeypatch.delenv(history.MIRROR_ENV, raising=False)
    result = cli(url, "history", "verify")
    assert result.exit_code == 1
    assert "No history mirror is configured" in result.output

    path = tmp_path / "mirror"
    result = cli(url, "history", "rebuild", "--path", str(path))
    assert result.exit_code == 0, result.output
    assert "4 revisions in 4 commits" in result.output
    result = cli(url, "history", "verify", "--path", str(path))
    assert result.exit_code == 0, result.output
    assert "matches the database: 4 revisions, 0 tags" in result.output

    # The database changes behind the mirror's back: verify says so and fails.
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        section = s.get(Section, world.sections[0].id)
        sections.update_section(session=s, actor=world.cla, section=section, title="Renamed")
    engine.dispose()
    result = cli(url, "history", "verify", "--path", str(path))
    assert result.exit_code == 1
    assert "drift: reports/test-report/01-renamed.md is missing from the mirror." in result.output
    assert "error: the history mirror at" in result.output

    result = cli(url, "history", "sync", WORKBENCH_MIRROR_PATH=str(path))
    assert result.exit_code == 0, result.output
    assert cli(url, "history", "verify", WORKBENCH_MIRROR_PATH=str(path)).exit_code == 0

    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = cli(url, "history", "rebuild", "--path", str(tmp_path / "a-file"))
    assert result.exit_code == 1
    assert result.output.startswith("error: The history mirror's path")


def test_the_demo_command_builds_the_mirror(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    path = tmp_path / "mirror"
    result = cli(url, "demo", WORKBENCH_MIRROR_PATH=str(path))
    assert result.exit_code == 0, result.output
    assert f"History mirror: {path}" in result.output
    with repo_at(path) as repo:
        assert {t.name for t in repo.tags} >= {"living-wages/fod", "living-wages/sod"}
        first = repo.head.commit.tree.hexsha
    again = cli(url, "demo", WORKBENCH_MIRROR_PATH=str(path))
    assert again.exit_code == 0, again.output
    assert "0 new commits" in again.output
    assert head_tree(path) == first
    assert cli(url, "history", "verify", WORKBENCH_MIRROR_PATH=str(path)).exit_code == 0


def test_opening_a_round_on_a_report_without_commits_still_tags(session, world, mirror):
    # The factory's revisions were never mirrored: opening the round catches them up first.
    review_round = open_fod(session, world, opens_on=date.today() - timedelta(days=2))
    assert review_round.name == "FOD"
    with repo_at(mirror) as repo:
        assert [t.name for t in repo.tags] == ["test-report/fod"]
    assert trailer_ids(mirror) == all_revision_ids(session)
