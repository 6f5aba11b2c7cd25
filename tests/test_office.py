"""An export that prints starts LibreOffice early, and leaves no LibreOffice behind.

The PDF export's print is handed to a LibreOffice started before pandoc ran
(:class:`workbench.office.EarlyOffice`); when that office died or never got
ready, the print is made the cold way, with the same result. Whatever happens,
no process with the office's profile on its command line outlives the export.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import pytest

from workbench import export, office
from workbench.errors import ValidationError

REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"
needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
NUMBERED_ENTRY = re.compile(r"Key findings\.{4,}\d+")


def processes_with(text: str) -> list[int]:
    """Return the live processes whose command line holds ``text`` (a profile's folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended while we looked
        if text.encode() in command:
            found.append(int(entry.name))
    return found


def gone(text: str, within: float = 5.0) -> bool:
    """Return True once no process holds ``text`` on its command line (the kill may lag)."""
    deadline = time.monotonic() + within
    while processes_with(text):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def offices(monkeypatch) -> list[office.EarlyOffice]:
    """Record every early office an export starts.

    The print waits up to a minute for it to be ready: these tests check which
    LibreOffice prints, not how fast one starts on a busy machine (in use, a
    LibreOffice not ready within READY_WAIT is passed over for the cold print).
    """
    monkeypatch.setattr(office, "READY_WAIT", 60.0)
    started: list[office.EarlyOffice] = []

    class Recorded(office.EarlyOffice):
        def __init__(self, program: str) -> None:
            super().__init__(program)
            started.append(self)

    monkeypatch.setattr(export, "EarlyOffice", Recorded)
    return started


@pytest.fixture
def prints(monkeypatch) -> list[dict]:
    """Record each print the export asks LibreOffice for, with its options."""
    asked: list[dict] = []
    printer = export.docx_to_pdf

    def counted(content: bytes, **options) -> bytes:
        asked.append(options)
        return printer(content, **options)

    monkeypatch.setattr(export, "docx_to_pdf", counted)
    return asked


@needs_office
def test_the_pdf_is_printed_by_the_libreoffice_started_before_pandoc(
    session, world, offices, prints, monkeypatch
):
    pandoc = export.pandoc_docx
    started_before_pandoc: list[int] = []

    def noting(*args, **kwargs):
        started_before_pandoc.append(len(offices))
        return pandoc(*args, **kwargs)

    monkeypatch.setattr(export, "pandoc_docx", noting)
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="pdf"
    )
    assert started_before_pandoc == [1]
    [early] = offices
    assert len(prints) == 1 and prints[0]["office"] is early and early.printed
    assert out.content.startswith(b"%PDF-")
    assert NUMBERED_ENTRY.search(pdf_text(out.content))
    assert not [w for w in out.warnings if "printed a second time" in w]
    # Nothing is left: no LibreOffice with its profile, no profile folder.
    assert gone(str(early.folder)) and not early.folder.exists()


@needs_office
def test_the_word_contents_with_page_numbers_use_the_early_libreoffice(
    session, world, offices, prints
):
    out = export.export_report(
        session=session,
        actor=world.secretariat,
        report=world.report,
        fmt="docx",
        page_numbers=True,
    )
    [early] = offices
    assert early.printed and len(prints) == 1
    entries = [
        p.text
        for p in docx.Document(io.BytesIO(out.content)).paragraphs
        if p.style.name[:3] == "TOC"
    ]
    assert entries and all(re.search(r"\t\d+$", entry) for entry in entries)
    assert gone(str(early.folder)) and not early.folder.exists()


@needs_office
def test_no_libreoffice_survives_an_export_that_fails_after_starting_it(
    session, world, offices, monkeypatch
):
    running: list[int] = []

    def failing(doc, draft) -> None:
        [early] = offices
        assert early.ready(30)
        running.extend(processes_with(str(early.folder)))
        raise RuntimeError("the finishing failed")

    monkeypatch.setattr(export, "finish_docx", failing)
    with pytest.raises(RuntimeError, match="the finishing failed"):
        export.export_report(
            session=session, actor=world.secretariat, report=world.report, fmt="pdf"
        )
    [early] = offices
    assert running  # soffice.bin was up, with its launcher
    assert gone(str(early.folder)) and not early.folder.exists()


