#!/usr/bin/env bash
# Install, load the demo workspace into data/workbench.db, and start the app.
# Usage: bash scripts/demo.sh   then open http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/workbench demo
exec .venv/bin/streamlit run app.py \
  --server.headless true --server.address 127.0.0.1 --server.port "${PORT:-8501}" \
  --browser.gatherUsageStats false
