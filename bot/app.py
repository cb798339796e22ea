"""The Telegram application: handlers wired up, model and index loaded at start-up, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote, urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import metrics
from bot.delivery import ReadableUpdates, RetryingRateLimiter
from bot.handlers import (
    access,
    admin,
    buttons,
    collections,
    common,
    documents,
    helpdesk,
    insight,
    questions,
    sections,
    teach,
)
from bot.state import State, open_state
from bot.texts import FALLBACK, LANGUAGES, commands, load_catalogs
from bot.watcher import follow_folder
from bot.webhook import run_webhook
from config import Settings
from embeddings.knowledge import KnowledgeBase
from embeddings.models.encoder import Encoder

logger = logging.getLogger(__name__)

# Handler groups before the default one: the access gate, replies to ✍️ prompts, replies on help-desk tickets.
GATE, PROMPTS, TICKETS = -3, -2, -1

COMMANDS = {
    ("start", "help"): common.start,
    "ask": questions.ask,
    "sections": sections.sections,
    "section": sections.section,
    "documents": documents.documents,
    "forget": insight.forget,
}
ADMIN_COMMANDS = {  # answered for admins only (TANYA_ADMIN_IDS); anyone else is told so, with their user id
    "reindex": admin.reindex,
    "stats": insight.stats,
    "unanswered": insight.unanswered,
    "teach": teach.teach,
    "taught": teach.taught,
    "invite": access.invite,
    "allowgroup": access.allow_group,
    "members": access.members,
    "revoke": access.revoke,
    "remove": documents.remove,
    "helpdesk": helpdesk.helpdesk,
    "tickets": helpdesk.tickets_list,
    "collection": collections.collection,
    "grant": collections.grant,
    "ungrant": collections.ungrant,
}
TICKET_SECONDS = 60  # how often reminders and expiries of help-desk tickets are looked for
SETTLE_EVERY = 20  # how often tapped taught answers a minute old are decided (bot.state.taught.settle)


class RedactToken(logging.Filter):
    """Replaces the bot token in every log record, wherever a library puts it (URLs included, where its
    colon may be percent-encoded)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.tokens = {token, quote(token, safe=""), quote(token, safe="").replace("%3A", "%3a")}

    def _redacted(self, value: str) -> str:
        for token in self.tokens:
            value = value.replace(token, "[bot token]")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (redacted := self._redacted(message)) != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            if (redacted := self._redacted(formatted)) != formatted:
                record.exc_text, record.exc_info = redacted, None
        return True


