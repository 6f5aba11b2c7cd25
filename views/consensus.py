"""Consensus & disagreement: where actors stand on the report's statements, and false solutions.

Everyone in the report may read it: the items grouped by classification, the
matrix of actors' positions, and the register of false solutions with the
reason each is false. CLAs and Lead Authors add items, actors and positions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import consensus, i18n, permissions, sections, sources
from workbench.i18n import N_, _, ngettext
from workbench.models import (
    AUTHOR_ROLES,
    Actor,
    ActorType,
    Classification,
    ConsensusItem,
    ConsensusItemCreate,
    DiscussionTarget,
    Position,
    Stance,
)
from workbench.permissions import Action

#: What each classification means, in the words a reader needs.
MEANING: dict[Classification, str] = {
    Classification.consensus: N_("Actors and the evidence agree."),
    Classification.broad_agreement: N_("Most actors agree, some with reservations."),
    Classification.disagreement: N_("Actors disagree; the report sets out each side."),
    Classification.false_solution: N_(
        "Often proposed, but the evidence shows it does not deliver what it promises."
    ),
    Classification.open_question: N_("The evidence does not settle it yet."),
}
#: How each classification heads its group of items.
PLURAL: dict[Classification, str] = {
    Classification.consensus: N_("Points of consensus"),
    Classification.broad_agreement: N_("Broad agreement"),
    Classification.disagreement: N_("Disagreements"),
    Classification.false_solution: N_("False solutions"),
    Classification.open_question: N_("Open questions"),
}
STANCE_COLOURS: dict[Stance, str] = {
    Stance.support: "#2e7d32",
    Stance.oppose: "#c62828",
    Stance.conditional: "#f9a825",
    Stance.divided: "#9e9e9e",
}
#: A symbol per stance, so the matrix reads without colour too.
STANCE_MARKS: dict[Stance, str] = {
    Stance.support: "✓",
    Stance.oppose: "✗",
    Stance.conditional: "~",
    Stance.divided: "±",
}
PAGE_ITEMS = 25  # items listed at a time under a classification
MATRIX_ITEMS = 30  # items (columns) in the actors × items chart at a time
#: The Streamlit colour each stance is written in.
STANCE_TEXT: dict[Stance, str] = {
    Stance.support: "green",
    Stance.oppose: "red",
    Stance.conditional: "orange",
    Stance.divided: "gray",
}


def label(value: Any) -> str:
    """Return an enum member's label in the reader's language."""
    return _(value.label)


def positions_of(
    item: ConsensusItem, actors: list[Actor], cells: dict[tuple[int, int], Position]
) -> list[tuple[Actor, Position]]:
    """Return the actors with a position on this item, and their positions."""
    return [(a, cells[(item.id, a.id)]) for a in actors if (item.id, a.id) in cells]


def show_item(
    number: int,
    item: ConsensusItem,
    held: list[tuple[Actor, Position]],
    source_keys: dict[int, str],
    discuss: Callable[[], None] | None = None,
) -> None:
    """Show one item: its statement, why it is false (if so), a note, its discussions and
    actors' positions."""
    with st.container(border=True):
        # Statements are report content (Markdown, as the export prints them): no images.
        st.markdown(f"**#{number}** {ui.no_images(item.statement)}")
        if item.classification is Classification.false_solution:
            st.markdown(why_false(item))
        if item.note:
            st.caption(ui.md(item.note))
        if discuss is not None:
            discuss()
        if not held:
            st.caption(_("No actor's position recorded yet."))
            return
        tally = Counter(position.stance for __, position in held)
        summary = ", ".join(
            f":{STANCE_TEXT[stance]}[{i18n.format_number(tally[stance])} {label(stance).lower()}]"
            for stance in Stance
            if tally[stance]
        )
        with st.expander(
            ngettext(
                "Positions of {n} actor — {summary}",
                "Positions of {n} actors — {summary}",
                len(held),
            ).format(n=i18n.format_number(len(held)), summary=summary)
        ):
            lines = []
            for actor, position in held:
                source = source_keys.get(position.source_id)
                cite = _(" (source: `{key}`)").format(key=source) if source else ""
                rationale = f": {ui.md(position.rationale)}" if position.rationale else ""
                lines.append(
                    f"- **{ui.md(actor.name)}** — :{STANCE_TEXT[position.stance]}-badge["
                    f"{STANCE_MARKS[position.stance]} {label(position.stance)}]{rationale}{cite}"
                )
            st.markdown("\n".join(lines))


