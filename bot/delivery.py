"""Getting replies to Telegram through its faults: retry what it surely did not do, never what it may have done.

A reply that fails before Telegram could have carried it out (an HTTP 5xx answer, a connection
refused, or closed before any response) is sent again, after a growing pause; a 429 is waited
out as Telegram asks (python-telegram-bot's ``AIORateLimiter``). A request whose response timed
out is not repeated: Telegram may already have delivered the message, and nobody should get an
answer twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter
from telegram.request import HTTPXRequest, RequestData

from bot.metrics import BOT_API_ERRORS, BOT_API_RETRIES

logger = logging.getLogger(__name__)

# Raised by httpx before a request was (completely) sent, or when the server closed the
# connection without answering: Telegram did not act on it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError)


def surely_not_carried_out(error: Exception) -> bool:
    """Whether a failed Bot API request certainly had no effect, so that repeating it is safe."""
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return False  # refused for what it asked: repeating it would fail the same way
    cause = error.__cause__
    if cause is None:
        return not isinstance(error, TimedOut)  # an HTTP error status from the server (5xx)
    return isinstance(cause, _NOT_SENT)


def may_have_arrived(error: Exception) -> bool:
    """Whether a failed request may still have been carried out (its response was lost or late)."""
    return isinstance(error, NetworkError) and isinstance(error.__cause__, (httpx.ReadTimeout, httpx.ReadError))


class RetryingRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` that also repeats a request Telegram surely did not carry out.

    Up to ``network_retries`` times, pausing ``first_pause`` seconds and doubling each time.
    """

    def __init__(self, network_retries: int = 5, first_pause: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._network_retries = network_retries
        self._first_pause = first_pause

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        try:
            for retry in range(self._network_retries):
                try:
                    return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
                except NetworkError as error:
                    if not surely_not_carried_out(error):
                        raise
                    pause = self._first_pause * 2**retry
                    logger.warning(
                        "%s failed before Telegram acted on it (%s); retrying in %.1f s", endpoint, error, pause
                    )
                    BOT_API_RETRIES.labels(endpoint).inc()
                    await asyncio.sleep(pause)
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        except TelegramError:
            BOT_API_ERRORS.labels(endpoint).inc()
            raise


class ReadableUpdates(HTTPXRequest):
    """The connection polling fetches updates through (``getUpdates``): an update python-telegram-bot
    cannot read is logged once and handed on as its bare ``update_id``, which no handler takes. Raised
    instead, it would fail every fetch after it: polling would ask for it again, for ever."""

    async def post(self, url: str, request_data: RequestData | None = None, **timeouts: Any) -> Any:
        result = await super().post(url, request_data, **timeouts)
        if not url.endswith("/getUpdates") or not isinstance(result, list):
            return result
        return [readable for item in result if (readable := _readable(item)) is not None]


def _readable(item: Any) -> dict | None:
    try:
        Update.de_json(item, None)
        return item
    except Exception as error:  # noqa: BLE001 - whatever the library cannot read is skipped
        update_id = item.get("update_id") if isinstance(item, dict) else None
        logger.warning("an update that cannot be read was skipped (update_id %r): %s", update_id, error)
        return {"update_id": update_id} if isinstance(update_id, int) else None
