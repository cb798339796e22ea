"""The model exported for ONNX Runtime: the same vectors as PyTorch, several times faster on a CPU.

Exported once from a local sentence-transformers folder (the converted default model, say) into
the model cache: ``model.onnx`` (float32, the same vectors as PyTorch) and ``model-int8.onnx``
(weights of every matrix multiplication quantised to int8 per channel, activations
quantised on the fly). Running it needs onnxruntime and tokenizers only, not torch.

sentence-transformers' own ONNX backend would do this through optimum, whose ONNX exporter
pins transformers below 5, which the conversion of the default model needs; so the export
and the run are done here with torch.onnx and onnxruntime directly.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

EXPORT_VERSION = 1
FLOAT_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
_MARKER = "tanya-onnx-export.json"


def onnx_folder(model_dir: Path, cache_dir: Path) -> Path:
    """The folder holding the ONNX export of ``model_dir``, exporting it on first use.

    The folder is named after the model's weights (not where they are), so moving the data
    folder keeps its export; an export of earlier weights of the same model is removed.
    """
    source = _source_id(model_dir)
    target = cache_dir / "onnx" / f"{model_dir.name}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"
    if not _is_exported(target, source):
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / f".{target.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _is_exported(target, source):
                logger.info("exporting %s for ONNX Runtime into %s (once)", model_dir, target)
                _export(model_dir, target, source)
    for superseded in target.parent.glob(f"{glob.escape(model_dir.name)}-*"):
        if superseded != target and superseded.is_dir():
            logger.info("removing %s, the export of earlier weights", superseded)
            shutil.rmtree(superseded, ignore_errors=True)
            superseded.with_name(f".{superseded.name}.lock").unlink(missing_ok=True)
    return target


def _source_id(model_dir: Path) -> str:
    """What the export is of: the model's weights file, by size and modification time."""
    weights = next((model_dir / name for name in ("model.safetensors", "pytorch_model.bin") if (model_dir / name).exists()), None)
    if weights is None:
        raise ValueError(f"{model_dir} has no model.safetensors or pytorch_model.bin to export")
    stat = weights.stat()
    return f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}"


def _is_exported(target: Path, source: str) -> bool:
    marker = target / _MARKER
    if not marker.exists():
        return False
    recorded = json.loads(marker.read_text(encoding="utf-8"))
    return recorded.get("export_version") == EXPORT_VERSION and recorded.get("source") == source


def _export(model_dir: Path, target: Path, source: str) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) != "mean":
        raise ValueError(f"{model_dir}: only mean-pooling models run on ONNX Runtime here; use TANYA_BACKEND=torch")

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = LastHiddenState(AutoModel.from_pretrained(str(model_dir), local_files_only=True)).eval()
    example = torch.ones((1, 8), dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        # The tracer warns that shape checks become constants; the exported graph is checked
        # against PyTorch on padded batches of varied lengths (tests/test_encoder.py).
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example, example, torch.zeros_like(example)),
                str(work / FLOAT_FILE),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        logging.disable(logging.WARNING)  # the quantiser logs a line for every tensor through the root logger
        try:
            quantize_dynamic(
                str(work / FLOAT_FILE), str(work / INT8_FILE), weight_type=QuantType.QInt8, per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            logging.disable(logging.NOTSET)
        for name in ("tokenizer.json", "sentence_bert_config.json", "config_sentence_transformers.json"):
            shutil.copy2(model_dir / name, work / name)
        (work / _MARKER).write_text(json.dumps({"export_version": EXPORT_VERSION, "source": source}), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class OnnxModel:
    """One exported model in an ONNX Runtime session: texts in, normalised mean-pooled vectors out."""

    def __init__(self, folder: Path, file: str, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(folder / file), options, providers=["CPUExecutionProvider"])
        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens = int(settings.get("max_seq_length", 512))
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts = prompts.get("prompts", {})
        # One tokenizer (each copy costs about 290 MB): truncating to what the model reads when
        # embedding, not when counting. Callers take turns (Encoder holds a lock around both).
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_padding()
        self.dimension = int(self.embed(["."]).shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (prompts already in them), one row each."""
        self.tokenizer.enable_truncation(self.max_tokens)
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` (prompt included), special tokens too, however many the model would read."""
        self.tokenizer.no_truncation()
        return len(self.tokenizer.encode(text).ids)
