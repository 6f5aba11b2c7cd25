#!/usr/bin/env bash
# Create .venv (if missing) and install the workbench with the pinned versions.
# Usage: bash scripts/setup.sh        (quiet; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: the workbench needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "Installing the workbench and its dependencies into .venv (first run: a few minutes)…"
  log=$(mktemp)
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
         .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "error: installing the dependencies failed (see above)" >&2
    exit 1
  fi
  rm -f "$log" .venv/.installed-*
  touch "$stamp"
fi
