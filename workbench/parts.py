"""The parts of a report other than its sections, as the review copy prints them.

A reviewer can cite and comment on every line of the review copy, not only the
sections' prose. Besides the sections, the copy has five **parts**, each with a
short code a comment table's "Section" column can hold:

========  ==============================  =============================================
Code      Part                            Items in it (codes a comment can also name)
========  ==============================  =============================================
``KF``    Key findings                    each finding, by its code (``F3``)
``CR``    Consensus and disagreement      each row of the register (``CR1``, ``CR2``…)
``FS``    Register of false solutions     each row (``FS1``…)
``REC``   Recommendations                 each recommendation, by its code (``R3``)
``IN``    Annex: initiatives              each initiative (``IN1``…)
========  ==============================  =============================================

Decisions:

- **Numbering per part.** Lines are numbered from 1 in each section (as before)
  and in each of these parts: a reviewer cites "KF, line 7" or "2.1, lines
  12–14", the same pair the comment table holds in its "Section", "From line" and
  "To line" columns. A chapter-wide count would shift every later number when
  one finding is added; per part, the numbers of a part change only with it.
- **What a line is.** A part is written as Markdown, one line per thing a reviewer
  may point at: each finding is one row of the findings table (its statement,
  calibrated confidence and traceable account), each register entry one row,
  each recommendation three lines (the recommendation, who should act at what
  scale and horizon, then its context conditions and normative assumptions), each
  initiative its name and one line per field. As in a section, line numbers
  count every line of the Markdown, blank ones included, and blank lines and
  table rules carry no printed number; the header row of a table carries none.
- **Frozen with the round.** Parts have no revisions, so when a review round
  opens, each part's Markdown is stored as it stands (``FrozenPart``) with the
  lines of each item. The review copy prints these frozen parts, the Review page
  shows their lines, and comments on them are checked against them, whatever
  the authors change afterwards — as for sections.
- **Who answers.** The CLAs answer comments on every part; a comment on an item
  that belongs to a section (a finding, a register row or a recommendation with
  a section) can also be answered by that section's lead author and co-authors.

Comments name what they are on by a **target code**: a section's code, a part's
code, or an item's code. :func:`targets` lists them for a round and
:func:`resolve` finds one, case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from workbench import consensus, findings, initiatives, recommendations, sections
from workbench.i18n import N_, Msg
from workbench.models import (
    ActorType,
    FrozenPart,
    FrozenSection,
    Question,
    Report,
    ReviewRound,
    Section,
    SectionRevision,
)
from workbench.phrasing import Count, Verbatim


@dataclass(frozen=True)
class PartSpec:
    """A part's code, title, heading level and anchor in the document."""

    code: str
    title: str
    level: int
    anchor: str


# The titles are English (the review copy prints them); a page shows ``_(spec.title)``.
KEY_FINDINGS = PartSpec("KF", N_("Key findings"), 1, "key-findings")
CONSENSUS = PartSpec("CR", N_("Consensus and disagreement"), 1, "consensus")
FALSE_SOLUTIONS = PartSpec("FS", N_("Register of false solutions"), 2, "false-solutions")
RECOMMENDATIONS = PartSpec("REC", N_("Recommendations"), 1, "recommendations")
INITIATIVES = PartSpec("IN", N_("Annex: initiatives"), 1, "initiatives")
#: The parts in the order the document prints them (the references stand before IN).
SPECS: tuple[PartSpec, ...] = (
    KEY_FINDINGS,
    CONSENSUS,
    FALSE_SOLUTIONS,
    RECOMMENDATIONS,
    INITIATIVES,
)
SPEC_BY_CODE: dict[str, PartSpec] = {spec.code: spec for spec in SPECS}
SPEC_BY_CODE_TITLES = frozenset(spec.title for spec in SPECS)


