"""Things the bot keeps for a while for its buttons (answers, uploads awaiting "Replace?"), under short ids."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Generic, TypeVar

Kept = TypeVar("Kept")

# Answers kept per chat; a button under an older one asks the user to ask again. An answer holds
# references to passages the index holds anyway: about 2 KB each (tracemalloc, 5 passages), so at
# most some 200 KB a chat.
ANSWERS_KEPT = 100
# Uploads awaiting "Replace?" per chat: each holds the file's bytes (up to TANYA_MAX_DOCUMENT_MB).
UPLOADS_KEPT = 3


class Recent(Generic[Kept]):
    """The last ``size`` things kept, each under a random 8-hex-digit id that a button can carry."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, Kept] = OrderedDict()

    def keep(self, thing: Kept) -> str:
        """Keep ``thing``, forgetting the oldest beyond ``size``; returns its id."""
        # Random, not counted: after a restart a button from before must not name something new.
        thing_id = secrets.token_hex(4)
        while thing_id in self._kept:
            thing_id = secrets.token_hex(4)
        self._kept[thing_id] = thing
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return thing_id

    def get(self, thing_id: str) -> Kept | None:
        """What is kept under ``thing_id``, or None when it was forgotten (or never kept here)."""
        return self._kept.get(thing_id)

    def pop(self, thing_id: str) -> Kept | None:
        """``get``, and forget it."""
        return self._kept.pop(thing_id, None)

    def __len__(self) -> int:
        return len(self._kept)
