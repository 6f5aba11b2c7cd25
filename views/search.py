"""Search: one box for the whole workspace, ranked hits with the matched words in bold.

The sidebar's search box opens this page at ``/search?q=…``; the query, the kind
chosen and the page of results live in the address, so a reload, Back and a
shared link show the same results. Every person finds only what the pages would
show them (:mod:`workbench.search`): the reports they may read, and review
comments only with a role the Review page admits. Texts people typed are shown
as typed: the snippet is escaped first, and only the marks the database put
around the matched words become bold.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qsl, urlsplit

import streamlit as st

import ui
from workbench import i18n, search
from workbench.i18n import N_, _, ngettext

PAGE_SIZE = 20
ALL = "all"
KIND_NAMES = {
    ALL: N_("Everything"),
    "sections": N_("Sections"),
    "sources": N_("Sources"),
    "comments": N_("Review comments"),
    "findings": N_("Findings"),
    "recommendations": N_("Recommendations"),
}
# What one hit is, shown beside its label.
KIND_LABELS = {
    "sections": N_("Section"),
    "sources": N_("Source"),
    "comments": N_("Review comment"),
    "findings": N_("Finding"),
    "recommendations": N_("Recommendation"),
}


def addressed(
    param: str, key: str, default: str = "", options: Collection[str] | None = None
) -> str:
    """Give widget ``key`` the value of the address's ``param`` when the address changed.

    The query, the kind and the page are kept in the address by hand, not bound to the
    widgets: Streamlit removes a bound parameter from the address when the page is left,
    so Back would come back to an empty search. Returns ``key``.
    """
    wanted = st.query_params.get(param, "") or default
    if options is not None and wanted not in options:
        wanted = default
    seen = f"{key}_address"
    if key not in st.session_state or st.session_state.get(seen) != wanted:
        st.session_state[key] = wanted
        st.session_state[seen] = wanted
    return key


def counted(n: int) -> str:
    """Return a kind's count as shown: "500+" when the search stopped counting."""
    if n >= search.CANDIDATES:
        return _("{n}+").format(n=i18n.format_number(search.CANDIDATES))
    return i18n.format_number(n)


def show_hit(hit: search.Hit) -> None:
    """Show one hit: its label as a link to where it is, what it is, where, and the snippet."""
    address = urlsplit(hit.url)
    target = f"views/{address.path.strip('/')}.py"
    with st.container(border=True, key=f"search_hit_{hit.kind}_{hit.id}"):
        st.page_link(
            target,
            label=" ".join(hit.label.split()) or _(KIND_LABELS[hit.kind]),
            query_params=dict(parse_qsl(address.query)),
            icon=":material/arrow_forward:",
        )
        st.caption(
            _("{kind} · {report}").format(
                kind=_(KIND_LABELS[hit.kind]), report=ui.md(hit.report_title)
            )
        )
        if hit.snippet.strip():
            # Escaped as typed (no link, image or formatting of anyone's text), then bold marks.
            st.markdown(search.marked(hit.snippet, "**", "**", escape=ui.md))


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Search"))
    typed = st.text_input(
        _("Search the sections, sources, review comments, findings and recommendations"),
        key=addressed("q", "search_q"),
        placeholder=_('Words, "a phrase", -a word to leave out'),
    )
    kind = (
        st.segmented_control(
            _("Show"),
            list(KIND_NAMES),
            format_func=lambda k: _(KIND_NAMES[k]),
            key=addressed("kind", "search_kind", ALL, KIND_NAMES),
        )
        or ALL
    )
    st.query_params["q"] = (typed or "").strip()
    st.query_params["kind"] = kind
    text = (typed or "").strip()
    if not text:
        st.info(
            _(
                "Type a word or two and press Enter. You find what you may read in your "
                "reports: their sections, sources, findings and recommendations, and the "
                "review comments if you take part in the review."
            )
        )
        st.stop()
    if search.parse(text).empty:
        st.warning(
            _(
                "Nothing to search for in “{text}”: type at least one word (a word after a "
                "minus sign is only left out)."
            ).format(text=ui.md(text[:80]))
        )
        st.stop()
    # The page asked for (the pager below is drawn once the total is known); a new search
    # starts on the first page.
    if st.session_state.get("search_paged") != (text, kind):
        st.session_state["search_paged"] = (text, kind)
        if st.session_state.pop("search_page", None) is not None:
            st.query_params.pop("page", None)
    wanted = st.session_state.get("search_page") or st.query_params.get("page", "1")
    number = int(wanted) if str(wanted).isdigit() and int(wanted) > 0 else 1
    results = search.search(
        s,
        person=ctx.person,
        text=text,
        kinds=None if kind == ALL else [kind],
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    if results.total == 0:
        st.info(_("No results for “{text}”.").format(text=ui.md(text[:80])))
        st.stop()
    st.caption(
        " · ".join(
            _("{kind}: {n}").format(kind=_(KIND_NAMES[k]), n=counted(n))
            for k, n in results.totals.items()
            if n
        )
    )
    if not results.hits:
        st.info(_("No more results: go back to the first page."))
    for hit in results.hits:
        show_hit(hit)
    shown = min(results.total, search.CANDIDATES * len(results.totals))
    pages = max((shown - 1) // PAGE_SIZE + 1, 1)
    if pages > 1:
        st.session_state["search_page"] = min(number, pages)
        st.number_input(
            _("Page (of {pages})").format(pages=i18n.format_number(pages)),
            min_value=1,
            max_value=pages,
            step=1,
            key="search_page",
        )
        st.query_params["page"] = str(st.session_state.get("search_page", 1))
    if any(n >= search.CANDIDATES for n in results.totals.values()):
        st.caption(
            ngettext(
                "When more than {n} items of one kind match, the best of the newest {n} are "
                "shown: add a word to find the others.",
                "When more than {n} items of one kind match, the best of the newest {n} are "
                "shown: add a word to find the others.",
                search.CANDIDATES,
            ).format(n=i18n.format_number(search.CANDIDATES))
        )
