"""The bot's own words in its seven languages: the catalogs are whole and well-formed, and users get their
language through the real application over HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.texts import FALLBACK, LANGUAGES, LOCALES, MENU, MESSAGES, answer_language, language_of, text
from tests.telegram_html import MESSAGE_LIMIT, telegram_html_problem

TRANSLATED = [language for language in LANGUAGES if language != FALLBACK]
PLACEHOLDER = re.compile(r"\{([^{}:!]*)[^{}]*\}")


def catalog(language: str):
    with (LOCALES / LANGUAGES[language] / "LC_MESSAGES" / "tanya.po").open("rb") as po:
        return read_po(po)


class Sample(dict):
    """Values for any placeholder: a number that also reads as a word, HTML-escaped like the real ones."""

    def __missing__(self, key: str) -> float:
        return 12.5


def test_pybabel_extract_finds_every_message_translated_in_every_catalog(tmp_path: Path):
    template = tmp_path / "tanya.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [pybabel, "-q", "extract", "-k", "N_", "--no-default-keywords", "-o", template, "bot"],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    with template.open("rb") as pot:
        extracted = {message.id for message in read_po(pot) if message.id}
    assert extracted == set(MESSAGES.values())  # every text the bot sends goes through MESSAGES
    for language in TRANSLATED:
        messages = {message.id: message for message in catalog(language) if message.id}
        assert extracted - set(messages) == set(), f"{language}: not in the catalog"
        assert set(messages) - extracted == set(), f"{language}: obsolete messages"
        assert [m.id[:40] for m in messages.values() if not m.string or m.fuzzy] == [], f"{language}: untranslated"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_and_the_compiled_catalog_is_current(language: str):
    for message in catalog(language):
        if not message.id:
            continue
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id
        key = next(key for key, english in MESSAGES.items() if english == message.id)
        assert text(language, key) == message.string, f"{key}: the .mo is older than the .po (run scripts/setup.sh)"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_message_renders_as_valid_telegram_html_within_the_limit(language: str):
    for key in MESSAGES:
        rendered = text(language, key).format_map(Sample())
        if key.startswith("command_"):  # plain text for setMyCommands, 1-256 characters
            assert 1 <= len(rendered) <= 256, key
            continue
        if rendered.strip():
            problem = telegram_html_problem(rendered)
            assert problem is None, f"{language} {key}: {problem}"
        assert len(rendered) <= MESSAGE_LIMIT


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("de", "de"),
        ("zh-hans", "zh"),
        ("zh", "zh"),
        ("ID", "id"),
        ("ms-MY", "ms"),
        ("pt-br", "en"),
        (None, "en"),
        ("fr_CA", "fr"),
        ("es-419", "es"),
        ("en-GB", "en"),
    ],
)
def test_telegram_language_codes_choose_a_language_the_bot_speaks(code, language):
    assert language_of(code) == language


def test_an_answer_speaks_the_question_language_and_malay_users_keep_malay():
    assert answer_language("Wie viele Sektoren umfasst das Abkommen?", "en") == "de"
    assert answer_language("Sektor apa saja yang dicakup kesepakatan ini?", "ms") == "ms"
    assert answer_language("Sektor apa saja yang dicakup kesepakatan ini?", "en") == "id"
    assert answer_language("この合意は何を対象としていますか？", "fr") == "fr"  # Japanese: the user's language
    assert answer_language("この合意は何を対象としていますか？", "pt-br") == "en"


@pytest.mark.parametrize(
    ("language", "opening"),
    [
        ("de", "👋 Hallo!"),
        ("fr", "👋 Bonjour"),
        ("es", "👋 ¡Hola!"),
        ("zh-hans", "👋 你好"),
        ("ms", "👋 Hai!"),
        ("pt-br", "👋 Hi!"),
    ],
)
def test_help_is_in_the_users_telegram_language(bot, language, opening):
    reply = bot.ask("/help", language=language)
    assert reply["text"].startswith(opening), reply["text"][:80]
    assert telegram_html_problem(reply["text"]) is None


def test_the_command_menu_is_registered_in_every_language(bot):
    registered = {
        call.params.get("language_code"): call.params["commands"]
        for call in bot.standin.wait_for(lambda c: c.method == "setMyCommands", count=len(LANGUAGES))
    }
    assert set(registered) == {None} | set(TRANSLATED)
    for language, commands in registered.items():
        assert [command["command"] for command in commands] == list(MENU)
        assert commands[0]["description"] == text(language or FALLBACK, "command_help")
    assert registered["de"][0]["description"] != registered[None][0]["description"]


def test_a_german_question_is_answered_in_german_with_buttons_in_the_users_language(bot):
    reply = bot.ask("Welche Bereiche umfasst die wirtschaftliche Zusammenarbeit?", language="en")
    assert "📄 pertemuan-xi-putin.txt · Abschnitt" in reply["text"], reply["text"][-200:]
    assert "Absatz" in reply["text"]
    labels = {button["text"] for row in reply["reply_markup"]["inline_keyboard"] for button in row}
    assert "More answers ▶" in labels  # buttons follow the user's Telegram language


def test_not_sure_is_said_in_the_question_language(bot):
    reply = bot.ask("Comment faire du pain au levain à la maison ?", language="en")
    assert reply["text"].startswith(text("fr", "not_sure")), reply["text"][:120]


def test_uncompiled_texts_stop_the_bot_at_its_start_with_what_to_run(tmp_path, monkeypatch):
    from bot import texts

    monkeypatch.setattr(texts, "LOCALES", tmp_path)  # a checkout whose catalogs were never compiled
    texts._catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"the bot's \w+ texts are not compiled .*: run scripts/setup.sh"):
            texts.load_catalogs()
    finally:
        texts._catalog.cache_clear()
