"""The webhook server: Telegram's updates in (only with the webhook's secret token), one at a time each,
answered before Telegram hears 200; and ``/healthz`` for a load balancer.

python-telegram-bot's own webhook server acknowledges an update as soon as it is queued, so a
replica killed mid-answer loses it. Here an update is handled first: a replica that dies before
answering never says 200, Telegram delivers the update again (to any replica). The database holds a
claim on each update from before it is handled (see ``bot.state.deliveries``), so copies delivered at
once are answered once: a copy that finds another being handled gets 503 and comes again, and one
that finds it handled gets 200.

Bodies over ``MAX_BODY_BYTES`` are refused before they are read, and anything but one JSON object
gets 400.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.metrics import MetricsHandler
from bot.state import State
from bot.state.deliveries import Claim

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Handled updates are recorded together, at most this long after their 200: a transaction per update
# would run beside the next update's answer. Telegram re-delivers an update whose 200 it missed only
# long after this.
RECORD_SECONDS = 1.0
MAX_BODY_BYTES = 2**20  # an update is at most a few tens of kilobytes


class UpdateHandler(tornado.web.RequestHandler):
    """POST of one update: checked, handled, then acknowledged."""

    def initialize(self, bot_app: Application, state: State, secret: str, handled: list[int]) -> None:
        self.bot_app, self.state, self.secret, self.handled = bot_app, state, secret, handled

    async def post(self) -> None:
        if not hmac.compare_digest(self.request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            logger.warning("a webhook request without the right secret token was refused")
            raise tornado.web.HTTPError(403)
        try:
            body = json.loads(self.request.body)
            update = Update.de_json(body, self.bot_app.bot) if isinstance(body, dict) else None
        except Exception:  # noqa: BLE001 - an update the library cannot read is the sender's fault
            update = None
        if update is None:
            logger.warning("a webhook request that is not an update was refused")
            raise tornado.web.HTTPError(400)
        claim = await _safely(self.state.deliveries.claim, update.update_id, default=Claim.MINE)
        if claim is Claim.DONE:
            logger.info("update %d was handled already (a re-delivery): not answering it again", update.update_id)
            return
        if claim is Claim.BUSY:  # Telegram delivers it again later; by then it is handled, or its replica dead
            raise tornado.web.HTTPError(503)
        await self.bot_app.process_update(update)  # handler errors go to the error handler, not here
        # Recorded after the 200 goes out (see RECORD_SECONDS); recording it first would protect nothing
        # more: a replica killed between answering and recording answers twice either way.
        self.handled.append(update.update_id)

    def log_exception(self, typ, value, tb) -> None:
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 while this replica can answer questions, else 503; the body says why, and what is
    degraded without stopping answers (a database out of reach, when anyone may ask: answers go on, the
    history catches up once it is back). With TANYA_ACCESS=members a database out of reach means no
    member can be checked, so it is 503."""

    def initialize(self, bot_app: Application, state: State) -> None:
        self.bot_app, self.state = bot_app, state

    async def get(self) -> None:
        problems, degraded = [], []
        knowledge = self.bot_app.bot_data.get("knowledge")
        if knowledge is None:
            problems.append("index not loaded")
        try:
            await asyncio.to_thread(self.state.ping)
        except Exception as error:  # noqa: BLE001 - any failure means the database is out of reach
            members_only = self.bot_app.bot_data["settings"].access == "members"
            (problems if members_only else degraded).append(f"database unreachable ({type(error).__name__})")
        self.set_status(503 if problems else 200)
        index = knowledge.index_id if knowledge is not None else None
        self.finish({"ready": not problems, "index": index, "problems": problems, "degraded": degraded})


async def _safely(call, *args, default):
    """``call(*args)`` in a worker thread; ``default`` (and a log line) when the database is out of reach."""
    try:
        return await asyncio.to_thread(call, *args)
    except Exception as error:  # noqa: BLE001 - answering goes on without the database
        logger.warning("webhook bookkeeping skipped, the database is out of reach: %s", error)
        return default


async def _record(state: State, handled: list[int]) -> None:
    """Record the updates in ``handled`` as handled, in one transaction, and empty it."""
    if handled:
        update_ids = handled.copy()
        handled.clear()
        await _safely(state.deliveries.mark_handled, update_ids, default=None)


async def _record_every(state: State, handled: list[int]) -> None:
    while True:
        await asyncio.sleep(RECORD_SECONDS)
        await _record(state, handled)


def web_app(
    application: Application, state: State, path: str, secret: str, handled: list[int]
) -> tornado.web.Application:
    """The tornado app: the webhook at ``path``, readiness at /healthz, metrics at /metrics; ``handled``: the updates handled
    and not yet recorded."""
    handler = {"bot_app": application, "state": state, "secret": secret, "handled": handled}
    return tornado.web.Application(
        [
            (f"/{path.strip('/')}", UpdateHandler, handler),
            (r"/healthz", HealthHandler, {"bot_app": application, "state": state}),
            (r"/metrics", MetricsHandler),
        ]
    )


async def run_webhook(
    application: Application,
    *,
    listen: str,
    port: int,
    path: str,
    url: str,
    secret: str,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``application`` on a webhook until ``stop`` is set (or SIGINT/SIGTERM when no ``stop`` is given).

    Every replica registers the same webhook and command list: Telegram's setWebhook is idempotent.
    """
    stop = stop or _stop_on_signals()
    state: State = application.bot_data["state"]
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        handled: list[int] = []
        recorder = asyncio.create_task(_record_every(state, handled))
        server = tornado.httpserver.HTTPServer(
            web_app(application, state, path, secret, handled), max_body_size=MAX_BODY_BYTES
        )
        server.listen(port, listen)
        await application.start()
        logger.info("webhook listening on %s:%d", listen, port)
        try:
            await stop.wait()
        finally:
            server.stop()
            await server.close_all_connections()
            recorder.cancel()
            await _record(state, handled)
            await application.stop()
            if application.post_shutdown:
                await application.post_shutdown(application)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
