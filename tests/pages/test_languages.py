"""Every page in French and Spanish: nothing asked of the catalogues is missing from them,
and no label written in the code is shown in English.

Each page is run twice for a person who may use it, in English and in the language
tested; a title, header, button or field label that reads the same in both and is
written as such in the code was not translated. Text the people wrote (section
titles, names) comes from the data, not the code, and is left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, COUNCIL, REVIEWER, SECRETARIAT
from workbench import i18n, people
from workbench.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
CODE = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "views").glob("*.py"))]
)
# Who opens each page: someone whose roles let them use it (report: the demo's default).
PAGES = [
    ("views/dashboard.py", CLA),
    ("views/inbox.py", CLA),
    ("views/profile.py", CLA),
    ("views/search.py", CLA),
    ("views/outline.py", CLA),
    ("views/write.py", CLA),
    ("views/evidence.py", CLA),
    ("views/consensus.py", CLA),
    ("views/recommendations.py", CLA),
    ("views/discussions.py", CLA),
    ("views/review.py", CLA),
    ("views/review.py", REVIEWER),
    ("views/council.py", COUNCIL),
    ("views/team.py", CLA),
    ("views/translations.py", CLA),
    ("views/glossary.py", CLA),
    ("views/admin.py", SECRETARIAT),
    ("views/dashboard.py", SECRETARIAT),
]
LABELLED = (
    "button",
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "radio",
    "checkbox",
    "toggle",
    "number_input",
    "date_input",
    "tabs",
    "expander",
    "metric",
)
VALUED = ("title", "header", "subheader")
# Words a language writes exactly as English does ("Discussions" is the French term):
# shown the same in both, yet translated.
SAME_AS_ENGLISH = {
    "fr": {"Discussions", "Notifications", "Mention", "Format", "Code", "Question", "Section"},
    "es": set(),
}


def _shown(at: AppTest) -> set[str]:
    found: set[str] = set()
    for kind in VALUED:
        found |= {str(e.value) for e in getattr(at, kind)}
    for kind in LABELLED:
        found |= {str(e.label) for e in getattr(at, kind)}
    return {text for text in found if text.strip()}


def _run(demo_url: str, page: str | None, email: str | None, language: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["interface_language"] = language
    if email is not None:
        engine = make_engine(demo_url)
        with Session(engine) as s:
            at.session_state["person_id"] = people.get_by_email(s, email).id
        engine.dispose()
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


_ENGLISH: dict[tuple[str | None, str | None], set[str]] = {}


@pytest.mark.parametrize("language", ["fr", "es"])
@pytest.mark.parametrize(("page", "email"), [(None, None), *PAGES])
def test_the_page_speaks_the_language(demo_url, page, email, language):
    # The English run is the same for both languages: made once (every test has its own
    # copy of the demo, but this page reads the same in English in each).
    key = (page, email)
    if key not in _ENGLISH:
        _ENGLISH[key] = _shown(_run(demo_url, page, email, "en"))
    english = _ENGLISH[key]
    i18n.clear_misses()
    translated = _run(demo_url, page, email, language)
    missing = i18n.misses(language)
    assert not missing, f"not in the {language} catalogues: {sorted(missing)[:20]}"
    untranslated = sorted(
        text
        for text in _shown(translated) & english
        if len(text) > 3
        and text not in SAME_AS_ENGLISH[language]
        and (f'"{text}"' in CODE or f"'{text}'" in CODE)
    )
    assert not untranslated, f"shown in English in {language}: {untranslated}"
