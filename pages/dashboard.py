"""Dashboard: my work first, then the report's progress, then what awaits the Council."""

import streamlit as st

import ui
from workbench import reports

with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title("Dashboard")
    ui.flash()
    if ctx.report is None:
        st.info("You are not part of any report yet.")
        st.stop()
    progress = reports.report_progress(s, ctx.report)

st.subheader(ctx.report.title)
st.write(f"Stage: **{progress.stage.label}** · due {progress.due_date:%d %B %Y}")
