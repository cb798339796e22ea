"""The model exported for ONNX Runtime: the same vectors as PyTorch, several times faster on a CPU.

Exported once from a local sentence-transformers folder (the converted default model, say) into
the model cache: ``model.onnx`` (float32, the same vectors as PyTorch) and ``model-int8.onnx``
(weights of every matrix multiplication quantised to int8 per channel, activations
quantised on the fly; for the embedded default model, the feed-forward layers' outlier
channels first smoothed into their weights, see ``Smoothing``). Both read the token embeddings,
most of the model's bytes, from one file of their own, ``word-embeddings.bin``, which ONNX Runtime
maps into memory rather than copying: only the rows of tokens met take memory, and every session
shares them. Running it needs onnxruntime and tokenizers only, not torch.

The graph is written from the weights without PyTorch (``bert_onnx``), so the export needs little
memory; BERT models only (the embedded default is one), others run with TANYA_BACKEND=torch.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.files import cache_marker, cached
from embeddings.models.bert_onnx import is_bert, write_bert_graph
from embeddings.models.memory import require_setup_memory

logger = logging.getLogger(__name__)

EXPORT_VERSION = 3
FLOAT_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
EMBEDDINGS_FILE = "word-embeddings.bin"
# Added to an int8 index's model name: its vectors differ a little from float ones (and from those of
# the int8 runs before each text ran alone), so it has indexes of its own.
INT8_NAME = "int8, each text alone"

# The activation maxima of the embedded default model's feed-forward output layers, fitted by
# scripts/fit_int8_smoothing.py (model card: embeddings/models/int8-smoothing.md).
SMOOTHING_FILE = Path(__file__).with_name("int8-smoothing.npz")
SMOOTHING_SHA256 = "4410ae08bec793c959bbb45edbb3d36039cd774a5a63c446e7fdcb471424bacc"


@dataclass(frozen=True)
class Smoothing:
    """SmoothQuant for the int8 export: before quantising, each input channel ``j`` of the named
    matrix multiplications is divided by ``s_j = max|x_j| ** alpha / max|w_j| ** (1 - alpha)`` and its
    weight row multiplied by it, the same product in float. The feed-forward output layers read
    the GELU's output, a few of whose channels are many times larger than the rest; one int8 scale
    for a whole run then leaves the others a few levels. Smoothed, the int8 vectors are nearly twice
    as close to float32 ones (the model card)."""

    activation_max: dict[str, np.ndarray]  # per MatMul node name: max |x_j| over the calibration texts
    alpha: float

    @property
    def id(self) -> str:
        """What distinguishes this smoothing in an export's marker."""
        digest = hashlib.sha256(repr(self.alpha).encode())
        for name in sorted(self.activation_max):
            digest.update(name.encode() + np.ascontiguousarray(self.activation_max[name], dtype="<f4").tobytes())
        return digest.hexdigest()[:16]

    def save(self, path: Path) -> None:
        names = sorted(self.activation_max)
        maxima = {f"max{number}": self.activation_max[name] for number, name in enumerate(names)}
        np.savez(path, alpha=np.float32(self.alpha), names=np.array(names), **maxima)

    @classmethod
    def load(cls, path: Path, sha256: str | None = None) -> Smoothing:
        """The smoothing saved at ``path``; with ``sha256``, only if the file's checksum is that."""
        if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            raise ValueError(f"{path} is damaged or not the one tanya was built with (SHA-256 differs)")
        with np.load(path) as saved:
            names = [str(name) for name in saved["names"]]
            return cls(
                {name: saved[f"max{number}"].astype(np.float32) for number, name in enumerate(names)},
                float(saved["alpha"]),
            )


def default_smoothing() -> Smoothing:
    """The shipped smoothing of the embedded default model, checked against its checksum."""
    return Smoothing.load(SMOOTHING_FILE, SMOOTHING_SHA256)


def feed_forward_outputs(model) -> list:
    """The MatMul nodes of an exported BERT-like ``onnx.ModelProto`` that read the feed-forward GELU's output."""
    return [
        node
        for node in model.graph.node
        if node.op_type == "MatMul" and node.name.endswith("/output/dense/MatMul") and "/attention/" not in node.name
    ]


def onnx_folder(model_dir: Path, cache_dir: Path, smoothing: Smoothing | None = None) -> Path:
    """The folder holding the ONNX export of ``model_dir``, exporting it on first use; ``smoothing``
    (fitted for this model) is applied to its int8 file.

    The folder is named after the model's weights (not where they are), so moving the data
    folder keeps its export; an export of earlier weights of the same model is removed.
    """
    source = _source_id(model_dir) + (f":smoothing {smoothing.id}" if smoothing else "")
    target = cache_dir / "onnx" / f"{model_dir.name}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"

    def export(folder: Path) -> None:
        require_setup_memory(f"exporting {model_dir.name} for ONNX Runtime")
        logger.info("exporting %s for ONNX Runtime into %s (once)", model_dir, target)
        _export(model_dir, folder, smoothing)

    cached(target, f"export {EXPORT_VERSION} of {source}", export)
    for superseded in target.parent.glob(f"{glob.escape(model_dir.name)}-*"):
        if superseded != target and superseded.is_dir():
            logger.info("removing %s, the export of earlier weights", superseded)
            shutil.rmtree(superseded, ignore_errors=True)
            cache_marker(superseded).unlink(missing_ok=True)
            superseded.with_name(f".{superseded.name}.lock").unlink(missing_ok=True)  # the reader's (models/reader.py)
    return target


def _source_id(model_dir: Path) -> str:
    """What the export is of: the model's weights file, by size and modification time."""
    weights = next(
        (model_dir / name for name in ("model.safetensors", "pytorch_model.bin") if (model_dir / name).exists()), None
    )
    if weights is None:
        raise ValueError(f"{model_dir} has no model.safetensors or pytorch_model.bin to export")
    stat = weights.stat()
    return f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}"


