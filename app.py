"""Synthesis Report Workbench — the Streamlit entry point.

Run with ``streamlit run app.py``. The database is the one named by
``WORKBENCH_DATABASE_URL`` (default: ``data/workbench.db``; ``workbench demo``
fills it with the demo workspace).
"""

from __future__ import annotations

import streamlit as st

from workbench.db import make_engine, session_scope
from workbench.reports import list_reports

st.set_page_config(page_title="Synthesis Report Workbench", page_icon="📘", layout="wide")


@st.cache_resource
def engine():
    """Return the app's database engine (one per server process)."""
    return make_engine()


st.title("Synthesis Report Workbench")
st.caption("Write, review and approve the Panel's Synthesis Reports.")
with session_scope(engine()) as session:
    progress = list_reports(session)
if not progress:
    st.info("No reports yet. Run `workbench demo` to load the demo workspace.")
for report in progress:
    with st.container(border=True):
        st.subheader(report.title)
        st.write(
            f"**{report.stage.label}** · {report.sections} sections · "
            f"{report.accepted_share:.0%} accepted · {report.open_comments} open review comments · "
            f"due {report.due_date:%d %B %Y}"
        )
