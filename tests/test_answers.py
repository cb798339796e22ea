"""Questions about the bundled article, in seven languages: the paragraph that answers them, its sentence, and
"not sure" only for the questions it does not answer."""

from __future__ import annotations

import pytest

from benchmarks.samples import ANSWER_WORDS, ANSWERABLE, OFF_TOPIC, SAMPLE
from benchmarks.samples import QUESTIONS as QUESTIONS  # re-exported: other test modules import it from here

SAMPLE_DOCUMENT = "pertemuan-xi-putin.txt"


def citation(question: str, section: int, paragraph: int, user_language: str = "en") -> str:
    """The bot's source line for an answer to ``question`` from the sample, in the answer's language."""
    from bot.texts import answer_language, text

    return text(
        answer_language(question, user_language),
        "source",
        document=SAMPLE_DOCUMENT,
        section=section,
        paragraph=paragraph,
    )


# Questions whose paragraph the embedded model ranks second (to a neighbour on the same topic):
# a known limit of passage ranking (README, Performance). Strict: the day one passes, it leaves this list.
SECOND_BEST = {
    "Sektor manakah yang diliputi oleh perjanjian ekonomi China dan Rusia?",
    "What is the conclusion of the meeting between Xi Jinping and Vladimir Putin?",
}


# Questions whose paragraph is first on some processors and second on others: its lead over the
# neighbour is within the float differences of ONNX Runtime's kernels for each instruction set
# (first on AVX2 cores, second on AVX-512 VNNI ones). Held to the first two everywhere.
FIRST_OR_SECOND = {
    "¿Qué papel desempeñan China y Rusia en la política internacional?",
}


@pytest.mark.parametrize(
    ("question", "section", "paragraph"),
    [
        pytest.param(*entry, marks=pytest.mark.xfail(strict=True, reason="ranked second: see SECOND_BEST"))
        if entry[0] in SECOND_BEST
        else entry
        for entry in ANSWERABLE
    ],
)
def test_best_passage_answers_the_question(sample_knowledge, question, section, paragraph):
    hits = sample_knowledge.ask(question, k=3).hits[: 2 if question in FIRST_OR_SECOND else 1]
    assert (section, paragraph) in [(hit.passage.section_number, hit.passage.paragraph) for hit in hits]
    assert {hit.passage.document for hit in hits} == {"pertemuan-xi-putin.txt"}


def test_k_hits_are_distinct_passages(sample_knowledge):
    hits = sample_knowledge.ask("kerja sama energi", k=8).hits
    assert len({hit.number for hit in hits}) == len(hits) == 8


def test_blank_question_finds_nothing(sample_knowledge):
    answer = sample_knowledge.ask("   \n\t ")
    assert answer.hits == [] and not answer.sure


@pytest.mark.parametrize("language", SAMPLE)
def test_answerable_questions_are_confident_in_every_language(sample_knowledge, language):
    questions = [question for question, _, _ in SAMPLE[language]]
    unsure = [
        q for q, answer in zip(questions, sample_knowledge.ask_many(questions, k=1), strict=True) if not answer.sure
    ]
    assert unsure == []


@pytest.mark.parametrize("language", OFF_TOPIC)
def test_off_topic_questions_get_not_sure_in_every_language(sample_knowledge, language):
    """At least 90 % of off-topic questions in each language, asked of the sample's 8 passages, get "not sure"."""
    answers = sample_knowledge.ask_many(OFF_TOPIC[language], k=1)
    assert all(answer.hits for answer in answers), "a guess is still returned"
    confident = [question for question, answer in zip(OFF_TOPIC[language], answers, strict=True) if answer.sure]
    assert len(confident) <= 0.1 * len(OFF_TOPIC[language]), confident


def test_the_answering_sentence_is_chosen(sample_knowledge):
    """The sentence chosen holds the answer for all but 4 of the 14 sample questions whose answer is one
    sentence (the picker's figure, benchmarks/sentences.py; by cosine alone: 5 of 14)."""
    questions = list(ANSWER_WORDS)
    missed = []
    for question, answer in zip(questions, sample_knowledge.ask_many(questions, k=1), strict=True):
        start, end = answer.sentence
        if ANSWER_WORDS[question] not in answer.hits[0].passage.text[start:end]:
            missed.append(question)
    assert len(missed) <= 4, missed
