"""Recommendations: the roadmap of what can be done and by whom, and the toolkit of initiatives.

Everyone in the report may read it. Each recommendation shows, beside its text,
whom it addresses, at what scale, where it holds (context conditions) and the
values it rests on (normative assumptions), so a reader can set aside what rests
on values they do not share. CLAs and Lead Authors add recommendations and
initiatives; CLAs and Review Editors move an initiative's expert review on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

import ui
from workbench import findings, i18n, initiatives, permissions, recommendations, sections
from workbench.findings import CONFIDENCE_TERMS
from workbench.i18n import _, ngettext
from workbench.initiatives import REVIEW_TRANSITIONS, STATUS_WORDS
from workbench.models import (
    AUTHOR_ROLES,
    ActorType,
    Confidence,
    DiscussionTarget,
    Finding,
    Horizon,
    Initiative,
    InitiativeCreate,
    InitiativeStatus,
    Recommendation,
    RecommendationCreate,
    Scale,
)
from workbench.permissions import Action
from workbench.recommendations import NONE_IDENTIFIED

STATUS_COLOURS: dict[InitiativeStatus, str] = {
    InitiativeStatus.proposed: "blue",
    InitiativeStatus.under_review: "orange",
    InitiativeStatus.reviewed: "green",
    InitiativeStatus.declined: "gray",
}
CONFIDENCE_COLOURS: dict[Confidence, str] = {
    Confidence.very_high: "green",
    Confidence.high: "green",
    Confidence.medium: "blue",
    Confidence.low: "orange",
    Confidence.very_low: "red",
}


PAGE_SIZE = 20  # recommendations shown at a time on the roadmap


def label(value: Any) -> str:
    """Return an enum member's label in the reader's language.

    An initiative's review status is said of the initiative ("Proposée", "Revisada"), so it
    agrees with it in French and Spanish; in English it reads as the status's own label.
    """
    if isinstance(value, InitiativeStatus):
        word = _(STATUS_WORDS[value])
        return word[:1].upper() + word[1:]
    return _(value.label)


def status_badge(status: InitiativeStatus) -> str:
    """Return an initiative's review status as a coloured badge."""
    return f":{STATUS_COLOURS[status]}-badge[{label(status)}]"


def confidence_badge(finding: Finding) -> str:
    """Return a finding's confidence as a coloured badge."""
    colour = CONFIDENCE_COLOURS[finding.confidence]
    return f":{colour}-badge[{_(CONFIDENCE_TERMS[finding.confidence])}]"


# --------------------------------------------------------------------------- roadmap


def show_recommendation(
    recommendation: Recommendation,
    links: recommendations.Links,
    discuss: Callable[[], None] | None = None,
) -> None:
    """Show a recommendation: its text and evidence, with whom, where and on which values
    beside; its discussions under them."""
    with st.container(border=True):
        text, context = st.columns([3, 2], gap="large")
        with text:
            # Recommendations are report content (Markdown, as the export prints them): no images.
            st.markdown(f"**{ui.md(recommendation.code)}** {ui.no_images(recommendation.text)}")
            if links.findings:
                st.markdown(
                    _("**Rests on these findings**")
                    + "\n\n"
                    + "\n".join(
                        f"- **{ui.md(f.code)}** {confidence_badge(f)} "
                        f"{ui.md(ui.shorten(f.statement, 130))}"
                        for f in sorted(links.findings, key=lambda f: sections.code_order(f.code))
                    )
                )
            else:
                st.caption(_("No linked findings."))
            if links.initiatives:
                st.markdown(
                    _("**Toolkit: initiatives that show it can work**")
                    + "\n\n"
                    + "\n".join(
                        f"- {ui.md(i.name)}"
                        + (f" ({ui.md(i.location)})" if i.location else "")
                        + f" {status_badge(i.review_status)}"
                        for i in links.initiatives
                    )
                )
        with context:
            addressees = ", ".join(label(ActorType(a)) for a in recommendation.addressees)
            st.markdown(_("**Addressed to**") + f"  \n{addressees}")
            st.markdown(_("**Scale**") + f"  \n{label(recommendation.scale)}")
            st.markdown(
                _("**Holds where**") + f"  \n{ui.no_images(recommendation.context_conditions)}"
            )
            assumptions = recommendation.normative_assumptions
            if assumptions == NONE_IDENTIFIED:
                st.markdown(_("**Normative assumptions**") + f"  \n*{_(NONE_IDENTIFIED)}*")
            else:
                st.markdown(_("**Normative assumptions**") + f"  \n{ui.no_images(assumptions)}")
        if discuss is not None:
            discuss()


