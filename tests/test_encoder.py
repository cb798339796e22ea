"""The model's backends: ONNX Runtime (float32 and int8) against sentence-transformers on PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.defaults import DEFAULT_MODEL
from embeddings.models.encoder import load_encoder

TEXTS = [
    "Kapan pertemuan virtual Xi Jinping dan Putin diadakan?",
    "Why is energy a key area of cooperation between China and Russia?",
    "Kesepakatan ekonomi ini mencakup berbagai sektor strategis seperti energi, teknologi, dan infrastruktur.",
    "Paris est la capitale de la France.",
    "🙂 <b>markup</b> & angka 1.320 hektar",
    "kata " * 700,  # longer than the model reads: truncated the same way
]


@pytest.fixture(scope="module")
def backends(model_cache: Path):
    return {backend: load_encoder(DEFAULT_MODEL, model_cache, backend) for backend in ("torch", "onnx", "onnx-int8")}


@pytest.mark.parametrize("kind", ["queries", "documents"])
def test_onnx_vectors_match_pytorch(backends, kind: str):
    vectors = {name: getattr(encoder, f"encode_{kind}")(TEXTS) for name, encoder in backends.items()}
    float_cosines = np.sum(vectors["onnx"] * vectors["torch"], axis=1)
    int8_cosines = np.sum(vectors["onnx-int8"] * vectors["torch"], axis=1)
    assert float_cosines.min() > 0.9999
    assert int8_cosines.min() > 0.97
    assert np.allclose(np.linalg.norm(vectors["onnx-int8"], axis=1), 1.0, atol=1e-5)


def test_backends_agree_on_everything_but_the_int8_name(backends):
    torch_encoder, onnx_encoder, int8_encoder = backends["torch"], backends["onnx"], backends["onnx-int8"]
    for encoder in (onnx_encoder, int8_encoder):
        assert (encoder.dimension, encoder.max_tokens, encoder.prompts) == (
            torch_encoder.dimension, torch_encoder.max_tokens, torch_encoder.prompts
        )
        assert [encoder.count_document_tokens(t) for t in TEXTS] == [torch_encoder.count_document_tokens(t) for t in TEXTS]
    assert torch_encoder.name == onnx_encoder.name == DEFAULT_MODEL
    assert int8_encoder.name == f"{DEFAULT_MODEL} (int8)"  # its vectors differ a little: its own indexes
    assert onnx_encoder.encode_documents([]).shape == (0, onnx_encoder.dimension)


def test_unusable_backends_are_refused_clearly(model_cache: Path):
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        load_encoder(DEFAULT_MODEL, model_cache, "tensorflow")
    with pytest.raises(ValueError, match="needs a local model folder"):
        load_encoder("some-org/some-model", model_cache, "onnx")


def test_the_onnx_export_moves_with_the_data_folder_and_an_old_one_is_removed(encoder, model_cache, tmp_path, monkeypatch):
    import os
    import shutil

    from embeddings.models import onnx_model

    moved = tmp_path / "moved-models"
    shutil.copytree(model_cache, moved, copy_function=os.link)  # as `mv` would: same files, same times
    exports = sorted(path.name for path in (moved / "onnx").iterdir() if not path.name.startswith("."))
    (moved / "onnx" / f"{DEFAULT_MODEL}-0badc0de").mkdir()  # an export of earlier weights
    (moved / "onnx" / f".{DEFAULT_MODEL}-0badc0de.lock").touch()  # and its lock file

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "_export", no_export)
    moved_encoder = load_encoder(DEFAULT_MODEL, moved, "onnx-int8")
    assert sorted(path.name for path in (moved / "onnx").iterdir() if not path.name.startswith(".")) == exports
    assert not (moved / "onnx" / f".{DEFAULT_MODEL}-0badc0de.lock").exists()
    assert np.allclose(moved_encoder.encode_queries(["energi"]), encoder.encode_queries(["energi"]), atol=1e-6)
