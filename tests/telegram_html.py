"""A strict check of Telegram's HTML parse mode, as the Bot API documents it."""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "tg-emoji",
    "span",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_problem(source: str) -> str | None:
    """Why Telegram would reject ``source`` as an HTML message, or None if it is valid."""
    if len(source) > MESSAGE_LIMIT:
        return f"{len(source)} characters, over {MESSAGE_LIMIT}"
    stack: list[str] = []
    position = 0
    visible = []
    for match in _TAG.finditer(source):
        problem = _text_problem(source[position : match.start()])
        if problem:
            return problem
        visible.append(source[position : match.start()])
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if name not in ALLOWED_TAGS:
            return f"unsupported tag <{name}>"
        if name == "span" and not closing and 'class="tg-spoiler"' not in attributes:
            return "<span> without class tg-spoiler"
        if closing:
            if not stack or stack[-1] != name:
                return f"</{name}> does not close the open tag {stack[-1:] or 'none'}"
            stack.pop()
        else:
            stack.append(name)
        position = match.end()
    problem = _text_problem(source[position:])
    if problem:
        return problem
    visible.append(source[position:])
    if stack:
        return f"unclosed tags {stack}"
    if not html.unescape("".join(visible)).strip():
        return "message text is empty"
    return None


def _text_problem(segment: str) -> str | None:
    if "<" in segment or ">" in segment:
        return f"unescaped < or > in {segment[:60]!r}"
    stripped = _ENTITY.sub("", segment)
    if "&" in stripped:
        return f"unescaped & in {segment[:60]!r}"
    return None


def visible_text(source: str) -> str:
    """What a user reads of valid HTML ``source``: its text, tags dropped and entities decoded."""
    return html.unescape(_TAG.sub("", source))
