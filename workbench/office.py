"""LibreOffice for one export: started early, so that its start-up overlaps pandoc.

A LibreOffice print (``soffice --headless --convert-to pdf``) is mostly start-up:
about a second of a demo print's one and a half. An export that will print
starts an **early office** before running pandoc: ``soffice`` with a private
profile (a folder of its own: two exports at once never share one) listening on
a UNO pipe with a random name. Once that pipe accepts a connection the office is
**ready**, and the print is **handed over**: a second ``soffice --convert-to`` with
the same profile passes its request to the running office over the profile's
IPC pipe, waits for the PDF and exits; the early office quits after it.

An early office prints once. If it died or is not ready within
:data:`READY_WAIT` seconds of the print asking for it, the caller prints the cold
way (a new LibreOffice with a new profile: same result, a second slower). Its
process group is killed and its folder removed when the export ends, however
it ends (:meth:`EarlyOffice.close`, or leaving the ``with`` block).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

READY_WAIT = 5.0  # seconds a print waits for the early office before printing the cold way
POLL = 0.02  # seconds between two looks at the pipe


def convert_command(program: str, profile: Path, source: Path, outdir: Path) -> list[str]:
    """Return the ``soffice`` command that prints a document to PDF with this profile."""
    return [
        program,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(source),
    ]


def run_soffice(command: list[str], *, home: Path, timeout: float) -> tuple[int, str]:
    """Run ``soffice``; return its exit code and what it said (stderr, then stdout).

    It runs in a session of its own, so that at the time limit the whole process
    group (the launcher and ``soffice.bin``) is killed before ``TimeoutExpired``
    is raised again.
    """
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(home)},
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise
    return process.returncode, err + out


class EarlyOffice:
    """A LibreOffice started ahead of one print, with a profile of its own."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.folder = Path(tempfile.mkdtemp(prefix="workbench-office-"))
        self.profile = self.folder / "profile"
        self.pipe = f"workbench_{secrets.token_hex(8)}"
        # Where LibreOffice puts a pipe: an old socket file of the same name is never
        # ours, since the name is random; readiness is a connection, not the file.
        self.socket_path = Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{self.pipe}"
        self.printed = False  # True once a print was handed over and made a PDF
        self._used = False
        self._ready = False
        self._closed = False
        self._process: subprocess.Popen[bytes] | None = None
        try:
            self._process = subprocess.Popen(
                [
                    program,
                    "--headless",
                    "--invisible",
                    "--norestore",
                    f"-env:UserInstallation={self.profile.as_uri()}",
                    f"--accept=pipe,name={self.pipe};urp;",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "HOME": str(self.folder)},
                start_new_session=True,  # one group: closing kills soffice.bin with its launcher
            )
        except OSError:
            self.close()  # a print then goes the cold way, which says what is wrong
            self._used = True

    def __enter__(self) -> EarlyOffice:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """Return the process id of the office's launcher, which is its process group's."""
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        """Return True while the office's launcher is running."""
        return self._process is not None and self._process.poll() is None

    def ready(self, wait: float = READY_WAIT) -> bool:
        """Return True once the office accepts connections on its pipe (wait at most ``wait``)."""
        deadline = time.monotonic() + wait
        while not self._ready:
            if not self.alive:
                return False
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(self.socket_path))
                    self._ready = True
                    break
                except OSError:
                    pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
        return self.alive

    def print_pdf(self, source: Path, outdir: Path, *, timeout: float) -> Path | None:
        """Hand the print of ``source`` to the office; return the PDF, or None to print cold.

        None when the office already printed, died, is not ready within
        :data:`READY_WAIT` seconds or made no PDF. At the time limit the handing
        process and the office are killed and ``TimeoutExpired`` is raised.
        """
        if self._used:
            return None
        self._used = True  # one print: the office quits after it
        started = time.monotonic()
        if not self.ready(min(READY_WAIT, timeout)):
            self.close()
            return None
        command = convert_command(self.program, self.profile, source, outdir)
        left = timeout - (time.monotonic() - started)
        try:
            code, _said = run_soffice(command, home=self.folder, timeout=max(left, 0.001))
        except subprocess.TimeoutExpired:
            self.close()
            raise
        target = outdir / f"{source.stem}.pdf"
        if code != 0 or not target.exists():
            self.close()
            return None
        self.printed = True
        return target

    def close(self) -> None:
        """Kill the office's process group, and remove its pipe and its folder."""
        if self._closed:
            return
        self._closed = True
        if self._process is not None:
            _kill_group(self._process.pid)
            self._process.wait()
        # A killed office leaves its pipe behind; the name is ours alone.
        self.socket_path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _kill_group(pid: int) -> None:
    # An OSError: the group is gone already (the office quits after its print).
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
