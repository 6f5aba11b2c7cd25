"""The Synthesis Report Workbench domain: the Panel's records, rules and services.

This package never imports Streamlit; the pages in ``views/`` and the ``workbench``
command are its only front ends.
"""

__version__ = "0.1.0"
