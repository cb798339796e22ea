"""The files of ../shared/eval/ as the benchmarks use them: their queries, negatives and indexes.

- The ranker's training files (``TRAINING_FILES``) are not benchmarked.
- Queries: the test split where a file has one, else every question. A ``*_valid`` file is
  asked against its own passages and those of its ``*_train`` file (TyDi QA valid: 402
  questions against 4,264 passages), since a real corpus holds many near-misses.
- Negatives of a file: questions of the other files about none of its articles, asked against
  its passages, where their answers are not. Same question language as the file's own when
  there are any, else any language.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

from embeddings.documents.document import Document, Section
from embeddings.documents.folder import DocumentSet
from embeddings.documents.passages import split_sentences
from embeddings.evaluation import EvalSet, eval_documents, read_eval_file
from embeddings.indexing import index_documents, known_vectors
from embeddings.models.encoder import Encoder
from embeddings.search.index import IndexUnavailable, PassageIndex, load_index, save_index

EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
TRAINING_FILES = (
    "tydiqa_id_train.jsonl",
    "unanswerable_id_train.jsonl",
)  # training data only (../shared/eval/README.md)
NEGATIVES = 1000  # at most, sampled with seed 0


@dataclass(frozen=True)
class QuestionInfo:
    article: str
    language: str


@dataclass(frozen=True)
class EvalFile:
    """One evaluation file: all its questions, the ones the benchmarks score, and what is known of each."""

    name: str
    whole: EvalSet  # every question of the file, and the corpus it is asked against
    scored: EvalSet  # the questions the benchmarks score
    label: str  # which those are, and against what
    questions: dict[str, QuestionInfo]

    @property
    def articles(self) -> set[str]:
        return {info.article for info in self.questions.values()}

    @property
    def languages(self) -> set[str]:
        return {info.language for info in self.questions.values()}


def wikipedia_paragraphs(eval_dir: Path, count: int) -> list[str]:
    """The first ``count`` distinct TyDi QA train paragraphs (Indonesian Wikipedia), in file order."""
    contexts: dict[str, str] = {}
    with (eval_dir / "tydiqa_id_train.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            contexts.setdefault(row["context_id"], " ".join(row["context"].split()))
            if len(contexts) == count:
                break
    return list(contexts.values())


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """``--eval-dir`` and ``--index-cache``, as every benchmark over the evaluation files takes them."""
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--index-cache", type=Path, help="keep the files' indexes here between runs")


def load_eval_files(eval_dir: Path) -> list[EvalFile]:
    """Every ``*.jsonl`` file of ``eval_dir`` but the training files, in name order."""
    return [_load(path) for path in sorted(eval_dir.glob("*.jsonl")) if path.name not in TRAINING_FILES]


def _load(path: Path) -> EvalFile:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    whole = read_eval_file(path)
    scored, label = whole, "all"
    if any(row.get("split") == "test" for row in rows):
        scored, label = read_eval_file(path, split="test"), "test"
    train = path.with_name(path.name.replace("_valid.", "_train."))
    if train != path and train.exists():
        contexts = {**read_eval_file(train).contexts, **whole.contexts}
        whole = EvalSet(contexts, whole.queries, whole.answers)
        scored = EvalSet(contexts, scored.queries, scored.answers)
        label = f"{label}, against {train.stem} + own passages"
    questions = {}
    for row in rows:
        article = str(row.get("doc_id") or row["context_id"])
        questions.setdefault(row["question"], QuestionInfo(article, row.get("lang", "?")))
    return EvalFile(path.stem, whole, scored, label, questions)


def negatives(
    file: EvalFile, files: list[EvalFile], limit: int | None = NEGATIVES, same_language: bool = True
) -> list[str]:
    """Questions of the other files about none of ``file``'s articles, at most ``limit``.

    With ``same_language``, only those in the language of the file's own questions when there are any.
    """
    articles, contexts = file.articles, set(file.whole.contexts)
    foreign = [
        (question, info)
        for other in files
        if other.name != file.name and not set(other.whole.contexts) & contexts
        for question, info in other.questions.items()
        if info.article not in articles
    ]
    in_language = [question for question, info in foreign if info.language in file.languages]
    chosen = sorted((same_language and in_language) or [question for question, _ in foreign])
    random.Random(0).shuffle(chosen)
    return chosen[:limit]


def file_index(file: EvalFile, encoder: Encoder, cache: Path | None) -> PassageIndex:
    """The passage index of the file's whole corpus, read from ``cache`` when it holds one built by ``encoder``."""
    if cache is not None:
        try:
            return load_index(cache / file.name, model=encoder.name)
        except IndexUnavailable:
            pass
    index, _ = index_documents(eval_documents(file.whole), encoder)
    if cache is not None:
        save_index(index, cache / file.name)
    return index


def combined_index(files: list[EvalFile], encoder: Encoder, cache: Path | None, passages: int) -> PassageIndex:
    """An index of ``passages`` passages of real text: every context of ``files``, then sentences of
    those contexts as one-sentence documents of their own, until there are enough.

    The vectors come from the files' indexes (see ``file_index``), so next to nothing is embedded.
    """
    known: dict = {}
    documents: list[Document] = []
    sentences: list[str] = []
    for file in files:
        known.update(known_vectors(file_index(file, encoder, cache), encoder))
        documents += eval_documents(file.whole).documents
        sentences += [s for text in file.whole.contexts.values() for s in split_sentences(" ".join(text.split()))]
    index, _ = index_documents(DocumentSet(tuple(documents)), encoder, known=known)
    extra = [s for s in dict.fromkeys(sentences) if len(s) > 40][: max(0, passages - len(index.passages))]
    documents += [Document(f"sentence-{n}", f"sentence-{n}", (Section("", (text,)),)) for n, text in enumerate(extra)]
    index, _ = index_documents(DocumentSet(tuple(documents)), encoder, known=known)
    return index