@dataclass
class PartText:
    """A part as printed: its Markdown body and the lines of each item in it.

    ``items`` maps an item's code to ``{"lines": [first, last], "section_id": id
    or None, "label": "Finding F3"}``.
    """

    spec: PartSpec
    markdown: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def line_count(self) -> int:
        return len(sections.lines_of(self.markdown))


class _Writer:
    """Collects a part's Markdown lines and the line range of each item."""

    def __init__(self, spec: PartSpec) -> None:
        self.spec = spec
        self.lines: list[str] = []
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def item(self, code: str, lines: Sequence[str], *, label: str, section_id: int | None) -> None:
        """Add an item's lines and remember where they are (numbered from 1)."""
        first = len(self.lines) + 1
        self.lines.extend(lines)
        self.items[code] = {
            "lines": [first, len(self.lines)],
            "section_id": section_id,
            "label": label,
        }

    def table_head(self, headers: Sequence[str], widths: Sequence[int]) -> None:
        self.add(
            "| " + " | ".join(cell(h) for h in headers) + " |",
            "|" + "|".join("-" * max(w, 3) for w in widths) + "|",
        )

    def done(self) -> PartText:
        return PartText(self.spec, "\n".join(self.lines).strip("\n") + "\n", self.items)


def one_line(text: str) -> str:
    """Return text on one line, its runs of white space made single spaces."""
    return " ".join((text or "").split())


def cell(text: str) -> str:
    """Return text fit for one cell of a pipe table."""
    return one_line(text).replace("|", "\\|") or "—"


def row(cells: Sequence[str], *, raw: Sequence[int] = ()) -> str:
    """Return one row of a pipe table; the cells at the ``raw`` indexes are already fit."""
    return "| " + " | ".join(c if i in raw else cell(c) for i, c in enumerate(cells)) + " |"


def pipe_table(headers: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """Return a pandoc pipe table; ``widths`` are the columns' relative widths."""
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join("-" * max(w, 3) for w in widths) + "|",
    ]
    lines += [row(r) for r in rows]
    # Long cells make pandoc wrap the table to the page, with the widths above.
    lines.append("")
    return "\n".join(lines)


#: Joins the positions in one cell of the consensus register: the Word export puts
#: each position on a line of its own there (a pipe table cell has no line breaks),
#: other formats a semicolon. A private-use character: no text holds it, and unlike
#: U+2028 it does not end a line for ``str.splitlines``.
POSITION_BREAK = "\ue000"


# --------------------------------------------------------------------------- the parts


def calibrated_statement(finding: Any) -> str:
    """Return a finding's statement in calibrated language (Markdown).

    The likelihood term is put in italics where the sentence uses it, and in the
    parentheses beside the confidence where it does not: "(*likely*; *high confidence*)".
    """
    statement = one_line(finding.statement).rstrip()
    said: list[str] = []
    if finding.likelihood:
        term = finding.likelihood.label.lower()
        pattern = re.compile(rf"(?<![*\w]){re.escape(term)}(?![*\w])", re.IGNORECASE)
        statement, found = pattern.subn(lambda m: f"*{m.group(0)}*", statement, count=1)
        if not found:
            said.append(f"*{term}*")
    said.append(f"*{finding.confidence.label.lower()} confidence*")
    # The parenthesis sits before the sentence's full stop, as the IPCC prints it.
    stop = "." if statement.endswith(".") else ""
    body = statement[:-1] if stop else statement
    return f"{body} ({'; '.join(said)}){stop}"


