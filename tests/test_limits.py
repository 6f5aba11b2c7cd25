"""Limits on files from outside: ZIP files checked by what they really inflate to, and text.

The helpers here build hostile files (a ZIP bomb, one whose table of contents
lies about its sizes) and run a risky read in a child process whose address
space is capped, so that a regression fails the test instead of the machine.
The importers' tests (comment tables, Word documents, bibliographies) use them.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from workbench.errors import ImportFailed, ValidationError
from workbench.limits import (
    MAX_TEXT_CHARS,
    MAX_UNZIPPED_BYTES,
    check_text,
    check_zip,
    column_limit,
    field_limit,
    read_member,
    text_problem,
)
from workbench.models import ReviewComment, SectionRevision, Source

ROOT = Path(__file__).resolve().parent.parent
#: The address space a child process gets for a risky read: the interpreter with the
#: workbench imported takes about 220 MB of it, a ZIP bomb would take gigabytes.
MEMORY_CAP = 1 << 30
#: What a bomb inflates to: past the limit, far past what its file holds.
BOMB_BYTES = MAX_UNZIPPED_BYTES + 32 * 1024 * 1024


# --------------------------------------------------------------------------- helpers


def run_capped(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Python code in a child process whose address space is capped at MEMORY_CAP."""
    prelude = (
        f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        # A safety net so a regression cannot hang the suite, not a timing assertion.
        timeout=900,
        check=False,
    )


