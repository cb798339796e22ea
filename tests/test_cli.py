"""The ``tanya`` command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from config import SAMPLE_DOCS_DIR
from embeddings.defaults import MIN_CONFIDENCE


def test_index_then_ask_in_indonesian_and_english(run_tanya):
    indexed = run_tanya("index")
    assert indexed.returncode == 0, indexed.stderr
    assert "Indexed 1 documents, 5 sections, 8 passages in" in indexed.stdout

    answer = run_tanya("ask", "Sektor apa saja yang dicakup kesepakatan ekonomi kedua negara?")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("Best answer: Kerja Sama Ekonomi yang Solid  (pertemuan-xi-putin.txt, section 4")
    sentence = answer.stdout.splitlines()[1]
    assert sentence.startswith("  » Kesepakatan ekonomi ini mencakup berbagai sektor strategis")
    assert "energi, teknologi, dan infrastruktur" in answer.stdout

    english = run_tanya("ask", "Why is energy a key area of cooperation?", "-k", "3")
    assert english.returncode == 0, english.stderr
    assert english.stdout.startswith("Best answer: Kerja Sama Ekonomi yang Solid")
    assert "konsumen energi terbesar dunia" in english.stdout.split("#2:")[0]
    assert (
        english.stdout.count("confidence ") == 1
        and english.stdout.count("similarity ") == 2
        and "#3:" in english.stdout
    )


def test_ask_json_is_one_object_a_program_can_read(run_tanya):
    answer = run_tanya("ask", "--json", "Sektor apa saja yang dicakup kesepakatan ekonomi kedua negara?")
    assert answer.returncode == 0, answer.stderr
    [line] = answer.stdout.splitlines()
    found = json.loads(line)
    assert found["source"] == "documents" and found["not_sure"] is False and found["confidence"] >= MIN_CONFIDENCE
    assert (found["document"], found["section"], found["section_number"], found["paragraph"], found["page"]) == (
        "pertemuan-xi-putin.txt",
        "Kerja Sama Ekonomi yang Solid",
        4,
        1,
        None,
    )
    assert found["text"] == found["passage"] and found["sentence"] in found["passage"]
    assert found["sentence"].startswith("Kesepakatan ekonomi ini mencakup berbagai sektor strategis")
    unsure = json.loads(run_tanya("ask", "--json", "How do I bake sourdough bread at home?").stdout)
    assert unsure["not_sure"] is True and unsure["confidence"] < MIN_CONFIDENCE


def test_ask_says_when_it_is_not_sure(run_tanya):
    unsure = run_tanya("ask", "How do I bake sourdough bread at home?")
    assert unsure.returncode == 0, unsure.stderr
    assert unsure.stdout.startswith(
        f"Not sure the documents answer this (confidence below TANYA_MIN_CONFIDENCE={MIN_CONFIDENCE}); closest: "
    )


def test_ask_builds_the_index_on_first_use(run_tanya, data_dir: Path):
    assert not (data_dir / "index").exists()
    answer = run_tanya("ask", "Kapan pertemuan virtual diadakan?")
    assert answer.returncode == 0, answer.stderr
    assert "section 1, paragraph 1" in answer.stdout
    assert (data_dir / "index" / "current" / "manifest.json").exists()


def test_exact_search_limit_setting(run_tanya, data_dir: Path):
    manifest = data_dir / "index" / "current" / "manifest.json"
    indexed = run_tanya("index", env={"TANYA_EXACT_SEARCH_LIMIT": "5"})
    assert indexed.returncode == 0, indexed.stderr
    assert json.loads(manifest.read_text())["search"] == "hnsw"
    answer = run_tanya("ask", "Kapan pertemuan virtual diadakan?")  # default limit: rebuilt for exact search
    assert answer.returncode == 0, answer.stderr
    assert "section 1, paragraph 1" in answer.stdout
    assert json.loads(manifest.read_text())["search"] == "exact"


def test_sections_are_numbered(run_tanya):
    listing = run_tanya("sections")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == [
        "pertemuan-xi-putin.txt",
        "    1. Pertemuan Xi Putin  (1 passage)",
        "    2. Hubungan Diplomatik yang Semakin Menguat  (1 passage)",
        "    3. Fokus pada Stabilitas dan Keamanan Regional  (1 passage)",
        "    4. Kerja Sama Ekonomi yang Solid  (2 passages)",
        "    5. Dinamika Politik Global  (3 passages)",
    ]


def test_docs_dir_and_dotenv(run_tanya, tmp_path: Path):
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "kebijakan.md").write_text("# Jam Kerja\n\nKantor buka pukul 08.00 sampai 17.00.", encoding="utf-8")
    (docs / "rusak.txt").write_bytes(b"\xff\xfe\x00b\x00a\x00d")
    (tmp_path / ".env").write_text(f"TANYA_DOCS_DIR={docs}\n", encoding="utf-8")
    indexed = run_tanya("index", cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    assert "Indexed 1 documents, 1 sections, 1 passages" in indexed.stdout
    assert "skipped rusak.txt:" in indexed.stderr
    answer = run_tanya("ask", "Jam berapa kantor buka?", cwd=tmp_path)
    assert "Best answer: Jam Kerja  (kebijakan.md, section 1, paragraph 1" in answer.stdout


def test_bad_setting_is_one_clear_line(run_tanya):
    result = run_tanya("sections", env={"TANYA_ADMIN_IDS": "12,abc"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TANYA_ADMIN_IDS: expected comma-separated numeric user ids, got 'abc' (got '12,abc')"
    ]


def test_missing_docs_dir_is_one_clear_line(run_tanya, tmp_path: Path):
    result = run_tanya("index", env={"TANYA_DOCS_DIR": str(tmp_path / "nope")})
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"error: documents folder {tmp_path / 'nope'} does not exist or is not a folder"
    )
    assert "Traceback" not in result.stderr


def test_empty_question_and_bad_k(run_tanya):
    empty = run_tanya("ask", "   ")
    assert empty.returncode == 2 and "the question is empty" in empty.stderr
    bad_k = run_tanya("ask", "apa?", "-k", "0")
    assert bad_k.returncode == 2 and "must be at least 1" in bad_k.stderr


def test_eval_json(run_tanya, tmp_path: Path):
    eval_file = tmp_path / "qa.jsonl"
    paragraphs = SAMPLE_DOCS_DIR.joinpath("pertemuan-xi-putin.txt").read_text(encoding="utf-8").split("\n\n")
    rows = [
        ("Kapan pertemuan virtual Xi dan Putin diadakan?", paragraphs[0], "Rabu, 4 Februari", "test"),
        (
            "Sektor apa saja yang dicakup kesepakatan ekonomi?",
            paragraphs[6],
            "energi, teknologi, dan infrastruktur",
            "test",
        ),
        ("Why is energy central to the cooperation?", paragraphs[7], "konsumen energi terbesar dunia", "train"),
    ]
    eval_file.write_text(
        "\n".join(
            json.dumps(
                {
                    "question": q,
                    "context": c,
                    "context_id": f"c{i}",
                    "split": s,
                    "gold_context_ids": [f"c{i}"],
                    "answer": a,
                    "answer_start": c.index(a),
                }
            )
            for i, (q, c, a, s) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    negatives = tmp_path / "negatives.jsonl"
    negatives.write_text(
        "\n".join(
            json.dumps({"question": q, "context": "-", "context_id": f"n{i}"})
            for i, q in enumerate(["How do I bake sourdough bread at home?", "Berapa harga tiket kereta ke Bandung?"])
        ),
        encoding="utf-8",
    )
    result = run_tanya("eval", str(eval_file), "--json", "--negatives", str(negatives))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    sentence_hit_rate = figures.pop("sentence_hit_rate")
    # Three passages are far fewer than the confidence model was fitted on: the bread question is
    # plainly foreign; the train-ticket one shares the articles' language and may pass for answerable.
    unanswerable = figures.pop("abstained_unanswerable")
    p50, p99 = figures.pop("p50_ms"), figures.pop("p99_ms")
    assert 0 < p50 <= p99
    # With two negatives, 5 % of them is none: the threshold is just above the more confident one.
    suggested, cost = figures.pop("suggested_confidence"), figures.pop("abstained_answerable_suggested")
    assert 0 < suggested <= 1 and cost in (0.0, 0.3333, 0.6667, 1.0)
    assert unanswerable in (0.5, 1.0)
    assert figures == {
        "queries": 3,
        "passages": 3,
        "recall@1": 1.0,
        "recall@5": 1.0,
        "mrr@10": 1.0,
        "abstained_answerable": 0.0,
    }
    assert sentence_hit_rate == 1.0  # each of the 3 answers is in the sentence chosen
    test_only = json.loads(run_tanya("eval", str(eval_file), "--split", "test", "--json").stdout)
    assert (test_only["queries"], test_only["passages"]) == (2, 3)

    table = run_tanya("eval", str(eval_file), "--negatives", str(negatives))
    assert re.search(r"Recall@1 +1\.000", table.stdout) and re.search(r"sentence hit rate +1\.000", table.stdout)
    assert f"set TANYA_MIN_CONFIDENCE={suggested:.3f}: {cost:.1%} of qa.jsonl's questions would then be 'not sure'" in (
        " ".join(table.stdout.split())
    )

    eval_file.write_text('{"question": "no context"}\n', encoding="utf-8")
    broken = run_tanya("eval", str(eval_file))
    assert broken.returncode == 2 and f"{eval_file}:1:" in broken.stderr


def test_tanya_index_waits_while_a_bots_reindex_holds_the_lease(data_dir: Path, docs_dir: Path, tmp_path: Path):
    import time

    from bot.reindexing import LEASE
    from bot.state import State
    from bot.state.database import default_url, open_database
    from tests.processes import running, tanya, wait_for_output

    state = State(open_database(default_url(data_dir)), 90, 20)  # the bot's database, as a running bot holds it
    lease = state.leases.take(LEASE)
    log = tmp_path / "index.log"
    with running(tanya(data_dir, docs_dir, "index", log=log)) as process:
        wait_for_output(process, log, "Waiting for the reindex under way")
        time.sleep(2)
        assert process.poll() is None and "Indexed" not in log.read_text()  # not while the lease is held
        lease.release()
        assert process.wait(timeout=300) == 0
    assert "Indexed 1 documents" in log.read_text()
    state.close()
