"""The ``tanya`` command line: index, ask, sections, eval, report, faq, serve."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from bot.process import limit_malloc_arenas
from config import Settings, SettingsError, load_settings
from embeddings.search.index import IndexUnavailable

if TYPE_CHECKING:
    from embeddings.search.retrieval import Answer

_WIDTH = 100


def _quiet_libraries(backend: str) -> None:
    """Keep library chatter (progress bars of weight loading, hub warnings) out of the terminal."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if backend == "torch":  # the ONNX backends do not import transformers (0.6 s) once exported
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def _knowledge(settings: Settings):
    """The knowledge base of ``settings``, its index built or rebuilt first when needed."""
    from embeddings.knowledge import KnowledgeBase

    _quiet_libraries(settings.backend)
    return KnowledgeBase.open(settings.knowledge_setup(), progress=sys.stderr.isatty())


def _has_database(settings: Settings) -> bool:
    """Whether the bot's database exists (a command that only reads it must not make one)."""
    from bot.state.database import HISTORY_FILE

    return settings.database_url is not None or (settings.data_dir / HISTORY_FILE).exists()


def command_index(settings: Settings, args: argparse.Namespace) -> int:
    from embeddings.knowledge import KnowledgeBase

    _quiet_libraries(settings.backend)
    if args.shard is not None:
        return _index_shard(settings, *args.shard)
    state = None
    if _has_database(settings):  # a bot runs (or ran) here: never two reindexes at once
        from bot.reindexing import holding
        from bot.state import open_state

        state = open_state(settings)
    waiting = "Waiting for the reindex under way (a bot's, or another tanya index) to end…"
    with holding(state, lambda: print(waiting)) if state else nullcontext():
        _, report = KnowledgeBase.build(settings.knowledge_setup(), progress=True)  # logs each file skipped
    if state:
        state.close()
    print(
        f"Indexed {report.documents} documents, {report.sections} sections, "
        f"{report.passages} passages in {report.seconds:.1f} s ({report.embedded} new texts embedded)"
    )
    return 0


def _index_shard(settings: Settings, shard: int, shards: int) -> int:
    """``tanya index --shard I/N``: embed this machine's share; the last shard in publishes the whole index."""
    from bot.reindexing import holding
    from bot.state import open_state
    from embeddings.indexing import index_shard, publish_shards

    setup = settings.knowledge_setup()
    encoder, store = setup.load_encoder(), setup.index_store()
    report = index_shard(setup.docs_dir, store, encoder, shard - 1, shards, limits=setup.limits, progress=True)
    print(
        f"Shard {report.shard}: {report.documents} documents, {report.embedded} new texts embedded in "
        f"{report.seconds:.1f} s; {report.shards_in} of {shards} shards in"
    )
    if not report.complete:
        print("The last shard to finish publishes the index.")
        return 0
    state = open_state(settings)
    with holding(state, lambda: print("All shards are in; waiting for the reindex or publishing under way to end…")):
        # one publisher, never mid-reindex
        index = publish_shards(setup.docs_dir, store, encoder, shards, limits=setup.limits)
    if index is None:
        print("Another shard published the index.")
    else:
        manifest = index.manifest
        print(f"Published the index: {manifest.documents} documents, {manifest.passages} passages, in {store}")
    return 0


