"""The Panel's rules as pure functions: no database, no side effects.

- **Team rules** (warnings, never blocks): three CLAs with different sectors and
  regions; 10–15 authors; a horizon of 6–18 months from start to due date.
- **Calibrated language**: the IPCC evidence × agreement grid gives a confidence
  level; likelihood terms map to probability ranges.
- **Section status**: the legal transitions of a section's status.
- **Council rules**: how a decision is tallied under its rule. Report approval
  defaults to a majority of members with no unresolved objection; since every
  member may object until they have voted, the outcome stays open until all
  have voted (abstaining counts as voting) or it can no longer pass. Endorsing
  a reform needs every member's approval and at least one linked finding of
  high or very high confidence.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from workbench.i18n import N_, Msg
from workbench.models import (
    Agreement,
    Confidence,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    Evidence,
    Likelihood,
    Person,
    SectionStatus,
    Vote,
)
from workbench.phrasing import Count, Number

ETHICS_CODE_VERSION = "2026.1"

MIN_AUTHORS, MAX_AUTHORS = 10, 15
CLA_COUNT = 3
MIN_HORIZON_MONTHS, MAX_HORIZON_MONTHS = 6, 18

# --------------------------------------------------------------------------- confidence

_EVIDENCE_SCORE = {Evidence.limited: 0, Evidence.medium: 1, Evidence.robust: 2}
_AGREEMENT_SCORE = {Agreement.low: 0, Agreement.medium: 1, Agreement.high: 2}
_CONFIDENCE_BY_SCORE = [
    Confidence.very_low,
    Confidence.low,
    Confidence.medium,
    Confidence.high,
    Confidence.very_high,
]


def confidence_for(evidence: Evidence, agreement: Agreement) -> Confidence:
    """Return the IPCC confidence level for a finding's evidence and agreement.

    Confidence rises towards robust evidence with high agreement: limited
    evidence with low agreement is *very low*, robust with high is *very high*,
    and each step up either axis raises confidence by one level.
    """
    return _CONFIDENCE_BY_SCORE[
        _EVIDENCE_SCORE[Evidence(evidence)] + _AGREEMENT_SCORE[Agreement(agreement)]
    ]


LIKELIHOOD_RANGES: dict[Likelihood, tuple[int, int]] = {
    Likelihood.virtually_certain: (99, 100),
    Likelihood.extremely_likely: (95, 100),
    Likelihood.very_likely: (90, 100),
    Likelihood.likely: (66, 100),
    Likelihood.more_likely_than_not: (50, 100),
    Likelihood.about_as_likely_as_not: (33, 66),
    Likelihood.unlikely: (0, 33),
    Likelihood.very_unlikely: (0, 10),
    Likelihood.extremely_unlikely: (0, 5),
    Likelihood.exceptionally_unlikely: (0, 1),
}

HIGH_CONFIDENCE = frozenset({Confidence.high, Confidence.very_high})

# --------------------------------------------------------------------------- team rules


def add_months(start: date, months: int) -> date:
    """Return the same day ``months`` calendar months later (the month's last day if shorter)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def months_between(start: date, end: date) -> float:
    """Return the number of calendar months from ``start`` to ``end``, with a fraction."""
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / max((following - anchor).days, 1)


def horizon_warnings(start: date, due: date) -> list[str]:
    """Return a warning when a report's horizon falls outside 6–18 calendar months."""
    if add_months(start, MIN_HORIZON_MONTHS) <= due <= add_months(start, MAX_HORIZON_MONTHS):
        return []
    return [
        f"The horizon is {months_between(start, due):.1f} months; the Panel plans reports over "
        f"{MIN_HORIZON_MONTHS}–{MAX_HORIZON_MONTHS} months."
    ]


def cla_warnings(clas: Sequence[Person]) -> list[str]:
    """Return warnings unless there are three CLAs of different sectors and regions."""
    warnings: list[str] = []
    if len(clas) != CLA_COUNT:
        warnings.append(f"The report has {len(clas)} CLAs; the Panel asks for {CLA_COUNT}.")
    for attribute in ("sector", "region"):
        values = [getattr(p, attribute).strip().lower() for p in clas if getattr(p, attribute)]
        repeated = sorted({v for v, n in Counter(values).items() if n > 1})
        if repeated:
            warnings.append(
                f"CLAs share the same {attribute} ({', '.join(repeated)}); "
                f"the Panel asks for CLAs of different {attribute}s."
            )
    return warnings


def author_count_warnings(count: int) -> list[str]:
    """Return a warning when a team has fewer than 10 or more than 15 authors."""
    if count < MIN_AUTHORS or count > MAX_AUTHORS:
        return [
            f"The team has {count} authors (CLAs and Lead Authors); "
            f"the Panel asks for {MIN_AUTHORS}–{MAX_AUTHORS}."
        ]
    return []


def balance(people: Iterable[Person]) -> dict[str, dict[str, int]]:
    """Count a team by gender, region, sector and discipline (blank shown as 'not stated')."""
    people = list(people)
    return {
        attribute: dict(
            sorted(Counter(getattr(p, attribute).strip() or "not stated" for p in people).items())
        )
        for attribute in ("gender", "region", "sector", "discipline")
    }


# --------------------------------------------------------------------------- sections

SECTION_TRANSITIONS: dict[SectionStatus, frozenset[SectionStatus]] = {
    SectionStatus.not_started: frozenset({SectionStatus.drafting}),
    SectionStatus.drafting: frozenset({SectionStatus.ready_for_review, SectionStatus.not_started}),
    SectionStatus.ready_for_review: frozenset({SectionStatus.in_review, SectionStatus.drafting}),
    SectionStatus.in_review: frozenset({SectionStatus.revising}),
    SectionStatus.revising: frozenset({SectionStatus.ready_for_review, SectionStatus.accepted}),
    SectionStatus.accepted: frozenset({SectionStatus.revising}),
}


def can_transition(current: SectionStatus, new: SectionStatus) -> bool:
    """Return True when a section may move from ``current`` to ``new``."""
    return SectionStatus(new) in SECTION_TRANSITIONS[SectionStatus(current)]


# --------------------------------------------------------------------------- council


@dataclass(frozen=True)
class Tally:
    """The count of a Council decision's votes and what they mean under its rule."""

    members: int
    approve: int
    approve_with_changes: int
    abstain: int
    object: int
    not_voted: int
    outcome: DecisionStatus
    explanation: Msg  # rendered in the reader's language when shown

    @property
    def in_favour(self) -> int:
        """Return the votes for approval, with or without changes."""
        return self.approve + self.approve_with_changes


def default_rule(kind: DecisionKind) -> DecisionRule:
    """Return the rule a decision of this kind follows unless configured otherwise."""
    return (
        DecisionRule.unanimity
        if DecisionKind(kind) is DecisionKind.reform_endorsement
        else DecisionRule.majority_no_objection
    )


def tally(rule: DecisionRule, votes: Iterable[Vote], members: int) -> Tally:
    """Count votes under ``rule`` for a Council of ``members`` people.

    The outcome is ``open`` while the rule cannot yet be decided either way.
    """
    counts = Counter(Vote(v) for v in votes)
    in_favour = counts[Vote.approve] + counts[Vote.approve_with_changes]
    objections = counts[Vote.object]
    cast = sum(counts.values())
    not_voted = max(members - cast, 0)
    majority = members // 2 + 1
    said = {"in_favour": Number(in_favour), "members": Number(members)}
    said["majority"] = Number(majority)
    why: Msg
    if DecisionRule(rule) is DecisionRule.unanimity:
        if objections or counts[Vote.abstain]:
            outcome = DecisionStatus.rejected
            why = Msg("Unanimity is required and not every member approved.")
        elif in_favour == members and members > 0:
            outcome, why = DecisionStatus.approved, Msg("Every member approved.")
        else:
            outcome = DecisionStatus.open
            why = Count(
                N_("{count} member has not voted yet."),
                N_("{count} members have not voted yet."),
                not_voted,
            )
    else:
        if objections:
            outcome = DecisionStatus.open if not_voted else DecisionStatus.rejected
            why = Count(
                N_("{count} objection unresolved; approval needs none."),
                N_("{count} objections unresolved; approval needs none."),
                objections,
            )
        elif in_favour >= majority and not_voted:
            # Everyone keeps the right to object until they have voted.
            outcome = DecisionStatus.open
            why = Count(
                N_(
                    "{in_favour} of {members} approved (majority {majority}); {count} member has "
                    "not voted and could still object."
                ),
                N_(
                    "{in_favour} of {members} approved (majority {majority}); {count} members "
                    "have not voted and could still object."
                ),
                not_voted,
                **said,
            )
        elif in_favour >= majority:
            outcome = DecisionStatus.approved
            why = Msg(
                "{in_favour} of {members} members approved (majority {majority}), no objection.",
                **said,
            )
        elif in_favour + not_voted < majority:
            outcome = DecisionStatus.rejected
            why = Msg(
                "Only {in_favour} of {members} approved; a majority ({majority}) can no longer "
                "be reached.",
                **said,
            )
        else:
            outcome = DecisionStatus.open
            why = Msg("{in_favour} of {members} approved so far; {majority} needed.", **said)
    return Tally(
        members=members,
        approve=counts[Vote.approve],
        approve_with_changes=counts[Vote.approve_with_changes],
        abstain=counts[Vote.abstain],
        object=objections,
        not_voted=not_voted,
        outcome=outcome,
        explanation=why,
    )
