#!/usr/bin/env bash
# Installs what the tests need (scripts/setup.sh) and runs them with the real model and FAISS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-demo
exec .venv/bin/python -m pytest "$@"
