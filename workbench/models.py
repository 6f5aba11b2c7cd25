"""The Panel's records as SQLModel tables, and the enums that name their states.

Vocabulary (see DESIGN.md §3):

- A **Report** is one Synthesis Report on a **Theme**; it moves through **stages**
  from scoping to publication.
- A **Section** answers one of the four **synthesis questions** (or is a front or
  cross-cutting part); its text lives in immutable **SectionRevision** rows, the
  newest being its *head*.
- **Source** rows are the evidence; **Citation** rows say which section cites
  which source and are derived from the text on every save.
- **Finding**, **ConsensusItem**/**Position**, **Recommendation** and
  **Initiative** are the report's structured content.
- A **ReviewRound** freezes a revision of every section; **ReviewComment** rows
  follow the IPCC comment-table shape.
- A **CouncilDecision** is bound to the hash of the frozen text it decides on;
  **CouncilVote** rows are the members' votes.

Each table is a plain SQLModel class; ``*Create`` / ``*Update`` classes beside a
table validate what services accept. Timestamps are timezone-aware UTC.

``Section.head_revision_id`` is deliberately not a foreign key: it would make a
cycle with ``SectionRevision.section_id``. ``sections.save_revision`` is the only
writer and always points it at a revision of the same section.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from workbench.i18n import N_


def utcnow() -> datetime:
    """Return the current time in UTC (every timestamp is stored and read back in UTC)."""
    return datetime.now(UTC)


def enum_type(enum_cls: type[enum.Enum]) -> SAEnum:
    """Return a portable column type storing an enum's values as plain strings.

    Native PostgreSQL enums would make every new member a migration of its own.
    """
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=40,
        values_callable=lambda members: [m.value for m in members],
    )


class LabelledEnum(enum.StrEnum):
    """A string enum whose members know the words a person reads."""

    @property
    def label(self) -> str:
        """Return the member's human label."""
        return self.value.replace("_", " ").capitalize()


class Stage(LabelledEnum):
    scoping = "scoping"
    zero_order_draft = "zero_order_draft"
    first_order_draft = "first_order_draft"
    second_order_draft = "second_order_draft"
    final_draft = "final_draft"
    council_review = "council_review"
    approved = "approved"
    published = "published"


STAGE_ORDER: list[Stage] = list(Stage)


class SectionStatus(LabelledEnum):
    not_started = "not_started"
    drafting = "drafting"
    ready_for_review = "ready_for_review"
    in_review = "in_review"
    revising = "revising"
    accepted = "accepted"


class Question(LabelledEnum):
    """Which part of a report a section belongs to: one of the four synthesis questions."""

    front = "front"
    known = "known"
    desirable = "desirable"
    obstacles = "obstacles"
    action = "action"
    cross_cutting = "cross_cutting"

    @property
    def label(self) -> str:
        return QUESTION_LABELS[self]


QUESTION_LABELS: dict[Question, str] = {
    Question.front: "Front matter",
    Question.known: "1. What is known?",
    Question.desirable: "2. What is desirable?",
    Question.obstacles: "3. What are the major obstacles and opportunities?",
    Question.action: "4. What can be done, and by whom?",
    Question.cross_cutting: "Cross-cutting",
}
SYNTHESIS_QUESTIONS: list[Question] = [
    Question.known,
    Question.desirable,
    Question.obstacles,
    Question.action,
]
QUESTION_ORDER: dict[Question, int] = {q: i for i, q in enumerate(Question)}


class Role(LabelledEnum):
    secretariat = "secretariat"
    council_member = "council_member"
    cla = "cla"
    lead_author = "lead_author"
    contributing_author = "contributing_author"
    review_editor = "review_editor"
    reviewer = "reviewer"
    translator = "translator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def workspace_wide(self) -> bool:
        """Return True for roles held across the workspace rather than in one report."""
        return self in (Role.secretariat, Role.council_member)


