#!/usr/bin/env bash
# Install, then run the whole test suite (extra arguments go to pytest).
# PostgreSQL tests run when WORKBENCH_TEST_DATABASE_URL is set (CI sets it and
# WORKBENCH_REQUIRE_POSTGRES=1, which turns their skip into a failure); each
# parallel worker makes a database of its own beside it (the role needs CREATEDB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two workers by default (WORKBENCH_TEST_WORKERS=0 runs in one process); a test module
# stays on one worker, so its module-scoped app server or demo copy is made once. Files
# go out in collection order, which tests/conftest.py sorts longest first (xdist would
# otherwise hand out the files with the most tests first, and the long browser files last).
workers="${WORKBENCH_TEST_WORKERS:-2}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