def _findings(
    session: Session, report: Report, ordered: list[Section], texts: Mapping[int, str]
) -> PartText:
    """The key findings in the IPCC's calibrated language, one table row each.

    Each finding reads as the IPCC prints one: the likelihood term in italics in
    the sentence, the confidence in italics in parentheses ("(*high confidence*)"),
    then the traceability reference in braces, "{1.2, 3.1}": the finding's own
    section first, then every other section of this text (front matter aside,
    which summarises) citing a source the finding rests on. Beside it, the
    traceable account opens with the evidence and agreement ("*robust evidence,
    medium agreement*").
    """
    out = _Writer(KEY_FINDINGS)
    found = findings.list_findings(session, report_id=report.id)
    if not found:
        out.add("*No findings have been recorded yet.*")
        return out.done()
    out.add(
        "Each finding carries the Panel's calibrated confidence, from the evidence behind it "
        "and the agreement among studies and experts; likelihood terms are in italics. The "
        "reference in braces after a finding names the section it comes from and the "
        "sections citing the sources it rests on.",
        "",
    )
    codes = {s.id: s.code for s in ordered}
    citing: dict[str, set[str]] = {}
    for section in ordered:
        if section.question == Question.front:
            continue  # a summary cites everything; the braces point to the assessment itself
        for key in sections.extract_citation_keys(texts.get(section.id, "")):
            citing.setdefault(key, set()).add(section.code)
    linked = findings.sources_by_finding(session, [f.id for f in found])
    out.table_head(["No.", "Finding", "Traceable account"], [7, 55, 38])
    for finding in sorted(found, key=lambda f: sections.code_order(f.code)):
        own = codes.get(finding.section_id)
        cited = {
            code for source in linked.get(finding.id, []) for code in citing.get(source.key, ())
        }
        trace = ([own] if own else []) + sorted(cited - {own}, key=sections.code_order)
        account = (
            f"*{finding.evidence.label.lower()} evidence, "
            f"{finding.agreement.label.lower()} agreement*"
        )
        if finding.traceable_account.strip():
            account += f". {one_line(finding.traceable_account)}"
        out.item(
            finding.code,
            [
                row(
                    [
                        finding.code,
                        calibrated_statement(finding)
                        + (f" {{{', '.join(trace)}}}" if trace else ""),
                        account,
                    ]
                )
            ],
            label=f"Finding {finding.code}",
            section_id=finding.section_id,
        )
    out.add("")
    return out.done()


def _consensus(session: Session, report: Report) -> PartText:
    """The consensus register: one row per item, each actor's position on a line of its own."""
    out = _Writer(CONSENSUS)
    actors, items, cells = consensus.positions_matrix(session, report_id=report.id)
    if not items:
        out.add("*No consensus items have been recorded yet.*")
        return out.done()
    out.add(
        "Where the evidence and the actors agree, where they are divided, and on what "
        "grounds. Positions are those the actors have stated publicly.",
        "",
    )
    out.table_head(["No.", "Statement", "Classification", "Positions"], [9, 33, 17, 41])
    for number, item in enumerate(items, start=1):
        stated = [
            f"{a.name}: {cells[(item.id, a.id)].stance.label.lower()}"
            for a in actors
            if (item.id, a.id) in cells
        ]
        code = f"{CONSENSUS.code}{number}"
        out.item(
            code,
            [
                row(
                    [
                        code,
                        item.statement,
                        item.classification.label,
                        POSITION_BREAK.join(cell(s) for s in stated) or "—",
                    ],
                    raw=(3,),
                )
            ],
            label=f"Consensus register, row {number}",
            section_id=item.section_id,
        )
    out.add("")
    return out.done()


def _false_solutions(session: Session, report: Report) -> PartText:
    out = _Writer(FALSE_SOLUTIONS)
    false = consensus.false_solutions(session, report_id=report.id)
    if not false:
        out.add("*No proposal has been classified as a false solution.*")
        return out.done()
    out.add(
        "Proposals often put forward that the evidence shows will not deliver what they "
        "promise, and why.",
        "",
    )
    out.table_head(["No.", "Proposal", "Why it is a false solution"], [9, 36, 55])
    for number, item in enumerate(false, start=1):
        code = f"{FALSE_SOLUTIONS.code}{number}"
        out.item(
            code,
            [row([code, item.statement, item.why_false])],
            label=f"False-solutions register, row {number}",
            section_id=item.section_id,
        )
    out.add("")
    return out.done()


