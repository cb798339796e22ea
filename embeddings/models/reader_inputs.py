"""How the reader sees a question and a passage: one run of tokens, the passage cut to a window.

Shared by the reader at run time (``embeddings.models.reader``) and its training script
(``scripts/train_reader.py``), so that both cut and mark passages the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TOKENS = 192  # question and passage together, special tokens included
MAX_QUESTION_TOKENS = 48
_SPECIAL = 4  # <s> question </s></s> passage </s>


@dataclass(frozen=True)
class Pair:
    """A question and a window of a passage as token ids, and where each passage token lies in the passage."""

    ids: np.ndarray  # int64, one row of tokens
    passage_start: int  # position of the first passage token in ``ids``
    offsets: list[tuple[int, int]]  # character span in the passage of each passage token, in order


def encode_pair(tokenizer, question: str, passage: str, focus: int = 0, max_tokens: int = MAX_TOKENS) -> Pair:
    """``question`` and as much of ``passage`` as fits in ``max_tokens``: all of it when it fits, else
    a window that starts a little before the character ``focus`` (where the answer is expected).

    Args:
        tokenizer: the model's ``tokenizers.Tokenizer``.
        question: the question as asked.
        passage: the passage's text.
        focus: a character position in ``passage`` that the window must hold.
        max_tokens: the run's length limit.

    Returns:
        The pair's token ids and the passage tokens' character offsets.
    """
    cls, sep = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
    asked = tokenizer.encode(question[: MAX_QUESTION_TOKENS * 64], add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    read = tokenizer.encode(passage, add_special_tokens=False)
    room = max_tokens - len(asked) - _SPECIAL
    ids, offsets = read.ids, read.offsets
    if len(ids) > room:
        at = next((number for number, (start, end) in enumerate(offsets) if end > focus), len(ids) - 1)
        first = max(0, min(at - room // 4, len(ids) - room))
        ids, offsets = ids[first : first + room], offsets[first : first + room]
    tokens = [cls, *asked, sep, sep, *ids, sep]
    return Pair(np.array([tokens], dtype=np.int64), len(asked) + 3, list(offsets))