ROLE_LABELS: dict[Role, str] = {
    Role.secretariat: "Secretariat",
    Role.council_member: "Council member",
    Role.cla: "Coordinating Lead Author",
    Role.lead_author: "Lead Author",
    Role.contributing_author: "Contributing Author",
    Role.review_editor: "Review Editor",
    Role.reviewer: "Reviewer",
    Role.translator: "Translator",
}
AUTHOR_ROLES = frozenset({Role.cla, Role.lead_author, Role.contributing_author})


class SourceKind(LabelledEnum):
    peer_reviewed = "peer_reviewed"
    book = "book"
    report = "report"
    dataset = "dataset"
    policy_document = "policy_document"
    testimony = "testimony"
    initiative_case = "initiative_case"


class Certainty(LabelledEnum):
    """GRADE-style certainty of a body of evidence."""

    high = "high"
    moderate = "moderate"
    low = "low"
    very_low = "very_low"


class Evidence(LabelledEnum):
    limited = "limited"
    medium = "medium"
    robust = "robust"


class Agreement(LabelledEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Confidence(LabelledEnum):
    very_low = "very_low"
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


class Likelihood(LabelledEnum):
    """IPCC calibrated likelihood terms, most to least likely."""

    virtually_certain = "virtually_certain"
    extremely_likely = "extremely_likely"
    very_likely = "very_likely"
    likely = "likely"
    more_likely_than_not = "more_likely_than_not"
    about_as_likely_as_not = "about_as_likely_as_not"
    unlikely = "unlikely"
    very_unlikely = "very_unlikely"
    extremely_unlikely = "extremely_unlikely"
    exceptionally_unlikely = "exceptionally_unlikely"


class Classification(LabelledEnum):
    consensus = "consensus"
    broad_agreement = "broad_agreement"
    disagreement = "disagreement"
    false_solution = "false_solution"
    open_question = "open_question"


class Stance(LabelledEnum):
    support = "support"
    oppose = "oppose"
    conditional = "conditional"
    divided = "divided"


class ActorType(LabelledEnum):
    """Kinds of actor a recommendation can address or a position can come from."""

    national_government = "national_government"
    local_government = "local_government"
    international_organisation = "international_organisation"
    business = "business"
    employers_organisation = "employers_organisation"
    trade_union = "trade_union"
    civil_society = "civil_society"
    investors = "investors"
    researchers = "researchers"
    citizens = "citizens"

    @property
    def label(self) -> str:
        """Return the member's human label (the organisation of employers takes an apostrophe)."""
        if self is ActorType.employers_organisation:
            return "Employers' organisation"
        return super().label


class Scale(LabelledEnum):
    local = "local"
    subnational = "subnational"
    national = "national"
    regional = "regional"
    global_ = "global"

    @property
    def label(self) -> str:
        return "Global" if self is Scale.global_ else super().label


class Horizon(LabelledEnum):
    """The roadmap step a recommendation belongs to."""

    immediate = "immediate"
    short_term = "short_term"
    medium_term = "medium_term"
    long_term = "long_term"

    @property
    def label(self) -> str:
        return HORIZON_LABELS[self]


HORIZON_LABELS: dict[Horizon, str] = {
    Horizon.immediate: "Immediate (within a year)",
    Horizon.short_term: "Short term (1–3 years)",
    Horizon.medium_term: "Medium term (3–10 years)",
    Horizon.long_term: "Long term (beyond 10 years)",
}


class InitiativeStatus(LabelledEnum):
    proposed = "proposed"
    under_review = "under_review"
    reviewed = "reviewed"
    declined = "declined"


class RoundStatus(LabelledEnum):
    open = "open"
    closed = "closed"


class CommentKind(LabelledEnum):
    general = "general"
    substantive = "substantive"
    editorial = "editorial"


class Disposition(LabelledEnum):
    accepted = "accepted"
    taken_into_account = "taken_into_account"
    noted = "noted"
    rejected = "rejected"


class DecisionKind(LabelledEnum):
    report_approval = "report_approval"
    reform_endorsement = "reform_endorsement"


class DecisionRule(LabelledEnum):
    """How a Council decision is tallied."""

    majority_no_objection = "majority_no_objection"
    unanimity = "unanimity"

    @property
    def label(self) -> str:
        return {
            DecisionRule.majority_no_objection: "Majority of members, no unresolved objection",
            DecisionRule.unanimity: "Unanimity of members",
        }[self]


class DecisionStatus(LabelledEnum):
    open = "open"
    approved = "approved"
    rejected = "rejected"
    void = "void"
    withdrawn = "withdrawn"


class Vote(LabelledEnum):
    approve = "approve"
    approve_with_changes = "approve_with_changes"
    abstain = "abstain"
    object = "object"


class TranslationStatus(LabelledEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    translated = "translated"
    reviewed = "reviewed"


# --------------------------------------------------------------------------- themes


class Theme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    name: str = Field(max_length=200)
    cluster: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    position: int = 0


class ThemeLink(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("theme_a_id", "theme_b_id"),)
    id: int | None = Field(default=None, primary_key=True)
    theme_a_id: int = Field(foreign_key="theme.id", index=True)
    theme_b_id: int = Field(foreign_key="theme.id", index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


# --------------------------------------------------------------------------- people


class PersonBase(SQLModel):
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    gender: str = Field(default="", max_length=40)
    region: str = Field(default="", max_length=80)
    country: str = Field(default="", max_length=80)
    discipline: str = Field(default="", max_length=120)
    sector: str = Field(default="", max_length=80)
    affiliation: str = Field(default="", max_length=300)


class Person(PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(default="", max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # The interface language the person chose (en, fr, es); None: the browser's.
    interface_language: str | None = Field(default=None, max_length=8)


class PersonCreate(PersonBase):
    password: str | None = None


class Membership(SQLModel, table=True):
    """A role a person holds: in one report, or workspace-wide (report_id is null).

    A Translator holds the role for one report *and one language* (``language``);
    every other role leaves ``language`` empty.
    """

    __table_args__ = (
        UniqueConstraint(
            "person_id",
            "report_id",
            "role",
            "language",
            name="uq_membership_person_report_role_language",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    role: Role = Field(sa_type=enum_type(Role))
    language: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class EthicsSignature(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "code_version"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_version: str = Field(max_length=20)
    signed_at: datetime = Field(default_factory=utcnow)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted for one account or one client, shared by every app server.

    ``key`` is ``account:<email>`` or ``client:<address>``; ``locked_until`` is
    when attempts are accepted again. One row per key, so the table stays small.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True)
    failures: int = 0
    last_failure_at: datetime = Field(index=True)
    locked_until: datetime | None = None


class SignInSession(SQLModel, table=True):
    """A browser's signed-in session: what its cookie's token stands for, until it ends.

    Only the SHA-256 of the token is stored (the cookie holds the token itself), so
    a copy of the database signs nobody in. A session ends when the person signs
    out (every tab of that browser), when it has been idle past its lifetime, or
    when the Secretariat deactivates the person.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class ReportVisit(SQLModel, table=True):
    """When a person last opened a report's pages (for "new since your last visit")."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    report_id: int = Field(foreign_key="report.id", primary_key=True)
    previous_at: datetime | None = None
    seen_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- reports


class ReportBase(SQLModel):
    slug: str = Field(max_length=80)
    title: str = Field(max_length=300)
    theme_id: int | None = Field(default=None, foreign_key="theme.id")
    start_date: date
    due_date: date
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Report(ReportBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    stage: Stage = Field(default=Stage.scoping, sa_type=enum_type(Stage))
    # 1 for the first text; a corrigendum after approval or publication starts the next.
    edition: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)


class ReportCreate(ReportBase):
    pass


class SectionBase(SQLModel):
    code: str = Field(max_length=20)
    question: Question = Field(sa_type=enum_type(Question))
    title: str = Field(max_length=300)
    brief: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    due_date: date | None = None
    word_target: int | None = None


class Section(SectionBase, table=True):
    __table_args__ = (UniqueConstraint("report_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    position: int = 0
    lead_author_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    status: SectionStatus = Field(
        default=SectionStatus.not_started, sa_type=enum_type(SectionStatus)
    )
    head_revision_id: int | None = None
    words: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class SectionCreate(SectionBase):
    pass


class SectionAuthor(SQLModel, table=True):
    """A co-author of a section (the lead author is on the section itself)."""

    section_id: int = Field(foreign_key="section.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class SectionRevision(SQLModel, table=True):
    """One immutable text of a section; ``number`` counts from 1 within the section.

    The unique (section_id, number) pair is what makes concurrent saves safe on
    every database: two saves based on the same head both try to write the same
    number, and only one can.
    """

    __table_args__ = (UniqueConstraint("section_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="section.id", index=True)
    number: int
    parent_id: int | None = Field(default=None, foreign_key="sectionrevision.id")
    author_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    message: str = Field(default="", max_length=500)
    words: int = 0
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- evidence


class SourceBase(SQLModel):
    key: str = Field(max_length=200)
    kind: SourceKind = Field(default=SourceKind.peer_reviewed, sa_type=enum_type(SourceKind))
    language: str = Field(default="en", max_length=20)
    region: str = Field(default="", max_length=80)
    certainty: Certainty | None = Field(default=None, sa_type=enum_type(Certainty))
    certainty_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # A short in-text form for a legal or corporate source ("EU 2024"); "" = the usual one.
    short_label: str = Field(default="", max_length=60)


class Source(SourceBase, table=True):
    """A piece of evidence; ``csl`` is its CSL-JSON record, the rest is for search."""

    __table_args__ = (
        UniqueConstraint("report_id", "key"),
        Index("ix_source_report_doi", "report_id", "doi"),
        # The newest sources of a report first (the workspace search's walk, migration 0011).
        Index("ix_source_report_newest", "report_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    csl: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    authors: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    year: int | None = None
    doi: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SourceCreate(SourceBase):
    csl: dict = Field(default_factory=dict)


class Citation(SQLModel, table=True):
    section_id: int = Field(foreign_key="section.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True, index=True)


class FindingBase(SQLModel):
    code: str = Field(max_length=20)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    evidence: Evidence = Field(sa_type=enum_type(Evidence))
    agreement: Agreement = Field(sa_type=enum_type(Agreement))
    likelihood: Likelihood | None = Field(default=None, sa_type=enum_type(Likelihood))
    traceable_account: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    section_id: int | None = Field(default=None, foreign_key="section.id")


class Finding(FindingBase, table=True):
    __table_args__ = (UniqueConstraint("report_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    confidence: Confidence = Field(sa_type=enum_type(Confidence))
    created_at: datetime = Field(default_factory=utcnow)


class FindingCreate(FindingBase):
    source_ids: list[int] = Field(default_factory=list)


class FindingSource(SQLModel, table=True):
    finding_id: int = Field(foreign_key="finding.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True)


class Actor(SQLModel, table=True):
    """Someone whose stance matters: a government, a union federation, a business network."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    actor_type: ActorType = Field(sa_type=enum_type(ActorType))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ConsensusItemBase(SQLModel):
    statement: str = Field(sa_column=Column(Text, nullable=False))
    classification: Classification = Field(sa_type=enum_type(Classification))
    why_false: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    section_id: int | None = Field(default=None, foreign_key="section.id")


class ConsensusItem(ConsensusItemBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ConsensusItemCreate(ConsensusItemBase):
    pass


class Position(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("item_id", "actor_id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="consensusitem.id", index=True)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    stance: Stance = Field(sa_type=enum_type(Stance))
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source_id: int | None = Field(default=None, foreign_key="source.id")


class RecommendationBase(SQLModel):
    code: str = Field(max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    addressees: list[ActorType] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    scale: Scale = Field(sa_type=enum_type(Scale))
    horizon: Horizon = Field(sa_type=enum_type(Horizon))
    context_conditions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    normative_assumptions: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="")
    )
    section_id: int | None = Field(default=None, foreign_key="section.id")


class Recommendation(RecommendationBase, table=True):
    __table_args__ = (UniqueConstraint("report_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class RecommendationCreate(RecommendationBase):
    finding_ids: list[int] = Field(default_factory=list)
    initiative_ids: list[int] = Field(default_factory=list)


class RecommendationFinding(SQLModel, table=True):
    recommendation_id: int = Field(foreign_key="recommendation.id", primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", primary_key=True)


class RecommendationInitiative(SQLModel, table=True):
    recommendation_id: int = Field(foreign_key="recommendation.id", primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", primary_key=True)


class InitiativeBase(SQLModel):
    name: str = Field(max_length=300)
    location: str = Field(default="", max_length=300)
    region: str = Field(default="", max_length=80)
    who: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    what: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    outcomes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    replicability: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Initiative(InitiativeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    review_status: InitiativeStatus = Field(
        default=InitiativeStatus.proposed, sa_type=enum_type(InitiativeStatus)
    )
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)


class InitiativeCreate(InitiativeBase):
    pass


# --------------------------------------------------------------------------- review


class ReviewRound(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("report_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    name: str = Field(max_length=40)
    stage: Stage = Field(sa_type=enum_type(Stage))
    status: RoundStatus = Field(default=RoundStatus.open, sa_type=enum_type(RoundStatus))
    opens_on: date
    closes_on: date
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class FrozenSection(SQLModel, table=True):
    """The revision of a section that a review round froze for reviewers."""

    round_id: int = Field(foreign_key="reviewround.id", primary_key=True)
    section_id: int = Field(foreign_key="section.id", primary_key=True)
    revision_id: int = Field(foreign_key="sectionrevision.id")


class FrozenPart(SQLModel, table=True):
    """A part of the report other than a section, as a review round froze it.

    ``code`` is the part's code (``KF`` key findings, ``CR`` consensus register,
    ``FS`` false solutions, ``REC`` recommendations, ``IN`` initiatives; see
    :mod:`workbench.parts`); ``text`` is its Markdown as the review copy prints
    it, one numbered line per line; ``items`` maps the code of each thing in it
    (a finding ``F3``, a recommendation ``R3``, a register row ``CR2``…) to its
    first and last line and the section whose authors answer for it.
    """

    round_id: int = Field(foreign_key="reviewround.id", primary_key=True)
    code: str = Field(primary_key=True, max_length=20)
    position: int = 0
    title: str = Field(max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    items: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ReviewComment(SQLModel, table=True):
    """A reviewer's comment on lines of a section or of another part of the report.

    Exactly one of ``section_id`` (a section, its lines those of the frozen
    revision) and ``part`` (a :class:`FrozenPart`'s code or the code of an item
    in it, e.g. ``KF``, ``F3``, ``R3``, ``CR2``; its lines those of the frozen
    part) says what the comment is on.
    """

    __table_args__ = (
        UniqueConstraint("round_id", "number"),
        Index("ix_reviewcomment_round_section", "round_id", "section_id"),
        Index("ix_reviewcomment_round_disposition", "round_id", "disposition"),
        # The Dashboard's comments new since a visit (workbench.next_steps).
        Index("ix_reviewcomment_round_created", "round_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="reviewround.id", index=True)
    number: int
    section_id: int | None = Field(default=None, foreign_key="section.id", index=True)
    part: str = Field(default="", max_length=20)
    from_line: int
    to_line: int
    reviewer_id: int | None = Field(default=None, foreign_key="person.id")
    reviewer_name: str = Field(max_length=200)
    affiliation: str = Field(default="", max_length=300)
    kind: CommentKind = Field(default=CommentKind.substantive, sa_type=enum_type(CommentKind))
    comment: str = Field(sa_column=Column(Text, nullable=False))
    suggested_change: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    response: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    disposition: Disposition | None = Field(default=None, sa_type=enum_type(Disposition))
    responded_by_id: int | None = Field(default=None, foreign_key="person.id")
    responded_at: datetime | None = None
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")
    signed_off_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- council


class CouncilDecision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    kind: DecisionKind = Field(sa_type=enum_type(DecisionKind))
    rule: DecisionRule = Field(sa_type=enum_type(DecisionRule))
    title: str = Field(max_length=300)
    reform: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    text_hash: str = Field(max_length=64)
    status: DecisionStatus = Field(default=DecisionStatus.open, sa_type=enum_type(DecisionStatus))
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    # Why it was withdrawn or voided (empty for a decision closed by its votes).
    closing_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class DecisionVoter(SQLModel, table=True):
    """A member of a decision's voting body, fixed when the decision opened."""

    decision_id: int = Field(foreign_key="councildecision.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class DecisionFinding(SQLModel, table=True):
    """A finding a reform endorsement rests on."""

    decision_id: int = Field(foreign_key="councildecision.id", primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", primary_key=True)


class CouncilVote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("decision_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="councildecision.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    vote: Vote = Field(sa_type=enum_type(Vote))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cast_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- translation


class Translation(SQLModel, table=True):
    """One section in one language: its current text, status and the source revision it renders.

    ``version`` is the number of its latest :class:`TranslationRevision` (0: never saved);
    a save names the version it started from, like a section's revision, so two
    translators never overwrite each other. ``reviewer_id`` is the second person who
    reviewed it (never its translator).
    """

    __table_args__ = (UniqueConstraint("section_id", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="section.id", index=True)
    language: str = Field(max_length=20)
    revision_id: int | None = Field(default=None, foreign_key="sectionrevision.id")
    status: TranslationStatus = Field(
        default=TranslationStatus.not_started, sa_type=enum_type(TranslationStatus)
    )
    translator_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=0)
    reviewer_id: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = None


class TranslationRevision(SQLModel, table=True):
    """One saved text of a translation, never changed; ``number`` counts from 1 per translation.

    ``source_revision_id`` is the section revision the translator was looking at.
    The unique (translation_id, number) pair makes two saves on the same version
    collide on every database, as section revisions do.
    """

    __table_args__ = (UniqueConstraint("translation_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    translation_id: int = Field(foreign_key="translation.id", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    source_revision_id: int | None = Field(default=None, foreign_key="sectionrevision.id")
    author_id: int | None = Field(default=None, foreign_key="person.id")
    origin: str = Field(default="editor", max_length=20)  # editor | xliff
    created_at: datetime = Field(default_factory=utcnow)


class GlossaryKind(LabelledEnum):
    calibrated = "calibrated"  # the IPCC's confidence, likelihood, evidence and agreement terms
    panel = "panel"  # the Panel's own vocabulary: the four questions, "false solution"…
    document = "document"  # the words an export writes itself: cover, headings, labels


class GlossaryTerm(SQLModel, table=True):
    """How one concept is written in one language ('likelihood.likely' in fr: 'probable').

    ``concept`` is a stable id shared by every language; the English row is the
    source term. ``source`` says where the rendering comes from (e.g. the IPCC's
    published translation).
    """

    __table_args__ = (UniqueConstraint("language", "concept"),)
    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(max_length=20, index=True)
    concept: str = Field(max_length=120, index=True)
    kind: GlossaryKind = Field(default=GlossaryKind.panel, sa_type=enum_type(GlossaryKind))
    term: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(default="", max_length=300)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")


# --------------------------------------------------------------------------- audit


class AuditEvent(SQLModel, table=True):
    __table_args__ = (
        Index("ix_auditevent_entity", "entity", "entity_id"),
        # The Admin page's people in the trail (workbench.audit.people_in_trail).
        Index("ix_auditevent_person", "person_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=80)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    report_id: int | None = Field(default=None, index=True)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --------------------------------------------------------------------------- working together


class DiscussionTarget(LabelledEnum):
    """What a discussion thread is about."""

    section = "section"
    finding = "finding"
    consensus_item = "consensus_item"
    recommendation = "recommendation"
    initiative = "initiative"


class DiscussionThread(SQLModel, table=True):
    """A conversation among a report's authors about one thing in it (not a review comment).

    ``target`` and ``target_id`` name the section, finding, consensus item,
    recommendation or initiative; a thread on a section may point at a line range
    of its text as it stood when the thread was opened (``revision_id``).
    Threads are never frozen by review rounds and never enter the comment table.
    """

    __table_args__ = (Index("ix_discussionthread_target", "report_id", "target", "target_id"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    target: DiscussionTarget = Field(sa_type=enum_type(DiscussionTarget))
    target_id: int
    from_line: int | None = None
    to_line: int | None = None
    revision_id: int | None = Field(default=None, foreign_key="sectionrevision.id")
    title: str = Field(max_length=200)
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by_id: int | None = Field(default=None, foreign_key="person.id")
    last_message_at: datetime = Field(default_factory=utcnow)


class DiscussionMessage(SQLModel, table=True):
    """One message of a thread, in Markdown; ``reply_to_id`` is the message it answers."""

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="discussionthread.id", index=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    reply_to_id: int | None = Field(default=None, foreign_key="discussionmessage.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Mention(SQLModel, table=True):
    """A person mentioned in a message."""

    message_id: int = Field(foreign_key="discussionmessage.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class NotificationKind(LabelledEnum):
    """What a notification tells a person (see :mod:`workbench.notifications`)."""

    mention = "mention"
    reply = "reply"
    review_comment = "review_comment"
    comment_response = "comment_response"
    sign_off_awaited = "sign_off_awaited"
    section_assigned = "section_assigned"
    due_date_changed = "due_date_changed"
    due_soon = "due_soon"
    overdue = "overdue"
    round_opened = "round_opened"
    round_closing = "round_closing"
    decision_opened = "decision_opened"
    decision_closed = "decision_closed"
    approval_withdrawn = "approval_withdrawn"


class DeliveryChoice(LabelledEnum):
    """How a person wants one kind of notification: in the app only, or also by email."""

    app = "app"
    email = "email"  # in the app and by email at once
    daily = "daily"  # in the app and in a daily email digest
    weekly = "weekly"  # in the app and in a weekly email digest


class Notification(SQLModel, table=True):
    """Something that concerns a person, shown in their inbox and perhaps emailed.

    ``key`` makes an event notify a person once (e.g. ``due_soon:7:section:12``);
    ``link`` is the app address where it is handled (path and query, no host);
    ``emailed_at`` is set only once a message holding it was accepted by SMTP.
    """

    __table_args__ = (
        UniqueConstraint("person_id", "key"),
        Index("ix_notification_person_read", "person_id", "read_at"),
        Index("ix_notification_person_created", "person_id", "created_at"),
        Index("ix_notification_pending_mail", "emailed_at", "person_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    report_id: int | None = Field(default=None, foreign_key="report.id")
    kind: NotificationKind = Field(sa_type=enum_type(NotificationKind))
    key: str = Field(max_length=200)
    title: str = Field(max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    link: str = Field(default="", max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    emailed_at: datetime | None = None


class NotificationPreference(SQLModel, table=True):
    """A person's choice for one kind of notification (absent: the quiet default)."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    kind: NotificationKind = Field(sa_type=enum_type(NotificationKind), primary_key=True)
    delivery: DeliveryChoice = Field(sa_type=enum_type(DeliveryChoice))


class MailState(SQLModel, table=True):
    """When a person last received each kind of email, for digests and retries."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    last_daily_at: datetime | None = None
    last_weekly_at: datetime | None = None
    last_failure: str = Field(default="", max_length=500)
    last_failure_at: datetime | None = None


class CalendarFeed(SQLModel, table=True):
    """A person's private calendar address: only the SHA-256 of its secret token is kept."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- labels

# Every enum member's label, marked for translation: the labels are derived from the
# values (not_started → "Not started"), which the extractor cannot see; pages show
# one as ``ui.label(member)`` or ``_(member.label)``. tests/test_i18n.py checks that
# every member's label is here.
LABELS_FOR_TRANSLATION: tuple[str, ...] = (
    N_("1. What is known?"),
    N_("2. What is desirable?"),
    N_("3. What are the major obstacles and opportunities?"),
    N_("4. What can be done, and by whom?"),
    N_("About as likely as not"),
    N_("Abstain"),
    N_("Accepted"),
    N_("App"),
    N_("Approval withdrawn"),
    N_("Approve"),
    N_("Approve with changes"),
    N_("Approved"),
    N_("Book"),
    N_("Broad agreement"),
    N_("Business"),
    N_("Calibrated"),
    N_("Citizens"),
    N_("Civil society"),
    N_("Closed"),
    N_("Comment response"),
    N_("Conditional"),
    N_("Consensus"),
    N_("Consensus item"),
    N_("Contributing Author"),
    N_("Coordinating Lead Author"),
    N_("Council member"),
    N_("Council review"),
    N_("Cross-cutting"),
    N_("Daily"),
    N_("Dataset"),
    N_("Decision closed"),
    N_("Decision opened"),
    N_("Declined"),
    N_("Disagreement"),
    N_("Divided"),
    N_("Document"),
    N_("Drafting"),
    N_("Due date changed"),
    N_("Due soon"),
    N_("Editorial"),
    N_("Email"),
    N_("Employers' organisation"),
    N_("Exceptionally unlikely"),
    N_("Extremely likely"),
    N_("Extremely unlikely"),
    N_("False solution"),
    N_("Final draft"),
    N_("Finding"),
    N_("First order draft"),
    N_("Front matter"),
    N_("General"),
    N_("Global"),
    N_("High"),
    N_("Immediate (within a year)"),
    N_("In progress"),
    N_("In review"),
    N_("Initiative"),
    N_("Initiative case"),
    N_("International organisation"),
    N_("Investors"),
    N_("Lead Author"),
    N_("Likely"),
    N_("Limited"),
    N_("Local"),
    N_("Local government"),
    N_("Long term (beyond 10 years)"),
    N_("Low"),
    N_("Majority of members, no unresolved objection"),
    N_("Medium"),
    N_("Medium term (3–10 years)"),
    N_("Mention"),
    N_("Moderate"),
    N_("More likely than not"),
    N_("National"),
    N_("National government"),
    N_("Not started"),
    N_("Noted"),
    N_("Object"),
    N_("Open"),
    N_("Open question"),
    N_("Oppose"),
    N_("Overdue"),
    N_("Panel"),
    N_("Peer reviewed"),
    N_("Policy document"),
    N_("Proposed"),
    N_("Published"),
    N_("Ready for review"),
    N_("Recommendation"),
    N_("Reform endorsement"),
    N_("Regional"),
    N_("Rejected"),
    N_("Reply"),
    N_("Report"),
    N_("Report approval"),
    N_("Researchers"),
    N_("Review comment"),
    N_("Review Editor"),
    N_("Reviewed"),
    N_("Reviewer"),
    N_("Revising"),
    N_("Robust"),
    N_("Round closing"),
    N_("Round opened"),
    N_("Scoping"),
    N_("Second order draft"),
    N_("Secretariat"),
    N_("Section"),
    N_("Section assigned"),
    N_("Short term (1–3 years)"),
    N_("Sign off awaited"),
    N_("Subnational"),
    N_("Substantive"),
    N_("Support"),
    N_("Taken into account"),
    N_("Testimony"),
    N_("Trade union"),
    N_("Translated"),
    N_("Translator"),
    N_("Unanimity of members"),
    N_("Under review"),
    N_("Unlikely"),
    N_("Very high"),
    N_("Very likely"),
    N_("Very low"),
    N_("Very unlikely"),
    N_("Virtually certain"),
    N_("Void"),
    N_("Weekly"),
    N_("Withdrawn"),
    N_("Zero order draft"),
)
