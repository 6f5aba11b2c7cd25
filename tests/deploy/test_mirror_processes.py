"""The git mirror with two app servers: two processes saving at once, one clean history.

The mirror's updates are serialised by ``fcntl.flock`` on a file inside ``.git``; here
two operating-system processes (as two replicas are) save revisions into the same
PostgreSQL database and the same, initially empty, mirror folder at the same moment.
Every save must reach the mirror (none reports it behind) and ``workbench history
verify`` must find no drift.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import git
from sqlmodel import Session, col, func, select

from tests.deploy.postgres import drop_database, fresh_demo_database
from workbench.db import make_engine
from workbench.models import Report, Section, SectionRevision

ROOT = Path(__file__).resolve().parents[2]
CLA = "amina.diallo@demo.ipsp.example"
SAVES = 3

WRITER = f"""
import json, sys, time
from pathlib import Path
from sqlmodel import Session
from workbench import people, sections
from workbench.db import make_engine
from workbench.models import Section

start, ids, label = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
engine = make_engine()
behind = 0
while not start.exists():  # both writers begin together
    time.sleep(0.01)
with Session(engine, expire_on_commit=False) as s:
    actor = people.get_by_email(s, "{CLA}")
    for n in range({SAVES}):
        for section_id in ids:
            section = s.get(Section, section_id)
            result = sections.save_revision(
                session=s, actor=actor, section=section,
                text=f"Text {{n}} from {{label}}.\\n\\nA second sentence. And a third.",
                base_revision_id=section.head_revision_id, message=f"{{label}} save {{n}}",
            )
            behind += result.mirror_note is not None
print(json.dumps({{"behind": behind}}))
"""


def test_two_processes_saving_at_once_leave_a_clean_mirror(tmp_path):
    url = fresh_demo_database("mirror")
    mirror = tmp_path / "mirror"
    env = {**os.environ, "WORKBENCH_DATABASE_URL": url, "WORKBENCH_MIRROR_PATH": str(mirror)}
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            report = s.exec(select(Report).where(Report.slug == "living-wages")).one()
            ids = list(
                s.exec(
                    select(Section.id)
                    .where(Section.report_id == report.id)
                    .order_by(col(Section.id))
                    .limit(4)
                )
            )
            before = s.exec(select(func.count()).select_from(SectionRevision)).one()
        start = tmp_path / "start"
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(start), json.dumps(chunk), label],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for chunk, label in ((ids[:2], "one"), (ids[2:], "two"))
        ]
        time.sleep(1)  # both have started importing before either may save
        start.touch()
        outputs = []
        try:
            for writer in writers:
                out, err = writer.communicate(timeout=240)
                assert writer.returncode == 0, err
                outputs.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for writer in writers:
                if writer.poll() is None:
                    writer.kill()
        assert [o["behind"] for o in outputs] == [0, 0]
        with Session(engine) as s:
            after = s.exec(select(func.count()).select_from(SectionRevision)).one()
        assert after - before == 2 * 2 * SAVES

        verify = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "history", "verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        with git.Repo(mirror) as repo:
            messages = [c.message for c in repo.iter_commits("main")]
        for label in ("one", "two"):
            for n in range(SAVES):
                assert sum(m.startswith(f"{label} save {n}\n") for m in messages) == 2
    finally:
        engine.dispose()
        drop_database(url)


OPENER = """
import sys, time
from pathlib import Path
from workbench import history

start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.001)
repo = history._open_repo(Path(sys.argv[1]), create=True)
print(repo.git_dir)
"""


def test_servers_making_the_mirror_at_the_same_moment_make_one(tmp_path):
    """Six processes open a mirror that does not exist yet, at once: one makes it, all use it.

    (Before the folder was locked, about one run in three had a process fail: it opened
    the repository between another's ``git init`` and its marking it as the workbench's.)
    """
    for attempt in range(2):
        mirror = tmp_path / f"mirror{attempt}"
        start = tmp_path / f"start{attempt}"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(mirror), str(start)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        time.sleep(3)  # every process is waiting for the start
        start.touch()
        try:
            results = [opener.communicate(timeout=60) for opener in openers]
        finally:
            for opener in openers:
                if opener.poll() is None:
                    opener.kill()
        for opener, (out, err) in zip(openers, results, strict=True):
            assert opener.returncode == 0, err
            assert out.strip() == str(mirror / ".git")
        with git.Repo(mirror) as repo:
            assert repo.config_reader().get_value("workbench", "mirror") is True
