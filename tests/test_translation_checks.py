"""Translation checks: what must survive translating, and the calibrated terms of the glossary."""

from __future__ import annotations

from dataclasses import replace

from workbench import glossary
from workbench.i18n import language
from workbench.translation_checks import Issue, check_translation, errors, paragraphs, warnings


def _codes(issues: list[Issue]) -> list[tuple[str, str, int | None]]:
    return [(i.severity, i.code, i.paragraph) for i in issues]


def _messages(issues: list[Issue]) -> list[str]:
    return [i.message.render("en") for i in issues]


SOURCE = (
    "Wages below a living wage are *very likely* to persist (high confidence) [@ilo2024].\n\n"
    "Section 3.1 and finding F3 show that 40 % of 1,000 firms pay 2.5 times less."
)
FRENCH = (
    "Il est *très probable* que les salaires inférieurs à un salaire décent persistent "
    "(confiance élevée) [@ilo2024].\n\n"
    "La section 3.1 et le constat F3 montrent que 40 % des 1 000 entreprises paient 2,5 fois moins."
)


def test_a_faithful_translation_has_no_issue() -> None:
    assert check_translation(SOURCE, FRENCH, language="fr") == []


# --------------------------------------------------------------------------- citations


def test_a_dropped_citation_is_an_error_naming_the_paragraph() -> None:
    issues = check_translation(SOURCE, FRENCH.replace(" [@ilo2024]", ""), language="fr")
    assert ("error", "citation", 1) in _codes(issues)
    assert "Paragraph 1: the citation [@ilo2024] is missing." in _messages(issues)


def test_an_added_or_altered_citation_is_an_error() -> None:
    altered = check_translation(SOURCE, FRENCH.replace("ilo2024", "ilo2042"), language="fr")
    assert "Paragraph 1: the citation [@ilo2024] is missing." in _messages(altered)
    assert "Paragraph 1: the citation [@ilo2042] is not in the source." in _messages(altered)
    added = check_translation("No source here.", "Aucune source [@x2020].", language="fr")
    assert _messages(errors(added)) == ["Paragraph 1: the citation [@x2020] is not in the source."]


def test_in_text_citations_count_and_email_addresses_do_not() -> None:
    source = "As @smith2020 shows; write to desk@example.org."
    assert (
        check_translation(
            source, "Comme le montre @smith2020 ; écrire à desk@example.org.", language="fr"
        )
        == []
    )
    issues = check_translation(
        source, "Comme on le sait ; écrire à desk@example.org.", language="fr"
    )
    assert _messages(issues) == ["Paragraph 1: the citation [@smith2020] is missing."]


# --------------------------------------------------------------------------- codes, references


def test_a_dropped_or_altered_finding_code_is_an_error() -> None:
    issues = check_translation(SOURCE, FRENCH.replace("F3", "F4"), language="fr")
    assert "Paragraph 2: the code F3 is missing." in _messages(issues)
    assert "Paragraph 2: the code F4 is not in the source." in _messages(issues)
    parts = check_translation(
        "See KF, CR2, FS1, R3 and IN1.", "Voir KF, CR2, FS1 et IN1.", language="fr"
    )
    assert _messages(errors(parts)) == ["Paragraph 1: the code R3 is missing."]


def test_a_section_reference_or_anchor_altered_is_an_error() -> None:
    issues = check_translation(SOURCE, FRENCH.replace("section 3.1", "section 3.2"), language="fr")
    assert ("error", "cross_reference", 2) in _codes(issues)
    assert "Paragraph 2: the reference to Section 3.1 is missing or altered." in _messages(issues)
    anchored = check_translation(
        "## Wages {#sec-wages}\n\nSee [above](#sec-wages).",
        "## Salaires {#sec-salaires}\n\nVoir [ci-dessus](#sec-wages).",
        language="fr",
    )
    assert _messages(errors(anchored)) == [
        "Paragraph 1: the cross-reference {#sec-wages} is missing.",
        "Paragraph 1: the cross-reference {#sec-salaires} is not in the source.",
    ]


