"""The interface's languages: messages, catalogues, and errors shown in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import catalogues, i18n
from workbench.errors import ImportFailed, ValidationError
from workbench.i18n import Msg


def _po(path: Path, entries: dict[str, str], code: str = "fr") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {code}\\n"',
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"',
        "",
    ]
    for msgid, msgstr in entries.items():
        body += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.write_text("\n".join(body), encoding="utf-8")


@pytest.fixture
def french(tmp_path, monkeypatch):
    """Point the catalogues at a small French one of the test's own."""
    _po(
        tmp_path / "locales" / "fr" / "views.example.po",
        {
            "Section {code} has no text yet.": "La section {code} n'a pas encore de texte.",
            "Save": "Enregistrer",
            "Line {line}: bad": "Ligne {line} : incorrecte",
            "The file was refused.": "Le fichier a été refusé.",
        },
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    i18n.reload_catalogues()
    i18n.clear_misses()
    yield
    i18n.reload_catalogues()
    i18n.clear_misses()


def test_english_is_its_own_translation():
    assert i18n.current_language() == "en"
    assert i18n.gettext("Save") == "Save"
    assert str(Msg("Section {code} has no text yet.", code="3.1")) == "Section 3.1 has no text yet."


def test_a_message_renders_in_the_language_current_when_shown(french):
    msg = Msg("Section {code} has no text yet.", code="3.1")
    with i18n.language("fr"):
        assert str(msg) == "La section 3.1 n'a pas encore de texte."
        assert i18n.gettext("Save") == "Enregistrer"
    assert str(msg) == "Section 3.1 has no text yet."


def test_a_missing_message_is_recorded_and_shown_in_english(french):
    with i18n.language("fr"):
        assert i18n.gettext("Not in any catalogue") == "Not in any catalogue"
    assert i18n.misses("fr") == {"Not in any catalogue"}


def test_a_domain_error_speaks_the_readers_language_and_english_on_the_command_line(french):
    error = ValidationError("Section {code} has no text yet.", code="3.1")
    assert error.message == "Section 3.1 has no text yet."
    assert str(error.args[0]) == "Section 3.1 has no text yet."
    with i18n.language("fr"):
        assert error.message == "La section 3.1 n'a pas encore de texte."
    assert error.message_id == "Section {code} has no text yet."
    assert error.params == {"code": "3.1"}


def test_an_import_failure_translates_its_problems_too(french):
    error = ImportFailed("The file was refused.", [Msg("Line {line}: bad", line=4)])
    with i18n.language("fr"):
        assert error.message == "Le fichier a été refusé.\n- Ligne 4 : incorrecte"
        assert error.summary == "Le fichier a été refusé."


def test_a_translation_naming_a_parameter_the_message_lacks_falls_back_to_english(
    tmp_path, monkeypatch
):
    _po(tmp_path / "locales" / "fr" / "x.po", {"Hello {name}": "Bonjour {nom}"})
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    i18n.reload_catalogues()
    try:
        with i18n.language("fr"):
            assert str(Msg("Hello {name}", name="Ana")) == "Hello Ana"
    finally:
        i18n.reload_catalogues()


def test_the_browser_locale_picks_one_of_the_three_languages():
    assert i18n.interface_language("fr-CA") == "fr"
    assert i18n.interface_language("es_MX") == "es"
    assert i18n.interface_language("de-DE") is None
    assert i18n.interface_language(None) is None


def test_dates_numbers_and_lists_follow_the_language():
    from datetime import date

    with i18n.language("fr"):
        assert i18n.format_number(12345) == "12\u202f345"
        assert i18n.format_list(["a", "b", "c"]) == "a, b et c"
        assert "déc." in i18n.format_date(date(2026, 12, 1))
    with i18n.language("es"):
        assert i18n.format_list(["a", "b", "c"]) == "a, b y c"
    assert i18n.format_number(12345) == "12,345"


def _project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "views").mkdir()
    (tmp_path / "workbench").mkdir()
    (tmp_path / "app.py").write_text("", encoding="utf-8")
    (tmp_path / "ui.py").write_text("", encoding="utf-8")
    (tmp_path / "views" / "page.py").write_text(source, encoding="utf-8")
    return tmp_path


def test_update_adds_new_messages_keeps_translations_and_drops_stale_ones(tmp_path):
    root = _project(tmp_path, 'st.title(_("Save"))\nraise ValidationError("Gone {x}", x=1)\n')
    catalogues.update(["fr"], root=root)
    po = root / "locales" / "fr" / "views.page.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Save"' in text and 'msgid "Gone {x}"' in text
    po.write_text(text.replace('msgid "Save"\nmsgstr ""', 'msgid "Save"\nmsgstr "Enregistrer"'))
    (root / "views" / "page.py").write_text('st.title(_("Save"))\n', encoding="utf-8")
    assert catalogues.update(["fr"], root=root) == {"locales/fr/views.page.po": (0, 1)}
    text = po.read_text(encoding="utf-8")
    assert 'msgstr "Enregistrer"' in text and "Gone" not in text
    assert catalogues.check(["fr"], root=root) == []


