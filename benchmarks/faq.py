"""How taught answers find the questions they answer (issue 30), on the hand-written data of
``benchmarks/data/faq/``: paraphrases of a taught question in seven languages, and near misses
(same topic, another need) that the taught answers must not take.

    .venv/bin/python -m benchmarks.faq

Every taught question of the file is taught (48), through ``embeddings.search.taught``; each
paraphrase and near miss is matched as the bot matches a question. A paraphrase is *given* the
taught answer when its match is its own taught question at ``TAUGHT_SIMILARITY`` or more, and
*offered* it (the documents answer, the taught answer one button away) from ``TAUGHT_OFFERED``.
A near miss is wrongly given (or offered) a taught answer when any match reaches the threshold.

The thresholds are chosen on the "fit" taught questions (printed, to compare with the constants of
``embeddings.defaults``); the figures that count are those of the "held_out" ones, per language.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.machine import describe
from config import load_settings
from embeddings.defaults import TAUGHT_OFFERED, TAUGHT_SIMILARITY
from embeddings.models.encoder import Encoder, load_encoder
from embeddings.search.taught import TaughtAnswer, TaughtIndex

REPO = Path(__file__).resolve().parent.parent

DATA = REPO / "benchmarks" / "data" / "faq" / "taught.jsonl"
NEAR_MISS_GOAL = 0.05  # near misses given a taught answer, at most
OFFERED_GOAL = 0.90  # paraphrases offered their taught answer, at least


def taught_set(description: str | None) -> tuple[list[dict], Encoder]:
    """The taught-answer set (``--data``, by default ``DATA``) as records, and the configured model."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    settings = load_settings()
    return records, load_encoder(settings.model, settings.model_cache_dir, settings.backend)


def main() -> None:
    records, encoder = taught_set(__doc__)
    taught = TaughtIndex(encoder)
    taught.replace([TaughtAnswer(n, record["answer"], 0.0, (record["question"],)) for n, record in enumerate(records)])
    asked = [
        (n, language, text, True)
        for n, record in enumerate(records)
        for language, texts in record["paraphrases"].items()
        for text in texts
    ]
    asked += [
        (n, miss["language"], miss["text"], False) for n, record in enumerate(records) for miss in record["near_misses"]
    ]
    vectors = encoder.encode_queries([text for _, _, text, _ in asked])
    matches = [taught.match(vector) for vector in vectors]
    taught.offered_at = -1.0  # every question's closest taught question and its cosine, whatever the thresholds
    scores = [taught.match(vector) for vector in vectors]
    own = np.array([match.answer.id == n for match, (n, *_) in zip(scores, asked, strict=True)])
    cosine = np.array([match.similarity for match in scores])
    paraphrase = np.array([is_paraphrase for *_, is_paraphrase in asked])
    fit = np.array([records[n]["split"] == "fit" for n, *_ in asked])

    misses = np.sort(cosine[fit & ~paraphrase])
    given_at = next(float(t) for t in misses if np.mean(misses >= t) <= NEAR_MISS_GOAL)
    offered_at = float(np.quantile(cosine[fit & paraphrase & own], 1 - OFFERED_GOAL))
    print(describe())
    print(
        f"{len(records)} taught questions. Chosen on 'fit': given from cosine {given_at:.4f} (at most "
        f"{NEAR_MISS_GOAL:.0%} of its near misses given), offered from {offered_at:.4f} ({OFFERED_GOAL:.0%} of its "
        f"paraphrases matched to their own reach it). In use (embeddings.defaults): given from "
        f"{TAUGHT_SIMILARITY}, offered from {TAUGHT_OFFERED}."
    )
    print(
        "| split | language | paraphrases given the taught answer | paraphrases given or offered it "
        "| near misses given a taught answer | near misses offered one |"
    )
    print("|---|---|---|---|---|---|")
    for part in ("fit", "held_out"):
        rows = defaultdict(lambda: defaultdict(list))
        for (n, language, _, is_paraphrase), match in zip(asked, matches, strict=True):
            if records[n]["split"] != part:
                continue
            for key in (language, "all"):
                if is_paraphrase:
                    right = match is not None and match.answer.id == n
                    rows[key]["given"].append(right and match.given)
                    rows[key]["offered"].append(right)
                else:
                    rows[key]["miss_given"].append(match is not None and match.given)
                    rows[key]["miss_offered"].append(match is not None and not match.given)
        for language in sorted(rows, key=lambda key: (key == "all", key)):
            cells = [_share(rows[language][key]) for key in ("given", "offered", "miss_given", "miss_offered")]
            print(f"| {part} | {language} | " + " | ".join(cells) + " |")
    print(
        f"closest taught question is the paraphrase's own, whatever the cosine: {own[paraphrase].mean():.2f}; "
        f"cosine of paraphrases p10/p50 {np.percentile(cosine[paraphrase], 10):.3f}/"
        f"{np.percentile(cosine[paraphrase], 50):.3f}, of near misses p50/p90 "
        f"{np.percentile(cosine[~paraphrase], 50):.3f}/{np.percentile(cosine[~paraphrase], 90):.3f}"
    )


def _share(values: list[bool]) -> str:
    return f"{np.mean(values):.2f} ({sum(values)}/{len(values)})" if values else "—"


if __name__ == "__main__":
    main()
