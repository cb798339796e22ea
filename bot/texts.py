"""Everything the bot says, in the seven languages it answers in.

The English texts below are the source; their translations are gettext catalogs managed with Babel,
``bot/locale/<language>/LC_MESSAGES/tanya.po``, compiled to ``.mo`` files by ``scripts/setup.sh``
(``docs/translating.md`` says how to add or change one). Texts are Telegram HTML; ``{placeholders}``
are filled with values that are already escaped.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from embeddings.search.language import language_of as language_written_in

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "tanya"
# The languages the bot speaks, as its catalogs name them ("en" is the source and has none).
LANGUAGES = {"en": "en", "id": "id", "ms": "ms", "zh": "zh_Hans", "de": "de", "fr": "fr", "es": "es"}
FALLBACK = "en"
# The commands of the menu Telegram shows beside the message field, in its order.
MENU = ("help", "sections", "section", "documents", "ask", "forget")


def N_(message: str) -> str:
    """Marks ``message`` for translation (``pybabel extract -k N_``); translated when it is sent."""
    return message


MESSAGES: dict[str, str] = {
    "chart_title": N_("Questions to the bot, last {days} days"),
    "chart_questions": N_("Questions"),
    "chart_not_sure": N_("Not sure, %"),
    "chart_helpful": N_("Helpful"),
    "chart_unhelpful": N_("Not helpful"),
    "chart_caption": N_(
        "📊 Last {days} days: <b>{questions}</b> questions, {not_sure} answered “not sure”, "
        "👍 {helpful} · 👎 {unhelpful}."
    ),
    "chart_handoffs": N_("Handed to a person"),
    "chart_caption_handoffs": N_(" Handed to a person: {handed}."),
    "chart_empty": N_("📊 No questions in the last {days} days, so there is no chart yet."),
    "command_help": N_("What I know and how to ask"),
    "command_sections": N_("Browse the documents' sections"),
    "command_section": N_("Read one section: /section 3 or /section words"),
    "command_documents": N_("List the documents"),
    "command_ask": N_("Ask a question (works in groups)"),
    "command_forget": N_("Delete my questions and votes from the bot's history"),
    "helpdesk_on": N_(
        "🙋 This group is the help desk now: questions I can't answer come here as tickets when the asker "
        "taps “Ask a person”. Anyone here may answer: <b>reply</b> to a ticket and I send the reply to "
        "the asker; 📌 then teaches it to me. /tickets lists the open ones; /helpdesk off stops it."
    ),
    "helpdesk_off": N_(
        "This group is no longer the help desk. Nobody is offered “Ask a person” until an admin sets one."
    ),
    "helpdesk_not_here": N_("This group is not the help desk."),
    "helpdesk_private": N_("Send /helpdesk in the group where your staff should get the questions I can't answer."),
    "helpdesk_only": N_("This button works in the help-desk group only."),
    "helpdesk_removed": N_(
        "🙋 I was removed from the help-desk group “{name}”, so there is no help desk now. Send /helpdesk in another group to set one."
    ),
    "ask_person": N_("🙋 Ask a person"),
    "handoff_sent": N_("🙋 I've passed your question to a person (ticket #{ticket}). Their answer will come here."),
    "handoff_sent_eta": N_(
        "🙋 I've passed your question to a person (ticket #{ticket}). Their answer will come here, usually within {eta}."
    ),
    "handoff_already": N_("🙋 Your question is already with a person; their answer will come here."),
    "handoff_no_desk": N_(
        "Sorry, there is nobody to pass questions to right now. Admins see the questions I answer badly."
    ),
    "handoff_unavailable": N_("Sorry, I could not reach the help desk just now. Please try again later."),
    "handoff_auto": N_("🙋 I'm not sure, so I've also passed your question to a person (ticket #{ticket})."),
    "helpdesk_answer": N_("💬 <b>From the help desk:</b>\n\n{answer}"),
    "helpdesk_delivered": N_(
        "✅ Sent to the asker (ticket #{ticket}). 📌 teaches it to me for everyone who asks the same."
    ),
    "helpdesk_asker_blocked": N_(
        "⚠️ Ticket #{ticket}: the asker has blocked me or left, so the reply did not reach them."
    ),
    "helpdesk_text_only": N_("Only text is passed on to the asker. Please reply with text."),
    "helpdesk_followup": N_("💬 <b>Ticket #{ticket}</b>: {name} replies:"),
    "helpdesk_followup_sent": N_("Sent to the help desk."),
    "helpdesk_taught": N_("📌 Taught: I now give this answer to that question."),
    "teach_ticket": N_("📌 Teach this answer"),
    "close_ticket": N_("✅ Close"),
    "ticket_closed": N_("Ticket #{ticket} closed."),
    "ticket_closed_already": N_("Ticket #{ticket} was closed already."),
    "ticket_head": N_("🙋 <b>Ticket #{ticket}</b>"),
    "ticket_asker": N_("From: {who}, language {speaks}, user id <code>{id}</code>"),
    "ticket_chat": N_("Asked in: {chat}"),
    "ticket_private_chat": N_("a private chat with me"),
    "ticket_guess": N_("My best guess: {guess}"),
    "ticket_how": N_("<i>Reply to this message to answer; the asker gets your reply.</i>"),
    "ticket_reminder": N_("⏰ Still waiting for an answer:"),
    "tickets_none": N_("🙋 No open tickets."),
    "tickets_title": N_("🙋 <b>Open tickets</b> ({count}), oldest first:"),
    "ticket_line": N_("#{ticket} · {age} · {name} · {state}\n<i>{question}</i>"),
    "ticket_answered": N_("answered"),
    "ticket_waiting": N_("waiting"),
    "help_admins": N_(
        "\n\n<b>For admins:</b> send /helpdesk in your staff's group and the questions I can't answer go there "
        "as tickets; anyone in that group may answer by replying, and I bring the answer back. /tickets lists "
        "the open ones."
    ),
    "start": N_(
        "👋 Hi! I answer questions from <b>{documents}</b> document(s) with <b>{sections}</b> sections.\n"
        "\n"
        "Just write your question, in Indonesian, English or another language, and I reply with the passage "
        "that answers it and where it comes from.\n"
        "\n"
        "/sections — browse the sections\n"
        "/section 3 or /section economy — read one\n"
        "/help — this message\n"
        "/forget — delete your questions from my history (kept to improve the documents)"
    ),
    "group_hint": N_("\n\nIn groups, mention me, reply to me, or use /ask your question."),
    "confidence": N_("Confidence: {level}"),
    "level_high": N_("high"),
    "level_medium": N_("medium"),
    "level_low": N_("low"),
    "not_sure": N_("🤔 I'm not sure the documents answer this. The closest passage I found:"),
    "not_sure_hint": N_("Try rephrasing, or browse /sections."),
    "source": N_("📄 {document} · section {section}, paragraph {paragraph}"),
    "on_page": N_(", page {page}"),
    "from_scan": N_(" (read from a scan: check the wording)"),
    "section_on_page": N_("📄 {document}, page {pages}"),
    "section_in_pages": N_("📄 {document}, pages {pages}"),
    "answer_position": N_("Answer {rank} of {total}"),
    "more": N_("More answers ▶"),
    "previous": N_("◀ Previous"),
    "open_section": N_("📖 Open section"),
    "no_documents": N_("No documents are indexed yet. An admin can add some and run /reindex."),
    "empty_question": N_("Please write a question in words, for example: <i>What is the main topic?</i>"),
    "too_short": N_("That is too short to search for. Please write a whole question."),
    "slow_down": N_(
        "⏸ You are asking faster than I can answer everyone: at most {limit} questions a minute. Please ask "
        "again in {seconds} s; I skip questions sent before then."
    ),
    "text_only": N_("I can only read text questions. Please type your question."),
    "sections_title": N_("📚 <b>Sections</b> ({count})"),
    "section_page": N_("page {page} of {pages}"),
    "section_usage": N_("Send /section with a number or words from a title, for example /section 2."),
    "section_not_found_number": N_("There is no section {number}. There are {count} sections:"),
    "section_not_found_words": N_("No section title matches “{words}”. These are the sections:"),
    "ask_usage": N_("Write your question after /ask, for example: /ask What was agreed?"),
    "unknown_command": N_("I don't know that command. /help lists what I can do."),
    "not_admin": N_("Sorry, only admins can use this command. (Your Telegram user id is <code>{user_id}</code>.)"),
    "reindex_started": N_("⏳ Reindexing the documents… I keep answering from the current index meanwhile."),
    "watch_reindexed": N_("📂 The documents folder changed, so I reindexed it."),
    "reindex_busy": N_("A reindex is already running. Please wait for it to finish."),
    "progress_reading": N_("Reading the documents…"),
    "progress_scanning": N_("Reading the documents… {name} by OCR: {done} of {total} pages"),
    "progress_embedding": N_("{documents} documents read; {embedded} of {texts} texts embedded{left}"),
    "progress_minutes": N_(", about {minutes} min left"),
    "progress_seconds": N_(", under a minute left"),
    "reindex_done": N_(
        "✅ Reindexed in {seconds:.1f} s.\n"
        "Documents: {documents_before} → {documents_after}\n"
        "Sections: {sections_before} → {sections_after}\n"
        "Passages: {passages_before} → {passages_after}"
    ),
    "reindex_added": N_("Added: {names}"),
    "reindex_removed": N_("Removed: {names}"),
    "reindex_skipped": N_("Skipped: {problems}"),
    "reindex_failed": N_("❌ Reindex failed, the previous index is still in use: {reason}"),
    "stats": N_(
        "📊 <b>Stats</b>\n"
        "Documents: {documents}\n"
        "Sections: {sections}\n"
        "Passages: {passages}\n"
        "Model: {model}\n"
        "Index built: {created_at} ({age} ago)"
    ),
    "usage": N_(
        "\n"
        "\n"
        "<b>Questions</b>: today {today} · last 7 days {week} · all time {all_time}\n"
        "Answered “not sure”: {not_sure}\n"
        "Helpful (👍 of the votes): {helpful}\n"
        "Median answer time, last 7 days: {median}"
    ),
    "usage_documents": N_("\n\n<b>Answers by document</b>"),
    "usage_document": N_("\n{name}: {count}"),
    "usage_unavailable": N_("\n\n⚠️ The usage history can't be read just now ({reason}); I keep answering."),
    "vote_up": N_("Thanks for the 👍"),
    "vote_down": N_("Thanks, noted. Other passages may answer it: try “More answers ▶”."),
    "vote_down_last": N_("Thanks, noted. Admins see the questions I answer badly."),
    "unanswered_title": N_(
        "❓ <b>Questions I could not answer</b> (“not sure” or 👎), last {days} days, asked most often first: "
        "what to add to the documents."
    ),
    "unanswered_line": N_("\n{number}. {question} — {count}×{details}"),
    "unanswered_details": N_(" (not sure {not_sure}, 👎 {unhelpful})"),
    "unanswered_none": N_("No question got “not sure” or 👎 in the last {days} days."),
    "unanswered_teach": N_("\n\nPress ✍️ and a number to teach the answer to that question."),
    "teach_button": N_("✍️ {number}"),
    "teach_usage": N_(
        "Reply to one of my answers (or to the question itself) with /teach and the answer, for example:\n"
        "<code>/teach The office is open 08.00–16.30, Monday to Friday.</code>"
    ),
    "teach_no_question": N_(
        "I can't tell which question that message asked. Reply with /teach to one of my answers, or to the "
        "question itself."
    ),
    "teach_too_long": N_(
        "That answer is {length} characters long; I can give answers of up to {limit}. Please shorten it."
    ),
    "teach_prompt": N_("✍️ Reply to this message with the answer to:{questions}"),
    "teach_placeholder": N_("The answer"),
    "teach_expired": N_("I no longer have these questions. Please open /unanswered again."),
    "taught_done": N_(
        "✅ Taught. Questions like these now get your answer:{questions}\n\n/taught lists what was taught."
    ),
    "taught_title": N_("🧑‍🏫 <b>Taught answers</b> ({count}), oldest first. Press 🗑 and a number to remove one."),
    "taught_line": N_("\n{number}. {questions} → {answer} <i>({date})</i>"),
    "suggested_title": N_(
        "\n💡 Wordings people used, suggested by their taps and 👍: {count}. ✅ gives the answer to that wording "
        "at once, ✖ drops it."
    ),
    "suggested_line": N_("\n    💡 {label}: <i>{question}</i>"),
    "suggestion_approved": N_("✅ Taught: this wording now gets the answer."),
    "suggestion_rejected": N_("✖ Dropped: this wording will not be suggested for that answer again."),
    "taught_none": N_(
        "No answers taught yet. Reply to one of my answers with /teach and the answer, or press ✍️ in /unanswered."
    ),
    "taught_removed": N_("Removed: questions like it get the documents' answer again."),
    "taught_head": N_("🧑‍🏫 <b>Answer from the admins</b> ({date})"),
    "taught_for": N_("Taught for: <i>{question}</i>"),
    "taught_offered": N_("🧑‍🏫 The admins answered a similar question: <i>{question}</i> (button below)."),
    "from_documents": N_("📄 From the documents"),
    "admins_answer": N_("🧑‍🏫 Admins' answer"),
    "usage_taught": N_("\nAnswered from taught answers: {taught}"),
    "usage_handoffs": N_(
        "\nHanded to the help desk: {handed}, answered {answered}; median time to a first reply: {median}"
    ),
    "history_off": N_("I keep no questions (TANYA_HISTORY_DAYS is 0), only daily counts."),
    "history_unavailable": N_("I can't read my history just now ({reason}). Please try again later."),
    "forget_done": N_("🧹 Deleted {count} of your questions and your votes from my history."),
    "forget_nothing": N_("I hold no questions of yours."),
    "inline_help": N_("Type a question after my name"),
    "inline_slow": N_("Too many questions: wait {seconds} s"),
    "inline_not_sure": N_("🤔 Not sure: "),
    "stale_button": N_("This button is out of date. Please ask again."),
    "answer_expired": N_("I no longer have this answer. Please ask again."),
    "only_admins_add": N_("Only admins can add documents. Please ask one of them to send this file."),
    "admins_only": N_("Only admins can do this."),
    "upload_bad_name": N_("I can't save that file: {reason}."),
    "upload_too_large": N_("{name} is {size:.1f} MiB; I can take files up to {limit:g} MiB. Please split it."),
    "upload_interrupted": N_("The file did not arrive whole. Please send it again; nothing was saved."),
    "upload_unreadable": N_("I can't use {name}: {reason}. Nothing was saved."),
    "upload_replace": N_("{name} is already in the documents. Replace it with this file?"),
    "upload_adding": N_("⏳ Adding {name}… I keep answering from the current documents meanwhile."),
    "upload_added": N_("✅ {name} is in: {sections} sections, {passages} passages{pages}."),
    "upload_cancelled": N_("Cancelled: {name} was not changed."),
    "upload_expired": N_("I no longer have that file. Please send it again."),
    "in_pages": N_(", {pages} pages"),
    "replace": N_("Replace"),
    "cancel": N_("Cancel"),
    "delete": N_("🗑 Delete"),
    "documents_title": N_("📚 <b>Documents</b> ({count})"),
    "document_line": N_("{number}. {name} — {sections} sections, {passages} passages{pages}"),
    "remove_usage": N_(
        "Write the document's name after /remove, for example /remove pedoman.pdf. /documents lists them."
    ),
    "remove_not_found": N_("No document is called “{name}”. /documents lists them."),
    "remove_confirm": N_("Delete {name} ({sections} sections, {passages} passages) from the documents?"),
    "removing": N_("⏳ Removing {name}…"),
    "removed": N_("🗑 {name} was removed. Documents: {documents}, passages: {passages}."),
    "remove_cancelled": N_("Cancelled: {name} was kept."),
    "error": N_("Sorry, something went wrong on my side. Please try again in a moment."),
    "private": N_(
        "🔒 This bot is private: it answers its members only. Press the button to ask the admins for access."
    ),
    "private_group": N_(
        "🔒 This bot is private, and this group is not allowed. An admin can allow it by sending /allowgroup here."
    ),
    "private_inline": N_("🔒 Private bot: open it to ask for access"),
    "private_button": N_("🔒 This bot is private."),
    "access_unavailable": N_("I can't check who may ask just now. Please try again in a minute."),
    "request_access": N_("🔑 Ask for access"),
    "request_sent": N_("Your request went to the admins. I will tell you what they decide."),
    "request_again": N_("You asked already; the admins will decide. You can ask again tomorrow."),
    "request_no_admin": N_("I could not reach any admin just now. Please try again later."),
    "request_member": N_("You have access already: just ask."),
    "access_request": N_("🔑 {name} (id <code>{user_id}</code>) asks for access."),
    "allow": N_("✅ Allow"),
    "deny": N_("❌ Deny"),
    "decided_allow": N_("\n✅ Allowed by {admin}."),
    "decided_deny": N_("\n❌ Denied by {admin}."),
    "decided_already": N_("Another admin has decided this already."),
    "access_allowed": N_("✅ An admin gave you access. Ask me anything about the documents; /help says how."),
    "access_denied": N_("An admin declined your request for access."),
    "joined": N_("✅ Welcome! You are a member now."),
    "join_unknown": N_("This invite link is not valid. Ask an admin for a new one."),
    "join_revoked": N_("This invite link was cancelled. Ask an admin for a new one."),
    "join_expired": N_("This invite link has expired. Ask an admin for a new one."),
    "join_used": N_("This invite link has been used already. Ask an admin for a new one."),
    "invite_usage": N_(
        "Send /invite, or /invite USES DAYS (uses 1–{max_uses}, days 1–{max_days}), for example /invite 5 30. "
        "Collections named first are all its members read: /invite hr,finance 5 30."
    ),
    "invite_created": N_(
        "🔗 Invite link, good for {uses} use(s) until {expires}:\n"
        "{link}\n"
        "\n"
        "Send it to whoever should read the documents. /revoke with the link cancels it."
    ),
    "access_open_note": N_(
        "\n\nNote: the bot is open to everyone now (TANYA_ACCESS=open); members matter once it is set to members."
    ),
    "allowgroup_private": N_("Send /allowgroup inside the group you want to allow."),
    "group_allowed": N_("✅ This group is allowed: everyone in it can ask me."),
    "group_already": N_("This group is allowed already."),
    "collection_private": N_(
        "📚 Send /collection in a group to choose what it reads: /collection NAME… (one or more of {collections}), "
        "/collection all for every one. In members-only mode, a member reads what their invite named or /grant gave."
    ),
    "collection_bound": N_(
        "📚 This group now reads only {collections}. Documents of other collections are not shown here."
    ),
    "collection_all": N_("📚 This group reads every collection again."),
    "collection_shown": N_(
        "📚 This group reads {collections}. /collection NAME… changes it; /collection all reads every collection."
    ),
    "collection_shown_all": N_("📚 This group reads every collection: {collections}. /collection NAME… limits it."),
    "collection_unknown": N_("There is no collection {names}. The collections are {collections}."),
    "grant_usage": N_(
        "Send /grant USER NAME… to let a member read these collections too, or /ungrant USER NAME… to take them "
        "away (USER: the id /members shows; the collections are {collections})."
    ),
    "grant_no_member": N_("No member has the id <code>{id}</code>: /members lists them."),
    "grant_done": N_("✅ Member <code>{id}</code> now reads {collections}."),
    "upload_which_collection": N_("📁 Which collection should {name} go into?"),
    "stats_collections": N_("\n\n📚 Only questions answered from this group's collections are counted: {collections}."),
    "member_reads": N_(" · reads {collections}"),
    "invite_collections": N_("\nWhoever joins through it reads {collections}."),
    "members_title": N_("👥 <b>Members</b> ({count})"),
    "members_none": N_("No members yet. /invite makes an invite link; /allowgroup, sent in a group, allows it."),
    "member_line": N_("{name} — <code>{id}</code>, {via} by <code>{added_by}</code> on {added_at}"),
    "via_invite": N_("invited"),
    "via_approved": N_("approved"),
    "via_allowed": N_("group allowed"),
    "revoke_usage": N_("Send /revoke with a user id, a group's chat id, or an invite link. /members lists them."),
    "revoked": N_("Removed <code>{id}</code>: they can no longer ask."),
    "revoke_admin": N_("<code>{id}</code> is an admin (TANYA_ADMIN_IDS); change that setting to remove them."),
    "revoke_unknown": N_("<code>{id}</code> is not a member. /members lists them."),
    "invite_revoked": N_("The invite link is cancelled."),
    "invite_not_found": N_("There is no such invite link."),
}


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == FALLBACK:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, LOCALES, languages=[LANGUAGES[language]])
    except FileNotFoundError:
        raise ValueError(
            f"the bot's {language} texts are not compiled ({LOCALES / LANGUAGES[language]}/LC_MESSAGES/{DOMAIN}.mo): "
            "run scripts/setup.sh"
        ) from None


def load_catalogs() -> None:
    """Load every language's texts now, so that a missing one stops the bot at its start, in one line."""
    for language in LANGUAGES:
        _catalog(language)


def language_of(language_code: str | None) -> str:
    """The bot's language for a Telegram ``language_code`` (``de``, ``zh-hans``, ``pt-br``): one of
    ``LANGUAGES``, English for a language it does not speak."""
    code = (language_code or "").lower().replace("_", "-")
    base = code.split("-")[0]
    return base if base in LANGUAGES else FALLBACK


def answer_language(question: str, language_code: str | None) -> str:
    """The language to speak about an answer in: the question's, where the bot speaks it; otherwise the
    user's Telegram language. Malay is told from Indonesian by the user's language only, since the
    question's detection counts them as one."""
    user = language_of(language_code)
    written = language_written_in(question)
    if written == "id":
        return "ms" if user == "ms" else "id"
    return written if written in LANGUAGES else user


def commands(language: str) -> list[tuple[str, str]]:
    """The command menu (command, description) in ``language``, as ``set_my_commands`` takes it."""
    return [(command, text(language, f"command_{command}")) for command in MENU]


def text(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language``, with ``values`` filled in."""
    template = _catalog(language).gettext(MESSAGES[key])
    return template.format(**values) if values else template