@needs_office
def test_a_killed_early_libreoffice_leaves_the_print_to_one_of_its_own(
    session, world, offices, prints, monkeypatch
):
    finish = export.finish_docx

    def then_killed(doc, draft) -> None:
        finish(doc, draft)
        [early] = offices
        assert early.ready(30)
        os.killpg(early.pid, signal.SIGKILL)
        assert gone(str(early.folder))

    monkeypatch.setattr(export, "finish_docx", then_killed)
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="pdf"
    )
    [early] = offices
    assert len(prints) == 1 and not early.printed  # printed the cold way, the same PDF
    assert out.content.startswith(b"%PDF-")
    assert NUMBERED_ENTRY.search(pdf_text(out.content))
    assert not early.folder.exists()


@needs_office
def test_two_prints_at_once_each_have_a_libreoffice_and_profile_of_their_own(tmp_path):
    page = docx.Document()
    page.add_paragraph("Living wages for all")
    word = io.BytesIO()
    page.save(word)
    results: dict[int, bytes] = {}
    program = export.libreoffice()
    with office.EarlyOffice(program) as first, office.EarlyOffice(program) as second:
        assert first.profile != second.profile and first.pipe != second.pipe
        # Both ready before the prints (a busy machine can take longer than READY_WAIT).
        assert first.ready(60) and second.ready(60)

        def printing(index: int, early: office.EarlyOffice) -> None:
            results[index] = export.docx_to_pdf(word.getvalue(), office=early)

        threads = [
            threading.Thread(target=printing, args=(i, early))
            for i, early in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert first.printed and second.printed
    for content in results.values():
        assert "Living wages for all" in pdf_text(content)
    for early in (first, second):
        assert gone(str(early.folder)) and not early.folder.exists()


def fake_office(tmp_path: Path, handed: str) -> str:
    """Write a stand-in soffice: an early one listens on its pipe; a print runs ``handed``."""
    script = tmp_path / "soffice"
    script.write_text(
        f"""#!{sys.executable}
import os, socket, sys, time
accept = [a for a in sys.argv if a.startswith("--accept=")]
if accept:
    name = accept[0].split("name=")[1].split(";")[0]
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(f"/tmp/OSL_PIPE_{{os.getuid()}}_{{name}}")
    listening.listen()
    time.sleep(300)
else:
    {handed}
"""
    )
    script.chmod(0o755)
    return str(script)


def test_an_early_libreoffice_that_never_gets_ready_is_not_waited_for_long(tmp_path, monkeypatch):
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\nsleep 300 & wait\n")  # never opens its pipe
    script.chmod(0o755)
    monkeypatch.setattr(office, "READY_WAIT", 0.5)
    early = office.EarlyOffice(str(script))
    try:
        source = tmp_path / "report.docx"
        source.write_bytes(b"")
        began = time.monotonic()
        assert early.print_pdf(source, tmp_path, timeout=60) is None  # the cold way, then
        # Far below the 300 s the fake LibreOffice would keep us waiting, however busy
        # the machine: the point is that it is not waited for, not how fast we give up.
        assert time.monotonic() - began < 120
    finally:
        early.close()
    assert gone(str(early.folder)) and not early.folder.exists()


def test_a_hanging_handed_print_ends_at_the_time_limit_with_the_message(tmp_path, monkeypatch):
    program = fake_office(tmp_path, "time.sleep(300)")
    monkeypatch.setattr(export, "libreoffice", lambda: program)
    early = office.EarlyOffice(program)
    try:
        assert early.ready(10)
        with pytest.raises(ValidationError, match="did not finish the PDF within 1 seconds"):
            export.docx_to_pdf(b"PK", timeout=1, office=early)
        # The print and the office were both killed at the limit, the pipe removed.
        assert gone(str(early.folder)) and not early.alive
        assert not early.socket_path.exists()
    finally:
        early.close()
    assert not early.folder.exists()