def roadmap_tab(s: Session, ctx: ui.PageContext, can_edit: bool) -> None:
    """Show the roadmap by horizon, filtered by addressee, scale and horizon."""
    left, middle, right = st.columns(3)
    addressee = left.selectbox(
        _("Addressed to"),
        [None, *ActorType],
        format_func=lambda a: _("Anyone") if a is None else label(a),
        key="rc_addressee",
    )
    scale = middle.selectbox(
        _("Scale"),
        [None, *Scale],
        format_func=lambda x: _("Any scale") if x is None else label(x),
        key="rc_scale",
    )
    horizon = right.selectbox(
        _("Horizon"),
        [None, *Horizon],
        format_func=lambda h: _("Every step") if h is None else label(h),
        key="rc_horizon",
    )
    steps = recommendations.roadmap(
        s, report_id=ctx.report.id, addressee=addressee, scale=scale, horizon=horizon
    )
    shown = [r for step in steps.values() for r in step]
    if not shown:
        if addressee or scale or horizon:
            st.info(
                _(
                    "No recommendation matches these filters. Choose “Anyone”, “Any scale” "
                    "or “Every step” to see more."
                )
            )
        elif can_edit:
            st.info(
                _(
                    "No recommendations yet. Add the first in the **Add a recommendation** tab: "
                    "say what can be done, by whom, where it holds and which values it rests on."
                )
            )
        else:
            st.info(_("No recommendations yet: the CLAs and Lead Authors write them."))
        return
    st.caption(
        (
            ngettext(
                "{n} recommendation matches the filters.",
                "{n} recommendations match the filters.",
                len(shown),
            )
            if addressee or scale or horizon
            else ngettext(
                "{n} recommendation, from what can be done now to what takes more than ten years.",
                "{n} recommendations, from what can be done now to what takes more than ten years.",
                len(shown),
            )
        ).format(n=i18n.format_number(len(shown)))
    )
    ordered = [
        (step, recommendation)
        for step, recs in steps.items()
        if horizon is None or step is horizon
        for recommendation in sorted(recs, key=lambda r: sections.code_order(r.code))
    ]
    offset = ui.pager(len(ordered), key="rc_page", page_size=PAGE_SIZE)
    page = ordered[offset : offset + PAGE_SIZE]
    links = recommendations.links_by_recommendation(s, [r.id for __, r in page])
    for step, recs in steps.items():
        if horizon is not None and step is not horizon:
            continue
        on_page = [r for page_step, r in page if page_step is step]
        if not on_page and (recs or len(ordered) > PAGE_SIZE):
            continue  # the step's recommendations are on another page
        st.subheader(f"{label(step)} · {i18n.format_number(len(recs))}")
        if not recs:
            st.caption(
                _("No recommendation at this step matches the filters.")
                if (addressee or scale)
                else _("No recommendation at this step.")
            )
        for recommendation in on_page:
            show_recommendation(
                recommendation,
                links[recommendation.id],
                discuss=lambda item_id=recommendation.id: ui.discussion_expander(
                    s, ctx, DiscussionTarget.recommendation, item_id, key=f"rc_talk_{item_id}"
                ),
            )


# --------------------------------------------------------------------------- initiatives


