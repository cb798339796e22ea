"""Which sentence of a passage answers a question.

The closest sentence by cosine is closest in topic, which is often not the one that answers: a
question asking *when* is close to the sentence that introduces the event and not to the next
one, which holds the date. So the picker re-ranks cosine's ``CHOICES`` closest sentences with
evidence that does not depend on where a kind of text puts its answer:
- what the question asks for against what the sentence holds: a date for "kapan / when / wann /
  quand / cuándo / 何时 …", a number for "berapa / how many / combien / 多少 …"; a sentence that
  holds it comes before one that does not;
- then, as a tiebreak weighed by ``WORD_WEIGHT``, the IDF-weighted share of the question's words
  the sentence holds, counted as lexical evidence is (by the square of the share of the
  question's words the corpus knows: next to nothing for a question in another language).
Settings chosen on TyDi QA valid and FacQA valid (benchmarks/sentences.py).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from embeddings.search.lexical import lexical_tokens

CHOICES = 3  # cosine's closest sentences that the picker re-ranks
WORD_WEIGHT = 0.08  # weight of the question-word share against cosine
# The words of the sentences met most recently are kept (about 2 KB each), and whether they hold a date
# or a number: the passages a bot answers from come back question after question, and stemming and
# searching them again was most of a question's time after the model's.
SENTENCES_CACHED = 8192
QUESTIONS_CACHED = 256  # what the last questions ask for (a date, a number), asked of each candidate

_DATE_QUESTION = re.compile(
    r"\b(kapan|bilakah|when|wann|quand|cuándo)\b|tahun berapa|tanggal berapa|bulan apa|hari apa"
    r"|what (year|date|day|month)|which (year|date|day|month)|welche[ms]? (jahr|datum|tag|monat)"
    r"|quelle (année|date)|quel (jour|mois)|qué (año|fecha|día|mes)|何时|什么时候|哪一?年|哪一?天|几月|几号|何年|日期",
    re.IGNORECASE,
)
_NUMBER_QUESTION = re.compile(
    r"\bberapa(kah)?\b|how (many|much|long|old|far|tall|big|large|high)|wie (viele?|lange|alt|hoch|groß|weit)"
    r"|combien|quel âge|cuánt[oa]s?|多少|几|多大|多长|多高|多久|多远",
    re.IGNORECASE,
)
_MONTHS_AND_DAYS = (
    "januari februari maret april mei juni juli agustus september oktober november desember "
    "january february march may june july august october december "
    "senin selasa rabu kamis jumat sabtu minggu monday tuesday wednesday thursday friday saturday sunday"
)
_DATE = re.compile(
    r"\b(1[0-9]{3}|20[0-9]{2})\b|\babad\b|\b(" + "|".join(_MONTHS_AND_DAYS.split()) + r")\b", re.IGNORECASE
)
_NUMBER_WORDS = "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas seratus seribu ribu juta miliar triliun puluh belas ratus"
_NUMBER = re.compile(r"\d|\b(" + "|".join(_NUMBER_WORDS.split()) + r")\b", re.IGNORECASE)


@functools.lru_cache(maxsize=QUESTIONS_CACHED)
def asked_for(question: str) -> re.Pattern[str] | None:
    """What a sentence must hold to answer ``question``: a date or a number, or nothing in particular."""
    if _DATE_QUESTION.search(question):
        return _DATE
    if _NUMBER_QUESTION.search(question):
        return _NUMBER
    return None


@functools.lru_cache(maxsize=SENTENCES_CACHED)
def _words(sentence: str) -> frozenset[str]:
    return frozenset(lexical_tokens(sentence))


@functools.lru_cache(maxsize=SENTENCES_CACHED)
def _holds(wanted: re.Pattern[str], sentence: str) -> bool:
    return wanted.search(sentence) is not None


def word_shares(weights: dict[str, float], sentences: list[str]) -> np.ndarray:
    """For each sentence, the share of the question's words that it holds, each word weighed by
    ``weights`` (the IDF of the question's words that the corpus knows)."""
    total = sum(weights.values())
    if not total:
        return np.zeros(len(sentences), dtype=np.float32)
    return np.array(
        [sum(weight for word, weight in weights.items() if word in _words(sentence)) / total for sentence in sentences],
        dtype=np.float32,
    )


def answering_sentence(
    question: str,
    sentences: list[str],
    similarity: np.ndarray,
    shares: np.ndarray,
    choices: int = CHOICES,
    word_weight: float = WORD_WEIGHT,
) -> int:
    """The position in ``sentences`` of the one that answers ``question``, given each one's cosine
    to the question (``similarity``) and its share of the question's words (``shares``, already
    weighed by how much of the question the corpus knows)."""
    wanted = asked_for(question)
    best, best_score = 0, None
    # Scalar float32 arithmetic, as numpy's over the three would be: it runs for every passage found.
    for position in np.argsort(-similarity, kind="stable")[:choices].tolist():
        # Holding what is asked for outweighs any cosine difference (cosines lie within 1 of each other).
        holds = np.float32(1.0 if wanted is not None and _holds(wanted, sentences[position]) else 0.0)
        score = similarity[position] + word_weight * shares[position] + holds
        if best_score is None or score > best_score:
            best, best_score = position, score
    return best
