"""Which sentence is shown in bold: the closest by cosine (TANYA_SENTENCE_PICKER=off) against the
picker of embeddings/search/sentences.py, over its settings.

    .venv/bin/python -m benchmarks.sentences [--eval-dir ../shared/eval] [--index-cache DIR]

For each set, the questions whose right passage tanya ranks first (with the picker off, so every
row sees the same passages); a hit is a chosen sentence that holds one of the question's answers.
The picker re-ranks cosine's ``choices`` closest sentences (what the question asks for first,
then cosine + ``word weight`` × share of the question's words). Its settings are chosen on the
validation sets (TyDi QA valid, FacQA valid: the "choose" column); the other sets only report.
The sample set: the sample's questions whose answer is one sentence, in six languages
(benchmarks/samples.py: ANSWER_WORDS, which tests/test_answers.py asks too).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from itertools import product
from pathlib import Path

import numpy as np

from benchmarks.corpora import add_corpus_arguments, file_index, load_eval_files
from benchmarks.samples import ANSWER_WORDS
from config import load_settings
from embeddings.evaluation import EvalSet, read_eval_file
from embeddings.knowledge import KnowledgeBase
from embeddings.search.sentences import CHOICES, WORD_WEIGHT, answering_sentence, word_shares


@dataclasses.dataclass
class Case:
    question: str
    sentences: list[str]
    similarity: np.ndarray
    shares: np.ndarray
    answers: frozenset[str]

    def hit(self, chosen: int) -> bool:
        return any(answer in self.sentences[chosen] for answer in self.answers)


def cases(knowledge: KnowledgeBase, eval_set: EvalSet) -> list[Case]:
    """The questions of ``eval_set`` whose right passage comes first, with what the picker weighs."""
    index = knowledge.index
    found = []
    questions = [question for question, _ in eval_set.queries]
    for (question, gold), answer in zip(eval_set.queries, knowledge.ask_many(questions, k=1), strict=True):
        answers = eval_set.answers.get(question)
        if not answers or not answer.hits or answer.hits[0].passage.document not in gold:
            continue
        number = answer.hits[0].number
        text = answer.hits[0].passage.text
        sentences = [text[start:end] for start, end in index.sentences(number)]
        if not sentences:
            continue
        shares = word_shares(index.lexical.term_weights(question), sentences) * answer.evidence.coverage**2
        found.append(Case(question, sentences, index.sentence_rows(number) @ answer.question_vector, shares, answers))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser)
    args = parser.parse_args()

    settings = load_settings()
    encoder = settings.knowledge_setup().load_encoder()
    files = {file.name: file for file in load_eval_files(args.eval_dir)}
    facqa = files["facqa_id_news"]
    sets = {}
    for name, file, eval_set in (
        ("TyDi QA valid", files["tydiqa_id_valid"], files["tydiqa_id_valid"].scored),
        ("FacQA valid", facqa, read_eval_file(args.eval_dir / "facqa_id_news.jsonl", split="valid")),
        ("FacQA test", facqa, facqa.scored),
        ("EN → ID (xling)", files["xling_en-q_id-passage_dev"], files["xling_en-q_id-passage_dev"].scored),
        ("XQuAD (EN)", files["xquad_en_dev"], files["xquad_en_dev"].scored),
    ):
        knowledge = KnowledgeBase(encoder, file_index(file, encoder, args.index_cache), sentence_picker=False)
        sets[name] = cases(knowledge, eval_set)
    with tempfile.TemporaryDirectory() as tmp:
        setup = dataclasses.replace(settings.knowledge_setup(), index_dir=Path(tmp), sentence_picker=False)
        knowledge = KnowledgeBase.open(setup, encoder)
        sample = EvalSet({}, [], {question: frozenset([words]) for question, words in ANSWER_WORDS.items()})
        gold = {passage.document for passage in knowledge.index.passages}
        sets["sample questions"] = cases(
            knowledge, EvalSet({}, [(q, frozenset(gold)) for q in ANSWER_WORDS], sample.answers)
        )

    def rates(pick) -> list[float]:
        return [float(np.mean([case.hit(pick(case)) for case in found])) for found in sets.values()]

    rows = {"cosine (TANYA_SENTENCE_PICKER=off)": rates(lambda case: int(np.argmax(case.similarity)))}
    for choices, weight in product((2, 3, 4), (0.0, 0.04, 0.08, 0.15)):
        shipped = " (shipped)" if (choices, weight) == (CHOICES, WORD_WEIGHT) else ""
        rows[f"picker: {choices} choices, word weight {weight}{shipped}"] = rates(
            lambda case, c=choices, w=weight: answering_sentence(
                case.question, case.sentences, case.similarity, case.shares, c, w
            )
        )
    print(
        "| sentence picked by | "
        + " | ".join(f"{name} ({len(found)})" for name, found in sets.items())
        + " | choose: TyDi + FacQA valid |"
    )
    print("|---|" + "---|" * (len(sets) + 1))
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {values[0] + values[1]:.3f} |")


if __name__ == "__main__":
    main()