def _shard(value: str) -> tuple[int, int]:
    """``I/N`` with 1 ≤ I ≤ N."""
    shard, _, shards = value.partition("/")
    if not (shard.isdigit() and shards.isdigit() and 1 <= int(shard) <= int(shards)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 ≤ I ≤ N, like 1/4; got {value!r}")
    return int(shard), int(shards)


def command_ask(settings: Settings, args: argparse.Namespace) -> int:
    question = " ".join(args.question.split())
    if not question:
        print("error: the question is empty", file=sys.stderr)
        return 2
    knowledge = _knowledge(settings)
    if _has_database(settings):
        from bot.state import open_state

        state = open_state(settings)
        knowledge.taught.replace(state.taught.listing())
        state.close()
    collections = _collections(knowledge, args.collection)
    if collections is False:
        return 2
    answer = knowledge.ask(question, k=args.k, collections=collections)
    if answer.taught_given:
        match = answer.taught
        if args.json:
            print(json.dumps(_taught_json(answer), ensure_ascii=False))
            return 0
        print(
            f"Taught answer (the admins', {_date(match.answer.taught_at)}; taught for “{match.question}”, "
            f"similarity {match.similarity:.3f}):"
        )
        print(textwrap.fill(match.answer.text, width=_WIDTH, initial_indent="  ", subsequent_indent="  "))
        print()
    if not answer.hits:
        if answer.taught_given:
            return 0
        print(
            "No documents are indexed: add documents (.txt, .md, .pdf, .docx, .html) to TANYA_DOCS_DIR "
            "and run `tanya index`.",
            file=sys.stderr if args.json else sys.stdout,
        )
        return 1
    if args.json:
        print(json.dumps(_answer_json(answer), ensure_ascii=False))
        return 0
    for rank, hit in enumerate(answer.hits, start=1):
        passage = hit.passage
        where = f"{passage.document}, section {passage.section_number}, paragraph {passage.paragraph}"
        if passage.page is not None:
            where += f", page {passage.page}"
        label, rating = f"#{rank}", f"similarity {hit.score:.3f}"
        if rank == 1:
            label, rating = "Best answer", f"confidence {answer.confidence:.2f}"
            if not answer.sure:
                label = (
                    f"Not sure the documents answer this (confidence below "
                    f"TANYA_MIN_CONFIDENCE={settings.min_confidence}); closest"
                )
        print(f"{label}: {passage.section}  ({where}; {rating})")
        if rank == 1 and answer.sentence:
            start, end = answer.sentence
            print(
                textwrap.fill(
                    passage.text[start:end].strip(), width=_WIDTH, initial_indent="  » ", subsequent_indent="    "
                )
            )
        print(textwrap.fill(passage.text, width=_WIDTH, initial_indent="  ", subsequent_indent="  "))
        print()
    return 0


def _answer_json(answer: Answer) -> dict:
    """The best answer as ``tanya ask --json`` prints it."""
    passage = answer.hits[0].passage
    sentence = passage.text[answer.sentence[0] : answer.sentence[1]].strip() if answer.sentence else None
    return {
        "source": "documents",
        "text": passage.text,
        "confidence": round(answer.confidence, 4),
        "not_sure": not answer.sure,
        "document": passage.document,
        "section": passage.section,
        "section_number": passage.section_number,
        "paragraph": passage.paragraph,
        "page": passage.page,
        "passage": passage.text,
        "sentence": sentence,
    }


def _taught_json(answer: Answer) -> dict:
    """A taught answer as ``tanya ask --json`` prints it."""
    match = answer.taught
    return {
        "source": "taught",  # as the history and `tanya report` call it
        "text": match.answer.text,
        "confidence": round(match.similarity, 4),
        "not_sure": False,
        "question": match.question,
        "taught_at": _date(match.answer.taught_at),
    }


def _date(moment: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(moment))


def command_faq(settings: Settings, args: argparse.Namespace) -> int:
    from bot.faq import read_faq, write_faq
    from bot.state import open_state

    if args.action != "list" and args.file is None:
        print(f"error: tanya faq {args.action} needs a FILE", file=sys.stderr)
        return 2
    if args.action == "import":
        taught = read_faq(args.file)  # the whole file is checked before anything is taught
        state = open_state(settings)
        state.taught.teach_many(taught, by=0)
        questions = sum(len(entry[0]) for entry in taught)
        print(
            f"Imported {len(taught)} answers with {questions} questions from {args.file}; "
            f"{len(state.taught.listing())} answers are taught now. Running bots use them within seconds."
        )
        state.close()
        return 0
    if not _has_database(settings):
        print(f"No answers taught yet in {settings.data_dir}.", file=sys.stderr)
        return 1
    state = open_state(settings)
    taught = state.taught.listing()
    state.close()
    if args.action == "export":
        with args.file.open("w", encoding="utf-8", newline="") as out:
            questions = write_faq(taught, out)
        print(f"Wrote {len(taught)} answers with {questions} questions to {args.file}")
        return 0
    for entry in taught:
        for question in entry.questions:
            print(f"{question}\t{textwrap.shorten(entry.text, 80)}")
    return 0


def _collections(knowledge, names: list[str] | None):
    """The collections ``--collection`` named (None: every one); False, with the reason printed, when one
    is not in the index."""
    if not names:
        return None
    known = knowledge.collections()
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"error: no collection {', '.join(unknown)}; the collections are {', '.join(known)}", file=sys.stderr)
        return False
    return frozenset(names)


