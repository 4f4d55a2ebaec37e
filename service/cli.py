"""The command-line tool: ``python -m service extract FILE...`` and ``--jsonl IN OUT``.

Data engineers try an extractor on a folder of articles from the shell before they wire it into
anything. This gives them the API's answer without a server: the same engine, the same request
validation and the same JSON, for one file or a JSON Lines corpus spread over several processes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from marshmallow import Schema, ValidationError
from tqdm import tqdm

from schemas.extract import IsoDate, build_request_schemas

from .answers import document_answer, extraction_meta
from .config import Settings
from .engine import Engine
from .ontology import load_ontology

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STDIO = "-"


@dataclass(frozen=True)
class Document:
    """One text to read, and where it came from (for messages and the progress bar)."""

    where: str
    line: int
    id: str | int | None
    text: str
    document_date: dt.date | None


@dataclass(frozen=True)
class BadInput:
    """An input that cannot be read as a document, with the reason in the API's words."""

    where: str
    line: int
    message: str


class Failed(Exception):
    """The run stops: the message is printed and the exit status is non-zero."""


@dataclass(frozen=True)
class BatchResult:
    events: list[list[dict[str, Any]]]
    model_info: dict[str, Any]
    seconds: float


# ---------------------------------------------------------------------------------------------
# The engine, once per process


_engine: Engine | None = None


def _load_engine(settings: Settings) -> None:
    """Builds this process's engine (a worker's initializer, or the main process's when N is 1);
    a program calling ``main`` again with the same settings keeps the one it has."""
    global _engine
    if _engine is None or _engine.settings != settings:
        _engine = Engine(settings)


def _extract_batch(texts: list[str], dates: list[dt.date | None], event_types: list[str]) -> BatchResult:
    """Runs the process's engine on one batch; ``nlp.pipe`` streams the batch's texts."""
    assert _engine is not None, "_load_engine runs first"
    started = time.perf_counter()
    events = _engine.extract(texts, dates, event_types)
    return BatchResult(events, _engine.model_info, time.perf_counter() - started)


class Extractor:
    """Batches go to a pool of N processes, each with its own engine, or run here when N is 1."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        if processes > 1:
            # spawn, not fork: each worker starts clean and loads the pipeline once for itself.
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_load_engine, initargs=(settings,))
        else:
            _load_engine(settings)

    def submit(self, batch: list[Document], event_types: list[str]) -> Future[BatchResult]:
        args = ([d.text for d in batch], [d.document_date for d in batch], event_types)
        if self.pool is not None:
            return self.pool.submit(_extract_batch, *args)
        done: Future[BatchResult] = Future()
        try:
            done.set_result(_extract_batch(*args))
        except Exception as exc:  # noqa: BLE001 - reported with the batch's lines, as a worker's failure is
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def api_answer(events: list[dict[str, Any]], doc: Document, event_types: list[str], model_info: dict[str, Any],
               elapsed_ms: float) -> dict[str, Any]:
    """The body ``POST /v1/extract`` answers for the same document, key for key."""
    meta = extraction_meta(model_info, event_types, len(doc.text), len(events), elapsed_ms)
    return document_answer(events, meta, doc.document_date)


# ---------------------------------------------------------------------------------------------
# Reading inputs


def request_schema(settings: Settings, known_types: Sequence[str]) -> Schema:
    """The API's ``POST /v1/extract`` body schema with this process's limits: a document the API
    would refuse with 422 is a bad input here too, with the same message."""
    return build_request_schemas(
        known_types=known_types, max_text_chars=settings.max_text_chars, max_event_types=settings.max_event_types,
        max_batch_documents=settings.max_batch_documents, max_batch_chars=settings.max_batch_chars,
        max_document_id_chars=settings.max_document_id_chars,
    ).extract


def _validated(schema: Schema, where: str, line: int, doc_id: str | int | None,
               body: dict[str, Any]) -> Document | BadInput:
    """A document checked exactly as the API checks a request body."""
    try:
        req = schema.load(body)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"body": exc.messages}
        detail = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in sorted(messages.items()))
        return BadInput(where, line, detail)
    return Document(where, line, doc_id, req["text"], req["document_date"])


def read_files(paths: Sequence[str], document_date: str | None,
               schema: Schema) -> Iterator[Document | BadInput]:
    """Each file (``-``: standard input) is one document. Bytes are decoded as UTF-8 and nothing
    else is changed (CRLF stays two characters), so offsets index the file's text."""
    for number, path in enumerate(paths, start=1):
        where = "<stdin>" if path == STDIO else path
        try:
            raw = sys.stdin.buffer.read() if path == STDIO else Path(path).read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            yield BadInput(where, number, f"cannot read: {exc.strerror}")
            continue
        except UnicodeDecodeError as exc:
            yield BadInput(where, number, f"not valid UTF-8 (byte {exc.start})")
            continue
        yield _validated(schema, where, number, None, {"text": text, "document_date": document_date})