def review_control(s: Session, ctx: ui.PageContext, initiative: Initiative) -> None:
    """Let a CLA or Review Editor move an initiative's expert review on."""
    current = InitiativeStatus(initiative.review_status)
    nexts = sorted(REVIEW_TRANSITIONS[current], key=list(InitiativeStatus).index)
    if not nexts:
        return
    with st.expander(_("Move the expert review on")), st.form(f"rc_review_{initiative.id}"):
        status = st.radio(
            _("New status"),
            nexts,
            format_func=label,
            horizontal=True,
            key=f"rc_review_status_{initiative.id}",
        )
        note = st.text_area(
            _("Review note (required when marking it reviewed or declined)"),
            key=f"rc_review_note_{initiative.id}",
        )
        if st.form_submit_button(_("Save the review status")):
            done = ui.run_action(
                lambda: initiatives.set_review_status(
                    session=s, actor=ctx.person, initiative=initiative, status=status, note=note
                ),
                success=_("'{name}' is now {status}.").format(
                    name=initiative.name, status=_(STATUS_WORDS[status])
                ),
            )
            if done is not None:
                st.rerun()


INITIATIVE_KEYS = (
    "rc_in_name",
    "rc_in_location",
    "rc_in_region",
    "rc_in_who",
    "rc_in_what",
    "rc_in_outcomes",
    "rc_in_evidence",
    "rc_in_replicability",
)


def add_initiative_form(s: Session, ctx: ui.PageContext) -> None:
    """Show the form proposing an initiative for the toolkit (it then awaits expert review)."""
    with st.expander(_("Propose an initiative")), st.form("rc_add_initiative"):
        name = st.text_input(_("Name (required)"), key="rc_in_name")
        left, right = st.columns(2)
        location = left.text_input(_("Where"), key="rc_in_location", placeholder=_("City, country"))
        region = right.text_input(_("Region"), key="rc_in_region", placeholder=_("e.g. Asia"))
        who = st.text_input(_("Who runs it"), key="rc_in_who")
        what = st.text_area(_("What it does (required)"), key="rc_in_what")
        outcomes = st.text_area(_("Outcomes"), key="rc_in_outcomes")
        evidence = st.text_area(_("Evidence for the outcomes"), key="rc_in_evidence")
        replicability = st.text_area(
            _("Replicability"),
            key="rc_in_replicability",
            help=_("What it would take elsewhere."),
        )
        if st.form_submit_button(_("Propose it"), type="primary"):
            added = ui.run_action(
                lambda: initiatives.add_initiative(
                    session=s,
                    actor=ctx.person,
                    report=ctx.report,
                    data=InitiativeCreate(
                        name=name,
                        location=location,
                        region=region,
                        who=who,
                        what=what,
                        outcomes=outcomes,
                        evidence=evidence,
                        replicability=replicability,
                    ),
                ),
                success=_("Proposed '{name}'; it now awaits expert review.").format(
                    name=name.strip()
                ),
            )
            if added is not None:
                ui.reset_keys(*INITIATIVE_KEYS)
                st.rerun()


