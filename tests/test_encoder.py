"""The model's backends: ONNX Runtime (float32 and int8) against sentence-transformers on PyTorch."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from config import SAMPLE_DOCS_DIR
from embeddings.defaults import AUTO_BACKEND, DEFAULT_MODEL
from embeddings.knowledge import KnowledgeBase, KnowledgeSetup
from embeddings.models.encoder import encoder_name, load_encoder, preferred_backend, resolve_backend
from embeddings.models.onnx_model import default_smoothing

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
            torch_encoder.dimension,
            torch_encoder.max_tokens,
            torch_encoder.prompts,
        )
        assert [encoder.count_document_tokens(t) for t in TEXTS] == [
            torch_encoder.count_document_tokens(t) for t in TEXTS
        ]
    assert torch_encoder.name == onnx_encoder.name == DEFAULT_MODEL
    # its vectors differ a little, and with another smoothing fit: its own indexes
    assert int8_encoder.name == f"{DEFAULT_MODEL} (int8, each text alone, smoothing {default_smoothing().id[:8]})"
    assert onnx_encoder.encode_documents([]).shape == (0, onnx_encoder.dimension)


PASSAGE = TEXTS[2]
SHORT_TEXTS = ["Ya.", "Energi.", "Paris est la capitale de la France.", "kerja sama"]
LONG_TEXT = " ".join(f"Kalimat nomor {n} tentang kerja sama energi dan teknologi." for n in range(45))


def test_a_texts_vector_depends_on_the_text_alone(backends):
    assert 450 < backends["onnx"].count_document_tokens(LONG_TEXT) <= 512  # padding of ~480 tokens beside it
    for name, encoder in backends.items():
        alone = encoder.encode_documents([PASSAGE])[0]
        among_short = encoder.encode_documents([*SHORT_TEXTS[:2], PASSAGE, *SHORT_TEXTS[2:]])[2]
        beside_long = encoder.encode_documents([LONG_TEXT, PASSAGE, *SHORT_TEXTS])[1]
        reversed_order = encoder.encode_documents([*SHORT_TEXTS, PASSAGE, LONG_TEXT][::-1])[-len(SHORT_TEXTS) - 1]
        for vector in (among_short, beside_long, reversed_order):
            assert np.abs(vector - alone).max() <= 1e-6, name


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_a_question_and_a_passage_of_the_same_text_get_the_same_vector(backends, backend: str):
    encoder = backends[backend]
    question = TEXTS[1]
    asked = encoder.encode_queries([question])[0]
    indexed = encoder.model.embed(encoder.prompts["query"] + question, one_core=True)  # as passages are, beside others
    assert np.abs(asked - indexed).max() <= 1e-6
    assert np.abs(encoder.encode_queries([question, *SHORT_TEXTS])[0] - asked).max() <= 1e-6


def test_a_question_waits_for_the_passages_running_not_for_the_whole_run(encoder):
    import threading
    import time

    texts = [f"{LONG_TEXT} {n}" for n in range(12)]
    waits: list[float] = []
    indexing = threading.Thread(target=encoder.encode_documents, args=(texts,))
    started = time.perf_counter()
    indexing.start()
    while indexing.is_alive() and len(waits) < 3:
        asked = time.perf_counter()
        encoder.encode_queries(["Kapan pertemuan itu diadakan?"])
        waits.append(time.perf_counter() - asked)
    indexing.join()
    whole_run = time.perf_counter() - started
    assert len(waits) == 3 and max(waits) < whole_run / 3


def test_unusable_backends_are_refused_clearly(model_cache: Path):
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        load_encoder(DEFAULT_MODEL, model_cache, "tensorflow")
    with pytest.raises(ValueError, match="needs a local model folder"):
        load_encoder("some-org/some-model", model_cache, "onnx")


def test_the_onnx_export_moves_with_the_data_folder_and_an_old_one_is_removed(
    encoder, model_cache, tmp_path, monkeypatch
):
    import os
    import shutil

    from embeddings.models import onnx_model

    moved = tmp_path / "moved-models"
    shutil.copytree(model_cache, moved, copy_function=os.link)  # as `mv` would: same files, same times
    exports = sorted(path.name for path in (moved / "onnx").iterdir() if not path.name.startswith("."))
    (moved / "onnx" / f"{DEFAULT_MODEL}-0badc0de").mkdir()  # an export of earlier weights
    for kept in (
        f".{DEFAULT_MODEL}-0badc0de.version",
        f".{DEFAULT_MODEL}-0badc0de.lock",
    ):  # its marker, the reader's lock
        (moved / "onnx" / kept).touch()

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "_export", no_export)
    moved_encoder = load_encoder(DEFAULT_MODEL, moved)  # the backend the session's encoder has
    assert sorted(path.name for path in (moved / "onnx").iterdir() if not path.name.startswith(".")) == exports
    assert not list((moved / "onnx").glob(f".{DEFAULT_MODEL}-0badc0de.*"))
    assert np.allclose(moved_encoder.encode_queries(["energi"]), encoder.encode_queries(["energi"]), atol=1e-6)


def test_the_shipped_int8_smoothing_is_checked_before_use(tmp_path: Path):
    from embeddings.models.onnx_model import SMOOTHING_FILE, SMOOTHING_SHA256, Smoothing, default_smoothing

    smoothing = default_smoothing()
    assert len(smoothing.activation_max) == 12 and 0 < smoothing.alpha <= 1
    assert all(values.shape == (1536,) and (values > 0).all() for values in smoothing.activation_max.values())
    damaged = tmp_path / SMOOTHING_FILE.name
    data = bytearray(SMOOTHING_FILE.read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged or not the one tanya was built with"):
        Smoothing.load(damaged, SMOOTHING_SHA256)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"sse4_2", "avx2", "fma"}, "onnx"),  # AVX2 alone: int8 is no faster, float32 ranks better
        ({"avx2", "avx512f", "avx512_vnni"}, "onnx-int8"),
        ({"avx2", "avx_vnni"}, "onnx-int8"),
        ({"fp", "asimd", "asimddp"}, "onnx-int8"),  # ARM with its int8 dot product
        ({"fp", "asimd"}, "onnx"),
        (set(), "onnx-int8"),  # features unknown (no /proc/cpuinfo): as before
    ],
)
def test_the_automatic_backend_follows_the_processors_int8_instructions(flags, expected):
    assert preferred_backend(frozenset(flags)) == expected


def test_the_automatic_backend_is_decided_in_one_place_pytorch_for_a_model_onnx_cannot_run(model_cache, tmp_path):
    here = preferred_backend()
    assert resolve_backend(DEFAULT_MODEL, model_cache, AUTO_BACKEND) == here
    assert resolve_backend("intfloat/multilingual-e5-base", model_cache, AUTO_BACKEND) == "torch"  # a hub id
    assert resolve_backend("intfloat/multilingual-e5-base", model_cache, "onnx") == "onnx"  # asked for: as asked
    setup = KnowledgeSetup(
        SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, model="intfloat/multilingual-e5-base", backend=AUTO_BACKEND
    )
    assert setup.encoder_backend() == "torch"  # was onnx-int8, refused as "needs a local model folder"
    assert (
        KnowledgeSetup(SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, backend=AUTO_BACKEND).encoder_backend() == here
    )


def test_the_automatic_backend_keeps_the_kind_of_vectors_the_published_index_holds(model_cache, tmp_path, caplog):
    here = preferred_backend()
    other = "onnx" if here == "onnx-int8" else "onnx-int8"
    setup = KnowledgeSetup(SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, backend=AUTO_BACKEND)
    assert setup.load_encoder().name == encoder_name(DEFAULT_MODEL, here)  # no index yet: this processor's best
    KnowledgeBase.build(dataclasses.replace(setup, backend=other))  # built by a replica on another processor
    with caplog.at_level(logging.INFO, logger="embeddings.models.encoder"):
        knowledge = KnowledgeBase.open(setup)
    assert knowledge.encoder.name == encoder_name(DEFAULT_MODEL, other) == knowledge.manifest.model  # not rebuilt
    [line] = [record.getMessage() for record in caplog.records if "TANYA_BACKEND=auto" in record.getMessage()]
    assert f"the index holds {other} vectors" in line and f"TANYA_BACKEND={here} would switch" in line