# --------------------------------------------------------------------------- structure


def test_markdown_structure_must_match() -> None:
    source = (
        "# Title\n\n## Part\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```"
    )
    same = (
        "# Titre\n\n## Partie\n\n- un\n- deux\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```"
    )
    assert check_translation(source, same, language="fr") == []
    broken = "# Titre\n\n### Partie\n\n- un deux\n\n| a | b |\n|---|---|\n\nCode."
    found = _messages(errors(check_translation(source, broken, language="fr")))
    assert (
        "The headings differ: the source has 2 (levels 1, 2), the translation 2 (levels 1, 3)."
        in found
    )
    assert "The source has 2 list items; the translation has 1." in found
    assert "The source has 3 table rows; the translation has 2." in found
    assert "The source has 1 code blocks; the translation has 0." in found


def test_a_code_block_with_blank_lines_is_one_paragraph() -> None:
    assert len(paragraphs("Intro.\n\n```\na\n\nb\n```\n\nEnd.")) == 3


# --------------------------------------------------------------------------- numbers, paragraphs


def test_numbers_match_across_the_ways_languages_write_them() -> None:
    source = "In 1,000 firms, 40% earn 2.5 times 12,345,678.9 units."
    for written in (
        "Dans 1 000 entreprises, 40 % gagnent 2,5 fois 12 345 678,9 unités.",
        "Dans 1\u00a0000 entreprises, 40\u00a0% gagnent 2,5 fois 12\u202f345\u202f678,9 unités.",
        "En 1.000 empresas, el 40 % gana 2,5 veces 12.345.678,9 unidades.",
    ):
        assert check_translation(source, written, language="fr") == [], written


def test_a_missing_number_is_a_warning_not_an_error() -> None:
    issues = check_translation(SOURCE, FRENCH.replace("40 %", "la plupart"), language="fr")
    assert _codes(issues) == [("warning", "number", 2)]
    assert _messages(issues) == ["Paragraph 2: the number 40 of the source is missing."]


def test_a_different_paragraph_count_warns_and_compares_whole_texts() -> None:
    merged = FRENCH.replace("\n\n", " ")
    issues = check_translation(SOURCE, merged, language="fr")
    assert _codes(issues) == [("warning", "structure", None)]
    assert _messages(issues) == ["The source has 2 paragraphs; the translation has 1."]
    dropped = check_translation(SOURCE, merged.replace(" [@ilo2024]", ""), language="fr")
    assert "The citation [@ilo2024] is missing." in _messages(dropped)


# --------------------------------------------------------------------------- calibrated terms


def test_a_calibrated_term_rendered_otherwise_warns() -> None:
    source = "Wages are very likely to rise."
    issues = check_translation(source, "Les salaires vont probable augmenter.", language="fr")
    assert _codes(issues) == [("warning", "glossary_term", 1)]
    assert _messages(issues) == [
        "Paragraph 1: the source says 'very likely', which the glossary renders 'très probable'; "
        "the translation has 'probable' ('likely') instead."
    ]
    fine = check_translation(
        source, "Il est très probable que les salaires augmentent.", language="fr"
    )
    assert fine == []


def test_a_calibrated_phrase_without_counterpart_warns() -> None:
    issues = check_translation(
        "Poverty will fall (high confidence).", "La pauvreté baissera.", language="es"
    )
    assert _codes(issues) == [("warning", "calibrated_missing", 1)]
    assert "renders 'confianza alta'" in _messages(issues)[0]


def test_a_calibrated_term_the_source_does_not_have_warns() -> None:
    issues = check_translation("Wages will rise.", "Es muy probable que suban.", language="es")
    assert _messages(issues) == [
        "Paragraph 1: the translation says 'muy probable' ('very likely'), which the source "
        "does not say."
    ]