def initiatives_tab(s: Session, ctx: ui.PageContext, can_edit: bool, can_review: bool) -> None:
    """Show the inspiring practices with their expert review status."""
    st.markdown(
        _(
            "Inspiring practices that show a different way is possible. An expert reviews each "
            "before the report presents it."
        )
    )
    counts = initiatives.status_counts(s, report_id=ctx.report.id)
    for column, status in zip(st.columns(len(InitiativeStatus)), InitiativeStatus, strict=True):
        column.metric(label(status), i18n.format_number(counts[status]))
    wanted = st.selectbox(
        _("Show"),
        [None, *InitiativeStatus],
        format_func=lambda x: _("Every initiative") if x is None else label(x),
        key="rc_in_filter",
    )
    # A page at a time: every initiative shown carries widgets, and a report has hundreds.
    total = sum(counts.values()) if wanted is None else counts[wanted]
    offset = ui.pager(total, key=f"rc_in_page_{wanted}", page_size=PAGE_SIZE)
    shown = initiatives.list_initiatives(
        s, report_id=ctx.report.id, status=wanted, limit=PAGE_SIZE, offset=offset
    )
    if not shown:
        if sum(counts.values()) == 0:
            st.info(
                _(
                    "No initiatives yet. Propose one below: where it is, who runs it, what it "
                    "does and what it achieved."
                )
                if can_edit
                else _("No initiatives yet: the CLAs and Lead Authors propose them.")
            )
        else:
            st.info(_("No initiative has this review status."))
    used = initiatives.recommendations_using(s, [i.id for i in shown])
    for initiative in shown:
        with st.container(border=True):
            where = ", ".join(x for x in (initiative.location, initiative.region) if x)
            st.markdown(
                f"**{ui.md(initiative.name)}** {status_badge(initiative.review_status)}"
                + (f"  \n{ui.md(where)}" if where else "")
            )
            st.markdown(ui.no_images(initiative.what))
            codes = sorted(used.get(initiative.id, []), key=sections.code_order)
            st.caption(
                _("In the toolkit of {codes}").format(codes=", ".join(codes))
                if codes
                else _("Not linked to a recommendation yet.")
            )
            with st.expander(_("Who, outcomes, evidence and replicability")):
                for heading, value in (
                    (_("**Who runs it:** {text}"), initiative.who),
                    (_("**Outcomes:** {text}"), initiative.outcomes),
                    (_("**Evidence:** {text}"), initiative.evidence),
                    (_("**Replicability:** {text}"), initiative.replicability),
                    (_("**Review note:** {text}"), initiative.review_note),
                ):
                    if value:
                        st.markdown(heading.format(text=ui.no_images(value)))
            ui.discussion_expander(
                s, ctx, DiscussionTarget.initiative, initiative.id, key=f"in_talk_{initiative.id}"
            )
            if can_review:
                review_control(s, ctx, initiative)
    if can_edit:
        add_initiative_form(s, ctx)


# --------------------------------------------------------------------------- adding

RECOMMENDATION_KEYS = (
    "rc_code",
    "rc_text",
    "rc_addressees",
    "rc_context",
    "rc_assumptions",
    "rc_none_identified",
    "rc_findings",
    "rc_initiatives",
    "rc_section",
)


def none_identified_changed() -> None:
    """Fill (or empty) the assumptions with the exact phrase when 'None identified' is ticked."""
    st.session_state["rc_assumptions"] = (
        _(NONE_IDENTIFIED) if st.session_state.get("rc_none_identified") else ""
    )


