"""A local stand-in for Telegram's Bot API server, for end-to-end tests over real HTTP.

It serves ``/bot<token>/<method>`` on 127.0.0.1: ``getUpdates`` hands out the updates the test
feeds in (long polling, with offsets), and every call the bot makes is recorded. Files users send
(``send_document``) are served by ``getFile`` and ``/file/bot<token>/<path>``. Messages are
checked like Telegram checks them: invalid HTML or a text over 4096 characters is a 400.
Faults can be injected (``inject``): error statuses, 429 with ``retry_after``, late responses,
dropped connections.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import io
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from PIL import Image

from tests.telegram_html import telegram_html_problem, visible_text

_JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "commands",
    "allowed_updates",
    "entities",
    "link_preview_options",
    "results",
    "button",
}
CAPTION_LIMIT = 1024  # characters of a photo's caption, as Telegram counts them (the text, not the HTML)
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "reply_to_message_id", "cache_time"}
BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Tanya",
    "username": "tanya_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}


@dataclass
class Call:
    """One request the bot made: the method, its parameters, and what the stand-in answered."""

    method: str
    params: dict[str, Any]
    status: int  # 0: the connection was dropped without an answer
    result: Any
    at: float
    injected: bool = False  # failed by an injected fault


@dataclass(frozen=True)
class Fault:
    """One way to fail one request. A failed request is not carried out, except a slow one, which is
    carried out and answered ``seconds`` late. On ``getUpdates`` a fault hits a response that carries updates."""

    kind: str  # "status", "retry_after", "slow" or "drop"
    status: int = 0
    seconds: float = 0.0

    @classmethod
    def error(cls, status: int) -> Fault:
        return cls("status", status=status)

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        return cls("retry_after", status=429, seconds=seconds)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")


class BotApiStandIn:
    """The fake Telegram: feed updates in, read the bot's calls out."""

    def __init__(self, token: str = "123456789:TEST-standin-token") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict] = {}
        self._sent_at: dict[tuple[int, int], float] = {}
        self.webhook: dict[str, Any] | None = None
        self.failing_methods: set[str] = set()  # methods answered with HTTP 500, to test the bot's resilience
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._late_responses = 0
        self._updates: list[dict] = []
        self._endpoints: list[str] = []  # webhook replicas updates are posted to (deliver_to); none: getUpdates
        self._secret: str | None = None
        self._turn = itertools.count()
        self.route: int | None = None  # the endpoint new updates go to first; None: each to the next in turn
        self.update_of: dict[object, int] = {}  # (chat_id, message_id) or callback query id → its update_id
        self.deliveries: list[tuple[int, str, int]] = []  # (update_id, endpoint, HTTP status or 0: no answer)
        self._posted: dict[int, dict] = {}  # update_id → the update posted to the webhook
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.files: dict[str, bytes] = {}  # file_id → bytes of the files users sent
        self._changed = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """For python-telegram-bot's ``base_url`` (the token is appended to it)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> BotApiStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- what users do -------------------------------------------------------------------

    def user(self, user_id: int, language: str = "en") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language}

    def send(
        self,
        text: str | None,
        *,
        user_id: int = 1001,
        language: str = "en",
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: dict | None = None,
        extra: dict | None = None,
    ) -> dict:
        """A user sends a message; returns it (as Telegram would deliver it)."""
        chat_id = chat_id if chat_id is not None else user_id
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Test group"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language),
        }
        if text is not None:
            message["text"] = text
            entities = _command_and_mention_entities(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        with self._changed:
            self.messages[(chat_id, message["message_id"])] = message
            self._sent_at[(chat_id, message["message_id"])] = time.monotonic()
        self.update_of[(chat_id, message["message_id"])] = self.push({"message": message})
        return message

    def send_document(self, data: bytes, file_name: str, *, announced_size: int | None = None, **kwargs) -> dict:
        """A user sends a file (``announced_size``: the size Telegram says it has, if not its own)."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        document = {
            "file_id": file_id,
            "file_unique_id": f"unique-{file_id}",
            "file_name": file_name,
            "file_size": len(data) if announced_size is None else announced_size,
        }
        return self.send(None, extra={"document": document}, **kwargs)

    def press(self, message: dict, data: str, *, user_id: int = 1001, language: str = "en") -> str:
        """A user presses a button with ``data`` under the bot's ``message``; returns the query id."""
        query_id = str(next(self._callback_ids))
        with self._changed:
            current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        self.update_of[query_id] = self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, language),
                    "message": current,
                    "chat_instance": "standin",
                    "data": data,
                }
            }
        )
        return query_id

    def inline(self, query: str, *, user_id: int = 1001, language: str = "en") -> str:
        """A user types ``@bot query`` in some chat; returns the inline query's id."""
        query_id = f"inline-{next(self._callback_ids)}"
        self.push(
            {"inline_query": {"id": query_id, "from": self.user(user_id, language), "query": query, "offset": ""}}
        )
        return query_id

    def push(self, update: dict) -> int:
        """Queue a raw update for getUpdates, or post it to the webhook (see ``deliver_to``); returns its update_id."""
        with self._changed:
            update = {"update_id": next(self._update_ids), **update}
            if not self._endpoints:
                self._updates.append(update)
            self._changed.notify_all()
        if self._endpoints:
            self._posted[update["update_id"]] = update
            threading.Thread(target=self._deliver, args=(update,), daemon=True).start()
        return update["update_id"]

    def redeliver(self, update_id: int) -> None:
        """Post update ``update_id`` again (to the endpoint ``route`` names), as Telegram does when it did
        not receive the 200 of a delivery."""
        threading.Thread(target=self._deliver, args=(self._posted[update_id],), daemon=True).start()

    def deliver_to(self, *endpoints: str, secret: str | None = None) -> None:
        """Post updates to these webhook endpoints (replicas), as Telegram does once a webhook is set:
        each update to the next endpoint in turn; one whose delivery fails (refused, cut off, not 200)
        is delivered again, to the next endpoint, until one takes it."""
        self._endpoints, self._secret = list(endpoints), secret

    def delivered_to(self, update_id: int, timeout: float = 60.0) -> str:
        """The endpoint that took update ``update_id`` (answered 200), once one has."""

        def taken() -> list[str]:
            return [endpoint for u, endpoint, status in self.deliveries if u == update_id and status == 200]

        with self._changed:
            if not self._changed.wait_for(taken, timeout):
                raise TimeoutError(f"update {update_id} was not delivered in {timeout} s: {self.deliveries}")
            [endpoint] = taken()
            return endpoint

    def _deliver(self, update: dict) -> None:
        body = json.dumps(update).encode()
        headers = {"Content-Type": "application/json"}
        if self._secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._secret
        deadline = time.monotonic() + 120
        with self._changed:
            turn = self.route if self.route is not None else next(self._turn)
        while time.monotonic() < deadline:
            endpoint = self._endpoints[turn % len(self._endpoints)]
            turn += 1  # a failed delivery goes to the next endpoint
            try:
                request = urllib.request.Request(endpoint, body, headers)
                with urllib.request.urlopen(request, timeout=60) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except (OSError, http.client.HTTPException):
                status = 0
            with self._changed:
                self.deliveries.append((update["update_id"], endpoint, status))
                self._changed.notify_all()
            if status == 200:
                return
            time.sleep(0.2)

    # ---- what the bot did ----------------------------------------------------------------

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 60.0, count: int = 1) -> list[Call]:
        """Wait until ``count`` recorded calls match ``predicate``; returns them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matching = [call for call in self.calls if predicate(call)]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [c.method for c in self.calls]
                    raise TimeoutError(f"{len(matching)}/{count} matching calls after {timeout}s; calls: {methods}")
                self._changed.wait(remaining)

    def reply_to(self, message: dict, timeout: float = 60.0) -> dict:
        """The bot's reply to ``message``: a sendMessage quoting it, or else the first unquoted one to its chat."""
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        sent_at = self._sent_at[(chat_id, message_id)]

        def replies(call: Call) -> bool:
            if call.method != "sendMessage" or call.status != 200 or call.params.get("chat_id") != chat_id:
                return False
            quoted = (call.params.get("reply_parameters") or {}).get("message_id")
            return quoted == message_id or (quoted is None and call.at >= sent_at)

        return self.wait_for(replies, timeout)[0].result

    def sent_texts(self) -> list[str]:
        """Every text the bot sent or edited, in order."""
        return [c.params["text"] for c in self.calls if c.method in ("sendMessage", "editMessageText")]

    def inject(self, method: str, *faults: Fault) -> None:
        """Fail the next calls of ``method``, one fault each, in order."""
        with self._changed:
            self._faults[method].extend(faults)

    def injected(self, method: str) -> int:
        """How many injected faults of ``method`` are still to hit."""
        with self._changed:
            return len(self._faults[method])

    def wait_for_late_responses(self, timeout: float = 60.0) -> None:
        """Wait until every late (``Fault.slow``) response has been written."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._late_responses == 0, timeout):
                raise TimeoutError("late responses still pending")

    def pending_updates(self) -> int:
        with self._changed:
            return len(self._updates)

    # ---- the server ----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                standin._serve(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        if unquote(request.path).startswith(f"/file/bot{self.token}/"):  # PTB quotes the token's colon here
            self._serve_file(request, request.path.rsplit("/", 1)[-1])
            return
        prefix = f"/bot{self.token}/"
        if not request.path.startswith(prefix):
            self._respond(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = request.path[len(prefix) :]
        length = int(request.headers.get("Content-Length") or 0)
        params = _decode(request.headers.get("Content-Type", ""), request.rfile.read(length))
        fault = None if method == "getUpdates" else self._take_fault(method)
        if fault is None or fault.kind == "slow":
            status, result = self._call(method, params)
            if method == "getUpdates" and result:
                fault = self._take_fault(method)
        if fault is not None and fault.kind != "slow":
            self._fail(request, method, params, fault)
            return
        body = (
            {"ok": True, "result": result}
            if status == 200
            else {"ok": False, "error_code": status, "description": result}
        )
        if method != "getUpdates" or result:
            with self._changed:
                self.calls.append(Call(method, params, status, result, time.monotonic()))
                self._changed.notify_all()
        if fault is None:
            self._respond(request, status, body)
            return
        with self._changed:
            self._late_responses += 1
        time.sleep(fault.seconds)
        self._respond(request, status, body)
        with self._changed:
            self._late_responses -= 1
            self._changed.notify_all()

    def _serve_file(self, request: BaseHTTPRequestHandler, file_id: str) -> None:
        """A file's bytes; a "drop" fault on method "file" sends half of them and hangs up."""
        data = self.files.get(file_id)
        fault = self._take_fault("file")
        with self._changed:
            self.calls.append(
                Call("file", {"file_id": file_id}, 200 if data else 404, None, time.monotonic(), bool(fault))
            )
            self._changed.notify_all()
        if data is None:
            self._respond(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data[: len(data) // 2] if fault is not None else data)
        if fault is not None:
            request.close_connection = True

    def _take_fault(self, method: str) -> Fault | None:
        with self._changed:
            faults = self._faults[method]
            return faults.popleft() if faults else None

    def _fail(self, request: BaseHTTPRequestHandler, method: str, params: dict[str, Any], fault: Fault) -> None:
        with self._changed:
            self.calls.append(Call(method, params, fault.status, fault.kind, time.monotonic(), injected=True))
            self._changed.notify_all()
        if fault.kind == "drop":
            request.close_connection = True  # no answer at all: the connection just closes
            return
        body: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.kind == "retry_after":
            body.update(
                description=f"Too Many Requests: retry after {fault.seconds:g}",
                parameters={"retry_after": int(fault.seconds)},
            )
        else:
            body.update(
                description={500: "Internal Server Error", 502: "Bad Gateway"}.get(fault.status, "Server Error")
            )
        self._respond(request, fault.status, body)

    @staticmethod
    def _respond(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        try:
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot hung up on a long poll while stopping

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method in self.failing_methods:
            return 500, "Internal Server Error"
        if method == "getMe":
            return 200, BOT_USER
        if method == "getUpdates":
            return 200, self._get_updates(params)
        if method in ("setMyCommands", "deleteWebhook", "answerCallbackQuery", "sendChatAction", "close"):
            return 200, True
        if method == "setWebhook":
            self.webhook = params
            return 200, True
        if method == "sendMessage":
            return self._send_message(params)
        if method == "sendPhoto":
            return self._send_photo(params)
        if method == "answerInlineQuery":
            return self._answer_inline_query(params)
        if method == "editMessageText":
            return self._edit_message(params)
        if method == "editMessageReplyMarkup":
            return self._edit_markup(params)
        if method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.files:
                return 400, "Bad Request: invalid file_id"
            return 200, {
                "file_id": file_id,
                "file_unique_id": f"unique-{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        return 404, "Not Found: method not found"

    def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return list(self._updates[: int(params.get("limit") or 100)])

    def _send_message(self, params: dict[str, Any]) -> tuple[int, Any]:
        problem = _message_problem(params)
        if problem:
            return 400, problem
        chat_id = params["chat_id"]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            "text": params["text"],
        }
        if "inline_keyboard" in (params.get("reply_markup") or {}):  # a message carries only inline keyboards
            message["reply_markup"] = params["reply_markup"]
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        with self._changed:
            if reply_to is not None and (chat_id, reply_to) in self.messages:
                message["reply_to_message"] = self.messages[(chat_id, reply_to)]
            self.messages[(chat_id, message["message_id"])] = message
        return 200, message

    def _send_photo(self, params: dict[str, Any]) -> tuple[int, Any]:
        """A photo uploaded with the request (multipart), checked like Telegram: an image, and a caption of
        valid HTML within 1,024 characters."""
        photo = params.get("photo")
        if not isinstance(photo, bytes):
            return 400, "Bad Request: there is no photo in the request"
        try:
            with Image.open(io.BytesIO(photo)) as image:
                image.load()
                width, height = image.size
        except OSError:
            return 400, "Bad Request: IMAGE_PROCESS_FAILED"
        caption = params.get("caption", "")
        problem = telegram_html_problem(caption) if params.get("parse_mode") == "HTML" else None
        if problem:
            return 400, f"Bad Request: can't parse entities: {problem}"
        if len(visible_text(caption) if params.get("parse_mode") == "HTML" else caption) > CAPTION_LIMIT:
            return 400, "Bad Request: message caption is too long"
        chat_id = params["chat_id"]
        file_id = f"photo-{next(self._message_ids)}"
        self.files[file_id] = photo
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            "photo": [{"file_id": file_id, "file_unique_id": f"unique-{file_id}", "width": width, "height": height}],
            "caption": caption,
        }
        with self._changed:
            self.messages[(chat_id, message["message_id"])] = message
        return 200, message

    @staticmethod
    def _answer_inline_query(params: dict[str, Any]) -> tuple[int, Any]:
        """Checked like Telegram: at most 50 results, unique ids, each message valid HTML within 4096 characters."""
        results = params.get("results") or []
        if len(results) > 50 or len({result["id"] for result in results}) != len(results):
            return 400, "Bad Request: RESULTS_TOO_MUCH or RESULT_ID_DUPLICATE"
        for result in results:
            problem = _message_problem({"text": result["input_message_content"]["message_text"], "parse_mode": "HTML"})
            if problem or not result.get("title"):
                return 400, problem or "Bad Request: RESULT_TITLE_EMPTY"
        return 200, True

    def _edit_markup(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (params["chat_id"], params["message_id"])
        with self._changed:
            message = self.messages.get(key)
            if message is None:
                return 400, "Bad Request: message to edit not found"
            if message.get("reply_markup") == params.get("reply_markup"):
                return 400, "Bad Request: message is not modified"
            message = {k: v for k, v in message.items() if k != "reply_markup"}
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self.messages[key] = message
        return 200, message

    def _edit_message(self, params: dict[str, Any]) -> tuple[int, Any]:
        problem = _message_problem(params)
        if problem:
            return 400, problem
        key = (params["chat_id"], params["message_id"])
        with self._changed:
            message = self.messages.get(key)
            if message is None:
                return 400, "Bad Request: message to edit not found"
            if message["text"] == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
                return (
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same",
                )
            message = {**message, "text": params["text"], "edit_date": int(time.time())}
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
            self.messages[key] = message
        return 200, message


class _Server(ThreadingHTTPServer):
    # Telegram's servers take every connection a bot opens at once; the default backlog of 5 makes the
    # kernel refuse some of a burst (50 chats at once), which the bot would see as a broken connection.
    request_queue_size = 128


def _message_problem(params: dict[str, Any]) -> str | None:
    text = params.get("text")
    if not text:
        return "Bad Request: message text is empty"
    if params.get("parse_mode") == "HTML":
        problem = telegram_html_problem(text)
        if problem:
            return f"Bad Request: can't parse entities: {problem}"
    elif len(text) > 4096:
        return "Bad Request: message is too long"
    for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode()) > 64:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _command_and_mention_entities(text: str) -> list[dict]:
    """bot_command and mention entities, as Telegram would attach them (offsets in UTF-16 units)."""
    import re

    entities = []
    for match in re.finditer(r"(?:^|(?<=\s))(/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?|@[A-Za-z0-9_]{5,})", text):
        start = len(text[: match.start(1)].encode("utf-16-le")) // 2
        length = len(match.group(1).encode("utf-16-le")) // 2
        kind = "bot_command" if match.group(1).startswith("/") else "mention"
        if kind == "bot_command" and start != 0:
            continue
        entities.append({"type": kind, "offset": start, "length": length})
    return entities


def _decode(content_type: str, body: bytes) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(body or b"{}")
    if content_type.startswith("multipart/form-data"):  # a request that uploads a file: its parts
        form = email.message_from_bytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
        )
        fields = {}
        for part in form.iter_parts():
            payload = part.get_payload(decode=True)
            fields[part.get_param("name", header="content-disposition")] = (
                payload if part.get_filename() else [payload.decode()]
            )
        return {key: value if isinstance(value, bytes) else _value(key, value[0]) for key, value in fields.items()}
    return {key: _value(key, values[-1]) for key, values in parse_qs(body.decode(), keep_blank_values=True).items()}


def _value(key: str, value: str) -> Any:
    """A form field's value as the Bot API reads it."""
    if key in _JSON_FIELDS:
        return json.loads(value)
    if key in _INT_FIELDS:
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value
