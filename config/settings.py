"""tanya's settings: ``TANYA_*`` environment variables, or a ``.env`` file in the working directory."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from embeddings.defaults import (
    ANSWERS,
    AUTO_BACKEND,
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    EXACT_SEARCH_LIMIT,
    MAX_DOCUMENT_BYTES,
    MIN_CONFIDENCE,
    OCR_LANGUAGES,
    OCR_MAX_PAGES,
)

if TYPE_CHECKING:
    from embeddings.knowledge import KnowledgeSetup

SAMPLE_DOCS_DIR = Path(__file__).resolve().parent.parent / "sample-docs"
TELEGRAM_BOT_API = "https://api.telegram.org/bot"


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "tanya"


class SettingsError(ValueError):
    """A setting has a wrong value; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything tanya can be configured with."""

    model_config = SettingsConfigDict(env_prefix="TANYA_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="Telegram bot token from @BotFather.")
    base_url: str = Field(
        default=TELEGRAM_BOT_API,
        description=(
            "Bot API base URL, as python-telegram-bot's base_url (the token is appended): Telegram's, or that "
            "of a self-hosted Bot API server."
        ),
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Comma-separated Telegram user ids allowed to use admin commands."
    )
    access: Literal["open", "members"] = Field(
        default="open",
        description=(
            "Who is answered: open (anyone who finds the bot) or members (admins, users who joined through an "
            "/invite link or whom an admin approved, and groups an admin allowed with /allowgroup)."
        ),
    )
    docs_dir: Path = Field(
        default=SAMPLE_DOCS_DIR, description="Folder of documents to answer from: .txt, .md, .pdf, .docx, .html."
    )
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the index and model cache live.")
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Sentence-transformers model: the embedded default, a hub id or a local path.",
    )

    webhook_url: str | None = Field(
        default=None,
        description=(
            "URL the Bot API server posts updates to; when set, the bot uses a webhook. HTTPS for Telegram's "
            "servers; a self-hosted Bot API server (TANYA_BASE_URL) may post to plain HTTP."
        ),
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook server listens on.")
    webhook_port: int = Field(default=8443, ge=1, le=65535, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret token Telegram must send with every webhook request (1-256 of A-Z a-z 0-9 _ -).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description=(
            "Port for Prometheus metrics at /metrics, for polling mode (a webhook serves them on its own port "
            "too); off when unset."
        ),
    )
    metrics_listen: str = Field(default="127.0.0.1", description="Address the metrics server listens on.")
    backend: Literal[(AUTO_BACKEND, *BACKENDS)] = Field(
        default=DEFAULT_BACKEND,
        description=(
            "How the model runs: auto (the kind of vectors the index holds, else int8 where the processor has "
            "an int8 dot product such as AVX-512 VNNI, float32 elsewhere), ONNX Runtime with int8 weights, ONNX "
            "Runtime in float32 (the same vectors as PyTorch), or PyTorch through sentence-transformers."
        ),
    )
    min_confidence: float = Field(
        default=MIN_CONFIDENCE,
        ge=0.0,
        le=1.0,
        description=(
            "Below this confidence (0-1) that the documents answer a question, the bot says it is not sure "
            "and shows the closest passage as a guess."
        ),
    )
    sentence_picker: bool = Field(
        default=True,
        description=(
            "Pick the sentence shown in bold by what the question asks for (a date, a number) and the "
            "question's words; off: the sentence closest to the question by embedding."
        ),
    )
    reader: bool = Field(
        default=True,
        description=(
            "Read the best passages together with the question (the reader, a model trained for it) to tell "
            "a passage that answers from one that only shares its words, and to put it first; "
            "off: about 80-90 ms faster a question, and far more often wrongly sure."
        ),
    )
    max_document_mb: float = Field(
        default=MAX_DOCUMENT_BYTES / 2**20,
        gt=0,
        description="Documents larger than this (MiB) are skipped with a message; split them.",
    )
    watch: bool = Field(
        default=True,
        description="tanya serve follows the documents folder and reindexes it once a change has settled.",
    )
    watch_polling: bool = Field(
        default=False,
        description="Follow the documents folder by looking at it every 0.3 s (for network mounts, where no events arrive).",
    )
    notify_admins: bool = Field(
        default=False, description="Tell the admins in chat when a change in the documents folder was reindexed."
    )
    ocr_languages: str = Field(
        default=OCR_LANGUAGES,
        pattern=r"^[a-z_]+(\+[a-z_]+)*$",
        description="Tesseract's languages for scanned pages and images, joined by + (ind+eng; chi_sim for Chinese).",
    )
    ocr_max_pages: int = Field(
        default=OCR_MAX_PAGES,
        ge=0,
        description="A file with more pages to read by OCR than this is skipped, with a message; 0 reads none.",
    )
    exact_search_limit: int = Field(
        default=EXACT_SEARCH_LIMIT,
        ge=0,
        description=(
            "Up to this many passages, questions are matched against every passage; above it, through an "
            "approximate HNSW graph (much faster on large document sets, recall@10 above 0.95)."
        ),
    )
    questions_per_minute: int = Field(
        default=20,
        ge=0,
        description=(
            "Questions one user may ask in any minute; beyond it the bot asks them once to slow down and skips "
            "their questions until then, so one flooding user does not slow everyone else. 0: no limit."
        ),
    )
    handoff: Literal["button", "auto", "off"] = Field(
        default="button",
        description=(
            "What happens to a question the documents don't answer, once an admin made a group the help desk "
            "(/helpdesk): button, a 🙋 “Ask a person” button under “not sure” and after 👎; auto, every “not "
            "sure” is handed over at once; off, never."
        ),
    )
    learn_wordings: Literal["approve", "auto", "off"] = Field(
        default="approve",
        description=(
            "What the bot learns when someone taps an offered taught answer and then 👍 it (or asks nothing "
            "more within a minute): approve, their wording is suggested in /taught, where an admin's ✅ makes "
            "it one of the answer's questions (then given at once); auto, it becomes one at once; off, nothing."
        ),
    )
    ticket_days: int = Field(
        default=7, ge=1, description="Days without messages after which a help-desk ticket is closed."
    )
    ticket_remind_minutes: int = Field(
        default=60,
        ge=1,
        description="Minutes after which a ticket nobody has answered is posted in the help-desk group again (once).",
    )
    history_days: int = Field(
        default=90,
        ge=0,
        description=(
            "Days the questions asked (text, answer chosen, confidence, time; users as a salted hash) and votes "
            "are kept, for /stats and /unanswered; older ones are deleted. 0: keep only daily counts."
        ),
    )
    vector_store: Literal["faiss", "milvus"] = Field(
        default="faiss",
        description=(
            "Where the index is saved: faiss (files in the data folder, one machine) or milvus (TANYA_MILVUS_URI, "
            "shared by replicas on any machine)."
        ),
    )
    milvus_uri: str | None = Field(
        default=None,
        description=(
            "With TANYA_VECTOR_STORE=milvus: a local file path runs Milvus Lite embedded (default: milvus.db in the "
            "index folder); http://host:19530 is a Milvus Lite server, Milvus Standalone or Distributed."
        ),
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "The database all state is kept in (history, buttons' answers, per-user limits, the reindex lease): "
            "by default history.sqlite3 in the data folder; postgresql://user:password@host/name for replicas."
        ),
    )
    answers: int = Field(
        default=ANSWERS, ge=1, le=ANSWERS, description="Passages a question can page through with 'more answers'."
    )

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("milvus_uri")
    @classmethod
    def _check_milvus_uri(cls, value: str | None) -> str | None:
        if value and "://" in value and not re.match(r"(https?|tcp|unix)://[^/:]+", value):
            raise ValueError("must be a local path (Milvus Lite) or http://host:19530")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"(sqlite|postgresql)(\+\w+)?://", value.get_secret_value()):
            raise ValueError("must be sqlite:///PATH or postgresql://user:password@host/name")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value or value.startswith("https://"):
            return value or None
        base_url = info.data.get("base_url", TELEGRAM_BOT_API)
        if not value.startswith("http://"):
            raise ValueError("must be an https:// URL (or http:// for a self-hosted Bot API server)")
        if urlparse(base_url).hostname == urlparse(TELEGRAM_BOT_API).hostname:
            raise ValueError(
                "must be an https:// URL: Telegram only posts to HTTPS (http:// needs a self-hosted "
                "Bot API server in TANYA_BASE_URL)"
            )
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            bad = [part for part in parts if not part.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"expected comma-separated numeric user ids, got {', '.join(bad)!r}")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def base_file_url(self) -> str:
        """Where files sent to the bot are downloaded from: ``…/bot`` of ``base_url`` becomes ``…/file/bot``."""
        root, bot_path, _ = self.base_url.rpartition("/bot")
        return f"{root}/file/bot" if bot_path else self.base_url.rstrip("/") + "/file/bot"

    @property
    def index_dir(self) -> Path:
        """Where the index of ``docs_dir`` is stored."""
        return self.data_dir / "index"

    @property
    def max_document_bytes(self) -> int:
        """``max_document_mb`` in bytes."""
        return int(self.max_document_mb * 2**20)

    @property
    def model_cache_dir(self) -> Path:
        """Where converted models are cached."""
        return self.data_dir / "models"

    @property
    def ocr_cache_dir(self) -> Path:
        """Where what OCR read is kept, by the file's checksum: beside the index."""
        return self.index_dir / "ocr"

    def knowledge_setup(self) -> KnowledgeSetup:
        """The core's objects for these settings (the one place they are handed to it)."""
        from embeddings.documents.ocr import Ocr
        from embeddings.indexing import IndexLimits
        from embeddings.knowledge import KnowledgeSetup  # loads FAISS and the model code: only when needed

        ocr = Ocr(self.ocr_languages, self.ocr_max_pages, cache_dir=self.ocr_cache_dir)
        return KnowledgeSetup(
            docs_dir=self.docs_dir,
            index_dir=self.index_dir,
            model_cache_dir=self.model_cache_dir,
            limits=IndexLimits(ocr, self.max_document_bytes, self.exact_search_limit),
            model=self.model,
            backend=self.backend,
            min_confidence=self.min_confidence,
            sentence_picker=self.sentence_picker,
            reader=self.reader,
            vector_store=self.vector_store,
            milvus_uri=self.milvus_uri,
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = "TANYA_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        shown = (
            ""
            if name in ("TANYA_BOT_TOKEN", "TANYA_WEBHOOK_SECRET", "TANYA_DATABASE_URL")
            else f" (got {first.get('input')!r})"
        )
        raise SettingsError(f"{name}: {message}{shown}") from None