def _export(model_dir: Path, folder: Path, smoothing: Smoothing | None) -> None:
    """Write the export of ``model_dir`` into the new folder ``folder``."""
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) != "mean":
        raise ValueError(f"{model_dir}: only mean-pooling models run on ONNX Runtime here; use TANYA_BACKEND=torch")
    if not is_bert(model_dir):
        raise ValueError(f"{model_dir}: only BERT models run on ONNX Runtime here; use TANYA_BACKEND=torch")
    folder.mkdir()
    write_bert_graph(model_dir, folder / FLOAT_FILE, folder / EMBEDDINGS_FILE)
    quantize(folder / FLOAT_FILE, folder / INT8_FILE, smoothing)
    for name in ("tokenizer.json", "sentence_bert_config.json", "config_sentence_transformers.json"):
        shutil.copy2(model_dir / name, folder / name)


def quantize(float_file: Path, int8_file: Path, smoothing: Smoothing | None = None) -> None:
    """Write the int8 model of ``float_file``: the weights of every matrix multiplication in int8 per
    output channel, activations quantised as each run goes; ``smoothing`` applied first. Tables kept
    outside the graph (the token embeddings) stay there, shared by both files: they are never loaded."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(float_file), load_external_data=False)
    outside = {}  # what the quantiser sees of an outside table: one row of zeros, the same width
    for initializer in model.graph.initializer:
        if initializer.data_location == onnx.TensorProto.EXTERNAL:
            outside[initializer.name] = onnx.TensorProto()
            outside[initializer.name].CopyFrom(initializer)
            stand_in = np.zeros([1, *initializer.dims[1:]], helper.tensor_dtype_to_np_dtype(initializer.data_type))
            initializer.CopyFrom(numpy_helper.from_array(stand_in, initializer.name))
    if smoothing is not None:
        weights = {initializer.name: initializer for initializer in model.graph.initializer}
        for node in feed_forward_outputs(model):
            weight = numpy_helper.to_array(weights[node.input[1]])  # input channels × output channels
            scale = np.maximum(smoothing.activation_max[node.name], 1e-5) ** smoothing.alpha / np.maximum(
                np.abs(weight).max(axis=1), 1e-5
            ) ** (1 - smoothing.alpha)
            smoothed_weight = (weight * scale[:, None]).astype(np.float32)
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(smoothed_weight, node.input[1]))
            divisor = numpy_helper.from_array((1 / scale).astype(np.float32), f"{node.name}/smoothing")
            model.graph.initializer.append(divisor)
            smoothed = f"{node.input[0]}/smoothed"
            position = list(model.graph.node).index(node)
            divide = helper.make_node("Mul", [node.input[0], divisor.name], [smoothed], name=f"{node.name}/Smooth")
            model.graph.node.insert(position, divide)
            node.input[0] = smoothed
    logging.disable(logging.WARNING)  # the quantiser logs a line for every tensor through the root logger
    try:
        # reduce_range: 7-bit weights, so that AVX2's int8 products (pairs summed in 16 bits) cannot saturate.
        quantize_dynamic(
            model,
            str(int8_file),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        logging.disable(logging.NOTSET)
    if outside:
        quantised = onnx.load(str(int8_file), load_external_data=False)
        for initializer in quantised.graph.initializer:
            if initializer.name in outside:
                initializer.CopyFrom(outside[initializer.name])
        onnx.save(quantised, str(int8_file))


class OnnxModel:
    """One exported model in ONNX Runtime: a text in, its normalised mean-pooled vector out.

    Each text runs alone, with no padding and no neighbours, so its vector depends on the text only:
    the int8 model quantises activations with one scale per run, which a batch would share between
    its texts. Two sessions run the same file (its weights mapped once): one spreads a run over
    ``threads`` cores, for a question; the other runs on one core and is called by ``threads``
    threads at once, for passages while indexing (no hand-offs between cores inside a run). Both give
    the same vectors (tests/test_encoder.py).
    """

    def __init__(self, folder: Path, file: str, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.threads = threads or len(os.sched_getaffinity(0))
        self._spread = _session(folder / file, self.threads)
        self._one_core = _session(folder / file, 1)
        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens = int(settings.get("max_seq_length", 512))
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts = prompts.get("prompts", {})
        # One tokenizer (each copy costs about 290 MB), truncating only when embedding, used by one
        # thread at a time.
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer_lock = threading.Lock()
        self.dimension = int(self.embed(".").shape[0])

    def embed(self, text: str, one_core: bool = False) -> np.ndarray:
        """The normalised float32 vector of ``text`` (its prompt already in it); ``one_core`` runs it on
        one core, for callers that run several texts at once."""
        with self._tokenizer_lock:
            self.tokenizer.enable_truncation(self.max_tokens)
            # Cut first: the tokenizer reads the whole text before truncating, and a 400-million-character
            # text (a spreadsheet bomb's cell) would take gigabytes. No token is longer than this.
            ids = np.array([self.tokenizer.encode(text[: self.max_tokens * MAX_TOKEN_CHARS]).ids], dtype=np.int64)
        session = self._one_core if one_core else self._spread
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        pooled = session.run(None, feed)[0][0].mean(axis=0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` (prompt included), special tokens too, however many the model would read."""
        with self._tokenizer_lock:
            self.tokenizer.no_truncation()
            return len(self.tokenizer.encode(text).ids)


MAX_TOKEN_CHARS = 64  # characters of text read per token the model reads, at most (see OnnxModel.embed)


def _session(path: Path, threads: int):
    """An ONNX Runtime session of the model at ``path`` that spreads each run over ``threads`` cores."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
