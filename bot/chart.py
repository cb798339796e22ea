"""/stats's chart (and ``tanya report --plot``): questions per day and those handed to a person, the
"not sure" share, and votes."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.state.history import Day
from bot.texts import FALLBACK, text

CHART_DAYS = 30  # how far back the chart looks
LABELS = ("chart_title", "chart_questions", "chart_handoffs", "chart_not_sure", "chart_helpful", "chart_unhelpful")


def caption(days: Sequence[Day], language: str, handoffs: Sequence[int] = ()) -> str:
    """The chart's numbers, in words (the photo's caption); ``handoffs``: questions handed to a person on
    each of ``days``."""
    questions = sum(day.questions for day in days)
    not_sure = sum(day.not_sure for day in days)
    words = text(
        language,
        "chart_caption",
        days=len(days),
        questions=questions,
        not_sure=f"{not_sure / questions:.0%}" if questions else "—",
        helpful=sum(day.helpful for day in days),
        unhelpful=sum(day.unhelpful for day in days),
    )
    return words + (text(language, "chart_caption_handoffs", handed=sum(handoffs)) if any(handoffs) else "")


def usage_chart(days: Sequence[Day], language: str, handoffs: Sequence[int] = ()) -> bytes:
    """A PNG of ``days``: questions per day (and of them ``handoffs``, those handed to a person, when
    any), the share answered "not sure", 👍 and 👎. Titles are in ``language`` where the installed fonts
    can draw it, else in English."""
    from matplotlib import font_manager
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure  # drawn with Agg, without pyplot's global state

    labels = {key: text(language, key) for key in LABELS}
    if not _drawable("".join(labels.values()), font_manager):
        labels = {key: text(FALLBACK, key) for key in LABELS}
    when = [day.day for day in days]
    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    top, middle, bottom = figure.subplots(3, 1, sharex=True, height_ratios=(2, 1, 1.4))
    figure.suptitle(labels["chart_title"].format(days=len(days)), fontsize=13)  # the template, filled here

    top.bar(when, [day.questions for day in days], color="#2a7ab9", label=labels["chart_questions"])
    if any(handoffs):
        top.bar(when, list(handoffs), width=0.5, color="#7b4fa6", label=labels["chart_handoffs"])
        top.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
        top.set_ylim(top=1.25 * max(day.questions for day in days))  # room for the legend above the bars
    top.set_ylabel(labels["chart_questions"])
    shares = [100 * day.not_sure / day.questions if day.questions else float("nan") for day in days]
    middle.plot(when, shares, marker="o", markersize=3, color="#d9822b")
    middle.set_ylim(0, 100)
    middle.set_ylabel(labels["chart_not_sure"])
    bottom.bar(when, [day.helpful for day in days], color="#3b9c4a", label=labels["chart_helpful"])
    bottom.bar(when, [-day.unhelpful for day in days], color="#c8453b", label=labels["chart_unhelpful"])
    bottom.axhline(0, color="#555555", linewidth=0.8)
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    for axes in (top, middle, bottom):
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
    bottom.xaxis.set_major_formatter(DateFormatter("%d.%m"))
    figure.autofmt_xdate()
    png = io.BytesIO()
    figure.savefig(png, format="png")
    return png.getvalue()


def _drawable(characters: str, font_manager) -> bool:
    """Whether the default font draws every character (no CJK font is installed on many servers)."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont(font_manager.FontProperties()))
    return all(font.get_char_index(ord(character)) for character in set(characters) if not character.isspace())