def command_sections(settings: Settings, args: argparse.Namespace) -> int:
    knowledge = _knowledge(settings)
    collections = _collections(knowledge, args.collection)
    if collections is False:
        return 2
    sections = knowledge.sections(collections)
    if not sections:
        print("No documents are indexed.")
        return 1
    document = None
    for section in sections:
        if section.document != document:
            document = section.document
            print(document)
        count = len(section.passages)
        print(f"  {section.number:>3}. {section.title}  ({count} passage{'' if count == 1 else 's'})")
    return 0


def command_eval(settings: Settings, args: argparse.Namespace) -> int:
    from embeddings.evaluation import evaluate, read_eval_file, read_questions

    eval_set = read_eval_file(args.file, split=args.split)
    negatives = read_questions(args.negatives) if args.negatives else None
    setup = settings.knowledge_setup()
    _quiet_libraries(setup.backend)
    result = evaluate(
        eval_set,
        setup.load_encoder(),
        min_confidence=setup.min_confidence,
        negatives=negatives,
        progress=not args.json and sys.stderr.isatty(),
        reader=setup.load_reader(),
    )
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    print(f"{args.file.name}" + (f" (split {args.split})" if args.split else ""))
    rows = [
        ("queries", result.queries),
        ("passages", result.passages),
        ("Recall@1", result.recall_at_1),
        ("Recall@5", result.recall_at_5),
        ("MRR@10", result.mrr_at_10),
        ("sentence hit rate", result.sentence_hit_rate),
        (f"answerable answered 'not sure' (min confidence {settings.min_confidence})", result.abstained_answerable),
        ("unanswerable answered 'not sure'", result.abstained_unanswerable),
        ("min confidence that answers 5% of unanswerable", result.suggested_confidence),
        ("  answerable answered 'not sure' at it", result.abstained_answerable_suggested),
        ("one question alone, p50 (ms)", result.p50_ms),
        ("one question alone, p99 (ms)", result.p99_ms),
        ("seconds", result.seconds),
    ]
    for label, value in rows:
        if value is not None:
            print(f"  {label:<52} {value if isinstance(value, int) else f'{value:.3f}'}")
    if result.suggested_confidence is not None:
        print(
            f"To answer at most 5% of questions like those of {args.negatives.name}, set "
            f"TANYA_MIN_CONFIDENCE={result.suggested_confidence:.3f}: "
            f"{result.abstained_answerable_suggested:.1%} of {args.file.name}'s questions would then be 'not sure'."
        )
    return 0


def command_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.formatting import share
    from bot.state import open_state
    from bot.state.database import HISTORY_FILE

    if settings.database_url is None and not (settings.data_dir / HISTORY_FILE).exists():
        print(f"No history yet in {settings.data_dir}: it starts when `tanya serve` answers its first question.")
        return 1
    history = open_state(settings).history
    usage = history.usage()
    print(f"Questions: today {usage.today}, last 7 days {usage.last_7_days}, all time {usage.all_time}")
    print(f"Answered 'not sure': {share(usage.not_sure, usage.all_time)}")
    print(f"Answered from taught answers: {usage.taught}")
    print(f"Helpful (👍 of the votes): {share(usage.helpful, usage.helpful + usage.unhelpful)}")
    median = "—" if usage.median_seconds is None else f"{usage.median_seconds * 1000:.0f} ms"
    print(f"Median answer time, last 7 days: {median}")
    if usage.by_document:
        print("Answers by document:")
        for name, count in usage.by_document:
            print(f"  {count:>7}  {name}")
    groups = history.unanswered(args.days)
    print(f"Questions answered 'not sure' or 👎, last {args.days} days, most asked first: {len(groups)}")
    for group in groups:
        question = textwrap.shorten(group.question, _WIDTH)
        print(f"  {group.count:>4}×  {question}  (not sure {group.not_sure}, 👎 {group.unhelpful})")
    if args.csv:
        with args.csv.open("w", encoding="utf-8", newline="") as out:
            rows = history.export(out, args.days)
        print(f"Wrote {rows} questions of the last {args.days} days to {args.csv}")
    if args.plot:
        return _plot(history, args.plot)
    return 0