def test_check_fails_on_untranslated_stale_mismatched_and_fstring_messages(tmp_path):
    root = _project(
        tmp_path,
        'st.title(_("Save"))\n'
        'st.write(_("Hello {name}").format(name=n))\n'
        'raise NotFound(f"No person {pid}")\n',
    )
    _po(
        root / "locales" / "fr" / "views.page.po",
        {"Hello {name}": "Bonjour {nom}", "Old": "Vieux", "Save": ""},
    )
    found = "\n".join(str(p) for p in catalogues.check(["fr"], root=root))
    assert "untranslated: 'Save'" in found
    assert "placeholders differ: 'Hello {name}'" in found
    assert "stale (no longer in the code): 'Old'" in found
    assert "line 3: NotFound() is given an f-string" in found


def test_every_message_of_the_interface_is_translated_into_french_and_spanish():
    problems = catalogues.check()
    assert not problems, f"{len(problems)} catalogue problems, e.g.:\n" + "\n".join(
        str(p) for p in problems[:40]
    )


def test_every_enum_label_is_marked_for_translation():
    from workbench import models

    enums = [
        value
        for value in vars(models).values()
        if isinstance(value, type)
        and issubclass(value, models.LabelledEnum)
        and value is not models.LabelledEnum
    ]
    missing = sorted({m.label for enum in enums for m in enum} - set(models.LABELS_FOR_TRANSLATION))
    assert not missing, f"add these labels to models.LABELS_FOR_TRANSLATION: {missing}"


def test_an_enum_label_is_shown_in_the_readers_language():
    import ui
    from workbench.models import Role, SectionStatus

    with i18n.language("fr"):
        assert ui.label(SectionStatus.not_started) == "Non commencé"
        assert ui.label(Role.cla) == "Auteur coordonnateur principal"
    with i18n.language("es"):
        assert ui.label(Role.review_editor) == "Editor revisor"
    assert ui.label(SectionStatus.not_started) == "Not started"


def test_times_read_the_same_in_english_and_as_the_reader_writes_them():
    from datetime import UTC, datetime, timedelta

    import ui

    now = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    assert ui.when(now - timedelta(days=3), now=now) == "3 days ago · 28 Nov 2026 14:05 UTC"
    assert ui.when(now - timedelta(minutes=1), now=now) == "1 minute ago · 01 Dec 2026 14:04 UTC"
    with i18n.language("fr"):
        assert ui.when(now - timedelta(days=3), now=now) == (
            "il y a 3 jours · 28 nov. 2026 14:05 UTC"
        )
    with i18n.language("es"):
        assert ui.when(now, now=now).startswith("ahora mismo · 01 dic 2026")


def test_a_stored_notification_title_is_shown_in_the_readers_language():
    from workbench import notifications

    stored = notifications.RESPONDED.format(
        number=4, target="2.1 Living wages", round="FOD", disposition="taken into account"
    )
    assert notifications.title_text(stored) == stored
    with i18n.language("fr"):
        assert notifications.title_text(stored) == (
            "Les auteurs ont répondu à votre commentaire 4 sur 2.1 Living wages (FOD)\u00a0: "
            "pris en compte"
        )
    due = notifications.DUE_IN.format(name="2.1 Living wages", days=7, day="8 Dec 2026")
    with i18n.language("es"):
        assert notifications.title_text(due) == (
            "2.1 Living wages vence dentro de 7 días, el 8 dic 2026"
        )
        assert notifications.title_text("A thread someone named") == "A thread someone named"


def test_a_sign_in_lock_names_the_wait_in_the_readers_language():
    from datetime import datetime, timedelta

    from workbench import people

    now = datetime(2026, 12, 1, 10, 0, 0)
    message = people._throttle_message(people.ACCOUNT_RULE, now + timedelta(seconds=30), now)
    assert str(message) == (
        "Too many failed sign-ins for this account; try again after 10:00:30 UTC (in 30 seconds)."
    )
    with i18n.language("fr"):
        assert str(message) == (
            "Trop de connexions échouées pour ce compte\u00a0; réessayez après 10:00:30 UTC "
            "(dans 30 secondes)."
        )


def test_the_asking_files_own_catalogue_comes_first(tmp_path, monkeypatch):
    # "Medium" agrees with its noun: feminine for confidence on one page, masculine on another.
    _po(tmp_path / "locales" / "fr" / "a.po", {"Medium": "Moyenne"})
    _po(tmp_path / "locales" / "fr" / "tests.test_i18n.po", {"Medium": "Moyen"})
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    monkeypatch.setattr(i18n, "_catalogue_name", lambda filename: "tests.test_i18n")
    i18n.reload_catalogues()
    try:
        with i18n.language("fr"):
            assert i18n.gettext("Medium") == "Moyen"
            # A message rendered elsewhere (here by Msg inside i18n) takes any catalogue's.
            assert str(Msg("Medium")) in {"Moyen", "Moyenne"}
    finally:
        i18n.reload_catalogues()
