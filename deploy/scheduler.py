"""The workbench's scheduled jobs, one after another, for a container deployment.

``deploy/compose.yaml`` runs this as its ``scheduler`` service (exactly one): a loop that
runs each job when it is due, **one job at a time**, so no two runs ever overlap — a
backup that takes longer than the notification interval delays the next notification
run, it never runs beside it. Each job is an ordinary ``workbench`` command, so what
runs here is what an operator runs by hand:

- ``workbench notify --send`` every 15 minutes (when ``WORKBENCH_SMTP_URL`` is set;
  otherwise it is left out, saying so once);
- ``workbench history sync`` every hour (changes that were not saves: outline edits,
  comments, tags);
- ``workbench backup`` once a day, into ``WORKBENCH_BACKUP_DIR``; each backup is
  **restored into a throwaway SQLite database** before it counts (``workbench restore``
  verifies every hash, row and reference, then inserts everything), and only a backup that
  restored is moved into the folder. Backups older than ``WORKBENCH_BACKUP_KEEP_DAYS``
  (default 14) are deleted after a new one succeeded, never before.

When a backup is due is read from the folder (the newest backup's time), so a restart
neither skips one nor takes a second. The other jobs run once at start, then at their
interval. A failed job is logged with its output and tried again at its next turn; the
loop itself never stops for it. SIGTERM (``docker compose stop``) ends the loop after the
job that is running.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

BACKUP_DIR_ENV = "WORKBENCH_BACKUP_DIR"
KEEP_DAYS_ENV = "WORKBENCH_BACKUP_KEEP_DAYS"
COMMAND_ENV = "WORKBENCH_COMMAND"
DEFAULT_BACKUP_DIR = "/var/lib/workbench/backups"
BACKUP_PREFIX = "workbench-"


def log(message: str) -> None:
    """Print one line with the time (UTC), flushed, for `docker compose logs`."""
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z scheduler: {message}", flush=True)


def workbench_command() -> list[str]:
    """Return how to run the ``workbench`` command (``WORKBENCH_COMMAND``, for tests)."""
    return shlex.split(os.environ.get(COMMAND_ENV, "") or "workbench")


def run(args: Sequence[str], env: dict[str, str] | None = None) -> bool:
    """Run one ``workbench`` command; log its output; return whether it succeeded."""
    command = [*workbench_command(), *args]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    output = " | ".join(
        line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()
    )
    status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
    log(f"workbench {' '.join(args)}: {status}: {output}")
    return done.returncode == 0


def backup_dir() -> Path:
    """Return the folder the verified backups are kept in."""
    return Path(os.environ.get(BACKUP_DIR_ENV, "") or DEFAULT_BACKUP_DIR)


def keep_days() -> int:
    """Return for how many days backups are kept (``WORKBENCH_BACKUP_KEEP_DAYS``)."""
    raw = os.environ.get(KEEP_DAYS_ENV, "").strip() or "14"
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise SystemExit(f"error: {KEEP_DAYS_ENV} must be a whole number of days, 1 or more")
    return days


def backups(folder: Path) -> list[Path]:
    """Return the verified backups in the folder, oldest first."""
    return sorted(folder.glob(f"{BACKUP_PREFIX}*.zip"), key=lambda p: p.stat().st_mtime)


def last_backup_time(folder: Path) -> float | None:
    """Return when the newest backup was written (seconds since the epoch), or None."""
    found = backups(folder)
    return found[-1].stat().st_mtime if found else None


def backup_job() -> bool:
    """Write a backup, prove it restores, then keep it and prune the old ones."""
    folder = backup_dir()
    incoming = folder / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    for stale in incoming.glob("*"):  # what an interrupted run left
        stale.unlink()
    name = f"{BACKUP_PREFIX}{datetime.now(UTC):%Y-%m-%dT%H%M%SZ}.zip"
    written = incoming / name
    if not run(["backup", "-o", str(written)]):
        return False
    with tempfile.TemporaryDirectory(prefix="workbench-restore-test-") as scratch:
        test_url = f"sqlite:///{Path(scratch) / 'restore-test.db'}"
        # No mirror for the throwaway database: nothing of the restore test stays behind.
        restored = run(
            ["restore", str(written)],
            env={"WORKBENCH_DATABASE_URL": test_url, "WORKBENCH_MIRROR_PATH": ""},
        )
    if not restored:
        log(f"the backup {name} did not restore; it is left in {incoming} for a look")
        return False
    os.replace(written, folder / name)
    cutoff = time.time() - keep_days() * DAY
    for old in backups(folder)[:-1]:  # never the one just written
        if old.stat().st_mtime < cutoff:
            old.unlink()
            log(f"deleted {old.name}, older than {keep_days()} days")
    log(f"kept {name} ({(folder / name).stat().st_size} bytes), restore-tested")
    return True


@dataclass
class Job:
    """A command run every ``interval`` seconds (``last`` is when it last ran)."""

    name: str
    interval: float
    action: Callable[[], bool]
    last: float | None = None
    last_from: Callable[[], float | None] | None = field(default=None, repr=False)

    def due(self, now: float) -> bool:
        """Return True when the job should run now."""
        last = self.last_from() if self.last_from is not None else self.last
        return last is None or now - last >= self.interval


def jobs() -> list[Job]:
    """Return the jobs this deployment runs (notify only when mail is configured)."""
    found = [
        Job("history sync", HOUR, lambda: run(["history", "sync"])),
        Job("backup", DAY, backup_job, last_from=lambda: last_backup_time(backup_dir())),
    ]
    if os.environ.get("WORKBENCH_SMTP_URL", "").strip():
        found.insert(0, Job("notify", 15 * MINUTE, lambda: run(["notify", "--send"])))
    else:
        log("WORKBENCH_SMTP_URL is not set: no email notifications are sent")
    return found


def run_due(scheduled: list[Job], now: float) -> list[str]:
    """Run every job that is due, one after another; return the names of those run."""
    ran = []
    for job in scheduled:
        if job.due(now):
            job.action()
            job.last = time.time()
            ran.append(job.name)
    return ran


def main(argv: Sequence[str] = ()) -> None:
    """Run the loop (``--once``: run what is due once and stop, for a test or by hand)."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        log("stopping after the job that is running")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    keep_days()  # a wrong setting stops the scheduler at start, not at the first backup
    scheduled = jobs()
    log("jobs: " + ", ".join(f"{j.name} every {j.interval / MINUTE:g} min" for j in scheduled))
    while not stopping:
        run_due(scheduled, time.time())
        if "--once" in argv:
            return
        for _ in range(60):  # look again each minute, answering SIGTERM within a second
            if stopping:
                break
            time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1:])
