#!/usr/bin/env bash
# Installs what the tests need (scripts/setup.sh) and runs them with the real model and FAISS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-demo
# The replicas' tests also need PostgreSQL's driver and Milvus Lite (their servers are started by the tests).
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,replicas]" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
exec .venv/bin/python -m pytest "$@"
