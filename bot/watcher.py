"""``TANYA_WATCH``: the documents folder followed with watchfiles, and reindexed once it has been quiet.

Whatever changes under the folder (a file added, changed, removed or renamed, in any subfolder) is
gathered until the folder has been quiet for ``QUIET_MS``; a burst of a thousand changes is one
reindex, and what changes while a reindex runs is gathered for the next. A file still being written
is waited for until its size and time stop changing, for at most ``LONGEST_MS`` (a file that never
stops growing is indexed as it is, so it cannot hold back every other change). The reindex is the one ``/reindex`` runs:
answers come from the old index until the new one is published, only the text that changed is
embedded, and only one replica reindexes at a time (the database's lease); a replica that finds the
published index already holds the folder as it is does nothing. Admins are told in chat when
``TANYA_NOTIFY_ADMINS`` is on. Any error is logged and the folder watched on: the watcher never stops
before the bot does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from telegram.error import TelegramError
from telegram.ext import Application
from watchfiles import awatch

from bot.formatting import reindex_failure, reindex_report
from bot.reindexing import reserve
from bot.texts import text
from embeddings.documents.folder import folder_fingerprint

logger = logging.getLogger(__name__)

QUIET_MS = 3000  # a change is reindexed once the folder has been quiet this long
LONGEST_MS = 60_000  # changes that never stop are reindexed this often all the same
STEADY_SECONDS = 1.0  # a file is whole once its size and time have not changed for this long
RETRY_SECONDS = 5.0  # after an error in watching the folder itself (gone, unreadable), watch it again this soon
BUSY_SECONDS = 5.0  # while another reindex runs (here or on another replica), look again this often
NOTICE_LANGUAGE = "en"  # the admins' notices: their Telegram language is not known outside an update


async def follow_folder(application: Application, stop: asyncio.Event) -> None:
    """Reindex the documents folder whenever it changes, until ``stop`` is set."""
    settings = application.bot_data["settings"]
    folder = settings.docs_dir
    logger.info("following %s for changes%s", folder, " (polling it)" if settings.watch_polling else "")
    while not stop.is_set():
        try:
            async for changes in awatch(
                folder, step=QUIET_MS, debounce=LONGEST_MS, stop_event=stop, force_polling=settings.watch_polling
            ):
                logger.info("%d changes in the documents folder; reindexing once the files are whole", len(changes))
                await _changed(application, stop, {Path(path) for _, path in changes})
        except Exception:  # noqa: BLE001 - watchfiles gives up on a name that isn't UTF-8, a folder gone for a moment
            logger.exception("watching %s failed; watching it again in %g s", folder, RETRY_SECONDS)
            try:
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
            except TimeoutError:
                await _changed(application, stop, set())  # whatever changed while it was not watched


async def _changed(application: Application, stop: asyncio.Event, paths: set[Path]) -> None:
    """Reindex once ``paths`` are whole; an error is logged, never raised."""
    try:
        await _steady(paths)
        await _reindex(application, stop)
    except Exception:  # noqa: BLE001 - one bad change must not end the watching
        logger.exception("reindexing after a change in the documents folder failed; still watching")


async def _steady(paths: set[Path]) -> None:
    """Wait until none of ``paths`` changes its size or time any more (a copy still under way), for at
    most ``LONGEST_MS``."""

    def signature() -> dict[Path, tuple[int, int] | None]:
        found = {}
        for path in paths:
            try:
                info = path.stat()
                found[path] = (info.st_size, info.st_mtime_ns)
            except OSError:  # removed, or renamed away
                found[path] = None
        return found

    before = await asyncio.to_thread(signature)
    deadline = time.monotonic() + LONGEST_MS / 1000
    while time.monotonic() < deadline:
        await asyncio.sleep(STEADY_SECONDS)
        now = await asyncio.to_thread(signature)
        if now == before:
            return
        before = now
    logger.warning(
        "a file in the documents folder is still growing after %d s; indexing it as it is", LONGEST_MS // 1000
    )


async def _reindex(application: Application, stop: asyncio.Event) -> None:
    """Reindex, waiting while another reindex runs; nothing when the published index is up to date."""
    knowledge, state = application.bot_data["knowledge"], application.bot_data["state"]
    setup = knowledge.setup
    while not stop.is_set():
        await asyncio.to_thread(knowledge.refresh)  # another replica may have published the folder as it is
        current = await asyncio.to_thread(folder_fingerprint, setup.docs_dir, setup.limits.max_document_bytes)
        if current == knowledge.manifest.corpus_fingerprint:
            return
        job = await asyncio.to_thread(reserve, state, knowledge.start_reindex)
        if job is not None:
            break
        await asyncio.sleep(BUSY_SECONDS)
    else:
        return
    started = time.monotonic()
    try:
        result = await asyncio.to_thread(job)
    except Exception as error:  # noqa: BLE001 - a failed reindex keeps the old index; the watcher goes on
        logger.exception("reindexing the changed folder failed")
        await _tell_admins(
            application, reindex_failure(str(error).replace(str(setup.docs_dir), setup.docs_dir.name), NOTICE_LANGUAGE)
        )
        return
    logger.info("reindexed the changed folder in %.1f s", time.monotonic() - started)
    notice = text(NOTICE_LANGUAGE, "watch_reindexed") + "\n" + reindex_report(result, NOTICE_LANGUAGE)
    await _tell_admins(application, notice)


async def _tell_admins(application: Application, notice: str) -> None:
    settings = application.bot_data["settings"]
    if not settings.notify_admins:
        return
    for admin in sorted(settings.admin_ids):
        try:
            await application.bot.send_message(admin, notice, parse_mode="HTML")
        except TelegramError as error:  # an admin who never started the bot cannot be written to
            logger.warning("could not tell admin %d about the reindex: %s", admin, error)