def read_jsonl(lines: Iterable[bytes], name: str, schema: Schema) -> Iterator[Document | BadInput]:
    """One ``{"id", "text", "document_date"?}`` object per line; other keys (gold ``events``) are
    ignored and blank lines skipped. A line that fails is reported with its number."""
    for number, raw in enumerate(lines, start=1):
        where = f"{name}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield BadInput(where, number, f"not valid UTF-8 (byte {exc.start})")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadInput(where, number, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield BadInput(where, number, "not valid JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield BadInput(where, number, "not a JSON object")
            continue
        doc_id = obj.get("id")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            yield BadInput(where, number, "id: a string or integer id is required.")
            continue
        body = {key: obj[key] for key in ("text", "document_date") if key in obj}
        yield _validated(schema, where, number, doc_id, body)


def _count_lines(path: str) -> int | None:
    """Lines in a regular file (for the progress bar's total); None for a pipe or stdin."""
    if path == STDIO or not Path(path).is_file():
        return None
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# ---------------------------------------------------------------------------------------------
# Writing results


@contextmanager
def _output(path: str) -> Iterator[IO[bytes]]:
    """Standard output, or a file that appears only when the run succeeds (never half-written)."""
    if path == STDIO:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _dumps(obj: Any, indent: int | None) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")


@dataclass
class Run:
    """What one run does with its inputs: how to batch, where to report, what to do on bad input."""

    settings: Settings
    event_types: list[str]
    processes: int
    batch_size: int
    skip_bad: bool
    progress: tqdm

    skipped: int = 0
    written: int = 0

    def report(self, message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    def batches(self, items: Iterable[Document | BadInput]) -> Iterator[list[Document]]:
        batch: list[Document] = []
        for item in items:
            if isinstance(item, BadInput):
                if not self.skip_bad:
                    raise Failed(f"{item.where}: {item.message}")
                self.report(f"{item.where}: skipped: {item.message}")
                self.skipped += 1
                continue
            batch.append(item)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def execute(self, items: Iterable[Document | BadInput], write: Callable[[Document, dict[str, Any]], None]) -> None:
        """Extracts every good document, writing answers in input order; at most two batches per
        process wait in flight, so a corpus of any size streams through in bounded memory."""
        extractor = Extractor(self.settings, self.processes)
        pending: deque[tuple[list[Document], Future[BatchResult]]] = deque()
        try:
            for batch in self.batches(items):
                pending.append((batch, extractor.submit(batch, self.event_types)))
                while len(pending) >= 2 * self.processes:
                    self._finish(*pending.popleft(), write)
            while pending:
                self._finish(*pending.popleft(), write)
        finally:
            extractor.close()

    def _finish(self, batch: list[Document], future: Future[BatchResult],
                write: Callable[[Document, dict[str, Any]], None]) -> None:
        try:
            result = future.result()
        except Exception as exc:
            raise Failed(f"{batch[0].where}..{batch[-1].where}: extraction failed: {type(exc).__name__}: {exc}") from exc
        # Documents in a batch go through nlp.pipe together, so each is given the batch's mean time.
        elapsed_ms = result.seconds * 1000 / len(batch)
        for doc, events in zip(batch, result.events):
            write(doc, api_answer(events, doc, self.event_types, result.model_info, elapsed_ms))
            self.written += 1
        self.progress.update(batch[-1].line - self.progress.n)


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service",
                                     description="Event extraction without a server: the API's answer, from the shell.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract = commands.add_parser(
        "extract", help="extract events from files or a JSON Lines corpus",
        description="Print the API's JSON answer for each FILE (one line each), or, with --jsonl, "
                    "read one {\"id\", \"text\", \"document_date\"?} object per line of IN and write "
                    "one {\"id\", \"events\", \"meta\"} line per document to OUT, in order. "
                    "Exit status: 0 done, 1 failed (bad input without --skip-bad, unreadable input, "
                    "extraction error), 2 wrong usage.")
    extract.add_argument("files", nargs="*", metavar="FILE", help="text files, UTF-8; '-' reads standard input")
    extract.add_argument("--jsonl", nargs=2, metavar=("IN", "OUT"), help="JSON Lines in and out; '-' for stdin/stdout")
    extract.add_argument("--document-date", type=_iso_date, metavar="YYYY-MM-DD",
                         help="publication date of the FILEs (with --jsonl, each line has its own)")
    extract.add_argument("--event-types", action="append", metavar="TYPE[,TYPE...]",
                         help="only these event types (default: all)")
    extract.add_argument("--processes", type=_positive, default=1, metavar="N",
                         help="worker processes, each loading the pipeline once (default: 1)")
    extract.add_argument("--batch-size", type=_positive, default=64, metavar="N",
                         help="documents per nlp.pipe batch (default: 64)")
    extract.add_argument("--skip-bad", action="store_true",
                         help="report bad inputs and go on (default: stop at the first, exit 1, write no OUT)")
    extract.add_argument("--indent", type=int, metavar="N", help="pretty-print FILE answers with N spaces")
    return parser


