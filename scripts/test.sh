#!/usr/bin/env bash
# Installs what the tests need (scripts/setup.sh) and runs them with the real model and FAISS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-demo
# The monitoring tests start a real Prometheus server (and use its promtool), as they start PostgreSQL.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Prometheus for the monitoring tests (apt-get install prometheus)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; } \
            || echo "Could not install Prometheus with apt; the monitoring tests will say so."
    else
        echo "For the monitoring tests: sudo apt install prometheus"
    fi
fi
# The replicas' tests also need PostgreSQL's driver and Milvus Lite (their servers are started by the tests).
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,replicas]" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
# Lint and format first (pyproject.toml's [tool.ruff]): a finding fails the run before the tests start.
.venv/bin/ruff check --quiet . || { echo "ruff check found the problems above; fix them (ruff check --fix .)"; exit 1; }
.venv/bin/ruff format --check --quiet . || { echo "ruff format would change the files above; run: .venv/bin/ruff format ."; exit 1; }
exec .venv/bin/python -m pytest "$@"
