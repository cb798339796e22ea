"""The answers a chat was sent lately, kept so their buttons can page through them without searching again."""

from __future__ import annotations

import secrets
from collections import OrderedDict

from embeddings.search.retrieval import Answer

# Answers kept per chat; a button under an older one asks the user to ask again. An answer holds
# references to passages the index holds anyway: about 2 KB each (tracemalloc, 5 passages), so at
# most some 200 KB a chat.
ANSWERS_KEPT = 100


class RecentAnswers:
    """The last ``size`` answers of one chat, each under a random 8-hex-digit id that its buttons carry."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._answers: OrderedDict[str, tuple[Answer, str]] = OrderedDict()

    def keep(self, answer: Answer, index_id: str) -> str:
        """Keep ``answer``, found in the index ``index_id``, forgetting the oldest beyond ``size``; returns its id."""
        # Random, not counted: after a restart a button from before must not name a new answer.
        answer_id = secrets.token_hex(4)
        while answer_id in self._answers:
            answer_id = secrets.token_hex(4)
        self._answers[answer_id] = (answer, index_id)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return answer_id

    def get(self, answer_id: str) -> tuple[Answer, str] | None:
        """The answer kept under ``answer_id`` and its index id, or None when it was forgotten (or never sent here)."""
        return self._answers.get(answer_id)

    def __len__(self) -> int:
        return len(self._answers)
