"""Collections (issue 42): each top-level subfolder of the documents folder is a collection, and a
question is searched only among the passages of the collections its chat may read."""

from __future__ import annotations

import html
import json
import time

import numpy as np
import pytest

from bot.formatting import collection_names
from bot.keyboards import NewSectionButton, SectionButton
from bot.texts import text
from embeddings.collections import GENERAL, collection_of
from embeddings.documents.folder import read_documents, save_document
from embeddings.documents.ocr import Ocr
from embeddings.knowledge import KnowledgeBase
from embeddings.search.index import search_vectors, vector_index
from embeddings.search.taught import TaughtAnswer
from tests.test_access import OUTSIDER, _invite, _walk_updates
from tests.test_bot import ADMIN, buttons

LEAVE = "Karyawan tetap berhak atas cuti tahunan selama 12 hari kerja setiap tahun."
CLAIMS = "Klaim biaya perjalanan dinas diajukan paling lambat 14 hari setelah perjalanan, dengan kuitansi asli."
RULES = "Tamu wajib melapor ke resepsionis di lobi dan memakai kartu tamu selama berada di kantor."


def company(folder) -> dict[str, str]:
    """A company's documents: HR's and finance's in their subfolders, the office rules at the top."""
    files = {
        "hr/cuti.md": f"# Cuti\n\n{LEAVE}\n\nCuti diajukan lewat atasan langsung paling lambat seminggu sebelumnya.\n",
        "keuangan/klaim.md": f"# Klaim\n\n{CLAIMS}\n\nPenggantian dibayar bersama gaji bulan berikutnya.\n",
        "tata-tertib.md": f"# Tata tertib\n\n{RULES}\n\nRuang rapat dipesan lewat kalender bersama.\n",
    }
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content, encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def knowledge(encoder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("company")
    company(folder)
    return KnowledgeBase.in_memory(read_documents(folder, ocr=Ocr()), encoder)


def test_a_documents_collection_is_its_top_level_folder():
    assert collection_of("hr/cuti.md") == "hr" and collection_of("hr/2026/cuti.md") == "hr"
    assert collection_of("tata-tertib.md") == GENERAL


def test_a_question_is_searched_only_among_the_collections_it_may_read(knowledge):
    assert knowledge.collections() == ["general", "hr", "keuangan"]
    everything = knowledge.ask("Berapa hari cuti tahunan karyawan?")
    assert everything.hits[0].passage.document == "hr/cuti.md" and everything.sure
    finance = knowledge.ask("Berapa hari cuti tahunan karyawan?", collections=frozenset({"keuangan"}))
    assert finance.hits and {hit.passage.document for hit in finance.hits} == {"keuangan/klaim.md"}
    assert not finance.sure  # its own collections' best is no answer
    nothing = knowledge.ask("Berapa hari cuti tahunan karyawan?", collections=frozenset({"sekolah"}))
    assert nothing.hits == [] and nothing.question_vector is not None
    two = knowledge.ask_many(["Kapan klaim perjalanan diajukan?"], collections=frozenset({"hr", "general"}))[0]
    assert "keuangan/klaim.md" not in {hit.passage.document for hit in two.hits}
    assert [entry.name for entry in knowledge.documents(frozenset({"hr"}))] == ["hr/cuti.md"]
    numbers = {entry.document: entry.number for entry in knowledge.sections()}
    assert [(e.document, e.number) for e in knowledge.sections(frozenset({"keuangan"}))] == [
        ("keuangan/klaim.md", numbers["keuangan/klaim.md"])  # numbered as in the whole index
    ]


def test_a_taught_answer_limited_to_collections_is_given_only_to_chats_reading_one(knowledge):
    question = "Berapa hari cuti tahunan karyawan?"
    knowledge.taught.replace([TaughtAnswer(1, "12 hari.", 0.0, (question,), ("hr",))])
    try:
        assert knowledge.ask(question).taught_given
        assert knowledge.ask(question, collections=frozenset({"hr", "general"})).taught_given
        assert knowledge.ask(question, collections=frozenset({"keuangan"})).taught is None
    finally:
        knowledge.taught.replace([])


@pytest.mark.parametrize("graph_walked", [False, True])
def test_filtered_hnsw_search_finds_what_exact_filtered_search_finds(graph_walked, monkeypatch):
    if graph_walked:  # a filter allowing many rows walks the graph, deeper the fewer it allows
        monkeypatch.setattr("embeddings.search.index.FILTERED_EXACT_LIMIT", 0)
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((6000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.choice(len(vectors), 50, replace=False)] + 0.3 * rng.standard_normal((50, 64)).astype(
        np.float32
    )
    collections = rng.integers(0, 20, len(vectors))
    allowed = collections == 3  # one collection of twenty
    _, exact = search_vectors(vector_index(vectors, "exact"), queries, 10, allowed)
    _, graph = search_vectors(vector_index(vectors, "hnsw"), queries, 10, allowed)
    assert allowed[exact].all() and allowed[graph[graph >= 0]].all()
    recall = np.mean([len(set(e) & set(g)) / 10 for e, g in zip(exact, graph, strict=True)])
    assert recall >= 0.95, recall


# ---- through the bot ------------------------------------------------------------------------------


def _company_bot(bot_factory, **settings):
    """A bot over the sample article (the "general" collection) and the company's HR and finance folders."""
    bot = bot_factory(questions_per_minute=0, **settings)
    company(bot.docs_dir)
    (bot.docs_dir / "tata-tertib.md").unlink()  # general is the sample article alone
    bot.application.bot_data["knowledge"].start_reindex()()
    return bot


def _secrets(knowledge, readable: set[str]) -> set[str]:
    """What of the other collections must never be shown: their documents' names, titles and text."""
    pieces = set()
    for entry in knowledge.sections():
        if collection_of(entry.document) not in readable:
            pieces |= {entry.document, entry.text[:40], entry.text[-40:]}
            pieces |= {entry.title} if len(entry.title) >= 8 else set()
    return pieces | {html.escape(piece) for piece in pieces}


def test_no_path_shows_a_bound_group_or_a_limited_member_another_collection(bot_factory, database_url):
    bot = _company_bot(bot_factory, access="members", database_url=database_url)
    standin, application = bot.standin, bot.application
    knowledge, state = application.bot_data["knowledge"], application.bot_data["state"]
    assert knowledge.collections() == ["general", "hr", "keuangan"]
    state.members.add(OUTSIDER, "user", "Limited", "invite", ADMIN)
    state.members.grant(OUTSIDER, frozenset({"hr"}))
    walk = _walk_updates(bot, OUTSIDER, "private") + _walk_updates(bot, -100999, "supergroup")
    chats = [
        (raw.get("message") or raw.get("edited_message") or raw.get("callback_query", {}).get("message"))
        for _, raw in walk
    ]
    for group in {chat["chat"]["id"] for chat in chats if chat}:
        if group < 0:  # the walk's groups: one for each update
            state.members.add(group, "group", "Walk", "allowed", ADMIN)
            state.bindings.bind(group, ["hr"], ADMIN)
    # The walk's buttons sit under messages made up for it: Telegram would refuse their edits, which are
    # looked at all the same.
    standin.failing_methods |= {"editMessageText", "editMessageReplyMarkup"}
    secrets = _secrets(knowledge, {"hr"})
    assert any("pertemuan" in secret for secret in secrets) and any("Klaim" in s for s in secrets)
    start = len(standin.calls)
    updates = [raw for _, raw in walk]
    index_id = knowledge.index_id
    for entry in knowledge.sections():  # forged buttons naming each section of another collection
        if collection_of(entry.document) != "hr":
            for data in (
                SectionButton(index_id, entry.number, 0).data(),
                NewSectionButton(index_id, entry.number, 0).data(),
            ):
                updates.append(
                    {
                        "callback_query": {
                            "id": f"f{len(updates)}",
                            "from": standin.user(OUTSIDER),
                            "data": data,
                            "message": {
                                "message_id": 1,
                                "date": 1,
                                "chat": {"id": OUTSIDER, "type": "private"},
                                "from": {"id": 7000001, "is_bot": True, "first_name": "T"},
                                "text": "x",
                            },
                            "chat_instance": "walk",
                        }
                    }
                )
    for raw in updates:
        standin.push(raw)
    bot.wait_until_handled(timeout=300)
    shown = [
        json.dumps(call.params, ensure_ascii=False) for call in standin.calls[start:] if call.method != "getUpdates"
    ]
    assert len(shown) > 100
    leaks = [(secret, sent[:200]) for sent in shown for secret in secrets if secret in sent]
    assert not leaks, leaks[:3]
    # ...while what they read is there: the question about leave is answered from HR's document.
    answer = bot.ask("Berapa hari cuti tahunan karyawan?", user_id=OUTSIDER)
    assert "hr/cuti.md" in answer["text"] and "12 hari" in answer["text"]


def test_collection_binds_a_group_and_an_upload_there_goes_into_its_folder(bot_factory):
    bot = _company_bot(bot_factory)
    group = {"chat_id": -100555, "chat_type": "supergroup"}
    question = "@tanya_test_bot Kapan klaim perjalanan dinas diajukan?"
    assert "keuangan/klaim.md" in bot.ask(question, user_id=1001, **group)["text"]  # not bound: everything
    assert bot.ask("/collection hr", user_id=1001, **group)["text"].startswith("Sorry, only admins")
    unknown = bot.ask("/collection sekolah", user_id=ADMIN, **group)["text"]
    assert unknown == text(
        "en", "collection_unknown", names="sekolah", collections=collection_names(["general", "hr", "keuangan"])
    )
    bound = bot.ask("/collection HR", user_id=ADMIN, **group)["text"]
    assert bound == text("en", "collection_bound", collections="<b>hr</b>")
    assert bot.ask("/collection", user_id=ADMIN, **group)["text"] == text(
        "en", "collection_shown", collections="<b>hr</b>"
    )
    reply = bot.ask(question, user_id=1001, **group)["text"]
    assert "keuangan" not in reply and "hr/cuti.md" in reply
    assert (
        "keuangan/klaim.md" in bot.ask("Kapan klaim perjalanan dinas diajukan?", user_id=1001)["text"]
    )  # private: all
    stats = bot.ask("/stats", user_id=ADMIN, **group)["text"]
    assert stats.endswith(text("en", "stats_collections", collections="<b>hr</b>"))
    listed = bot.ask("/documents", user_id=1001, **group)["text"]
    assert "hr/cuti.md" in listed and "klaim" not in listed and "pertemuan" not in listed

    overtime = b"# Lembur\n\nLembur dibayar satu setengah kali upah per jam.\n"
    bot.standin.send_document(overtime, "aturan-lembur.md", user_id=ADMIN, **group)
    added = text("en", "upload_added", name="hr/aturan-lembur.md", sections=1, passages=1, pages="")
    bot.standin.wait_for(lambda c: c.method == "sendMessage" and c.params["text"] == added, timeout=120)
    assert (bot.docs_dir / "hr" / "aturan-lembur.md").read_bytes() == overtime
    bot.standin.send_document(overtime, "dibagikan.md", user_id=ADMIN, chat_id=-100556, chat_type="supergroup")
    bot.wait_until_handled()  # a group not bound: a file people share, not a document
    assert not list(bot.docs_dir.rglob("dibagikan.md"))
    assert bot.ask("/collection all", user_id=ADMIN, **group)["text"] == text("en", "collection_all")
    assert "keuangan/klaim.md" in bot.ask(question, user_id=1001, **group)["text"]

    # In private, the admin chooses the collection with a button.
    budget = b"# Anggaran\n\nAnggaran rapat kerja dibatasi lima juta rupiah per divisi.\n"
    asked = bot.standin.reply_to(bot.standin.send_document(budget, "anggaran.md", user_id=ADMIN))
    assert asked["text"] == text("en", "upload_which_collection", name="anggaran.md")
    assert list(buttons(asked)) == ["📁 general", "📁 hr", "📁 keuangan"]
    forged = buttons(asked)["📁 keuangan"].rsplit(":", 1)[0] + ":7"  # no seventh collection
    assert bot.press(asked, forged, user_id=ADMIN).params["text"] == text("en", "stale_button")
    bot.press(asked, buttons(asked)["📁 keuangan"], user_id=ADMIN)
    added = text("en", "upload_added", name="keuangan/anggaran.md", sections=1, passages=1, pages="")
    bot.standin.wait_for(lambda c: c.method == "sendMessage" and c.params["text"] == added, timeout=120)
    assert (bot.docs_dir / "keuangan" / "anggaran.md").read_bytes() == budget


def test_an_invite_names_what_its_members_read_and_grant_changes_it(bot_factory):
    bot = _company_bot(bot_factory, access="members")
    invited = bot.ask("/invite hr 5 30", user_id=ADMIN)["text"]
    assert text("en", "invite_collections", collections="<b>hr</b>") in invited
    assert bot.ask("/invite sekolah 5 30", user_id=ADMIN)["text"].startswith("Send /invite")  # no such collection
    bot.ask(f"/start {_invite(bot, 'HR,hr 2 1')}", user_id=2001)
    claims = "Kapan klaim perjalanan dinas diajukan?"
    assert "keuangan/klaim.md" not in bot.ask(claims, user_id=2001)["text"]
    assert "2001" in (listing := bot.ask("/members", user_id=ADMIN)["text"]) and "reads <b>hr</b>" in listing
    assert bot.ask("/grant 2001 keuangan", user_id=2001)["text"].startswith("Sorry, only admins")
    granted = bot.ask("/grant 2001 keuangan", user_id=ADMIN)["text"]
    assert granted == text("en", "grant_done", id=2001, collections="<b>hr</b>, <b>keuangan</b>")
    assert "keuangan/klaim.md" in bot.ask(claims, user_id=2001)["text"]
    assert bot.ask("/ungrant 2001 hr", user_id=ADMIN)["text"].endswith("<b>keuangan</b>.")
    assert "hr/cuti.md" not in bot.ask("/documents", user_id=2001)["text"]
    assert bot.ask("/grant 2999 hr", user_id=ADMIN)["text"] == text("en", "grant_no_member", id=2999)
    assert bot.ask("/grant 2001", user_id=ADMIN)["text"].startswith("Send /grant")
    assert "keuangan/klaim.md" in bot.ask(claims, user_id=ADMIN)["text"]  # admins read everything


def test_tanya_ask_and_sections_take_a_collection(run_tanya, docs_dir):
    company(docs_dir)
    env = {"TANYA_DOCS_DIR": str(docs_dir)}
    assert run_tanya("index", env=env).returncode == 0
    asked = run_tanya("ask", "Berapa hari cuti tahunan karyawan?", "--collection", "keuangan", "--json", env=env)
    assert asked.returncode == 0 and "hr/cuti.md" not in asked.stdout and "keuangan/klaim.md" in asked.stdout
    listed = run_tanya("sections", "--collection", "hr", "--collection", "general", env=env)
    assert "hr/cuti.md" in listed.stdout and "tata-tertib.md" in listed.stdout and "klaim" not in listed.stdout
    wrong = run_tanya("sections", "--collection", "sekolah", env=env)
    assert wrong.returncode == 2 and "no collection sekolah" in wrong.stderr


def test_moving_files_between_collections_embeds_no_text_again(run_tanya, docs_dir):
    env = {"TANYA_DOCS_DIR": str(docs_dir)}
    (docs_dir / "hr").mkdir()
    for number in range(10):
        rule = f"# Aturan {number}\n\nPeraturan nomor {number} berlaku untuk semua karyawan di unit {number * 7}.\n"
        (docs_dir / "hr" / f"aturan-{number}.md").write_text(rule, encoding="utf-8")
    first = run_tanya("index", env=env)
    assert first.returncode == 0 and "(0 new texts embedded)" not in first.stdout
    (docs_dir / "hr").rename(docs_dir / "keuangan")  # all ten move to another collection
    moved = run_tanya("index", env=env)
    assert moved.returncode == 0 and "(0 new texts embedded)" in moved.stdout, moved.stdout
    listed = run_tanya("sections", "--collection", "keuangan", env=env).stdout
    assert listed.count("keuangan/aturan-") == 10


def test_an_upload_goes_into_a_collections_own_folder_and_never_through_a_link(tmp_path):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir(), outside.mkdir()
    assert save_document(docs, "hr/cuti.md", b"# Cuti\n\n12 hari.\n") == docs / "hr" / "cuti.md"
    (docs / "keuangan").symlink_to(outside, target_is_directory=True)
    for name in ("keuangan/klaim.md", "../klaim.md", "hr/2026/klaim.md", ".hidden/klaim.md", "hr/.klaim.md"):
        with pytest.raises(ValueError):
            save_document(docs, name, b"x")
    assert not list(outside.iterdir()) and sorted(p.name for p in docs.rglob("*")) == ["cuti.md", "hr", "keuangan"]


def test_the_history_counts_each_collections_questions_apart(database_url):
    from bot.state import State
    from bot.state.database import open_database
    from bot.state.history import Asked

    state = State(open_database(database_url), 90, 20)
    history = state.history.start()
    now = time.time()
    for n, (document, not_sure) in enumerate(
        [("hr/cuti.md", False), ("hr/cuti.md", True), ("keuangan/klaim.md", True), (None, True)]
    ):
        history.record(
            Asked(
                ref=f"r{n}",
                asked_at=now - n,
                chat_type="private",
                language="id",
                user="u",
                question=f"Pertanyaan nomor {n} tentang {document}?",
                document=document,
                section=1 if document else None,
                paragraph=1 if document else None,
                confidence=0.1 if not_sure else 0.9,
                not_sure=not_sure,
                seconds=0.1,
                vector=None,
            )
        )
    assert history.flush()
    everything, hr = history.usage(now), history.usage(now, frozenset({"hr"}))
    assert (everything.all_time, everything.not_sure) == (4, 3) and (hr.all_time, hr.not_sure) == (2, 1)
    assert hr.by_document == [("hr/cuti.md", 2)] and hr.today == 2
    assert sum(day.questions for day in history.by_day(7, now, frozenset({"keuangan"}))) == 1
    assert [group.question for group in history.unanswered(30, now, frozenset({"keuangan"}))] == [
        "Pertanyaan nomor 2 tentang keuangan/klaim.md?"
    ]
    assert len(history.unanswered(30, now)) == 3
    history.close()


def test_an_index_kept_in_milvus_filters_collections_as_the_folder_store_does(encoder, model_cache, tmp_path):
    from embeddings.knowledge import KnowledgeSetup

    docs = tmp_path / "docs"
    docs.mkdir()
    company(docs)
    setup = KnowledgeSetup(
        docs, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=str(tmp_path / "milvus.db")
    )
    KnowledgeBase.build(setup, encoder)
    knowledge = KnowledgeBase.open(setup, encoder)
    assert knowledge.collections() == ["general", "hr", "keuangan"]
    finance = knowledge.ask("Berapa hari cuti tahunan karyawan?", collections=frozenset({"keuangan"}))
    assert {hit.passage.document for hit in finance.hits} == {"keuangan/klaim.md"} and not finance.sure
    assert knowledge.ask("Berapa hari cuti tahunan karyawan?").hits[0].passage.document == "hr/cuti.md"