def zip_bomb(
    members: dict[str, bytes] | None = None,
    *,
    pad: str = "pad.bin",
    inflated: int = BOMB_BYTES,
    lie: bool = True,
) -> bytes:
    """Return a ZIP file with ``members`` and a part ``pad`` inflating to ``inflated`` zeros.

    The file is a few hundred kilobytes. With ``lie`` the table of contents
    (local header and central directory) says ``pad`` holds 1,000 bytes, with
    the checksum of its first 1,000: Python's own reader then returns 1,000
    bytes without complaint, while the data goes on for hundreds of megabytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members or {}).items():
            archive.writestr(name, data)
        zeros = bytes(1 << 20)
        with archive.open(pad, "w") as stream:
            for _ in range(inflated // len(zeros)):
                stream.write(zeros)
    data = buffer.getvalue()
    return lie_about_size(data, pad, 1000) if lie else data


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """Return a ZIP whose table of contents says ``member`` holds ``size`` bytes (checksum too)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
        with archive.open(info) as stream:
            crc = zlib.crc32(stream.read(size))
    patched = bytearray(data)
    # Local header: CRC-32 at 14, uncompressed size at 22.
    struct.pack_into("<L", patched, info.header_offset + 14, crc)
    struct.pack_into("<L", patched, info.header_offset + 22, size)
    end = data.rfind(b"PK\x05\x06")
    position = struct.unpack_from("<L", data, end + 16)[0]
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        if data[position + 46 : position + 46 + name_length] == member.encode():
            # Central directory entry: CRC-32 at 16, uncompressed size at 24.
            struct.pack_into("<L", patched, position + 16, crc)
            struct.pack_into("<L", patched, position + 24, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def zip_members(data: bytes) -> dict[str, bytes]:
    """Return the members of a ZIP file by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def xlsx_file() -> bytes:
    workbook = Workbook()
    workbook.active.append(["a", "b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CHECK_ZIP = """
import sys
from pathlib import Path
from workbench.errors import ImportFailed
from workbench.limits import check_zip
try:
    sizes = check_zip(Path(sys.argv[1]).read_bytes(), what="bomb.xlsx")
except ImportFailed as exc:
    print(exc.message)
else:
    print("accepted", sum(sizes.values()))
"""


# --------------------------------------------------------------------------- ZIP files


def test_an_office_file_is_measured_part_by_part() -> None:
    content = xlsx_file()
    sizes = check_zip(content, what="table.xlsx")
    assert sizes == {name: len(data) for name, data in zip_members(content).items()}


@pytest.mark.parametrize("lie", [False, True], ids=["honest", "lying"])
def test_a_zip_bomb_is_refused_in_bounded_memory(tmp_path: Path, lie: bool) -> None:
    bomb = zip_bomb(zip_members(xlsx_file()), pad="xl/media/image1.png", lie=lie)
    assert len(bomb) < 2 * 1024 * 1024
    if lie:
        # Python's own reader believes the table of contents: 1,000 bytes, checksum right.
        with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
            assert len(archive.read("xl/media/image1.png")) == 1000
            assert sum(i.file_size for i in archive.infolist()) < 20_000
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    result = run_capped(CHECK_ZIP, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "bomb.xlsx inflates to more than 256 MiB (reached while unpacking "
        "'xl/media/image1.png'); the file is refused."
    )


def test_parts_sharing_one_compressed_stream_count_each_time(tmp_path: Path) -> None:
    """The overlapping-parts bomb: hundreds of directory entries point at one 1 MiB stream."""
    single = zip_bomb(pad="p000", inflated=1 << 20, lie=False)
    end = single.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<LL", single, end + 12)
    entry = single[cd_offset : cd_offset + cd_size]
    copies = 300
    directory = b"".join(entry[:46] + f"p{i:03d}".encode() + entry[50:] for i in range(copies))
    record = bytearray(single[end : end + 22])
    struct.pack_into("<HHLL", record, 8, copies, copies, len(directory), cd_offset)
    bomb = single[:cd_offset] + directory + bytes(record)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    result = run_capped(CHECK_ZIP, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bomb.xlsx inflates to more than 256 MiB"), result.stdout


def test_a_part_larger_than_it_says_is_refused_even_under_the_limit() -> None:
    forged = lie_about_size(zip_bomb(pad="data.bin", inflated=4 << 20, lie=False), "data.bin", 10)
    with pytest.raises(ImportFailed) as caught:
        check_zip(forged, what="table.xlsx")
    assert caught.value.message == (
        "table.xlsx is damaged or forged: the part 'data.bin' holds 4,194,304 bytes, while its "
        "entry in the file's table of contents says 10; the file is refused."
    )


def test_a_part_whose_bytes_were_changed_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<sst>Reviewer comments</sst>")
    flipped = buffer.getvalue().replace(b"Reviewer", b"Reviewed")
    with pytest.raises(ImportFailed) as caught:
        check_zip(flipped, what="table.xlsx")
    assert caught.value.message == (
        "table.xlsx is damaged: the part 'xl/sharedStrings.xml' does not match the checksum in "
        "the file's table of contents; the file is refused."
    )


def test_too_many_parts_are_refused_before_the_directory_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(30):
            archive.writestr(f"part{i}.xml", b"<a/>")
    with pytest.raises(ImportFailed, match=r"^table.xlsx holds 30 parts; at most 20 are accepted"):
        check_zip(buffer.getvalue(), what="table.xlsx", max_members=20)


@pytest.mark.parametrize(
    "content",
    [b"", b"plain text", b"PK\x03\x04broken", xlsx_file()[:-200]],
    # Named, not by their bytes: an XLSX holds the time it was made, and parallel test
    # workers must collect the same ids.
    ids=["empty", "plain text", "broken zip header", "truncated xlsx"],
)
def test_what_is_not_a_zip_file_is_refused_in_one_message(content: bytes) -> None:
    with pytest.raises(ImportFailed, match=r"^table.xlsx is not a readable ZIP-based file"):
        check_zip(content, what="table.xlsx")


def test_a_part_is_read_up_to_a_cap() -> None:
    data = zip_bomb(pad="big.bin", inflated=4 << 20, lie=False)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(read_member(archive, "big.bin", cap=4 << 20, what="x.docx")) == 4 << 20
        with pytest.raises(ImportFailed, match=r"the part 'big.bin' inflates to more than 1 MiB"):
            read_member(archive, "big.bin", cap=1 << 20, what="x.docx")
        with pytest.raises(ImportFailed, match=r"x.docx: the part 'gone.xml' is missing"):
            read_member(archive, "gone.xml", cap=1 << 20, what="x.docx")


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Tab\tand\nnewlines\r\n are fine", None),
        ("Accents, 中文 and emoji 🌍 are fine", None),
        ("NUL\x00", "it contains a control character (code 0x00) at position 4; remove it"),
        ("\x1bEscape", "it contains a control character (code 0x1b) at position 1; remove it"),
        ("DEL\x7f", "it contains a control character (code 0x7f) at position 4; remove it"),
        ("x" * 41, "it is 41 characters long; at most 40 fit"),
    ],
)
def test_text_from_outside_is_checked(value: str, problem: str | None) -> None:
    assert text_problem(value, max_chars=40) == problem


def test_check_text_names_what_it_checks() -> None:
    assert check_text("fine", what="x", max_chars=10) == "fine"
    with pytest.raises(ValidationError, match=r"^The reviewer's name: it is 11 characters long"):
        check_text("x" * 11, what="The reviewer's name", max_chars=10)


def test_column_limits_come_from_the_models() -> None:
    assert field_limit(ReviewComment, "reviewer_name") == 200
    assert field_limit(ReviewComment, "comment") == MAX_TEXT_CHARS
    assert field_limit(Source, "title") == MAX_TEXT_CHARS
    assert field_limit(SectionRevision, "text") == column_limit("sectionrevision", "text", None)
    assert field_limit(SectionRevision, "text") > MAX_TEXT_CHARS
