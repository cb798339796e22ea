"""Answers the admins taught: their questions embedded as questions are, matched to a question's vector.

The store of record is elsewhere (the bot's database); ``TaughtIndex.replace`` is given the whole
list whenever it changes and embeds only the questions it has not embedded before.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np

from embeddings.defaults import TAUGHT_OFFERED, TAUGHT_SIMILARITY
from embeddings.models.encoder import Encoder


@dataclass(frozen=True)
class TaughtAnswer:
    """An answer the admins wrote, and the questions (one or more wordings) it answers."""

    id: int
    text: str
    taught_at: float  # Unix time
    questions: tuple[str, ...]
    collections: tuple[str, ...] = ()  # given only to chats reading one of these; (): to everyone

    def open_to(self, collections: frozenset[str] | None) -> bool:
        """Whether a chat reading ``collections`` (None: every collection) may be given this answer."""
        return collections is None or not self.collections or not collections.isdisjoint(self.collections)


@dataclass(frozen=True)
class TaughtMatch:
    """The taught answer closest to a question: through which of its questions, and how close."""

    answer: TaughtAnswer
    question: str
    similarity: float
    given: bool  # close enough to be given as the answer; otherwise only offered beside the documents'

    def to_data(self) -> dict:
        """The match as JSON data (kept with an answer: see ``Answer.to_data``)."""
        return {
            "answer": asdict(self.answer),
            "question": self.question,
            "similarity": self.similarity,
            "given": self.given,
        }

    @classmethod
    def from_data(cls, data: dict) -> TaughtMatch:
        """The match ``to_data`` wrote. Raises KeyError, TypeError or ValueError for data of another shape."""
        answer = data["answer"]
        taught = TaughtAnswer(
            int(answer["id"]),
            str(answer["text"]),
            float(answer["taught_at"]),
            tuple(answer["questions"]),
            tuple(answer.get("collections", ())),
        )
        return cls(taught, str(data["question"]), float(data["similarity"]), bool(data["given"]))


class TaughtIndex:
    """The taught answers a knowledge base matches questions against; safe to replace while it is read."""

    def __init__(
        self, encoder: Encoder, given_at: float = TAUGHT_SIMILARITY, offered_at: float = TAUGHT_OFFERED
    ) -> None:
        self.encoder = encoder
        self.given_at, self.offered_at = given_at, offered_at
        self._vectors: dict[str, np.ndarray] = {}  # by question text, for the taught answers now known
        self._replacing = threading.Lock()
        # Read without a lock: replaced whole, never changed in place.
        self._current: tuple[list[tuple[TaughtAnswer, str]], np.ndarray] = (
            [],
            np.zeros((0, encoder.dimension), np.float32),
        )
        self._count = 0  # taught answers (asked on every question: kept, not counted)

    def __len__(self) -> int:
        return self._count

    def replace(self, answers: list[TaughtAnswer]) -> None:
        """Match against ``answers`` from now on (the questions not seen before are embedded first)."""
        with self._replacing:
            rows = [(taught, question) for taught in answers for question in taught.questions]
            new = sorted({question for _, question in rows} - self._vectors.keys())
            if new:
                self._vectors.update(zip(new, self.encoder.encode_queries(new), strict=True))
            self._vectors = {question: self._vectors[question] for _, question in rows}
            matrix = np.stack([self._vectors[question] for _, question in rows]) if rows else self._current[1][:0]
            self._current = (rows, matrix.astype(np.float32, copy=False))
            self._count = len(answers)

    def match(self, vector: np.ndarray, collections: frozenset[str] | None = None) -> TaughtMatch | None:
        """The taught answer for a question of ``vector``, if one is close enough to be given or offered;
        only among those open to ``collections`` (``TaughtAnswer.open_to``) when it is given."""
        rows, matrix = self._current
        if collections is not None:
            kept = [n for n, (taught, _) in enumerate(rows) if taught.open_to(collections)]
            rows, matrix = [rows[n] for n in kept], matrix[kept]
        if not rows:
            return None
        similarity = matrix @ vector
        best = int(np.argmax(similarity))
        score = float(similarity[best])
        if score < self.offered_at:
            return None
        taught, question = rows[best]
        return TaughtMatch(taught, question, score, given=score >= self.given_at)
