"""Which language a text is written in, so that word overlap counts only where it can exist.

py3langid (its model ships in the wheel), restricted to the languages of ``LANGUAGES`` and with
Malay and Javanese counted as Indonesian: it names the language of 98.8 % of TyDi QA valid's
questions, 97–100 % of the translated questions of benchmarks/data/ and every TyDi QA valid
paragraph, in about 0.1 ms a question (``benchmarks/languages.py``; over all 140 of its
languages: 97.3 % of TyDi QA valid's questions, 83 % of the Chinese ones).
"""

from __future__ import annotations

import threading
from functools import lru_cache

from py3langid.langid import LanguageIdentifier

# The languages a question or a document is told apart in: the world's most used, and the ones
# around Indonesian. A text in another language is named after the closest of these.
LANGUAGES = (
    "id", "ms", "jv", "en", "zh", "ja", "ko", "de", "fr", "es", "pt", "it", "nl", "ru", "ar", "hi",
    "vi", "th", "tl", "tr", "pl", "sv",
)  # fmt: skip
# Languages that share most of their words (Malay and Indonesian are one language, written two
# ways; Javanese borrows much of it): the same group means word overlap is evidence.
GROUPS = {"ms": "id", "jv": "id"}

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _loaded() -> LanguageIdentifier:
    global _identifier
    with _lock:  # loading takes ~0.8 s; questions arriving meanwhile wait for the one load
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file("data/model.npz.xz")
            identifier.set_languages(LANGUAGES)
            # py3langid (pinned) keeps every language's table to allow a reset: 23 MiB never used here.
            identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
            _identifier = identifier
        return _identifier


def preload() -> None:
    """Start loading the model in the background, so that the first question does not wait for it."""
    if _identifier is None:
        threading.Thread(target=_loaded, name="language-model", daemon=True).start()


@lru_cache(maxsize=4096)
def language_of(text: str) -> str:
    """The language group of ``text``: an ISO 639-1 code of ``LANGUAGES``, Malay counted as Indonesian."""
    language = _loaded().classify(text)[0]
    return GROUPS.get(language, language)
