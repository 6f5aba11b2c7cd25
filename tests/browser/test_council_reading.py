"""A Council member reads the report on the Council page and downloads that very version.

The reading view is the exported document for the screen, one chapter at a time:
contents whose chapters and sections jump to their place, citations rendered
(never a raw key), and the Word (and, with LibreOffice, PDF) file of the version
the page shows.
"""

from __future__ import annotations

import io
import os
import re
import subprocess

import docx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import go_to, shot, sign_in, wait_idle
from workbench import export

MEMBER = "meilin.tan@demo.ipsp.example"
REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"


def open_reading(tab, app_url: str) -> str:
    """Sign in as a Council member, open Read the report; return the version it shows."""
    sign_in(tab, app_url, MEMBER)
    go_to(tab, "Council")
    tab.get_by_role("heading", name="Council", exact=True).wait_for()
    wait_idle(tab)
    tab.get_by_role("tab", name="Read the report").click()
    tab.get_by_role("heading", name="Contents", exact=True).wait_for()
    version = tab.get_by_text(re.compile(r"^Version [0-9a-f]{12}")).first.inner_text()
    return re.match(r"Version ([0-9a-f]{12})", version).group(1)


def prepare_and_download(tab, fmt: str, tmp_path) -> tuple[str, bytes]:
    """Prepare the document in this format in the download panel; return its name and bytes."""
    panel = tab.get_by_test_id("stExpander").filter(
        has_text="Download the report as Word, PDF or Markdown"
    )
    if not panel.get_by_role("button", name="Prepare the document").is_visible():
        panel.get_by_text("Download the report as Word, PDF or Markdown").click()
    panel.get_by_test_id("stRadio").get_by_text(fmt, exact=True).click()
    wait_idle(tab)
    panel.get_by_role("button", name="Prepare the document").click()
    button = panel.get_by_role("button", name=re.compile(r"^Download living-wages-"))
    expect(button).to_be_visible(timeout=120_000)
    with tab.expect_download() as caught:
        button.click()
    download = caught.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path.read_bytes()


def test_council_member_reads_jumps_through_the_contents_and_downloads_word(
    page, app_url, tmp_path
):
    version = open_reading(page, app_url)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("International Labour Organization 2024")
    assert "[@" not in main.inner_text()
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(shot_path("council-reading-1-contents")))
    chapters = main.get_by_test_id("stRadio").filter(has_text="Chapters")

    # A chapter chosen in the contents opens, and the page goes to its heading.
    findings = page.get_by_role("heading", name="Key findings", exact=True)
    expect(findings).to_have_count(0)
    chapters.get_by_text("Key findings", exact=True).click()
    expect(findings).to_be_in_viewport(timeout=20_000)
    assert "chapter=key-findings" in page.url
    # The findings are a table, not paragraphs with keys.
    expect(page.locator("table").filter(has_text="Traceable account")).to_be_visible()
    page.screenshot(path=str(shot_path("council-reading-2-key-findings")))

    # A section of another chapter: its chapter, then its entry in the contents.
    chapters.get_by_text(re.compile(r"^3\. What are the major obstacles")).click()
    wait_idle(page)
    section = page.get_by_role("heading", name=re.compile(r"^3\.2 Purchasing practices"))
    # The page goes to the chapter's heading once it is drawn (a script that retries while
    # the heading is missing): let it land before following a link, as a reader would.
    expect(page.get_by_role("heading", name=re.compile(r"^3\. What are"))).to_be_in_viewport(
        timeout=20_000
    )
    page.wait_for_timeout(1_500)
    main.get_by_role("link", name="Back to the contents").first.click()
    contents = page.get_by_role("heading", name="Contents", exact=True)
    expect(contents).to_be_in_viewport(timeout=20_000)
    main.get_by_role("link", name=re.compile(r"^3\.2 Purchasing practices")).click()
    expect(section).to_be_in_viewport(timeout=20_000)
    page.screenshot(path=str(shot_path("council-reading-3-section")))
    # Next, at the end of the chapter, opens the next one.
    main.get_by_role("button", name=re.compile(r"^Next chapter: 4\. What can be done")).click()
    action = page.get_by_role("heading", name="4. What can be done, and by whom?")
    expect(action).to_be_in_viewport(timeout=20_000)
    assert "chapter=q-action" in page.url

    name, content = prepare_and_download(page, "Word (.docx)", tmp_path)
    assert name == f"living-wages-{version}.docx"
    cover = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs[:20]]
    assert f"Version: {version}" in cover
    shot(page, "council-reading-4-downloaded")


@pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_council_member_downloads_the_pdf_of_the_version_read(page, app_url, tmp_path):
    version = open_reading(page, app_url)
    name, content = prepare_and_download(page, "PDF", tmp_path)
    assert name == f"living-wages-{version}.pdf" and content.startswith(b"%PDF-")
    (tmp_path / "report.pdf").write_bytes(content)
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {version}" in first
    shot(page, "council-reading-5-pdf")


def shot_path(name: str):
    """Return where a viewport screenshot goes (beside the full-page ones)."""
    from tests.browser.conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"