def _iso_date(raw: str) -> str:
    """The API's own date rule, checked before any file is read."""
    try:
        IsoDate().deserialize(raw)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(" ".join(map(str, exc.messages))) from None
    return raw


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.files) == bool(args.jsonl):
        parser.error("give either FILE... or --jsonl IN OUT")
    if args.jsonl and args.document_date:
        parser.error("--document-date is for FILEs; with --jsonl each line gives its own document_date")
    if args.jsonl and args.indent is not None:
        parser.error("--indent is for FILEs; --jsonl writes one answer per line")

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        parser.error(str(exc))
    known = sorted(load_ontology())
    wanted = [t for group in args.event_types or [] for t in group.split(",") if t]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        parser.error(f"unknown event types {unknown}; known: {known}")
    event_types = list(dict.fromkeys(wanted)) or known
    schema = request_schema(settings, known)

    total = len(args.files) if args.files else _count_lines(args.jsonl[0])
    with tqdm(total=total, unit="doc" if args.files else "line", file=sys.stderr,
              disable=not sys.stderr.isatty()) as progress:
        run = Run(settings, event_types, args.processes, args.batch_size, args.skip_bad, progress)
        try:
            if args.files:
                _run_files(run, args.files, args.document_date, schema, args.indent)
            else:
                _run_jsonl(run, *args.jsonl, schema)
        except Failed as exc:
            run.report(f"error: {exc}")
            return EXIT_FAILED
        except OSError as exc:
            run.report(f"error: {exc.filename or ''}: {exc.strerror or exc}")
            return EXIT_FAILED
        except KeyboardInterrupt:
            run.report("interrupted")
            return 128 + 2
    if run.skipped:
        print(f"{run.written} written, {run.skipped} skipped", file=sys.stderr)
    return EXIT_OK


def _run_files(run: Run, files: Sequence[str], document_date: str | None, schema: Schema,
               indent: int | None) -> None:
    with _output(STDIO) as out:
        run.execute(read_files(files, document_date, schema), lambda _doc, answer: out.write(_dumps(answer, indent)))


def _run_jsonl(run: Run, source: str, target: str, schema: Schema) -> None:
    name = "<stdin>" if source == STDIO else source
    with (open(source, "rb") if source != STDIO else nullcontext(sys.stdin.buffer)) as lines, _output(target) as out:
        run.execute(read_jsonl(lines, name, schema),
                    lambda doc, answer: out.write(_dumps({"id": doc.id, **answer}, None)))
