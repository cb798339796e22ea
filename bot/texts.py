"""Everything the bot says, in Indonesian (for users whose Telegram language is Indonesian) and English.

Texts are Telegram HTML; ``{placeholders}`` are filled with values that are already escaped.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "start": (
            "👋 Hi! I answer questions from <b>{documents}</b> document(s) with <b>{sections}</b> sections.\n\n"
            "Just write your question, in Indonesian, English or another language, and I reply with the "
            "passage that answers it and where it comes from.\n\n"
            "/sections — browse the sections\n/section 3 or /section economy — read one\n/help — this message\n"
            "/forget — delete your questions from my history (kept to improve the documents)"
        ),
        "group_hint": "\n\nIn groups, mention me, reply to me, or use /ask your question.",
        "confidence": "Confidence: {level}",
        "level_high": "high",
        "level_medium": "medium",
        "level_low": "low",
        "not_sure": "🤔 I'm not sure the documents answer this. The closest passage I found:",
        "not_sure_hint": "Try rephrasing, or browse /sections.",
        "source": "📄 {document} · section {section}, paragraph {paragraph}",
        "on_page": ", page {page}",
        "from_scan": " (read from a scan: check the wording)",
        "section_on_page": "📄 {document}, page {pages}",
        "section_in_pages": "📄 {document}, pages {pages}",
        "answer_position": "Answer {rank} of {total}",
        "more": "More answers ▶",
        "previous": "◀ Previous",
        "open_section": "📖 Open section",
        "no_documents": "No documents are indexed yet. An admin can add some and run /reindex.",
        "empty_question": "Please write a question in words, for example: <i>What is the main topic?</i>",
        "too_short": "That is too short to search for. Please write a whole question.",
        "slow_down": (
            "⏸ You are asking faster than I can answer everyone: at most {limit} questions a minute. "
            "Please ask again in {seconds} s; I skip questions sent before then."
        ),
        "text_only": "I can only read text questions. Please type your question.",
        "sections_title": "📚 <b>Sections</b> ({count})",
        "section_page": "page {page} of {pages}",
        "section_usage": "Send /section with a number or words from a title, for example /section 2.",
        "section_not_found_number": "There is no section {number}. There are {count} sections:",
        "section_not_found_words": "No section title matches “{words}”. These are the sections:",
        "ask_usage": "Write your question after /ask, for example: /ask What was agreed?",
        "unknown_command": "I don't know that command. /help lists what I can do.",
        "not_admin": "Sorry, only admins can use this command. (Your Telegram user id is <code>{user_id}</code>.)",
        "reindex_started": "⏳ Reindexing the documents… I keep answering from the current index meanwhile.",
        "watch_reindexed": "📂 The documents folder changed, so I reindexed it.",
        "reindex_busy": "A reindex is already running. Please wait for it to finish.",
        "progress_reading": "Reading the documents…",
        "progress_scanning": "Reading the documents… {name} by OCR: {done} of {total} pages",
        "progress_embedding": "{documents} documents read; {embedded} of {texts} texts embedded{left}",
        "progress_minutes": ", about {minutes} min left",
        "progress_seconds": ", under a minute left",
        "reindex_done": (
            "✅ Reindexed in {seconds:.1f} s.\n"
            "Documents: {documents_before} → {documents_after}\n"
            "Sections: {sections_before} → {sections_after}\n"
            "Passages: {passages_before} → {passages_after}"
        ),
        "reindex_added": "Added: {names}",
        "reindex_removed": "Removed: {names}",
        "reindex_skipped": "Skipped: {problems}",
        "reindex_failed": "❌ Reindex failed, the previous index is still in use: {reason}",
        "stats": (
            "📊 <b>Stats</b>\n"
            "Documents: {documents}\nSections: {sections}\nPassages: {passages}\n"
            "Model: {model}\nIndex built: {created_at} ({age} ago)"
        ),
        "usage": (
            "\n\n<b>Questions</b>: today {today} · last 7 days {week} · all time {all_time}\n"
            "Answered “not sure”: {not_sure}\nHelpful (👍 of the votes): {helpful}\n"
            "Median answer time, last 7 days: {median}"
        ),
        "usage_documents": "\n\n<b>Answers by document</b>",
        "usage_document": "\n{name}: {count}",
        "usage_unavailable": "\n\n⚠️ The usage history can't be read just now ({reason}); I keep answering.",
        "vote_up": "Thanks for the 👍",
        "vote_down": "Thanks, noted. Other passages may answer it: try “More answers ▶”.",
        "vote_down_last": "Thanks, noted. Admins see the questions I answer badly.",
        "unanswered_title": (
            "❓ <b>Questions I could not answer</b> (“not sure” or 👎), last {days} days, asked most often first: "
            "what to add to the documents."
        ),
        "unanswered_line": "\n{number}. {question} — {count}×{details}",
        "unanswered_details": " (not sure {not_sure}, 👎 {unhelpful})",
        "unanswered_none": "No question got “not sure” or 👎 in the last {days} days.",
        "unanswered_teach": "\n\nPress ✍️ and a number to teach the answer to that question.",
        "teach_button": "✍️ {number}",
        "teach_usage": (
            "Reply to one of my answers (or to the question itself) with /teach and the answer, for example:\n"
            "<code>/teach The office is open 08.00–16.30, Monday to Friday.</code>"
        ),
        "teach_no_question": (
            "I can't tell which question that message asked. Reply with /teach to one of my answers, "
            "or to the question itself."
        ),
        "teach_too_long": "That answer is {length} characters long; I can give answers of up to {limit}. Please shorten it.",
        "teach_prompt": "✍️ Reply to this message with the answer to:{questions}",
        "teach_placeholder": "The answer",
        "teach_expired": "I no longer have these questions. Please open /unanswered again.",
        "taught_done": "✅ Taught. Questions like these now get your answer:{questions}\n\n/taught lists what was taught.",
        "taught_title": "🧑‍🏫 <b>Taught answers</b> ({count}), oldest first. Press 🗑 and a number to remove one.",
        "taught_line": "\n{number}. {questions} → {answer} <i>({date})</i>",
        "taught_none": (
            "No answers taught yet. Reply to one of my answers with /teach and the answer, "
            "or press ✍️ in /unanswered."
        ),
        "taught_removed": "Removed: questions like it get the documents' answer again.",
        "taught_head": "🧑‍🏫 <b>Answer from the admins</b> ({date})",
        "taught_for": "Taught for: <i>{question}</i>",
        "taught_offered": "🧑‍🏫 The admins answered a similar question: <i>{question}</i> (button below).",
        "from_documents": "📄 From the documents",
        "admins_answer": "🧑‍🏫 Admins' answer",
        "usage_taught": "\nAnswered from taught answers: {taught}",
        "history_off": "I keep no questions (TANYA_HISTORY_DAYS is 0), only daily counts.",
        "history_unavailable": "I can't read my history just now ({reason}). Please try again later.",
        "forget_done": "🧹 Deleted {count} of your questions and your votes from my history.",
        "forget_nothing": "I hold no questions of yours.",
        "inline_help": "Type a question after my name",
        "inline_slow": "Too many questions: wait {seconds} s",
        "inline_not_sure": "🤔 Not sure: ",
        "stale_button": "This button is out of date. Please ask again.",
        "answer_expired": "I no longer have this answer. Please ask again.",
        "only_admins_add": "Only admins can add documents. Please ask one of them to send this file.",
        "admins_only": "Only admins can do this.",
        "upload_bad_name": "I can't save that file: {reason}.",
        "upload_too_large": "{name} is {size:.1f} MiB; I can take files up to {limit:g} MiB. Please split it.",
        "upload_interrupted": "The file did not arrive whole. Please send it again; nothing was saved.",
        "upload_unreadable": "I can't use {name}: {reason}. Nothing was saved.",
        "upload_replace": "{name} is already in the documents. Replace it with this file?",
        "upload_adding": "⏳ Adding {name}… I keep answering from the current documents meanwhile.",
        "upload_added": "✅ {name} is in: {sections} sections, {passages} passages{pages}.",
        "upload_cancelled": "Cancelled: {name} was not changed.",
        "upload_expired": "I no longer have that file. Please send it again.",
        "in_pages": ", {pages} pages",
        "replace": "Replace",
        "cancel": "Cancel",
        "delete": "🗑 Delete",
        "documents_title": "📚 <b>Documents</b> ({count})",
        "document_line": "{number}. {name} — {sections} sections, {passages} passages{pages}",
        "remove_usage": "Write the document's name after /remove, for example /remove pedoman.pdf. /documents lists them.",
        "remove_not_found": "No document is called “{name}”. /documents lists them.",
        "remove_confirm": "Delete {name} ({sections} sections, {passages} passages) from the documents?",
        "removing": "⏳ Removing {name}…",
        "removed": "🗑 {name} was removed. Documents: {documents}, passages: {passages}.",
        "remove_cancelled": "Cancelled: {name} was kept.",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "private": "🔒 This bot is private: it answers its members only. Press the button to ask the admins for access.",
        "private_group": "🔒 This bot is private, and this group is not allowed. An admin can allow it by sending /allowgroup here.",
        "private_inline": "🔒 Private bot: open it to ask for access",
        "private_button": "🔒 This bot is private.",
        "access_unavailable": "I can't check who may ask just now. Please try again in a minute.",
        "request_access": "🔑 Ask for access",
        "request_sent": "Your request went to the admins. I will tell you what they decide.",
        "request_again": "You asked already; the admins will decide. You can ask again tomorrow.",
        "request_no_admin": "I could not reach any admin just now. Please try again later.",
        "request_member": "You have access already: just ask.",
        "access_request": "🔑 {name} (id <code>{user_id}</code>) asks for access.",
        "allow": "✅ Allow",
        "deny": "❌ Deny",
        "decided_allow": "\n✅ Allowed by {admin}.",
        "decided_deny": "\n❌ Denied by {admin}.",
        "decided_already": "Another admin has decided this already.",
        "access_allowed": "✅ An admin gave you access. Ask me anything about the documents; /help says how.",
        "access_denied": "An admin declined your request for access.",
        "joined": "✅ Welcome! You are a member now.",
        "join_unknown": "This invite link is not valid. Ask an admin for a new one.",
        "join_revoked": "This invite link was cancelled. Ask an admin for a new one.",
        "join_expired": "This invite link has expired. Ask an admin for a new one.",
        "join_used": "This invite link has been used already. Ask an admin for a new one.",
        "invite_usage": "Send /invite, or /invite USES DAYS (uses 1–{max_uses}, days 1–{max_days}), for example /invite 5 30.",
        "invite_created": (
            "🔗 Invite link, good for {uses} use(s) until {expires}:\n{link}\n\n"
            "Send it to whoever should read the documents. /revoke with the link cancels it."
        ),
        "access_open_note": "\n\nNote: the bot is open to everyone now (TANYA_ACCESS=open); members matter once it is set to members.",
        "allowgroup_private": "Send /allowgroup inside the group you want to allow.",
        "group_allowed": "✅ This group is allowed: everyone in it can ask me.",
        "group_already": "This group is allowed already.",
        "members_title": "👥 <b>Members</b> ({count})",
        "members_none": "No members yet. /invite makes an invite link; /allowgroup, sent in a group, allows it.",
        "member_line": "{name} — <code>{id}</code>, {via} by <code>{added_by}</code> on {added_at}",
        "via_invite": "invited",
        "via_approved": "approved",
        "via_allowed": "group allowed",
        "revoke_usage": "Send /revoke with a user id, a group's chat id, or an invite link. /members lists them.",
        "revoked": "Removed <code>{id}</code>: they can no longer ask.",
        "revoke_admin": "<code>{id}</code> is an admin (TANYA_ADMIN_IDS); change that setting to remove them.",
        "revoke_unknown": "<code>{id}</code> is not a member. /members lists them.",
        "invite_revoked": "The invite link is cancelled.",
        "invite_not_found": "There is no such invite link.",
    },
    "id": {
        "start": (
            "👋 Halo! Saya menjawab pertanyaan dari <b>{documents}</b> dokumen dengan <b>{sections}</b> bagian.\n\n"
            "Tulis saja pertanyaan Anda, dalam bahasa Indonesia, Inggris, atau bahasa lain, dan saya balas "
            "dengan kutipan yang menjawabnya beserta sumbernya.\n\n"
            "/sections — lihat daftar bagian\n/section 3 atau /section ekonomi — baca satu bagian\n"
            "/help — pesan ini\n/forget — hapus pertanyaan Anda dari riwayat saya (disimpan untuk memperbaiki dokumen)"
        ),
        "group_hint": "\n\nDi grup, sebut saya, balas pesan saya, atau gunakan /ask pertanyaan Anda.",
        "confidence": "Keyakinan: {level}",
        "level_high": "tinggi",
        "level_medium": "sedang",
        "level_low": "rendah",
        "not_sure": "🤔 Saya tidak yakin dokumen menjawab ini. Kutipan terdekat yang saya temukan:",
        "not_sure_hint": "Coba ubah pertanyaannya, atau lihat /sections.",
        "source": "📄 {document} · bagian {section}, paragraf {paragraph}",
        "on_page": ", halaman {page}",
        "from_scan": " (dibaca dari hasil pindaian: periksa kata-katanya)",
        "section_on_page": "📄 {document}, halaman {pages}",
        "section_in_pages": "📄 {document}, halaman {pages}",
        "answer_position": "Jawaban {rank} dari {total}",
        "more": "Jawaban lain ▶",
        "previous": "◀ Sebelumnya",
        "open_section": "📖 Buka bagian",
        "no_documents": "Belum ada dokumen yang diindeks. Admin dapat menambahkannya lalu menjalankan /reindex.",
        "empty_question": "Silakan tulis pertanyaan dengan kata-kata, misalnya: <i>Apa topik utamanya?</i>",
        "too_short": "Itu terlalu pendek untuk dicari. Silakan tulis pertanyaan lengkap.",
        "slow_down": (
            "⏸ Anda bertanya lebih cepat daripada yang bisa saya jawab untuk semua orang: paling banyak {limit} "
            "pertanyaan per menit. Silakan bertanya lagi dalam {seconds} detik; pertanyaan sebelum itu saya lewati."
        ),
        "text_only": "Saya hanya bisa membaca pertanyaan berupa teks. Silakan ketik pertanyaan Anda.",
        "sections_title": "📚 <b>Daftar bagian</b> ({count})",
        "section_page": "halaman {page} dari {pages}",
        "section_usage": "Kirim /section dengan nomor atau kata dari judul, misalnya /section 2.",
        "section_not_found_number": "Tidak ada bagian {number}. Ada {count} bagian:",
        "section_not_found_words": "Tidak ada judul bagian yang cocok dengan “{words}”. Ini daftar bagiannya:",
        "ask_usage": "Tulis pertanyaan setelah /ask, misalnya: /ask Apa yang disepakati?",
        "unknown_command": "Saya tidak mengenal perintah itu. /help menampilkan apa yang bisa saya lakukan.",
        "not_admin": "Maaf, hanya admin yang dapat menggunakan perintah ini. (ID pengguna Telegram Anda: <code>{user_id}</code>.)",
        "reindex_started": "⏳ Mengindeks ulang dokumen… Sementara itu saya tetap menjawab dari indeks saat ini.",
        "watch_reindexed": "📂 Folder dokumen berubah, jadi saya mengindeks ulang.",
        "reindex_busy": "Pengindeksan ulang sedang berjalan. Mohon tunggu sampai selesai.",
        "progress_reading": "Membaca dokumen…",
        "progress_scanning": "Membaca dokumen… {name} dengan OCR: {done} dari {total} halaman",
        "progress_embedding": "{documents} dokumen terbaca; {embedded} dari {texts} teks sudah di-embed{left}",
        "progress_minutes": ", sekitar {minutes} menit lagi",
        "progress_seconds": ", kurang dari semenit lagi",
        "reindex_done": (
            "✅ Selesai diindeks ulang dalam {seconds:.1f} dtk.\n"
            "Dokumen: {documents_before} → {documents_after}\n"
            "Bagian: {sections_before} → {sections_after}\n"
            "Kutipan: {passages_before} → {passages_after}"
        ),
        "reindex_added": "Ditambahkan: {names}",
        "reindex_removed": "Dihapus: {names}",
        "reindex_skipped": "Dilewati: {problems}",
        "reindex_failed": "❌ Pengindeksan ulang gagal, indeks sebelumnya tetap dipakai: {reason}",
        "stats": (
            "📊 <b>Statistik</b>\n"
            "Dokumen: {documents}\nBagian: {sections}\nKutipan: {passages}\n"
            "Model: {model}\nIndeks dibuat: {created_at} ({age} lalu)"
        ),
        "usage": (
            "\n\n<b>Pertanyaan</b>: hari ini {today} · 7 hari terakhir {week} · sepanjang waktu {all_time}\n"
            "Dijawab “tidak yakin”: {not_sure}\nMembantu (👍 dari semua suara): {helpful}\n"
            "Median waktu menjawab, 7 hari terakhir: {median}"
        ),
        "usage_documents": "\n\n<b>Jawaban per dokumen</b>",
        "usage_document": "\n{name}: {count}",
        "usage_unavailable": "\n\n⚠️ Riwayat penggunaan tidak bisa dibaca saat ini ({reason}); saya tetap menjawab.",
        "vote_up": "Terima kasih atas 👍",
        "vote_down": "Terima kasih, dicatat. Kutipan lain mungkin menjawabnya: coba “Jawaban lain ▶”.",
        "vote_down_last": "Terima kasih, dicatat. Admin melihat pertanyaan yang kurang baik saya jawab.",
        "unanswered_title": (
            "❓ <b>Pertanyaan yang tidak bisa saya jawab</b> (“tidak yakin” atau 👎), {days} hari terakhir, "
            "yang paling sering lebih dulu: yang perlu ditambahkan ke dokumen."
        ),
        "unanswered_line": "\n{number}. {question} — {count}×{details}",
        "unanswered_details": " (tidak yakin {not_sure}, 👎 {unhelpful})",
        "unanswered_none": "Tidak ada pertanyaan yang dijawab “tidak yakin” atau diberi 👎 dalam {days} hari terakhir.",
        "unanswered_teach": "\n\nTekan ✍️ dan nomornya untuk mengajarkan jawaban pertanyaan itu.",
        "teach_button": "✍️ {number}",
        "teach_usage": (
            "Balas salah satu jawaban saya (atau pertanyaannya sendiri) dengan /teach dan jawabannya, misalnya:\n"
            "<code>/teach Kantor buka pukul 08.00–16.30, Senin sampai Jumat.</code>"
        ),
        "teach_no_question": (
            "Saya tidak tahu pertanyaan apa yang ditanyakan pesan itu. Balas dengan /teach salah satu jawaban "
            "saya, atau pertanyaannya sendiri."
        ),
        "teach_too_long": "Jawaban itu {length} karakter; saya bisa memberi jawaban sampai {limit} karakter. Mohon dipersingkat.",
        "teach_prompt": "✍️ Balas pesan ini dengan jawaban untuk:{questions}",
        "teach_placeholder": "Jawabannya",
        "teach_expired": "Saya tidak lagi menyimpan pertanyaan-pertanyaan ini. Silakan buka /unanswered lagi.",
        "taught_done": "✅ Tersimpan. Pertanyaan seperti ini sekarang mendapat jawaban Anda:{questions}\n\n/taught menampilkan semua yang diajarkan.",
        "taught_title": "🧑‍🏫 <b>Jawaban yang diajarkan</b> ({count}), terlama dulu. Tekan 🗑 dan nomornya untuk menghapus.",
        "taught_line": "\n{number}. {questions} → {answer} <i>({date})</i>",
        "taught_none": (
            "Belum ada jawaban yang diajarkan. Balas salah satu jawaban saya dengan /teach dan jawabannya, "
            "atau tekan ✍️ di /unanswered."
        ),
        "taught_removed": "Dihapus: pertanyaan seperti itu kembali dijawab dari dokumen.",
        "taught_head": "🧑‍🏫 <b>Jawaban dari admin</b> ({date})",
        "taught_for": "Diajarkan untuk: <i>{question}</i>",
        "taught_offered": "🧑‍🏫 Admin pernah menjawab pertanyaan yang mirip: <i>{question}</i> (tombol di bawah).",
        "from_documents": "📄 Dari dokumen",
        "admins_answer": "🧑‍🏫 Jawaban admin",
        "usage_taught": "\nDijawab dari jawaban yang diajarkan: {taught}",
        "history_off": "Saya tidak menyimpan pertanyaan (TANYA_HISTORY_DAYS bernilai 0), hanya hitungan harian.",
        "history_unavailable": "Riwayat saya tidak bisa dibaca saat ini ({reason}). Silakan coba lagi nanti.",
        "forget_done": "🧹 {count} pertanyaan Anda dan suara Anda sudah dihapus dari riwayat saya.",
        "forget_nothing": "Saya tidak menyimpan pertanyaan Anda.",
        "inline_help": "Ketik pertanyaan setelah nama saya",
        "inline_slow": "Terlalu banyak pertanyaan: tunggu {seconds} dtk",
        "inline_not_sure": "🤔 Tidak yakin: ",
        "stale_button": "Tombol ini sudah kedaluwarsa. Silakan bertanya lagi.",
        "answer_expired": "Jawaban ini sudah tidak saya simpan. Silakan bertanya lagi.",
        "only_admins_add": "Hanya admin yang dapat menambahkan dokumen. Silakan minta salah satu admin mengirim berkas ini.",
        "admins_only": "Hanya admin yang dapat melakukan ini.",
        "upload_bad_name": "Saya tidak dapat menyimpan berkas itu: {reason}.",
        "upload_too_large": "{name} berukuran {size:.1f} MiB; saya menerima berkas hingga {limit:g} MiB. Silakan pecah berkasnya.",
        "upload_interrupted": "Berkas tidak terkirim utuh. Silakan kirim lagi; tidak ada yang disimpan.",
        "upload_unreadable": "Saya tidak dapat memakai {name}: {reason}. Tidak ada yang disimpan.",
        "upload_replace": "{name} sudah ada di dokumen. Ganti dengan berkas ini?",
        "upload_adding": "⏳ Menambahkan {name}… Sementara itu saya tetap menjawab dari dokumen saat ini.",
        "upload_added": "✅ {name} sudah masuk: {sections} bagian, {passages} kutipan{pages}.",
        "upload_cancelled": "Dibatalkan: {name} tidak diubah.",
        "upload_expired": "Berkas itu sudah tidak saya simpan. Silakan kirim lagi.",
        "in_pages": ", {pages} halaman",
        "replace": "Ganti",
        "cancel": "Batal",
        "delete": "🗑 Hapus",
        "documents_title": "📚 <b>Dokumen</b> ({count})",
        "document_line": "{number}. {name} — {sections} bagian, {passages} kutipan{pages}",
        "remove_usage": "Tulis nama dokumen setelah /remove, misalnya /remove pedoman.pdf. /documents menampilkan daftarnya.",
        "remove_not_found": "Tidak ada dokumen bernama “{name}”. /documents menampilkan daftarnya.",
        "remove_confirm": "Hapus {name} ({sections} bagian, {passages} kutipan) dari dokumen?",
        "removing": "⏳ Menghapus {name}…",
        "removed": "🗑 {name} sudah dihapus. Dokumen: {documents}, kutipan: {passages}.",
        "remove_cancelled": "Dibatalkan: {name} tetap disimpan.",
        "error": "Maaf, terjadi kesalahan di pihak saya. Silakan coba lagi sebentar lagi.",
        "private": "🔒 Bot ini privat: hanya menjawab anggotanya. Tekan tombol untuk meminta akses kepada admin.",
        "private_group": "🔒 Bot ini privat, dan grup ini belum diizinkan. Admin dapat mengizinkannya dengan mengirim /allowgroup di sini.",
        "private_inline": "🔒 Bot privat: buka untuk meminta akses",
        "private_button": "🔒 Bot ini privat.",
        "access_unavailable": "Saya tidak dapat memeriksa siapa yang boleh bertanya saat ini. Silakan coba lagi sebentar lagi.",
        "request_access": "🔑 Minta akses",
        "request_sent": "Permintaan Anda sudah dikirim ke admin. Saya akan memberi tahu keputusan mereka.",
        "request_again": "Anda sudah meminta; admin akan memutuskan. Anda dapat meminta lagi besok.",
        "request_no_admin": "Saya tidak dapat menghubungi admin saat ini. Silakan coba lagi nanti.",
        "request_member": "Anda sudah punya akses: silakan bertanya.",
        "access_request": "🔑 {name} (id <code>{user_id}</code>) meminta akses.",
        "allow": "✅ Izinkan",
        "deny": "❌ Tolak",
        "decided_allow": "\n✅ Diizinkan oleh {admin}.",
        "decided_deny": "\n❌ Ditolak oleh {admin}.",
        "decided_already": "Admin lain sudah memutuskan ini.",
        "access_allowed": "✅ Admin memberi Anda akses. Tanyakan apa saja tentang dokumen; /help menjelaskan caranya.",
        "access_denied": "Admin menolak permintaan akses Anda.",
        "joined": "✅ Selamat datang! Anda sekarang anggota.",
        "join_unknown": "Tautan undangan ini tidak berlaku. Mintalah tautan baru kepada admin.",
        "join_revoked": "Tautan undangan ini sudah dibatalkan. Mintalah tautan baru kepada admin.",
        "join_expired": "Tautan undangan ini sudah kedaluwarsa. Mintalah tautan baru kepada admin.",
        "join_used": "Tautan undangan ini sudah dipakai. Mintalah tautan baru kepada admin.",
        "invite_usage": "Kirim /invite, atau /invite PEMAKAIAN HARI (pemakaian 1–{max_uses}, hari 1–{max_days}), misalnya /invite 5 30.",
        "invite_created": (
            "🔗 Tautan undangan, berlaku untuk {uses} kali pemakaian sampai {expires}:\n{link}\n\n"
            "Kirim kepada siapa pun yang boleh membaca dokumen. /revoke dengan tautan ini membatalkannya."
        ),
        "access_open_note": "\n\nCatatan: bot saat ini terbuka untuk semua orang (TANYA_ACCESS=open); keanggotaan berlaku setelah diatur ke members.",
        "allowgroup_private": "Kirim /allowgroup di dalam grup yang ingin Anda izinkan.",
        "group_allowed": "✅ Grup ini diizinkan: semua anggotanya dapat bertanya kepada saya.",
        "group_already": "Grup ini sudah diizinkan.",
        "members_title": "👥 <b>Anggota</b> ({count})",
        "members_none": "Belum ada anggota. /invite membuat tautan undangan; /allowgroup, dikirim di grup, mengizinkan grup itu.",
        "member_line": "{name} — <code>{id}</code>, {via} oleh <code>{added_by}</code> pada {added_at}",
        "via_invite": "diundang",
        "via_approved": "disetujui",
        "via_allowed": "grup diizinkan",
        "revoke_usage": "Kirim /revoke dengan ID pengguna, ID obrolan grup, atau tautan undangan. /members menampilkan daftarnya.",
        "revoked": "<code>{id}</code> dihapus: tidak bisa bertanya lagi.",
        "revoke_admin": "<code>{id}</code> adalah admin (TANYA_ADMIN_IDS); ubah pengaturan itu untuk menghapusnya.",
        "revoke_unknown": "<code>{id}</code> bukan anggota. /members menampilkan daftarnya.",
        "invite_revoked": "Tautan undangan dibatalkan.",
        "invite_not_found": "Tidak ada tautan undangan seperti itu.",
    },
}


def language_of(language_code: str | None) -> str:
    """``id`` for users whose Telegram language is Indonesian, ``en`` for everyone else."""
    return "id" if (language_code or "").lower().startswith("id") else "en"


def text(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language``, with ``values`` filled in."""
    template = TEXTS[language][key]
    return template.format(**values) if values else template
