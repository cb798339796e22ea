#!/usr/bin/env bash
# Sets tanya up in .venv (CPU-only PyTorch, the package, the embedded model) and answers a
# sample question from the bundled article. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
# pip warns once per package about every configured local index that lacks it; those lines
# say nothing about this install, so they are left out (real errors still show).
quiet_pip() {
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
# torch first, pinned: 2.13.0 is the CPU build this project is tested with. Left to the
# package's own "torch>=2.1", pip would fetch a multi-GB CUDA build.
quiet_pip "torch==2.13.0"
quiet_pip -e ".[test]"
# The bot's words in its seven languages: the translations (bot/locale/*/LC_MESSAGES/tanya.po) compiled.
.venv/bin/pybabel -q compile -d bot/locale -D tanya

# OCR of scanned documents and photos: Tesseract 5 and the languages tanya answers in, from the
# system's packages. Without it, scans are skipped with a message saying so.
ocr="tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng tesseract-ocr-msa tesseract-ocr-chi-sim tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa"
if ! tesseract --list-langs 2>/dev/null | grep -qx ind; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Tesseract for OCR (apt-get install $ocr)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends $ocr >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends $ocr >/dev/null 2>&1; } \
            || echo "Could not install Tesseract with apt; scanned documents will be skipped until it is installed."
    else
        echo "For OCR of scanned documents and photos: sudo apt install $ocr"
    fi
fi

if [ "${1:-}" != "--no-demo" ]; then
    .venv/bin/tanya index
    .venv/bin/tanya ask "Sektor apa saja yang dicakup kesepakatan ekonomi Tiongkok dan Rusia?"
fi
