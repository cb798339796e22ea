"""The shared state, on SQLite and on a real PostgreSQL: what buttons refer to, the per-user limit
across processes, the reindex lease, re-delivered updates, migrations, and a database out of reach."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Table, insert

from bot.keyboards import AnswerButton, parse_callback
from bot.state import State
from bot.state.database import _MIGRATIONS, SCHEMA_VERSION, DatabaseError, default_url, kept, metadata, open_database
from bot.state.deliveries import CLAIM_SECONDS, Claim
from bot.state.history import Asked, new_ref
from bot.state.kept import ANSWERS_KEPT, KeptAnswer, new_id
from bot.state.leases import LEASE_SECONDS
from embeddings.documents.passages import Passage
from embeddings.polling import Poller
from embeddings.search.confidence import Evidence
from embeddings.search.retrieval import Answer, Hit
from embeddings.search.taught import TaughtAnswer, TaughtMatch


def _answer(text: str) -> KeptAnswer:
    passage = Passage("a.md", "Bagian", 1, 2, 1, text, page=3)
    return KeptAnswer(
        Answer([Hit(passage, 0.8, 7)], [(0, len(text))], confidence=0.9, sure=True),
        "abc123",
        new_ref(),
        f"Apa isi {text}?",
    )


def _state(url: str, tmp_path: Path, per_minute: int = 3, clock=time.time) -> State:
    return State(open_database(url), history_days=90, per_minute=per_minute, salt_file=tmp_path / "salt", clock=clock)


def test_kept_answers_come_back_whole_from_another_process_and_the_oldest_are_forgotten(database_url, tmp_path):
    one, other = _state(database_url, tmp_path), _state(database_url, tmp_path)
    answers = [_answer(f"Jawaban {n}.") for n in range(ANSWERS_KEPT + 2)]
    ids = [new_id() for _ in answers]
    for answer_id, answer in zip(ids, answers, strict=True):
        one.kept.keep_answer(-100123456789, answer, answer_id)
    assert len(set(ids)) == len(ids) and all(parse_callback(AnswerButton(i, 4).data()) for i in ids)
    assert (
        other.kept.kept_answer(-100123456789, ids[0]) is None and other.kept.kept_answer(-100123456789, ids[1]) is None
    )
    back = other.kept.kept_answer(-100123456789, ids[-1])
    assert back == answers[-1]  # passages, spans, confidence, the index and the history's ref
    assert other.kept.kept_answer(5, ids[-1]) is None  # another chat's answer is not this chat's


def test_a_kept_answer_keeps_its_evidence_and_taught_match_and_one_kept_in_another_form_is_out_of_date(tmp_path):
    state = _state(default_url(tmp_path), tmp_path)
    evidence = Evidence(0.8, 0.7, 1.0, 0.5, "id", True, reading=2.5, read_margin=1.0, read_gap=0.5)
    match = TaughtMatch(
        TaughtAnswer(3, "Di halaman depan.", 1000.0, ("Parkir di mana?", "Di mana parkir?")),
        "Di mana parkir?",
        0.93,
        True,
    )
    answer = dataclasses.replace(
        _answer("Jawaban."), answer=dataclasses.replace(_answer("Jawaban.").answer, evidence=evidence, taught=match)
    )
    state.kept.keep_answer(1, answer, "0123abcd")
    assert state.kept.kept_answer(1, "0123abcd") == answer  # every wording of the taught answer, the evidence
    with state.engine.begin() as connection:  # as versions before the format was marked kept it, and a renamed field
        old = json.dumps(
            {
                "index_id": "abc123",
                "ref": "r",
                "question": "q",
                "hits": [],
                "sentences": [],
                "confidence": 1.0,
                "sure": True,
            }
        )
        connection.execute(
            insert(kept).values(chat_id=1, kind="answer", id="11111111", kept_at=time.time(), payload=old.encode())
        )
        data = answer.answer.to_data()
        data["hits"][0]["passage"]["paragraph_number"] = data["hits"][0]["passage"].pop("paragraph")
        renamed = json.dumps({"index_id": "abc123", "ref": "r", "question": "q", "answer": data})
        connection.execute(
            insert(kept).values(chat_id=1, kind="answer", id="22222222", kept_at=time.time(), payload=renamed.encode())
        )
    assert state.kept.kept_answer(1, "11111111") is None and state.kept.kept_answer(1, "22222222") is None


def test_votes_on_a_kept_answer_are_one_per_user_whichever_process_records_them(database_url, tmp_path):
    one, other = _state(database_url, tmp_path), _state(database_url, tmp_path)
    answer_id = new_id()
    one.kept.keep_answer(7, _answer("Jawaban."), answer_id)
    assert one.kept.vote(7, answer_id, "user-a", 1) == (True, None)
    assert other.kept.vote(7, answer_id, "user-a", -1) == (True, 1)  # changed: the earlier vote comes back
    assert one.kept.vote(7, answer_id, "user-b", 1) == (True, None)
    assert other.kept.kept_answer(7, answer_id).votes == {"user-a": -1, "user-b": 1}
    assert one.kept.vote(7, "deadbeef", "user-a", 1) == (False, None)


def test_an_upload_awaiting_replace_is_taken_once(database_url, tmp_path):
    one, other = _state(database_url, tmp_path), _state(database_url, tmp_path)
    data = bytes(range(256)) * 1000
    upload_id = one.kept.keep_upload(9, "laporan tahunan.pdf", data)
    assert other.kept.take_upload(9, upload_id) == ("laporan tahunan.pdf", data)
    assert one.kept.take_upload(9, upload_id) is None


def test_the_per_user_limit_is_a_sliding_minute_shared_by_all_processes(database_url, tmp_path):
    now = [1000.0]
    one = _state(database_url, tmp_path, clock=lambda: now[0])
    other = _state(database_url, tmp_path, clock=lambda: now[0])
    assert [state.windows.admit("u1").admitted for state in (one, other, one)] == [True, True, True]
    refused = other.windows.admit("u1")
    assert not refused.admitted and refused.wait == 60.0 and refused.tell
    assert one.windows.admit("u2").admitted  # another user is not affected
    now[0] += 30
    quiet = one.windows.admit("u1")
    assert not quiet.admitted and quiet.wait == 30.0 and not quiet.tell  # told once per refusal streak
    now[0] += 30  # the first three questions are a minute old
    assert [state.windows.admit("u1").admitted for state in (other, one, other)] == [True, True, True]
    assert one.windows.admit("u1").tell  # a new streak is told again
    unlimited = _state(database_url, tmp_path, per_minute=0)
    assert all(unlimited.windows.admit("u1").admitted for _ in range(20))


def test_the_per_user_limit_holds_under_concurrent_questions(database_url, tmp_path):
    states = [_state(database_url, tmp_path, per_minute=5) for _ in range(4)]
    verdicts = []

    def ask(state: State) -> None:
        for _ in range(5):
            verdicts.append(state.windows.admit("flooder").admitted)

    threads = [threading.Thread(target=ask, args=(state,)) for state in states]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(True) == 5 and len(verdicts) == 20


def test_one_reindex_lease_across_processes_and_a_dead_holders_expires(database_url, tmp_path):
    now = [1000.0]
    one = _state(database_url, tmp_path, clock=lambda: now[0])
    other = _state(database_url, tmp_path, clock=lambda: now[0])
    lease = one.leases.take("reindex")
    assert lease is not None and other.leases.take("reindex") is None
    lease.release()
    taken = other.leases.take("reindex")
    assert taken is not None and one.leases.take("reindex") is None
    taken._released.set()  # its holder dies: nothing renews it
    now[0] += LEASE_SECONDS + 1
    last = one.leases.take("reindex")
    assert last is not None
    last.release()  # else it would go on renewing after the database is gone


def test_a_handled_update_is_known_to_every_process(database_url, tmp_path):
    one, other = _state(database_url, tmp_path), _state(database_url, tmp_path)
    one.deliveries.mark_handled([123456789012, 5])
    other.deliveries.mark_handled([123456789012])  # a re-delivery handled twice over is not an error
    assert other.deliveries.claim(123456789012) is Claim.DONE and other.deliveries.claim(5) is Claim.DONE
    assert other.deliveries.claim(6) is Claim.MINE


def test_an_update_is_claimed_by_one_process_and_a_dead_ones_claim_is_taken_over(database_url, tmp_path):
    now = [1000.0]
    one, other = (_state(database_url, tmp_path, clock=lambda: now[0]) for _ in range(2))
    assert one.deliveries.claim(7) is Claim.MINE
    assert other.deliveries.claim(7) is Claim.BUSY  # a copy delivered while the first is handled
    one.deliveries.mark_handled([7])
    assert other.deliveries.claim(7) is Claim.DONE and one.deliveries.claim(7) is Claim.DONE
    assert one.deliveries.claim(8) is Claim.MINE  # and then its process dies
    now[0] += CLAIM_SECONDS - 1
    assert other.deliveries.claim(8) is Claim.BUSY
    now[0] += 2
    assert other.deliveries.claim(8) is Claim.MINE and one.deliveries.claim(8) is Claim.BUSY  # taken over once


def test_every_process_hashes_users_alike(database_url, tmp_path):
    one, other = _state(database_url, tmp_path / "a"), _state(database_url, tmp_path / "b")
    assert one.history.user(42) == other.history.user(42) != one.history.user(43)


def tables_since(schema: int) -> list[Table]:
    """The tables schema ``schema`` and later ones created, dependent ones first (to drop them in order)."""
    created = {change for step in _MIGRATIONS[schema - 1 :] for change in step if isinstance(change, Table)}
    return [table for table in reversed(metadata.sorted_tables) if table in created]


def test_a_history_file_of_schema_1_is_migrated_and_keeps_its_rows_and_salt(tmp_path: Path):
    from bot.state.database import HISTORY_FILE, questions

    engine = open_database(default_url(tmp_path))
    with engine.begin() as connection:  # what the first tanya wrote: schema 1 and user_version, no schema_version
        connection.exec_driver_sql("DROP TABLE schema_version")
        for table in tables_since(2):
            connection.exec_driver_sql(f"DROP TABLE {table.name}")
        connection.execute(
            questions.insert().values(
                ref="r1",
                asked_at=1.0,
                chat_type="private",
                language="id",
                user="h",
                question="q",
                confidence=0.5,
                not_sure=0,
                seconds=0.1,
            )
        )
    engine.dispose()
    with sqlite3.connect(tmp_path / HISTORY_FILE) as connection:
        connection.execute("PRAGMA user_version = 1")
    (tmp_path / "history-salt").write_bytes(b"s" * 32)
    state = State.open(None, tmp_path, 90, 20)
    with (tmp_path / "out.csv").open("w") as out:
        assert state.history.export(out) == 1  # the row of schema 1 is read through schema 2
    with state.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT version FROM schema_version").scalar_one() == SCHEMA_VERSION
    assert state.history.user(1) == hashlib.sha256(b"s" * 32 + b"1").hexdigest()[:32]  # the file's salt, kept
    state.kept.keep_answer(1, _answer("x"), "0123abcd")
    assert state.kept.kept_answer(1, "0123abcd") is not None  # the new tables are there


def test_unusable_databases_get_one_line_naming_the_setting(tmp_path: Path):
    from tests.postgres import free_port

    with pytest.raises(DatabaseError, match=r"^TANYA_DATABASE_URL: cannot use postgresql\+psycopg://tanya:\*\*\*@"):
        open_database(f"postgresql://tanya:secret@127.0.0.1:{free_port()}/tanya")
    with pytest.raises(DatabaseError, match="TANYA_DATABASE_URL: not a database URL"):
        open_database("postgresql://tanya:secret@host:notaport/x")
    with pytest.raises(DatabaseError, match="mysql is not supported"):
        open_database("mysql://localhost/x")


def test_answering_goes_on_while_the_database_is_out_of_reach(postgres, tmp_path, caplog):
    from tests.postgres import PostgresServer

    server = PostgresServer(postgres.bin_dir).start()  # its own: this test stops it
    try:
        state = _state(server.url, tmp_path)
        state.history.start()
        server.stop(remove=False)  # the database is lost while serving
        assert state.windows.admit("u1").admitted  # admitted without the database
        answer_id = new_id()
        state.kept.keep_answer(1, _answer("x"), answer_id)
        assert state.kept.kept_answer(1, answer_id) is None  # its buttons will say it expired
        asked = Asked(new_ref(), time.time(), "private", "en", "h", "q", "a.md", 1, 1, 0.5, False, 0.1, None)
        state.history.record(asked)
        assert not state.history.flush(timeout=1)  # waiting for the database, not lost
        assert state.fallback.count == 3 and "the database is out of reach" in caplog.text
        server.start()
        assert state.history.flush(timeout=30)  # retried, and written
        assert state.history.usage().all_time == 1 and state.history.retried >= 1
        state.close()
    finally:
        server.stop()


def test_tanya_serve_with_its_database_out_of_reach_is_one_line(run_tanya):
    from tests.postgres import free_port

    url = f"postgresql://tanya:s3cret@127.0.0.1:{free_port()}/tanya"
    result = run_tanya("serve", env={"TANYA_BOT_TOKEN": "123:abc", "TANYA_DATABASE_URL": url})
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: TANYA_DATABASE_URL: cannot use postgresql+psycopg://tanya:***@127.0.0.1:")
    assert "s3cret" not in result.stderr


def test_following_a_store_outlives_its_outage_and_says_so_once_each_way(caplog):
    calls, recovered = [], threading.Event()

    def check() -> None:
        calls.append(time.monotonic())
        if len(calls) <= 3:
            raise OSError("the store is away")
        if len(calls) == 5:  # the round after the first success, which was logged by then
            recovered.set()

    poller = Poller("follow the test store", check, every=0.01, now=True)
    with caplog.at_level(logging.INFO, logger="embeddings.polling"):
        poller.start()
        assert recovered.wait(5)
        poller.stop()
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "the test store" in r.getMessage()]  # not others'
    assert said == [
        (logging.WARNING, "could not follow the test store; trying again every 0.01 s"),
        (logging.INFO, "could follow the test store again"),
    ]
    assert len(calls) >= 5