def _recommendations(session: Session, report: Report) -> PartText:
    out = _Writer(RECOMMENDATIONS)
    recs = recommendations.list_recommendations(session, report_id=report.id)
    if not recs:
        out.add("*No recommendations have been recorded yet.*")
        return out.done()
    out.add(
        "Each recommendation names who should act, at what scale and on what horizon; beside "
        "it stand the conditions under which it holds and the value judgements it rests on.",
        "",
    )
    links = recommendations.links_by_recommendation(session, [r.id for r in recs])
    for rec in sorted(recs, key=lambda r: sections.code_order(r.code)):
        addressees = ", ".join(ActorType(a).label for a in rec.addressees) or "—"
        linked = links.get(rec.id)
        rests_on = (
            ", ".join(sorted((f.code for f in linked.findings), key=sections.code_order))
            if linked and linked.findings
            else ""
        )
        detail = (
            f"*Addressed to:* {addressees} · *Scale:* {rec.scale.label} · "
            f"*Horizon:* {rec.horizon.label}"
        )
        if rests_on:
            detail += f" · *Rests on findings:* {rests_on}"
        out.item(
            rec.code,
            [
                f"**{rec.code}.** {one_line(rec.text)}",
                "",
                detail,
                "",
                row(["Context conditions", "Normative assumptions"]),
                "|" + "-" * 50 + "|" + "-" * 50 + "|",
                row([rec.context_conditions, rec.normative_assumptions]),
            ],
            label=f"Recommendation {rec.code}",
            section_id=rec.section_id,
        )
        out.add("")
    return out.done()


def review_line(status: str, note: str) -> str:
    """Return an initiative's review status and note, the status said once.

    Notes often open with the status ("Reviewed in August 2026: …"); then the note
    alone says it, rather than "Reviewed: Reviewed in August 2026".
    """
    note = one_line(note)
    if not note:
        return status
    if note.lower().startswith(status.lower()):
        return note
    return f"{status}. {note}"


_SUBHEADING = re.compile(r"^## (?P<title>.+?) \{#(?P<anchor>[\w-]+)\}$")


def _initiatives(session: Session, report: Report) -> PartText:
    out = _Writer(INITIATIVES)
    found = initiatives.list_initiatives(session, report_id=report.id)
    if not found:
        out.add("*No initiatives have been documented yet.*")
        return out.done()
    out.add(
        "Initiatives already under way that show what can be done, with the Panel's review "
        "of their evidence.",
        "",
    )
    for number, item in enumerate(found, start=1):
        fields = [
            ("Where", ", ".join(x for x in (item.location, item.region) if x)),
            ("Who", item.who),
            ("What", item.what),
            ("Outcomes", item.outcomes),
            ("Evidence", item.evidence),
            ("Replicability", item.replicability),
            ("Panel review", review_line(item.review_status.label, item.review_note)),
        ]
        lines = [f"## {one_line(item.name)} {{#initiative-{item.id}}}", ""]
        for label, value in fields:
            if value.strip():
                lines += [f"**{label}:** {one_line(value)}", ""]
        code = f"{INITIATIVES.code}{number}"
        out.item(code, lines[:-1], label=f"Initiative {number}: {item.name}", section_id=None)
        out.add("")
    return out.done()


def subheadings(markdown: str) -> list[tuple[str, str]]:
    """Return (title, anchor) of each level-2 heading a part's Markdown holds (initiatives)."""
    return [
        (m.group("title"), m.group("anchor"))
        for line in sections.lines_of(markdown)
        if (m := _SUBHEADING.match(line))
    ]


def build(
    session: Session, report: Report, texts: Mapping[int, str] | None = None
) -> list[PartText]:
    """Return the report's parts as they stand, in print order.

    ``texts`` (section id → text) are the sections' texts the findings' braces
    look in for citations: the frozen ones under review, else the current ones.
    """
    ordered = sections.list_sections(session, report.id)
    if texts is None:
        texts = sections.head_texts(session, report.id)
    return [
        _findings(session, report, ordered, texts),
        _consensus(session, report),
        _false_solutions(session, report),
        _recommendations(session, report),
        _initiatives(session, report),
    ]


