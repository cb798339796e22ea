"""Whether a text's vector depends on the text alone: per backend, and over whole corpora embedded in different orders.

    .venv/bin/python -m benchmarks.vectors [--eval-dir ../shared/eval] [--texts 40] [--orders 3]

1. For each backend (TANYA_BACKEND), ``--texts`` TyDi QA valid paragraphs, each embedded as a
   passage: alone, among short texts, beside a text of ~500 tokens, and as a question would be
   (the session that spreads one run over every core). Printed: the largest absolute difference
   of any vector component from the text embedded alone. Beside it, for the ONNX backends, the
   alternative tanya used before: the texts in padded batches of 16 in one model run (int8: one
   activation scale per batch).
2. For the default backend: TyDi QA valid (its 383 paragraphs, and their sentences) indexed
   ``--orders`` times, the paragraphs shuffled each time, and its 402 questions asked each
   time: R@1, sentence hit and "not sure" per order, and the largest difference between the
   orders' vectors of the same paragraph.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
from pathlib import Path

import numpy as np

from benchmarks.corpora import EVAL_DIR
from config import load_settings
from embeddings.defaults import BACKENDS
from embeddings.evaluation import EvalSet, evaluate, read_eval_file

SHORT = ["Ya.", "Energi.", "Paris est la capitale de la France.", "kerja sama"]
LONG = " ".join(f"Kalimat nomor {n} tentang kerja sama energi dan teknologi." for n in range(45))


def _largest_difference(vectors: list[np.ndarray], reference: list[np.ndarray]) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(vectors, reference, strict=True))


def _batched(model, texts: list[str], size: int = 16) -> list[np.ndarray]:
    """The texts embedded in padded batches of ``size``, one model run each: how tanya embedded before."""
    tokenizer = model.tokenizer
    vectors = []
    for start in range(0, len(texts), size):
        tokenizer.enable_truncation(model.max_tokens)
        encodings = tokenizer.encode_batch(texts[start : start + size])
        width = max(len(e.ids) for e in encodings)
        pad = tokenizer.token_to_id("<pad>")
        ids = np.array([e.ids + [pad] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
        mask = np.array([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = model._spread.run(None, feed)[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        vectors += list(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--texts", type=int, default=40)
    parser.add_argument("--orders", type=int, default=3)
    args = parser.parse_args()

    settings = load_settings()
    valid = read_eval_file(args.eval_dir / "tydiqa_id_valid.jsonl")
    texts = [" ".join(text.split()) for text in list(valid.contexts.values())[: args.texts]]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(texts)} TyDi QA valid paragraphs"
    )
    print()
    print(
        "| backend | among short texts | beside a 500-token text | as a question is run "
        "| in padded batches of 16 (before) |"
    )
    print("|---|---|---|---|---|")
    for backend in BACKENDS:
        encoder = dataclasses.replace(settings.knowledge_setup(), backend=backend).load_encoder()
        alone = [encoder.encode_documents([text])[0] for text in texts]
        among_short = [encoder.encode_documents([SHORT[0], text, *SHORT[1:]])[1] for text in texts]
        beside_long = [encoder.encode_documents([LONG, text])[1] for text in texts]
        cells = [_largest_difference(among_short, alone), _largest_difference(beside_long, alone)]
        model = getattr(encoder, "model", None)
        if backend == "torch":
            cells += ["—", "—"]
        else:
            prompted = [encoder.prompts["document"] + text for text in texts]
            cells.append(_largest_difference([model.embed(text) for text in prompted], alone))
            cells.append(_largest_difference(_batched(model, [LONG, *prompted])[1:], alone))
        print(f"| {backend} | " + " | ".join(c if isinstance(c, str) else f"{c:.1e}" for c in cells) + " |", flush=True)

    encoder = settings.knowledge_setup().load_encoder()
    print()
    print(f"TyDi QA valid, {len(valid.contexts)} paragraphs in {args.orders} orders, {encoder.name}:")
    print()
    print("| order | R@1 | sentence hit | answerable 'not sure' | largest vector difference from order 1 |")
    print("|---|---|---|---|---|")
    first: dict[str, np.ndarray] = {}
    for order in range(args.orders):
        contexts = list(valid.contexts.items())
        random.Random(order).shuffle(contexts)
        shuffled = EvalSet(dict(contexts), valid.queries, valid.answers)
        result = evaluate(shuffled, encoder)
        paragraphs = [" ".join(text.split()) for _, text in contexts]
        vectors = dict(zip(paragraphs, encoder.encode_documents(paragraphs), strict=True))
        first = first or vectors
        difference = max(float(np.abs(vector - first[text]).max()) for text, vector in vectors.items())
        print(
            f"| {order + 1} | {result.recall_at_1:.3f} | {result.sentence_hit_rate:.3f} | "
            f"{result.abstained_answerable:.3f} | {difference:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
