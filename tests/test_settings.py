"""Settings come from TANYA_* variables or .env; a wrong value is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEFAULT_MODEL, SAMPLE_DOCS_DIR, SettingsError, load_settings
from embeddings.documents import MAX_DOCUMENT_BYTES
from embeddings.index import EXACT_SEARCH_LIMIT


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
    ],
)
def test_wrong_values_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(f"TANYA_{name}", value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
