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
import zipfile
from pathlib import Path

from workbench.errors import ImportFailed, ValidationError

MiB = 1024 * 1024

#: Upload and file limits (the README's table, and ``server.maxUploadSize``).
MAX_BIBLIOGRAPHY_BYTES = 10 * MiB
MAX_DOCX_BYTES = 50 * MiB
MAX_TABLE_BYTES = 50 * MiB
MAX_BACKUP_BYTES = 2048 * MiB

#: What a ZIP-based file may inflate to, all members together.
MAX_UNZIPPED_BYTES = 256 * MiB
#: How many members a ZIP-based file may hold.
MAX_ZIP_MEMBERS = 10_000

_CHUNK = 64 * 1024

ZIP_ERRORS = (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError)


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
                        f"{what}: the part '{name}' inflates to more than {_mib(cap)}; "
                        "the file is refused."
                    )
                out.write(chunk)
    except ImportFailed:
        raise
    except KeyError:
        raise ImportFailed(f"{what}: the part '{name}' is missing.") from None
    except ZIP_ERRORS as exc:
        raise ImportFailed(
            f"{what} is damaged: the part '{name}' cannot be unpacked ({exc})."
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
    holds more than ``max_members`` members, or inflates to more than
    ``max_total`` bytes in all (counted as they are read, never trusted from
    the directory). Memory stays bounded by the chunk size.
    """
    sizes: dict[str, int] = {}
    total = 0
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ImportFailed(f"{what} cannot be read ({exc.strerror or exc}).") from None
    try:
        with handle, zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > max_members:
                raise ImportFailed(
                    f"{what} holds {len(infos):,} parts; at most {max_members:,} are accepted."
                )
            for info in infos:
                size = 0
                with archive.open(info) as stream:
                    while True:
                        chunk = stream.read(_CHUNK)
                        if not chunk:
                            break
                        size += len(chunk)
                        if total + size > max_total:
                            raise ImportFailed(
                                f"{what} inflates to more than {_mib(max_total)} "
                                f"(reached while unpacking '{info.filename}'); the file is refused."
                            )
                total += size
                sizes[info.filename] = size
    except ImportFailed:
        raise
    except ZIP_ERRORS as exc:
        raise ImportFailed(f"{what} is not a readable ZIP-based file ({exc}).") from None
    return sizes


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
        raise ValidationError(f"{what}: {problem}.")
    return value