def test_longest_terms_first_case_and_italics_do_not_matter() -> None:
    source = "It is *Extremely Unlikely* and _likely_ at once."
    assert (
        check_translation(source, "C'est *extrêmement improbable* et probable.", language="fr")
        == []
    )
    issues = check_translation(source, "C'est improbable et probable.", language="fr")
    assert _codes(issues) == [("warning", "glossary_term", 1)]


def test_the_secretariats_glossary_is_used_when_given(session, world) -> None:
    glossary.set_term(
        session=session,
        actor=world.secretariat,
        language="fr",
        concept="likelihood.likely",
        term="vraisemblable",
    )
    terms = glossary.terms(session, "fr")
    source = "Wages will likely rise."
    assert (
        check_translation(
            source, "Les salaires vont vraisemblable monter.", language="fr", glossary=terms
        )
        == []
    )
    assert _codes(
        check_translation(source, "Ils vont probable monter.", language="fr", glossary=terms)
    ) == [("warning", "calibrated_missing", 1)]


def test_chinese_terms_match_as_substrings() -> None:
    source = "Wages are very likely to rise (high confidence)."
    assert check_translation(source, "工资很可能上涨（高信度）。", language="zh") == []
    issues = check_translation(source, "工资可能上涨（高信度）。", language="zh")
    assert _codes(issues) == [("warning", "glossary_term", 1)]
    assert "'很可能'" in _messages(issues)[0]


def test_arabic_terms_and_digits() -> None:
    source = "Wages are very likely to rise by 40 % (high confidence)."
    assert (
        check_translation(
            source, "من المرجح جداً أن ترتفع الأجور بنسبة ٤٠٪ (ثقة عالية).", language="ar"
        )
        == []
    )
    issues = check_translation(
        source, "من المرجح أن ترتفع الأجور بنسبة ٤٠٪ (ثقة عالية).", language="ar"
    )
    assert _codes(issues) == [("warning", "glossary_term", 1)]


def test_messages_render_in_the_interface_language() -> None:
    issues = check_translation("See F3.", "Voir.", language="fr")
    with language("fr"):
        assert issues[0].message.render() == "Paragraphe 1\u00a0: le code F3 manque."


def test_errors_come_before_warnings() -> None:
    issues = check_translation(SOURCE, FRENCH.replace("F3", "").replace("40 %", ""), language="fr")
    assert [i.severity for i in issues] == ["error", "warning"]
    assert len(errors(issues)) == len(warnings(issues)) == 1
    assert replace(issues[0], paragraph=None).paragraph is None


# --------------------------------------------------------------------------- translated errors


def test_permission_password_and_theme_errors_render_in_french_and_stay_english(
    session, world
) -> None:
    import pytest

    from workbench import passwords, themes
    from workbench.errors import NotFound, PermissionDenied, ValidationError
    from workbench.permissions import Action, require

    with pytest.raises(PermissionDenied) as denied:
        require(session, world.cla, Action.edit_glossary)
    assert str(denied.value.msg.render("en")) == (
        "CLA 1 may not edit glossary: this needs the role of Secretariat."
    )
    with language("fr"):
        assert denied.value.message.startswith("CLA 1 ne peut pas modifier le glossaire\u00a0:")
    with pytest.raises(ValidationError) as short:
        passwords.check_password("abc")
    with language("es"):
        assert short.value.message.startswith("Una contraseña necesita al menos")
    with pytest.raises(NotFound) as theme:
        themes.get_theme(session, "no-such-theme")
    with language("fr"):
        assert theme.value.message == "Aucun thème n'a le code 'no-such-theme'."


def test_numbers_next_to_each_other_are_not_one_grouped_number() -> None:
    source = "In 2024, 40 firms paid 3 times more; in 2025 12 did."
    issues = check_translation(
        source, "En 2024, 40 entreprises ont payé trois fois plus ; en 2025, 12.", language="fr"
    )
    assert _messages(issues) == ["Paragraph 1: the number 3 of the source is missing."]