def _plot(history, path: Path) -> int:
    """``tanya report --plot``: /stats's chart, written to ``path`` whole or not at all."""
    from bot.chart import CHART_DAYS, usage_chart
    from bot.state.tickets import Tickets
    from bot.texts import FALLBACK
    from embeddings.files import write_synced

    days = history.by_day(CHART_DAYS)
    if not any(day.questions for day in days):
        print(f"No questions in the last {CHART_DAYS} days, so no chart was written.")
        return 1
    handoffs = Tickets(history.engine).opened_by_day([day.day for day in days])
    partial = path.with_name(f".{path.name}.partial")
    write_synced(partial, usage_chart(days, FALLBACK, handoffs))
    partial.replace(path)
    print(f"Wrote the chart of the last {CHART_DAYS} days to {path}")
    return 0


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import serve

    _quiet_libraries(settings.backend)
    serve(settings)
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The ``tanya`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="tanya", description="Answer questions from a folder of documents (settings: TANYA_* variables or .env)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build the index of TANYA_DOCS_DIR")
    index.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="embed only share I of N of the documents (one per machine); the last shard in publishes the index",
    )
    index.set_defaults(run=command_index)

    ask = commands.add_parser("ask", help="answer a question from the documents")
    ask.add_argument("question")
    ask.add_argument("-k", type=_positive, default=1, help="how many passages to show (default 1)")
    ask.add_argument("--json", action="store_true", help="print the best answer as one JSON object on one line")
    ask.add_argument(
        "--collection",
        action="append",
        metavar="NAME",
        help="answer only from this collection (a top-level subfolder of TANYA_DOCS_DIR; 'general': the files "
        "directly in it); repeat for several",
    )
    ask.set_defaults(run=command_ask)

    sections = commands.add_parser("sections", help="list the documents' sections, numbered")
    sections.add_argument(
        "--collection", action="append", metavar="NAME", help="only this collection's sections; repeat for several"
    )
    sections.set_defaults(run=command_sections)

    evaluation = commands.add_parser("eval", help="measure retrieval on a question→passage JSONL file")
    evaluation.add_argument("file", type=Path)
    evaluation.add_argument("--split", help="only the questions of this split (e.g. test)")
    evaluation.add_argument("--json", action="store_true", help="print one JSON object on one line")
    evaluation.add_argument(
        "--negatives", type=Path, help="a file whose questions the main file's passages do not answer (abstain rate)"
    )
    evaluation.set_defaults(run=command_eval)

    report = commands.add_parser("report", help="what the bot's history says: usage, unanswered questions; CSV export")
    report.add_argument(
        "--days", type=_positive, default=30, help="how far back unanswered questions and the CSV go (default 30)"
    )
    report.add_argument(
        "--csv", type=Path, help="also write the questions of those days, with their votes, to this CSV"
    )
    report.add_argument("--plot", type=Path, help="also write /stats's chart of the last 30 days to this PNG")
    report.set_defaults(run=command_report)

    faq = commands.add_parser("faq", help="taught answers: import a CSV/XLSX FAQ, export it as CSV, or list them")
    faq.add_argument("action", choices=("import", "export", "list"))
    faq.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="import: a .csv or .xlsx with columns question, answer; export: the .csv to write",
    )
    faq.set_defaults(run=command_faq)

    serve = commands.add_parser(
        "serve", help="run the Telegram bot (polling, or a webhook if TANYA_WEBHOOK_URL is set)"
    )
    serve.set_defaults(run=command_serve)
    return parser


def _from_the_database(error: Exception) -> bool:
    """Whether ``error`` is SQLAlchemy's (imported only by the commands that use the database: it takes 0.6 s)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)


def main(argv: list[str] | None = None) -> int:
    """Run the ``tanya`` command line; errors are one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    limit_malloc_arenas()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for chatty in ("sentence_transformers", "bm25s"):  # per-step library progress lines
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = load_settings()
        status = args.run(settings, args)
    except (SettingsError, IndexUnavailable, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if not _from_the_database(error):
            raise
        print(f"error: the database (TANYA_DATABASE_URL): {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status
