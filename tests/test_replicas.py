"""Two real ``tanya serve`` replicas on one PostgreSQL and one Milvus Lite, behind webhooks the Bot API
stand-in posts to in turn (as a load balancer would): any replica handles any update, one reindex
at a time across both, one per-user limit, and a replica killed mid-flow loses no question."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from benchmarks.samples import OFF_TOPIC
from bot.texts import text
from tests.botapi import BotApiStandIn
from tests.milvus import MilvusLiteServer
from tests.postgres import free_port
from tests.processes import running, tanya
from tests.telegram_html import telegram_html_problem
from tests.test_bot import ADMIN, buttons

SECRET = "replica-secret"


@dataclass
class Cluster:
    database_url: str
    standin: BotApiStandIn
    replicas: list[subprocess.Popen]
    ports: list[int]
    docs_dir: Path
    log: Path

    def ask(self, text: str, **kwargs) -> dict:
        return self.standin.reply_to(self.standin.send(text, **kwargs), timeout=120)

    def healthz(self, replica: int) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[replica]}/healthz", timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def handled_by(self, sent: dict | str) -> int:
        """Which replica took the update of ``sent`` (a message, or a button press's query id): answered 200."""
        key = sent if isinstance(sent, str) else (sent["chat"]["id"], sent["message_id"])
        endpoint = self.standin.delivered_to(self.standin.update_of[key])
        return next(n for n, port in enumerate(self.ports) if f":{port}/" in endpoint)


@pytest.fixture
def cluster(request: pytest.FixtureRequest, postgres, data_dir: Path, docs_dir: Path, tmp_path: Path):
    """Two replicas: same token, PostgreSQL database and Milvus; the stand-in posts updates to each in turn.
    Indirect parameters: settings to change (None: unset)."""
    url = postgres.new_database(f"replicas_{tmp_path.name[-12:].lower()}".replace("-", "_"))
    log = tmp_path / "replicas.log"
    with ExitStack() as stack:
        milvus = MilvusLiteServer(tmp_path / "milvus").start()
        stack.callback(milvus.stop)
        standin = stack.enter_context(BotApiStandIn())
        ports = [free_port(), free_port()]
        replicas = []
        for port in ports:
            env = dict(
                TANYA_BOT_TOKEN=standin.token,
                TANYA_BASE_URL=standin.base_url,
                TANYA_DATABASE_URL=url,
                TANYA_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                TANYA_WEBHOOK_PORT=str(port),
                TANYA_WEBHOOK_SECRET=SECRET,
                TANYA_ADMIN_IDS=str(ADMIN),
                TANYA_QUESTIONS_PER_MINUTE="4",
                TANYA_VECTOR_STORE="milvus",
                TANYA_MILVUS_URI=milvus.uri,
            )
            env = {name: value for name, value in {**env, **getattr(request, "param", {})}.items() if value is not None}
            replicas.append(stack.enter_context(running(tanya(data_dir, docs_dir, "serve", log=log, **env))))
            if len(replicas) == 1:  # the first builds the index the second then opens
                _wait_ready(port, replicas[0])
        _wait_ready(ports[1], replicas[1])
        [secret] = {call.params["secret_token"] for call in standin.calls if call.method == "setWebhook"}
        standin.deliver_to(*[f"http://127.0.0.1:{port}/hook" for port in ports], secret=secret)
        yield Cluster(url, standin, replicas, ports, docs_dir, log)
        for replica in replicas:
            if replica.poll() is None:
                replica.send_signal(signal.SIGTERM)
                assert replica.wait(timeout=60) == 0
    assert "Traceback" not in log.read_text()


def _wait_recorded(url: str, update_id: int, timeout: float = 30) -> None:
    """Wait until the database records update ``update_id`` as handled (replicas record it soon after its 200)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as connection:
        while not connection.execute("SELECT 1 FROM deliveries WHERE update_id = %s", (update_id,)).fetchone():
            assert time.monotonic() < deadline, f"update {update_id} was not recorded as handled"
            time.sleep(0.1)


def _wait_ready(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "a replica ended before it was ready"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "a replica was not ready in time"
        time.sleep(0.2)


def test_any_replica_handles_any_update_buttons_and_votes_included(cluster: Cluster):
    standin = cluster.standin
    question = standin.send("Kapan pertemuan virtual diadakan?", user_id=501)
    reply = standin.reply_to(question, timeout=120)
    pressed = standin.press(reply, buttons(reply)["More answers ▶"], user_id=501)
    standin.wait_for(lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == pressed)
    [edited] = standin.wait_for(lambda c: c.method == "editMessageText")
    assert "Jawaban 2 dari 5" in edited.params["text"]  # the question's language
    assert cluster.handled_by(pressed) != cluster.handled_by(question)  # the other replica turned the page
    votes = [standin.press(reply, buttons(reply)["👍"], user_id=501) for _ in range(2)]
    standin.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params.get("text") == "Thanks for the 👍", count=2
    )
    assert cluster.handled_by(votes[0]) != cluster.handled_by(votes[1])
    # Telegram missed the 200 of the question and delivers it again, to the other replica: not answered twice.
    update_id = standin.update_of[(question["chat"]["id"], question["message_id"])]
    _wait_recorded(cluster.database_url, update_id)
    standin.route = 1 - cluster.handled_by(question)
    standin.redeliver(update_id)
    deadline = time.monotonic() + 60
    while len([d for d in standin.deliveries if d[0] == update_id and d[2] == 200]) < 2:  # answered 200 again
        assert time.monotonic() < deadline, standin.deliveries
        time.sleep(0.05)
    standin.route = None
    assert (
        len(
            [
                c
                for c in standin.calls
                if c.method == "sendMessage"
                and c.params["chat_id"] == question["chat"]["id"]
                and (c.params.get("reply_parameters") or {}).get("message_id") == question["message_id"]
            ]
        )
        == 1
    )
    assert "section 4, paragraph 2" in cluster.ask("Why is energy a key area of cooperation?", user_id=502)["text"]
    assert (
        "bagian 5, paragraf 3"
        in cluster.ask("Apa kesimpulan pertemuan Xi dan Putin?", user_id=502, language="id")["text"]
    )
    deadline = time.monotonic() + 30
    while True:  # each replica writes its history in the background: /stats sees both within moments
        stats = cluster.ask("/stats", user_id=ADMIN)["text"]
        if "all time 3" in stats and "Helpful (👍 of the votes): 100% (1/1)" in stats:  # the same vote twice: one
            break
        assert time.monotonic() < deadline, stats
        time.sleep(0.5)
    assert cluster.healthz(0)[0] == cluster.healthz(1)[0] == 200
    for sent in cluster.standin.sent_texts():
        assert telegram_html_problem(sent) is None, sent[:200]


@pytest.mark.parametrize("cluster", [{"TANYA_ACCESS": "members", "TANYA_WEBHOOK_SECRET": None}], indirect=True)
def test_a_private_bot_over_two_replicas_shares_one_secret_and_a_revocation_holds_on_both(cluster: Cluster):
    standin = cluster.standin
    secrets = [call.params["secret_token"] for call in standin.calls if call.method == "setWebhook"]
    assert len(secrets) == 2 and len(set(secrets)) == 1 and secrets[0] != SECRET  # made once, in the database
    question, member = "Kapan pertemuan virtual diadakan?", 1501
    standin.route = 0
    [code] = re.findall(r"start=([A-Za-z0-9_-]+)", cluster.ask("/invite", user_id=ADMIN)["text"])
    standin.route = 1
    assert cluster.ask(f"/start {code}", user_id=member)["text"].startswith("✅ Welcome!")
    standin.route = 0
    assert "bagian 1, paragraf 1" in cluster.ask(question, user_id=member)["text"]
    assert cluster.ask(f"/revoke {member}", user_id=ADMIN)["text"].startswith(f"Removed <code>{member}</code>")
    standin.route = 1
    asked = standin.send(question, user_id=member)
    assert standin.reply_to(asked, timeout=120)["text"].startswith("🔒 This bot is private")
    assert cluster.handled_by(asked) == 1  # the other replica, on the very next update


def test_one_users_questions_over_both_replicas_meet_one_limit(cluster: Cluster):
    standin = cluster.standin
    asked = [standin.send("Kapan pertemuan virtual diadakan?", user_id=601) for _ in range(7)]
    standin.wait_for(lambda c: c.method == "sendMessage" and "faster than I can answer" in c.params["text"])
    standin.wait_for(lambda c: c.method == "sendMessage" and "bagian 1, paragraf 1" in c.params["text"], count=4)
    # A replica says 200 only once it is done with an update: once all seven have their 200, all is sent.
    assert {cluster.handled_by(message) for message in asked} == {0, 1}
    sent = [c.params["text"] for c in standin.calls if c.method == "sendMessage" and c.params["chat_id"] == 601]
    assert len([text for text in sent if "bagian 1, paragraf 1" in text]) == 4
    assert len([text for text in sent if "faster than I can answer" in text]) == 1 and len(sent) == 5


def test_a_reindex_on_one_replica_is_seen_by_the_other_which_is_told_to_wait(cluster: Cluster):
    standin = cluster.standin
    filler = "\n\n".join(
        f"Catatan rapat nomor {n}: anggota membahas jadwal piket ke-{n}, iuran bulan {n % 12 + 1}, dan perahu {n}."
        for n in range(400)
    )
    (cluster.docs_dir / "koperasi.md").write_text(
        "# Koperasi Nelayan\n\nKoperasi Nelayan Sumber Rejeki didirikan pada tahun 1987 di Pekalongan.\n\n" + filler,
        encoding="utf-8",
    )
    standin.route = 0
    started = standin.send("/reindex", user_id=ADMIN)
    standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexing the documents" in c.params["text"])
    standin.route = 1
    busy = cluster.ask("/reindex", user_id=ADMIN)
    assert busy["text"] == "A reindex is already running. Please wait for it to finish."
    standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexed in" in c.params["text"], timeout=300)
    deadline = time.monotonic() + 60
    while cluster.healthz(1)[1]["index"] != cluster.healthz(0)[1]["index"]:  # the other loads it, whole
        assert time.monotonic() < deadline, "the other replica did not load the new index"
        time.sleep(0.1)
    asked = standin.send("When was the Sumber Rejeki fishermen's cooperative founded?", user_id=701)
    answer = standin.reply_to(asked, timeout=120)
    assert "koperasi.md" in answer["text"] and "1987" in answer["text"]
    assert cluster.handled_by(asked) == 1  # the replica that did not reindex answers from the new index
    assert cluster.handled_by(started) == 0


def test_a_replica_killed_while_questions_flow_loses_none_and_answers_none_twice(cluster: Cluster):
    standin = cluster.standin
    questions = ["Kapan pertemuan virtual diadakan?", "Why is energy a key area of cooperation?"]
    standin.route = 0  # a burst for replica 0, killed before it answers any
    burst = [standin.send(questions[n % 2], user_id=800 + n) for n in range(6)]
    cluster.replicas[0].send_signal(signal.SIGKILL)
    cluster.replicas[0].wait()
    standin.route = None  # and the flow goes on, half of it to the dead replica
    flow = [standin.send(questions[n % 2], user_id=900 + n) for n in range(6)]
    for message in [*burst, *flow]:
        standin.reply_to(message, timeout=120)
        cluster.handled_by(message)  # its 200: the replica that took it is done with it, a second answer sent if any
    for message in [*burst, *flow]:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        replies = [
            c
            for c in standin.calls
            if c.method == "sendMessage"
            and c.params["chat_id"] == chat_id
            and (c.params.get("reply_parameters") or {}).get("message_id") == message_id
        ]
        assert len(replies) == 1, message["text"]
    refused = [u for u, e, status in standin.deliveries if status != 200]
    assert refused, "no delivery went to the killed replica"
    assert cluster.healthz(1)[0] == 200


def test_an_answer_taught_through_one_replica_is_given_by_the_other_within_5_s(cluster: Cluster):
    standin = cluster.standin
    question = "Di mana tempat parkir untuk tamu kantor?"
    standin.route = 0
    unsure = cluster.ask(question, user_id=ADMIN)
    taught = standin.reply_to(standin.send("/teach Tamu parkir di basement B1.", user_id=ADMIN, reply_to=unsure))
    assert taught["text"].startswith("✅ Taught.")
    deadline = time.monotonic() + 5
    standin.route = 1
    time.sleep(max(0.0, deadline - time.monotonic()))
    given = standin.send(question, user_id=801)
    assert standin.reply_to(given, timeout=120)["text"].startswith("🧑‍🏫 <b>Jawaban dari admin</b>")
    assert cluster.handled_by(given) == 1
    listing = cluster.ask("/taught", user_id=ADMIN)  # removed through replica 1: replica 0 forgets it too
    removed = standin.press(listing, buttons(listing)["🗑 1"], user_id=ADMIN)
    standin.wait_for(lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == removed)
    deadline = time.monotonic() + 5
    standin.route = 0
    time.sleep(max(0.0, deadline - time.monotonic()))
    assert not cluster.ask(question, user_id=802)["text"].startswith("🧑‍🏫")


def test_a_ticket_handed_over_through_one_replica_is_answered_through_the_other(cluster: Cluster):
    standin, group, asker = cluster.standin, -100600, 901
    standin.route = 0
    desk = cluster.ask("/helpdesk", user_id=ADMIN, chat_id=group, chat_type="supergroup")
    assert desk["text"] == text("en", "helpdesk_on")
    question = standin.send(OFF_TOPIC["id"][2], user_id=asker)
    reply = standin.reply_to(question, timeout=120)
    standin.route = 1
    pressed = standin.press(reply, buttons(reply)[text("en", "ask_person")], user_id=asker)
    [ticket] = standin.wait_for(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == group and "#1" in c.params["text"]
    )
    standin.wait_for(lambda c: c.method == "sendMessage" and c.params["chat_id"] == asker and "#1" in c.params["text"])
    standin.route = 0  # the asker was told: the ticket's post is recorded (a person replies after it, not before)
    staff = standin.send(
        "Di halaman depan.", user_id=902, chat_id=group, chat_type="supergroup", reply_to=ticket.result
    )
    [answered] = standin.wait_for(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == asker and "Di halaman depan." in c.params["text"]
    )
    assert answered.params["reply_parameters"]["message_id"] == question["message_id"]
    assert cluster.handled_by(pressed) == 1 and cluster.handled_by(staff) == 0
