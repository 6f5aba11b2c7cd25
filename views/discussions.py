"""Discussions: a report's threads among its authors (filled in with the discussion service)."""

from __future__ import annotations

import streamlit as st

import ui
from workbench.permissions import Action

with ui.session() as s:
    ctx = ui.page_context(s)
    st.title("Discussions")
    ui.require(ctx, s, Action.read_report)
    st.info("Discussions arrive soon.")
