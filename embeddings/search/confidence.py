"""How sure an answer is: the chance that the best passage found answers the question at all.

A logistic model over the evidence of the best passage, fitted by ``benchmarks/confidence.py``
on training data only: TyDi QA train questions (and 64 of them translated into English) asked
of corpora of 8 to 3,890 passages that answer them, and of corpora that do not. Similarity
alone does not separate the two: a question asked in the documents' language resembles every
passage more than one asked in another language does, answerable or not. So the evidence
includes how much of the question the corpus knows (its language, in effect) and how much of
what it asks the best sentence holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Fitted by `python benchmarks/confidence.py`; the features are Evidence.features() in order.
COEFFICIENTS = (23.4287, 17.2963, 33.4387, -12.1506, -2.2035, 8.1161, 8.1994)
INTERCEPT = -34.5534


@dataclass(frozen=True)
class Evidence:
    """What the retrieval saw of the best passage for a question."""

    similarity: float  # cosine of question and passage
    sentence_similarity: float  # cosine of question and the passage's closest sentence
    margin: float  # similarity minus that of the most similar other candidate
    coverage: float  # share of the question's words that occur in the corpus
    support: float  # IDF-weighted share of those words found in the passage's best sentence for them

    def features(self) -> tuple[float, ...]:
        """The model's inputs: the evidence, and how similarity and support weigh with coverage."""
        return (
            self.similarity,
            self.sentence_similarity,
            self.margin,
            self.coverage,
            self.coverage * self.support,
            self.coverage * self.similarity,
            self.coverage * self.sentence_similarity,
        )


def answer_confidence(evidence: Evidence) -> float:
    """The chance, from 0 to 1, that the documents answer the question with this passage's evidence."""
    z = INTERCEPT + sum(w * x for w, x in zip(COEFFICIENTS, evidence.features(), strict=True))
    return 1.0 / (1.0 + math.exp(-z))
