"""Settings come from TANYA_* variables or .env; a wrong value is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SAMPLE_DOCS_DIR, SettingsError, load_settings
from embeddings.defaults import DEFAULT_MODEL, EXACT_SEARCH_LIMIT, MAX_DOCUMENT_BYTES


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("BOT_TOKEN", "BASE_URL", "ADMIN_IDS", "DOCS_DIR", "DATA_DIR", "MODEL"):
        monkeypatch.delenv(f"TANYA_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_work_with_zero_configuration():
    settings = load_settings()
    assert settings.docs_dir == SAMPLE_DOCS_DIR and (SAMPLE_DOCS_DIR / "pertemuan-xi-putin.txt").exists()
    assert settings.model == DEFAULT_MODEL
    assert settings.admin_ids == frozenset()
    assert settings.bot_token is None
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.index_dir == settings.data_dir / "index"
    assert settings.exact_search_limit == EXACT_SEARCH_LIMIT  # the library's defaults are the app's
    assert settings.max_document_bytes == MAX_DOCUMENT_BYTES


def test_environment_variables(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TANYA_ADMIN_IDS", " 111, 222 ,")
    monkeypatch.setenv("TANYA_DOCS_DIR", str(tmp_path))
    monkeypatch.setenv("TANYA_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    monkeypatch.setenv("TANYA_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    assert settings.admin_ids == frozenset({111, 222})
    assert settings.docs_dir == tmp_path
    assert settings.model == "sentence-transformers/all-MiniLM-L6-v2"
    assert settings.base_url == "http://127.0.0.1:8081/bot"


def test_dotenv_file_in_working_directory(tmp_path: Path):
    (tmp_path / ".env").write_text("TANYA_ADMIN_IDS=7\nTANYA_DATA_DIR=/srv/tanya\n", encoding="utf-8")
    settings = load_settings()
    assert settings.admin_ids == frozenset({7})
    assert settings.data_dir == Path("/srv/tanya")


def test_token_is_secret(monkeypatch):
    monkeypatch.setenv("TANYA_BOT_TOKEN", "123456:SECRET-token-value")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == "123456:SECRET-token-value"
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADMIN_IDS", "1,two", "TANYA_ADMIN_IDS: expected comma-separated numeric user ids, got 'two'"),
        ("BASE_URL", "api.telegram.org", "TANYA_BASE_URL: must start with http:// or https://"),
        ("WEBHOOK_URL", "http://bot.example/hook", "TANYA_WEBHOOK_URL: must be an https:// URL: Telegram only posts"),
        ("WEBHOOK_URL", "bot.example/hook", "TANYA_WEBHOOK_URL: must be an https:// URL (or http:// for a self-hosted"),
    ],
)
def test_wrong_values_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(f"TANYA_{name}", value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_a_plain_http_webhook_is_allowed_for_a_self_hosted_bot_api_server(monkeypatch):
    monkeypatch.setenv("TANYA_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TANYA_WEBHOOK_URL", "http://127.0.0.1:8443/hook")
    assert load_settings().webhook_url == "http://127.0.0.1:8443/hook"


def test_the_core_gets_the_settings_values(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TANYA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANYA_MIN_CONFIDENCE", "0.5")
    monkeypatch.setenv("TANYA_MAX_DOCUMENT_MB", "2")
    monkeypatch.setenv("TANYA_BACKEND", "onnx")
    monkeypatch.setenv("TANYA_OCR_LANGUAGES", "chi_sim+eng")
    monkeypatch.setenv("TANYA_OCR_MAX_PAGES", "7")
    setup = load_settings().knowledge_setup()
    assert (setup.index_dir, setup.model_cache_dir) == (tmp_path / "index", tmp_path / "models")
    assert (setup.min_confidence, setup.limits.max_document_bytes, setup.backend) == (0.5, 2 * 2**20, "onnx")
    assert (setup.docs_dir, setup.model) == (SAMPLE_DOCS_DIR, DEFAULT_MODEL)
    assert setup.limits.exact_search_limit == EXACT_SEARCH_LIMIT
    # scanned pages are read in the languages set, wherever the setup goes (indexing, an upload read)
    ocr = setup.limits.ocr
    assert (ocr.languages, ocr.max_pages, ocr.cache_dir) == ("chi_sim+eng", 7, tmp_path / "index" / "ocr")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "TANYA_DATABASE_URL",
            "mysql://tanya:secret@db/tanya",
            "TANYA_DATABASE_URL: must be sqlite:///PATH or postgresql://user:password@host/name",
        ),
        ("TANYA_VECTOR_STORE", "redis", "TANYA_VECTOR_STORE: Input should be 'faiss' or 'milvus' (got 'redis')"),
        (
            "TANYA_MILVUS_URI",
            "ftp://milvus",
            "TANYA_MILVUS_URI: must be a local path (Milvus Lite) or http://host:19530 (got 'ftp://milvus')",
        ),
    ],
)
def test_a_wrong_store_or_database_setting_is_one_line_naming_it(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == message and "secret" not in str(raised.value)