# --------------------------------------------------------------------------- frozen parts


def freeze(session: Session, review_round: ReviewRound, report: Report) -> None:
    """Store every part as it stands for a round that is opening (in the caller's transaction)."""
    texts = dict(
        session.exec(
            select(FrozenSection.section_id, SectionRevision.text)
            .join(SectionRevision, col(SectionRevision.id) == col(FrozenSection.revision_id))
            .where(FrozenSection.round_id == review_round.id)
        ).all()
    )
    for position, part in enumerate(build(session, report, texts)):
        session.add(
            FrozenPart(
                round_id=review_round.id,
                code=part.code,
                position=position,
                title=part.spec.title,
                text=part.markdown,
                items=part.items,
            )
        )


def frozen(session: Session, round_id: int) -> list[PartText]:
    """Return the parts a round froze, in print order (none for a round opened before parts)."""
    rows = session.exec(
        select(FrozenPart).where(FrozenPart.round_id == round_id).order_by(col(FrozenPart.position))
    ).all()
    return [
        PartText(SPEC_BY_CODE[r.code], r.text, dict(r.items))
        for r in rows
        if r.code in SPEC_BY_CODE
    ]


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """What a comment can be on: a frozen section, a frozen part, or an item of a part."""

    code: str  # as the reviewer writes it: "2.1", "KF", "F3"
    kind: str  # "section", "part" or "item"
    title: str  # "Section 2.1 Living wages", "Key findings", "Finding F3"
    line_count: int  # lines of the section or part the numbers count in
    section_id: int | None = None  # the section commented on (sections only)
    part: str = ""  # the part code the lines count in ("" for a section)
    lines: tuple[int, int] | None = None  # an item's own lines
    answer_section_id: int | None = None  # whose authors answer, besides the CLAs

    @property
    def stored_part(self) -> str:
        """Return what ``ReviewComment.part`` holds for this target ("" for a section)."""
        return "" if self.kind == "section" else self.code

    def where(self) -> Msg:
        """Return what the line numbers count in: 'Section 2.1' or 'Key findings (KF)'."""
        if self.kind == "section":
            return Msg("Section {code}", code=self.code)
        return Msg("{part} ({code})", part=Msg(SPEC_BY_CODE[self.part].title), code=self.part)

    def line_problem(self, round_name: str, from_line: int, to_line: int) -> Msg | None:
        """Return why a line range is wrong for this target (a phrase), or None when it is right."""
        if from_line < 1:
            return Msg("lines are numbered from 1, not {line}", line=from_line)
        if to_line < from_line:
            return Msg(
                "'To line' ({to_line}) is before 'From line' ({from_line})",
                to_line=to_line,
                from_line=from_line,
            )
        if to_line > self.line_count:
            params = {"where": self.where(), "round": round_name, "first": from_line}
            if from_line == to_line:
                return Count(
                    N_(
                        "{where} as frozen for {round} has {count} line; "
                        "line {first} does not exist"
                    ),
                    N_(
                        "{where} as frozen for {round} has {count} lines; "
                        "line {first} does not exist"
                    ),
                    self.line_count,
                    **params,
                )
            return Count(
                N_(
                    "{where} as frozen for {round} has {count} line; "
                    "lines {first}–{last} do not exist"
                ),
                N_(
                    "{where} as frozen for {round} has {count} lines; "
                    "lines {first}–{last} do not exist"
                ),
                self.line_count,
                last=to_line,
                **params,
            )
        if self.lines is not None and not (self.lines[0] <= from_line and to_line <= self.lines[1]):
            first, last = self.lines
            params = {
                "title": item_title(self.title),
                "where": self.where(),
                "from_line": from_line,
                "to_line": to_line,
                "part": self.part,
            }
            if first == last:
                return Msg(
                    "{title} is on line {first} of {where}; lines {from_line}–{to_line} go "
                    "beyond it (give {part} to comment on the whole part)",
                    first=first,
                    **params,
                )
            return Msg(
                "{title} is on lines {first}–{last} of {where}; lines {from_line}–{to_line} go "
                "beyond it (give {part} to comment on the whole part)",
                first=first,
                last=last,
                **params,
            )
        return None


