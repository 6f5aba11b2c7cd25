#!/usr/bin/env bash
# Install, then run the whole test suite (extra arguments go to pytest).
# PostgreSQL tests run when WORKBENCH_TEST_DATABASE_URL is set (CI sets it and
# WORKBENCH_REQUIRE_POSTGRES=1, which turns their skip into a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