def why_false(item: ConsensusItem) -> str:
    """Return the line saying why a false solution is false."""
    return _("**Why it is false:** {why}").format(why=ui.no_images(item.why_false))


def matrix_chart(
    items: list[ConsensusItem],
    numbers: dict[int, int],
    actors: list[Actor],
    cells: dict[tuple[int, int], Position],
) -> alt.LayerChart:
    """Return the actors × items matrix as a heatmap coloured by stance.

    Columns are the items by number (the statements are long; the full text is
    in the tooltip and listed under the chart), rows the actors by name.
    """
    # Vega-Lite fields are the data's column names; the titles people read are set apart.
    rows = []
    no_position = _("No position")
    for item in items:
        for actor in actors:
            position = cells.get((item.id, actor.id))
            rows.append(
                {
                    "Item": f"#{numbers[item.id]}",
                    "Statement": item.statement,
                    "Classification": label(item.classification),
                    "Actor": actor.name,
                    "Stance": label(position.stance) if position else no_position,
                    "Mark": STANCE_MARKS[position.stance] if position else "",
                    "Rationale": ui.shorten((position.rationale if position else "") or "—", 160),
                }
            )
    data = pd.DataFrame(rows)
    stances = [label(s) for s in Stance] + [no_position]
    colours = [STANCE_COLOURS[s] for s in Stance] + ["#eeeeee"]
    x = alt.X(
        "Item:N",
        title=_("Items (see the list below the chart)"),
        sort=[f"#{numbers[i.id]}" for i in items],
        axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=12, titleFontWeight="normal"),
    )
    y = alt.Y(
        "Actor:N",
        title=None,
        sort=[a.name for a in actors],
        axis=alt.Axis(labelLimit=360, labelFontSize=12),
    )
    tooltip = [
        alt.Tooltip("Actor:N", title=_("Actor")),
        alt.Tooltip("Stance:N", title=_("Stance")),
        alt.Tooltip("Item:N", title=_("Item")),
        alt.Tooltip("Statement:N", title=_("Statement")),
        alt.Tooltip("Classification:N", title=_("Classification")),
        alt.Tooltip("Rationale:N", title=_("Rationale")),
    ]
    cells_layer = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "Stance:N",
                scale=alt.Scale(domain=stances, range=colours),
                legend=alt.Legend(title=_("Stance"), orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    marks = (
        alt.Chart(data)
        .mark_text(fontSize=15, fontWeight="bold", color="white")
        .encode(x=x, y=y, text="Mark:N", tooltip=tooltip)
    )
    return (cells_layer + marks).properties(height=alt.Step(32))


# --------------------------------------------------------------------------- editing

ITEM_KEYS = ("cs_statement", "cs_why_false", "cs_note", "cs_section")


def add_item_form(s: Session, ctx: ui.PageContext) -> None:
    """Show the form adding a consensus item; a false solution must say why it is false."""
    section_names = {
        sec.id: f"{sec.code} {sec.title}" for sec in sections.list_sections(s, ctx.report.id)
    }
    with st.form("cs_add_item"):
        st.markdown(_("**Add an item**"))
        statement = st.text_area(
            _("Statement (required)"),
            key="cs_statement",
            placeholder=_(
                "A statement actors take positions on, e.g. 'Living wages should be set by law.'"
            ),
        )
        left, right = st.columns(2)
        classification = left.selectbox(
            _("Classification"),
            list(Classification),
            format_func=label,
            key="cs_classification",
        )
        section_id = right.selectbox(
            _("Section that discusses it"),
            [None, *section_names],
            format_func=lambda i: _("No section") if i is None else section_names[i],
            key="cs_section",
        )
        why = st.text_area(
            _("Why it is a false solution (required when classified as a false solution)"),
            key="cs_why_false",
        )
        note = st.text_area(_("Note (optional)"), key="cs_note")
        if st.form_submit_button(_("Add the item"), type="primary"):
            added = ui.run_action(
                lambda: consensus.add_item(
                    session=s,
                    actor=ctx.person,
                    report=ctx.report,
                    data=ConsensusItemCreate(
                        statement=statement,
                        classification=classification,
                        why_false=why,
                        note=note,
                        section_id=section_id,
                    ),
                ),
                success=_("Added the item ({classification}).").format(
                    classification=label(classification).lower()
                ),
            )
            if added is not None:
                ui.reset_keys(*ITEM_KEYS)
                st.rerun()


def position_form(
    s: Session,
    ctx: ui.PageContext,
    items: list[ConsensusItem],
    numbers: dict[int, int],
) -> None:
    """Show the controls recording (or removing) an actor's position on an item."""
    st.markdown(_("**Record where an actor stands**"))
    if not items:
        st.caption(_("Add an item first: positions are taken on items."))
        return
    everyone = consensus.list_actors(s)
    if not everyone:
        st.caption(_("Add an actor first (below)."))
        return
    by_item = {i.id: i for i in items}
    by_actor = {a.id: a for a in everyone}
    left, right = st.columns(2)
    item_id = left.selectbox(
        _("Item"),
        list(by_item),
        format_func=lambda i: f"#{numbers[i]} {ui.shorten(by_item[i].statement, 70)}",
        key="cs_pos_item",
    )
    actor_id = right.selectbox(
        _("Actor"),
        list(by_actor),
        format_func=lambda i: f"{by_actor[i].name} ({label(by_actor[i].actor_type).lower()})",
        key="cs_pos_actor",
    )
    right.caption(_("Actor not in the list? Add it under **Add an actor** below."))
    current = consensus.positions_on(s, [item_id])[1].get((item_id, actor_id))
    if current:
        stance_now = label(current.stance).lower()
        st.caption(
            _("Recorded now: {stance} — {rationale}. Saving replaces it.").format(
                stance=stance_now, rationale=ui.md(current.rationale)
            )
            if current.rationale
            else _("Recorded now: {stance}. Saving replaces it.").format(stance=stance_now)
        )
    else:
        st.caption(_("No position recorded yet for this actor on this item."))
    stance = st.radio(
        _("Stance"),
        list(Stance),
        format_func=lambda x: f"{STANCE_MARKS[x]} {label(x)}",
        horizontal=True,
        key="cs_pos_stance",
    )
    rationale = st.text_area(
        _("Rationale"),
        key="cs_pos_rationale",
        help=_("What the actor says, and on what grounds."),
    )
    source_key = st.text_input(
        _("Source documenting it (citation key, optional)"),
        key="cs_pos_source",
        placeholder=_("e.g. ilo2024experts"),
    )
    save, remove, __ = st.columns([1, 1, 3])
    if save.button(_("Save the position"), type="primary", key="cs_pos_save"):

        def record() -> Position:
            source_id = None
            if source_key.strip():
                source_id = sources.get_source_by_key(s, ctx.report.id, source_key.strip()).id
            return consensus.set_position(
                session=s,
                actor=ctx.person,
                item=by_item[item_id],
                actor_id=actor_id,
                stance=stance,
                rationale=rationale,
                source_id=source_id,
            )

        done = ui.run_action(
            record,
            success=_("Recorded: {actor} — {stance} on item #{number}.").format(
                actor=by_actor[actor_id].name,
                stance=label(stance).lower(),
                number=numbers[item_id],
            ),
        )
        if done is not None:
            ui.reset_keys("cs_pos_rationale", "cs_pos_source")
            st.rerun()
    if current and remove.button(_("Remove this position"), key="cs_pos_remove"):
        done = ui.run_action(
            lambda: (
                consensus.remove_position(
                    session=s, actor=ctx.person, item=by_item[item_id], actor_id=actor_id
                )
                or True
            ),
            success=_("Removed {actor}'s position on item #{number}.").format(
                actor=by_actor[actor_id].name, number=numbers[item_id]
            ),
        )
        if done:
            st.rerun()


def add_actor_form(s: Session, ctx: ui.PageContext) -> None:
    """Show the form adding an actor whose positions the report records."""
    with st.expander(_("Add an actor")), st.form("cs_add_actor"):
        name = st.text_input(_("Name (required)"), key="cs_actor_name")
        actor_type = st.selectbox(
            _("Kind of actor"), list(ActorType), format_func=label, key="cs_actor_type"
        )
        description = st.text_area(_("Description (optional)"), key="cs_actor_description")
        if st.form_submit_button(_("Add the actor")):
            added = ui.run_action(
                lambda: consensus.add_actor(
                    session=s,
                    actor=ctx.person,
                    report=ctx.report,
                    name=name,
                    actor_type=actor_type,
                    description=description,
                ),
                success=_("Added the actor '{name}'.").format(name=name.strip()),
            )
            if added is not None:
                ui.reset_keys("cs_actor_name", "cs_actor_description")
                st.rerun()


# --------------------------------------------------------------------------- the page

with ui.session() as s:
    ctx = ui.page_context(s)
    ui.require(ctx, s, Action.read_report)
    st.title(_("Consensus & disagreement"))
    ui.frozen_notice(ctx, s)
    st.caption(
        _(
            "{report} — the statements the report takes a view on, where actors stand on them, "
            "and the false solutions it unmasks."
        ).format(report=ui.md(ctx.report.title))
    )
    ui.flash()
    can_edit = ui.allowed(ctx, s, Action.edit_content)
    if ctx.has(*AUTHOR_ROLES) and not permissions.has_signed_current_code(s, ctx.person):
        st.info(
            _(
                "You can read everything here, but you must sign the Code of Ethics (on the Team "
                "page) before you can add items or positions."
            )
        )
    counts = consensus.classification_counts(s, report_id=ctx.report.id)
    # Every item (their numbers are their order), but positions only of the items a tab
    # shows at a time: a large report has thousands of items and tens of thousands of
    # positions.
    items = consensus.list_items(s, report_id=ctx.report.id)
    numbers = {item.id: n for n, item in enumerate(items, start=1)}

    for column, classification in zip(st.columns(len(Classification)), Classification, strict=True):
        column.metric(
            _(PLURAL[classification]),
            i18n.format_number(counts[classification]),
            help=_(MEANING[classification]),
        )

    names = ["classification", "positions", "false"]
    if can_edit:
        names.append("edit")
    titles = {
        "classification": _("By classification"),
        "positions": _("Actor positions"),
        "false": _("False solutions"),
        "edit": _("Add or update"),
    }
    tabs = dict(zip(names, st.tabs([titles[n] for n in names]), strict=True))

    with tabs["classification"]:
        if not items:
            st.info(
                _(
                    "No items yet. Add the statements actors take positions on in the "
                    "**Add or update** tab."
                )
                if can_edit
                else _(
                    "No items yet: the CLAs and Lead Authors record them as the report develops."
                )
            )
        present = [c for c in Classification if counts[c]]
        if present:
            shown = st.radio(
                _("Show"),
                present,
                format_func=lambda c: f"{_(PLURAL[c])} ({i18n.format_number(counts[c])})",
                horizontal=True,
                key="cs_show",
            )
            group = [i for i in items if i.classification is shown]
            st.subheader(f"{_(PLURAL[shown])} ({i18n.format_number(len(group))})")
            st.caption(_(MEANING[shown]))
            offset = ui.pager(len(group), key=f"cs_page_{shown.value}", page_size=PAGE_ITEMS)
            page = group[offset : offset + PAGE_ITEMS]
            actors, cells = consensus.positions_on(s, [i.id for i in page])
            source_keys = sources.keys_by_id(s, [p.source_id for p in cells.values()])
            for item in page:
                show_item(
                    numbers[item.id],
                    item,
                    positions_of(item, actors, cells),
                    source_keys,
                    discuss=lambda item_id=item.id: ui.discussion_expander(
                        s, ctx, DiscussionTarget.consensus_item, item_id, key=f"cs_talk_{item_id}"
                    ),
                )

    with tabs["positions"]:
        acting = consensus.actors_with_positions(s, report_id=ctx.report.id)
        if not acting:
            st.info(
                _("No actor's position is recorded yet. Record them in the **Add or update** tab.")
                if can_edit
                else _("No actor's position is recorded yet.")
            )
        else:
            st.markdown(
                _(
                    "Where {actors} stand on {items}. Point at a cell to read the full statement "
                    "and the actor's rationale."
                ).format(
                    actors=ngettext("{n} actor", "{n} actors", acting).format(
                        n=i18n.format_number(acting)
                    ),
                    items=ngettext("{n} item", "{n} items", len(items)).format(
                        n=i18n.format_number(len(items))
                    ),
                )
            )
            offset = ui.pager(len(items), key="cs_matrix_page", page_size=MATRIX_ITEMS)
            in_chart = items[offset : offset + MATRIX_ITEMS]
            shown_actors, cells = consensus.positions_on(s, [i.id for i in in_chart])
            if len(in_chart) < len(numbers):
                st.caption(
                    ngettext(
                        "Items #{first}–#{last}, with the {n} actor who took a position on them.",
                        "Items #{first}–#{last}, with the {n} actors who took a position on them.",
                        len(shown_actors),
                    ).format(
                        first=numbers[in_chart[0].id],
                        last=numbers[in_chart[-1].id],
                        n=i18n.format_number(len(shown_actors)),
                    )
                )
            st.altair_chart(
                matrix_chart(in_chart, numbers, shown_actors, cells),
                width="stretch",
            )
            st.caption(
                _(
                    "✓ support (green) · ✗ oppose (red) · ~ conditional (amber) · ± divided (grey) "
                    "· light grey: no position recorded."
                )
            )
            st.markdown(_("**The items**"))
            st.markdown(
                "\n".join(
                    f"- **#{numbers[item.id]}** {ui.no_images(item.statement)} "
                    f"*({label(item.classification).lower()})*"
                    for item in in_chart
                )
            )

    with tabs["false"]:
        false = [i for i in items if i.classification is Classification.false_solution]
        if not false:
            st.info(_("The report has not unmasked any false solution yet."))
        else:
            st.markdown(
                ngettext(
                    "{n} proposal the report shows does not deliver what it promises, and why.",
                    "{n} proposals the report shows do not deliver what they promise, and why.",
                    len(false),
                ).format(n=i18n.format_number(len(false)))
            )
            offset = ui.pager(len(false), key="cs_false_page", page_size=PAGE_ITEMS)
            for item in false[offset : offset + PAGE_ITEMS]:
                with st.container(border=True):
                    st.markdown(f"**#{numbers[item.id]} {ui.no_images(item.statement)}**")
                    st.markdown(why_false(item))
                    if item.note:
                        st.caption(ui.md(item.note))

    if can_edit:
        with tabs["edit"]:
            add_item_form(s, ctx)
            st.divider()
            position_form(s, ctx, items, numbers)
            st.divider()
            add_actor_form(s, ctx)