_ITEM_TITLES = (
    (re.compile(r"^Finding (?P<code>\S+)$"), N_("Finding {code}")),
    (
        re.compile(r"^Consensus register, row (?P<number>\d+)$"),
        N_("Consensus register, row {number}"),
    ),
    (
        re.compile(r"^False-solutions register, row (?P<number>\d+)$"),
        N_("False-solutions register, row {number}"),
    ),
    (re.compile(r"^Recommendation (?P<code>\S+)$"), N_("Recommendation {code}")),
    (re.compile(r"^Initiative (?P<number>\d+): (?P<name>.*)$"), N_("Initiative {number}: {name}")),
    (re.compile(r"^Section (?P<code>\S+) (?P<title>.*)$"), N_("Section {code} {title}")),
)


def item_title(title: str) -> Msg:
    """Return a target's stored English title ('Finding F3') as a message read in any language.

    Frozen items keep the label they were frozen with; the part titles and the
    labels this module writes are recognised, anything else is shown as it is.
    """
    if title in SPEC_BY_CODE_TITLES:
        return Msg(title)
    for pattern, template in _ITEM_TITLES:
        if match := pattern.match(title):
            return Msg(template, **match.groupdict())
    return Verbatim(title)


def targets(session: Session, round_id: int, *, section_lines: bool = True) -> dict[str, Target]:
    """Return every target a comment in this round can name, by its code folded to lower case.

    Sections first (their codes win), then the parts, then the items of each part.
    Without ``section_lines`` the sections' frozen texts are not read (a large report's
    are megabytes) and their ``line_count`` is 0: for listing what can be commented on
    and who answers, never for checking a range of lines.
    """
    query = select(Section.id, Section.code, Section.title).join(
        FrozenSection, col(FrozenSection.section_id) == col(Section.id)
    )
    if section_lines:
        query = query.add_columns(SectionRevision.text).join(
            SectionRevision, col(SectionRevision.id) == col(FrozenSection.revision_id)
        )
    rows = session.exec(query.where(FrozenSection.round_id == round_id)).all()
    found: dict[str, Target] = {}
    for section_id, code, title, *text in sorted(rows, key=lambda r: sections.code_order(r[1])):
        found[code.lower()] = Target(
            code=code,
            kind="section",
            title=f"Section {code} {title}",
            line_count=len(sections.lines_of(text[0])) if text else 0,
            section_id=section_id,
            answer_section_id=section_id,
        )
    parts = frozen(session, round_id)
    for part in parts:
        found.setdefault(
            part.code.lower(),
            Target(
                code=part.code,
                kind="part",
                title=part.spec.title,
                line_count=part.line_count,
                part=part.code,
            ),
        )
    for part in parts:
        for code, item in part.items.items():
            first, last = item["lines"]
            found.setdefault(
                code.lower(),
                Target(
                    code=code,
                    kind="item",
                    title=item.get("label") or code,
                    line_count=part.line_count,
                    part=part.code,
                    lines=(int(first), int(last)),
                    answer_section_id=item.get("section_id"),
                ),
            )
    return found


def part_targets(session: Session, round_id: int) -> dict[str, Target]:
    """Return the targets of :func:`targets` that are parts or their items, not sections.

    Without reading the sections' frozen texts (a large report's are megabytes): only
    their codes, which still win over a part's or an item's.
    """
    listed = targets(session, round_id, section_lines=False)
    return {code: t for code, t in listed.items() if t.kind != "section"}


def resolve(found: Mapping[str, Target], code: str) -> Target | None:
    """Return the target a code names (any case, surrounding spaces ignored), or None."""
    return found.get((code or "").strip().lower())
