"""Limits on what comes in from outside, and reading ZIP files within them.

Every file a person hands the workbench (a bibliography, a Word draft, a
comment table, a backup) is refused whole when it breaks a limit, with a
message naming the file and the limit. ZIP-based files (DOCX, XLSX, backups)
are checked by the bytes they **actually** inflate to, read in small chunks,
never by the sizes their directory declares (a hostile archive can lie there):
a 1 MB file that would inflate to gigabytes is refused after reading at most
the limit, in bounded memory.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from workbench.errors import ImportFailed, ValidationError

MiB = 1024 * 1024

#: Upload and file limits (the README's table, and ``server.maxUploadSize``).
MAX_BIBLIOGRAPHY_BYTES = 10 * MiB
MAX_DOCX_BYTES = 50 * MiB
MAX_TABLE_BYTES = 50 * MiB
MAX_XLIFF_BYTES = 20 * MiB
MAX_BACKUP_BYTES = 2048 * MiB

#: What a ZIP-based file may inflate to, all members together.
MAX_UNZIPPED_BYTES = 256 * MiB
#: How many members a ZIP-based file may hold.
MAX_ZIP_MEMBERS = 10_000

#: Rows and columns of a comment table read at most (a spreadsheet program's own row limit;
#: the table has 11 columns, a few more are tolerated and the rest not read).
MAX_TABLE_ROWS = 1_048_576
MAX_TABLE_COLUMNS = 100

#: What BibTeX ``@string`` abbreviations may add to a file's text, all uses together: a few
#: hundred bytes of abbreviations built from each other would otherwise expand to gigabytes.
MAX_MACRO_EXPANSION_CHARS = 10_000_000
#: How deeply a CSL-JSON record may nest (a record, its "issued", "date-parts", one date: 4).
MAX_CSL_DEPTH = 8

_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")

ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    ValueError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def _mib(n: int) -> str:
    return f"{n // MiB} MiB"


def read_member(
    archive: zipfile.ZipFile, member: str | zipfile.ZipInfo, *, cap: int, what: str
) -> bytes:
    """Return a member's bytes, refusing it once it inflates past ``cap`` bytes.

    ``what`` names the file in the message ("comments.xlsx"). Damaged data and
    a wrong checksum raise :class:`ImportFailed` too.
    """
    name = member.filename if isinstance(member, zipfile.ZipInfo) else member
    out = io.BytesIO()
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                if out.tell() + len(chunk) > cap:
                    raise ImportFailed(
                        "{what}: the part '{name}' inflates to more than {size}; the file "
                        "is refused.",
                        what=what,
                        name=name,
                        size=_mib(cap),
                    )
                out.write(chunk)
    except ImportFailed:
        raise
    except KeyError:
        raise ImportFailed("{what}: the part '{name}' is missing.", what=what, name=name) from None
    except ZIP_ERRORS as exc:
        raise ImportFailed(
            "{what} is damaged: the part '{name}' cannot be unpacked ({exc}).",
            what=what,
            name=name,
            exc=exc,
        ) from None
    return out.getvalue()


def check_zip(
    source: bytes | Path,
    *,
    what: str,
    max_total: int = MAX_UNZIPPED_BYTES,
    max_members: int = MAX_ZIP_MEMBERS,
) -> dict[str, int]:
    """Inflate every member of a ZIP file in chunks; return name → actual size.

    Raises :class:`ImportFailed` when the file is not a readable ZIP archive,
    holds more than ``max_members`` members, inflates to more than ``max_total``
    bytes in all, or holds a member whose data is not what its directory entry
    says (size or checksum). Each member's compressed stream is inflated from
    where it starts until it ends, whatever size the directory declares, so
    the count is of the bytes any reader could get; memory stays bounded by
    the chunk size.
    """
    sizes: dict[str, int] = {}
    total = 0
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ImportFailed(
            "{what} cannot be read ({value}).", what=what, value=exc.strerror or exc
        ) from None
    try:
        with handle:
            _check_directory(handle, what=what, max_members=max_members)
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
                if len(infos) > max_members:
                    raise _too_many(what, len(infos), max_members)
                end = handle.seek(0, io.SEEK_END)
                for info in infos:
                    size = _inflated_size(handle, info, end, budget=max_total - total, what=what)
                    if size is None:
                        raise ImportFailed(
                            "{what} inflates to more than {size} (reached while unpacking "
                            "'{filename}'); the file is refused.",
                            what=what,
                            size=_mib(max_total),
                            filename=info.filename,
                        )
                    total += size
                    sizes[info.filename] = size
    except ImportFailed:
        raise
    except ZIP_ERRORS as exc:
        raise ImportFailed(
            "{what} is not a readable ZIP-based file ({exc}).", what=what, exc=exc
        ) from None
    return sizes


def _too_many(what: str, count: int, max_members: int) -> ImportFailed:
    return ImportFailed(
        "{what} holds {count} parts; at most {max_members} are accepted.",
        what=what,
        count=f"{count:,}",
        max_members=f"{max_members:,}",
    )


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
# A directory entry is 46 bytes and a name; more than this per member on average is no
# Office file, and reading it would build a Python object per entry before any check.
_DIRECTORY_BYTES_PER_MEMBER = 1024


def _check_directory(handle: BinaryIO, *, what: str, max_members: int) -> None:
    """Refuse an archive whose end record announces too many members or too large a directory.

    This runs before :class:`zipfile.ZipFile` reads the central directory,
    which it does whole, one object per entry.
    """
    end = handle.seek(0, io.SEEK_END)
    tail_start = max(0, end - _EOCD.size - 0xFFFF)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return  # not a ZIP archive: zipfile says so in its own words
    _sig, _disk, _cd_disk, _here, count, cd_size, _cd_offset, _comment = _EOCD.unpack_from(tail, at)
    locator = at - _ZIP64_LOCATOR.size
    if (count == 0xFFFF or cd_size == 0xFFFFFFFF) and locator >= 0:
        sig, _disk, offset, _disks = _ZIP64_LOCATOR.unpack_from(tail, locator)
        if sig == b"PK\x06\x07":
            handle.seek(offset)
            record = handle.read(_ZIP64_EOCD.size)
            if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
                fields = _ZIP64_EOCD.unpack(record)
                count, cd_size = fields[7], fields[8]
    if count > max_members:
        raise _too_many(what, count, max_members)
    if cd_size > max_members * _DIRECTORY_BYTES_PER_MEMBER:
        raise ImportFailed(
            "{what} has a table of contents of {cd_size} bytes, far more than "
            "{max_members} parts need; the file is refused.",
            what=what,
            cd_size=f"{cd_size:,}",
            max_members=f"{max_members:,}",
        )


def _inflated_size(
    handle: BinaryIO, info: zipfile.ZipInfo, end: int, *, budget: int, what: str
) -> int | None:
    """Return how many bytes a member's data really inflates to, or None past ``budget``.

    The data is read from the member's local header on, and inflated until the
    compressed stream itself ends: the sizes the directory declares are only
    compared with what was found, never used to stop early. A member whose size
    or checksum differs from its directory entry is refused: every reader
    (Python's, pandoc's) must see the same bytes this check counted.
    """
    name = info.filename
    if info.flag_bits & 0x1:
        raise ImportFailed(
            "{what} is password-protected (the part '{name}' is encrypted).", what=what, name=name
        )
    handle.seek(info.header_offset)
    local = handle.read(_LOCAL_HEADER.size)
    if len(local) != _LOCAL_HEADER.size or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"the part '{name}' has no local header")
    name_length, extra_length = _LOCAL_HEADER.unpack(local)[-2:]
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    size = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        # Stored data cannot grow: it is the compressed size, read as it is.
        left = info.compress_size
        if left > end - handle.tell():
            raise zipfile.BadZipFile(f"the part '{name}' is cut short")
        while left:
            chunk = handle.read(min(_CHUNK, left))
            left -= len(chunk)
            size += len(chunk)
            if size > budget:
                return None
            crc = zlib.crc32(chunk, crc)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while not inflater.eof:
            data = inflater.unconsumed_tail or handle.read(_CHUNK)
            if not data:
                raise zipfile.BadZipFile(f"the part '{name}' is cut short")
            # max_length: one chunk of input can inflate a thousandfold.
            chunk = inflater.decompress(data, _CHUNK)
            size += len(chunk)
            if size > budget:
                return None
            crc = zlib.crc32(chunk, crc)
    else:
        raise ImportFailed(
            "{what}: the part '{name}' is compressed with a method the "
            "workbench does not read (number {compress_type}); the file is "
            "refused.",
            what=what,
            name=name,
            compress_type=info.compress_type,
        )
    if size != info.file_size:
        raise ImportFailed(
            "{what} is damaged or forged: the part '{name}' holds {size} bytes,"
            " while its entry in the file's table of contents says {file_size};"
            " the file is refused.",
            what=what,
            name=name,
            size=f"{size:,}",
            file_size=f"{info.file_size:,}",
        )
    if crc != info.CRC:
        raise ImportFailed(
            "{what} is damaged: the part '{name}' does not match the checksum "
            "in the file's table of contents; the file is refused.",
            what=what,
            name=name,
        )
    return size


# --------------------------------------------------------------------------- text

#: The longest text any long-text column accepts (a comment, a finding, a note…).
MAX_TEXT_CHARS = 100_000
#: A section's text (and a translation of it) may be much longer.
MAX_SECTION_CHARS = 2_000_000
#: Long-text columns with a limit of their own: (table name, column name) → characters.
LONG_TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("sectionrevision", "text"): MAX_SECTION_CHARS,
    ("translation", "text"): MAX_SECTION_CHARS,
}

# Control characters other than tab, newline and carriage return: PostgreSQL refuses NUL
# in text outright, and the others are invisible tricks in a text people read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def column_limit(table: str, column: str, length: int | None) -> int:
    """Return how many characters a text column holds (its declared length, or the cap)."""
    if length:
        return length
    return LONG_TEXT_LIMITS.get((table, column), MAX_TEXT_CHARS)


def field_limit(model: Any, column: str) -> int:
    """Return how many characters a model's text column holds, from the model's declaration."""
    table = model.__table__
    return column_limit(table.name, column, getattr(table.c[column].type, "length", None))


def text_problem(value: str, *, max_chars: int) -> str | None:
    """Return why a text from outside cannot be stored, or None when it can."""
    bad = _CONTROL.search(value)
    if bad:
        return (
            f"it contains a control character (code {ord(bad.group()):#04x}) at position "
            f"{bad.start() + 1}; remove it"
        )
    if len(value) > max_chars:
        return f"it is {len(value):,} characters long; at most {max_chars:,} fit"
    return None


def check_text(value: str, *, what: str, max_chars: int) -> str:
    """Return ``value`` unchanged, or raise ValidationError naming ``what`` and the problem."""
    problem = text_problem(value, max_chars=max_chars)
    if problem:
        raise ValidationError("{what}: {problem}.", what=what, problem=problem)
    return value
