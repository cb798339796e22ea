"""How sure an answer is: the chance that the best passage found answers the question at all.

A logistic model over the evidence of the best passage, fitted by ``benchmarks/confidence.py``
on training data only: TyDi QA train questions, and 484 of them translated into English, Malay,
Chinese, German, French and Spanish, asked of corpora of 8 to 3,890 passages that answer them,
and of corpora that do not. Similarity alone does not separate the two: a question asked in the
documents' language resembles every passage more than one asked in another language does,
answerable or not, and only then can it share words with the passage. So the evidence is
weighed one way for a question in the best passage's language, where how much of the question
the corpus knows and the best sentence holds counts, and another way for a question in another
language, where shared words are mostly names and numbers; and each language the model was
fitted on has its own offset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Fitted by `python -m benchmarks.confidence`; the features are Evidence.features() in order.
COEFFICIENTS = (
    -15.3903,
    63.9763,
    17.5703,
    18.6266,
    2.5342,
    -3.1086,
    -22.0595,
    70.2182,
    -7.2918,
    21.4144,
    1.2510,
    -9.5270,
    -17.7706,
    2.2969,
    2.9611,
    2.0587,
    1.7837,
    1.4702,
)
INTERCEPT = -52.8875
# With the reader (embeddings.models.reader): fitted by `python -m benchmarks.helpdesk --fit` on the
# fitting half of the help-desk set and on training questions; the features are reader_features().
READER_COEFFICIENTS = (0.1877, -0.0304, 0.2535, 0.4729)
READER_INTERCEPT = -1.1005
# The languages other than Indonesian (and Malay) of the questions the model is fitted on: the
# same question embeds a little differently in each, so each gets its own offset.
OTHER_LANGUAGES = ("en", "zh", "de", "fr", "es")


@dataclass(frozen=True)
class Evidence:
    """What the retrieval saw of the best passage for a question."""

    similarity: float  # cosine of question and passage
    sentence_similarity: float  # cosine of question and the passage's closest sentence
    coverage: float  # share of the question's words that occur in the corpus
    support: float  # IDF-weighted share of those words found in the passage's best sentence for them
    language: str  # the question's language (embeddings.search.language)
    same_language: bool  # the question is in the passage's language
    reading: float | None = None  # the reader's logit that the passage answers (None: not read)
    read_margin: float = 0.0  # the reader's best answer span's score less "no answer"'s
    read_gap: float = 0.0  # the reading logit less the best of the other passages the reader read

    def features(self) -> tuple[float, ...]:
        """The model's inputs: the evidence and how similarity and support weigh with coverage,
        once for a question in the passage's language and once for one in another (the other zero),
        and which of the fitting data's other languages the question is in."""
        evidence = (
            self.similarity,
            self.sentence_similarity,
            self.coverage,
            self.coverage * self.support,
            self.coverage * self.similarity,
            self.coverage * self.sentence_similarity,
        )
        same = float(self.same_language)
        languages = (float(self.language == language) for language in OTHER_LANGUAGES)
        return (same, *(same * x for x in evidence), *((1 - same) * x for x in evidence), *languages)


def retrieval_logit(evidence: Evidence) -> float:
    """The retrieval's evidence alone, weighed by the model above (the log-odds that the passage answers)."""
    return INTERCEPT + sum(w * x for w, x in zip(COEFFICIENTS, evidence.features(), strict=True))


def reader_features(evidence: Evidence) -> tuple[float, ...]:
    """The inputs of the model with the reader: its verdict, its answer span's margin over "no answer",
    its gap to the other passages read, and the retrieval's log-odds (bounded: far from the
    threshold it says nothing more)."""
    retrieval = max(-10.0, min(10.0, retrieval_logit(evidence)))
    return (evidence.reading, evidence.read_margin, evidence.read_gap, retrieval)


def answer_confidence(evidence: Evidence) -> float:
    """The chance, from 0 to 1, that the documents answer the question with this passage's evidence."""
    if evidence.reading is None:
        z = retrieval_logit(evidence)
    else:
        z = READER_INTERCEPT + sum(w * x for w, x in zip(READER_COEFFICIENTS, reader_features(evidence), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
