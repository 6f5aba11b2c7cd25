"""The interface in French in a real browser: the sign-in page's picker, then the app."""

from __future__ import annotations

from tests.browser.conftest import PASSWORD, shot

CLA = "amina.diallo@demo.ipsp.example"


def test_switch_to_french_on_the_sign_in_page_and_sign_in(page, app_url):
    page.goto(app_url)
    # The first page of the server's life is slow on a busy machine.
    page.get_by_role("heading", name="Synthesis Report Workbench").wait_for(timeout=120_000)
    page.get_by_text("Français", exact=True).click()
    page.get_by_role("heading", name="Atelier des rapports de synthèse").wait_for()
    shot(page, "sign-in-french")
    page.get_by_role("textbox", name="Courriel").fill(CLA)
    page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Auteur coordonnateur principal").wait_for()
    sidebar.get_by_role("button", name="Se déconnecter").wait_for()
    page.get_by_test_id("stSidebarNav").get_by_text("Boîte de réception").wait_for()
    page.get_by_role("heading", name="Et maintenant").wait_for()
    shot(page, "dashboard-french")
    page.reload()
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    sidebar.get_by_role("button", name="Se déconnecter").wait_for()


def test_the_browsers_language_is_the_default(browser, app_url):
    context = browser.new_context(locale="es-ES", viewport={"width": 1400, "height": 1000})
    try:
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        tab.goto(app_url)
        tab.get_by_role("heading", name="Taller de informes de síntesis").wait_for()
        tab.get_by_role("button", name="Iniciar sesión", exact=True).wait_for()
        tab.get_by_role("textbox", name="Contraseña").wait_for()
    finally:
        context.close()
