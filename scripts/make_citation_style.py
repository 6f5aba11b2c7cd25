"""Write templates/citation-forms.csl: pandoc's Chicago author-date, with short labels.

Run it again after upgrading pandoc (pypandoc-binary), so that citations keep
the style pandoc ships: .venv/bin/python scripts/make_citation_style.py
"""

from __future__ import annotations

import subprocess

import pypandoc

from workbench.citation_forms import STYLE_FILE, citation_style


def pandoc_default_style() -> str:
    """Return the CSL style pandoc uses when none is given (Chicago author-date)."""
    return subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "default.csl"],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    ).stdout


if __name__ == "__main__":
    STYLE_FILE.write_text(citation_style(pandoc_default_style()), encoding="utf-8")
    print(f"Wrote {STYLE_FILE}")