def configure_logging(token: str) -> None:
    """Log to stderr with the token redacted; keep per-request HTTP logs (which carry URLs) quiet."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for chatty in ("sentence_transformers", "bm25s"):  # per-step library progress lines
        logging.getLogger(chatty).setLevel(logging.WARNING)


def build_application(settings: Settings, encoder: Encoder | None = None) -> Application:
    """The bot for ``settings``; ``encoder`` may be passed in when one is already loaded."""
    if settings.bot_token is None:
        raise ValueError("TANYA_BOT_TOKEN is not set: create a bot with @BotFather and set its token")
    load_catalogs()

    async def post_init(application: Application) -> None:
        knowledge = await asyncio.to_thread(KnowledgeBase.open, settings.knowledge_setup(), encoder)
        knowledge.watch()  # replicas sharing the store load each other's reindexes
        application.bot_data["knowledge"] = knowledge
        application.bot_data["state"].taught.follow(knowledge.taught.replace)  # taught through any replica
        registered = await asyncio.gather(
            *(  # at once: each may be retried for 15 s when Telegram fails
                application.bot.set_my_commands(
                    [BotCommand(command, description) for command, description in commands(language)],
                    language_code=None if language == FALLBACK else language,
                )
                for language in LANGUAGES
            ),
            return_exceptions=True,
        )
        failed = [error for error in registered if isinstance(error, TelegramError)]
        if failed:
            logger.warning(
                "could not register the command list in %d of %d languages (%s); going on without it",
                len(failed),
                len(LANGUAGES),
                failed[0],
            )
        for error in registered:
            if isinstance(error, BaseException) and not isinstance(error, TelegramError):
                raise error
        state = application.bot_data["state"]
        state.history.start()
        application.job_queue.run_repeating(helpdesk.follow_tickets, interval=TICKET_SECONDS, first=TICKET_SECONDS)
        if settings.learn_wordings != "off":
            application.job_queue.run_repeating(teach.settle_wordings, interval=SETTLE_EVERY, first=SETTLE_EVERY)
        metrics.follow(lambda: application.bot_data.get("knowledge"), lambda: state.history.waiting)
        if settings.metrics_port is not None:
            application.bot_data["metrics"] = metrics.start_http_server(settings.metrics_port, settings.metrics_listen)
        if settings.watch:
            stop = asyncio.Event()
            application.bot_data["watching"] = (stop, asyncio.create_task(follow_folder(application, stop)))
        logger.info("ready: @%s answers from %s", application.bot.username, settings.docs_dir.name)

    async def post_shutdown(application: Application) -> None:
        if "metrics" in application.bot_data:
            application.bot_data.pop("metrics").shutdown()
        if "watching" in application.bot_data:
            stop, watching = application.bot_data.pop("watching")
            stop.set()
            await asyncio.gather(watching, return_exceptions=True)
        if "knowledge" in application.bot_data:
            application.bot_data["knowledge"].unwatch()
        await asyncio.to_thread(application.bot_data["state"].close)

    application = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .concurrent_updates(True)
        .rate_limiter(RetryingRateLimiter(max_retries=3))
        .get_updates_request(ReadableUpdates())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["admins"] = common.Admins(settings.admin_ids)
    application.bot_data["state"] = open_state(settings)

    private, admins = filters.ChatType.PRIVATE, application.bot_data["admins"]
    application.add_handler(TypeHandler(Update, access.gate), group=GATE)
    # An admin's reply to a ✍️ prompt teaches its answer, and is no question (ApplicationHandlerStop).
    replies = filters.TEXT & ~filters.COMMAND & filters.REPLY & admins
    application.add_handler(MessageHandler(replies, teach.answered_prompt), group=PROMPTS)
    # A reply on a help-desk ticket goes to the other side (ApplicationHandlerStop), whoever sent it.
    application.add_handler(MessageHandler(filters.REPLY & ~filters.COMMAND, helpdesk.relay), group=TICKETS)
    application.add_handler(ChatMemberHandler(helpdesk.desk_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    for names, handler in COMMANDS.items():
        application.add_handler(CommandHandler(names, handler))
    for names, handler in ADMIN_COMMANDS.items():  # admin rights: here and in bot.keyboards' ADMIN, nowhere else
        application.add_handler(CommandHandler(names, handler, filters=admins))
    application.add_handler(CommandHandler(list(ADMIN_COMMANDS), common.not_admin))  # anyone else
    application.add_handler(InlineQueryHandler(questions.inline_question))
    for handler in buttons.handlers():
        application.add_handler(handler)
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, questions.question))
    application.add_handler(MessageHandler(private & filters.COMMAND, common.unknown_command))
    files = filters.Document.ALL | filters.PHOTO
    application.add_handler(MessageHandler(files & admins & (private | filters.ChatType.GROUPS), documents.upload))
    application.add_handler(MessageHandler(private & filters.Document.ALL, documents.only_admins_add))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, common.not_text))
    application.add_error_handler(common.error)
    return application


def webhook_secret(settings: Settings, state: State) -> str:
    """TANYA_WEBHOOK_SECRET, or else the one made once and kept in the database: a webhook always has a
    secret, or anyone who finds its URL could post updates that claim to come from an admin."""
    return settings.webhook_secret.get_secret_value() if settings.webhook_secret else state.webhook_secret()


def serve(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM: a webhook (with /healthz) when ``TANYA_WEBHOOK_URL`` is set, else polling."""
    application = build_application(settings)
    configure_logging(settings.bot_token.get_secret_value())
    try:
        if settings.webhook_url:
            asyncio.run(
                run_webhook(
                    application,
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    path=urlparse(settings.webhook_url).path,
                    url=settings.webhook_url,
                    secret=webhook_secret(settings, application.bot_data["state"]),
                )
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:  # python-telegram-bot's message quotes the token
        raise ValueError("Telegram refused TANYA_BOT_TOKEN: copy the bot's token from @BotFather again") from None