def add_recommendation_tab(s: Session, ctx: ui.PageContext) -> None:
    """Show the controls adding a recommendation; the service says what is missing."""
    st.markdown(
        _(
            "Say what can be done and by whom. Every recommendation says **where it holds** and "
            "**which values it rests on**, so readers can set aside what rests on values they "
            "do not share."
        )
    )
    # The pickers need each finding's code, confidence and statement and each initiative's
    # name, not whole rows: a report at IPCC scale has thousands of findings.
    report_findings = sorted(
        findings.finding_choices(s, report_id=ctx.report.id),
        key=lambda f: sections.code_order(f.code),
    )
    by_finding = {f.id: f for f in report_findings}
    by_initiative = dict(initiatives.initiative_names(s, report_id=ctx.report.id))
    section_names = {
        sec.id: f"{sec.code} {sec.title}" for sec in sections.list_sections(s, ctx.report.id)
    }
    left, right = st.columns([1, 3])
    code = left.text_input(_("Code (required)"), key="rc_code", placeholder=_("e.g. R13"))
    section_id = right.selectbox(
        _("Section it belongs to"),
        [None, *section_names],
        format_func=lambda i: _("No section") if i is None else section_names[i],
        key="rc_section",
    )
    text = st.text_area(_("Recommendation (required)"), key="rc_text")
    addressees = st.multiselect(
        _("Addressed to (required)"),
        list(ActorType),
        format_func=label,
        key="rc_addressees",
        placeholder=_("Choose the kinds of actor who should act"),
    )
    left, right = st.columns(2)
    scale = left.selectbox(_("Scale"), list(Scale), format_func=label, key="rc_new_scale")
    horizon = right.selectbox(
        _("Horizon (roadmap step)"), list(Horizon), format_func=label, key="rc_new_horizon"
    )
    context = st.text_area(
        _("Context conditions (required)"),
        key="rc_context",
        help=_("Where does this hold, and where would it need adapting?"),
    )
    assumptions = st.text_area(
        _("Normative assumptions (required)"),
        key="rc_assumptions",
        disabled=bool(st.session_state.get("rc_none_identified")),
        help=_(
            "The values this rests on, e.g. 'Sufficiency: full-time work should afford a "
            "decent life'."
        ),
    )
    none = st.checkbox(
        _("{none}: this recommendation rests on no particular normative assumption").format(
            none=_(NONE_IDENTIFIED)
        ),
        key="rc_none_identified",
        on_change=none_identified_changed,
    )
    if none:
        assumptions = NONE_IDENTIFIED
    finding_ids = st.multiselect(
        _("Findings it rests on"),
        list(by_finding),
        format_func=lambda i: (
            f"{by_finding[i].code} ({_(CONFIDENCE_TERMS[by_finding[i].confidence]).lower()}) "
            f"{ui.shorten(by_finding[i].statement, 70)}"
        ),
        key="rc_findings",
        placeholder=_("Choose findings") if by_finding else _("No findings recorded yet"),
    )
    initiative_ids = st.multiselect(
        _("Toolkit: initiatives that show it can work"),
        list(by_initiative),
        format_func=lambda i: by_initiative[i],
        key="rc_initiatives",
        placeholder=_("Choose initiatives") if by_initiative else _("No initiatives recorded yet"),
    )
    if st.button(_("Add the recommendation"), type="primary", key="rc_add"):
        added = ui.run_action(
            lambda: recommendations.add_recommendation(
                session=s,
                actor=ctx.person,
                report=ctx.report,
                data=RecommendationCreate(
                    code=code,
                    text=text,
                    addressees=addressees,
                    scale=scale,
                    horizon=horizon,
                    context_conditions=context,
                    normative_assumptions=assumptions,
                    section_id=section_id,
                    finding_ids=finding_ids,
                    initiative_ids=initiative_ids,
                ),
            ),
            success=_("Added recommendation {code} to the roadmap ({horizon}).").format(
                code=code.strip(), horizon=label(horizon)
            ),
        )
        if added is not None:
            ui.reset_keys(*RECOMMENDATION_KEYS)
            st.rerun()


# --------------------------------------------------------------------------- the page

with ui.session() as s:
    ctx = ui.page_context(s)
    ui.require(ctx, s, Action.read_report)
    st.title(_("Recommendations"))
    ui.frozen_notice(ctx, s)
    st.caption(
        _(
            "{report} — what can be done, and by whom: the roadmap, and the initiatives that "
            "show it can work."
        ).format(report=ui.md(ctx.report.title))
    )
    ui.flash()
    can_edit = ui.allowed(ctx, s, Action.edit_content)
    can_review = ui.allowed(ctx, s, Action.review_initiative)
    if ctx.has(*AUTHOR_ROLES) and not permissions.has_signed_current_code(s, ctx.person):
        st.info(
            _(
                "You can read everything here, but you must sign the Code of Ethics (on the Team "
                "page) before you can add recommendations or initiatives."
            )
        )
    names = ["roadmap", "initiatives"]
    if can_edit:
        names.append("add")
    titles = {
        "roadmap": _("Roadmap"),
        "initiatives": _("Inspiring initiatives"),
        "add": _("Add a recommendation"),
    }
    tabs = dict(zip(names, st.tabs([titles[n] for n in names]), strict=True))
    with tabs["roadmap"]:
        roadmap_tab(s, ctx, can_edit)
    with tabs["initiatives"]:
        initiatives_tab(s, ctx, can_edit, can_review)
    if can_edit:
        with tabs["add"]:
            add_recommendation_tab(s, ctx)
