"""Batch analysis of files and folders: ``python -m nlp analyze`` and the app's Batch tab.

Each input record (a JSONL line, a CSV row, a TXT file, a TXT inside a ZIP; read by
:func:`nlp.io.iter_records`) is split into articles (unless ``segment=False``; a record with
its own ``title`` field is one article already), classified and summarised; every article
becomes one output row (JSONL or CSV).

Crash safety and ``resume``: all rows of one input record are written with a single
``os.write`` on an append-only file descriptor, so the file only ever grows by whole records
(no user-space buffer to lose; a kill can at worst cut the very last write short). Every row
carries ``record_id`` and ``n_articles`` (the number of articles of its record), so on resume
a record counts as done only when all its rows are there and parse; a cut-short tail is
removed (the file is rewritten without it) and that record is done again. Nothing already
written is lost and nothing is duplicated.

Example::

    from nlp.batch import BatchConfig, run_batch
    stats = run_batch(BatchConfig(inputs=["pages/"], output="out.jsonl"))
    print(stats.summary_line())
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.labels import DISPLAY_NAMES, LABELS
from nlp.pipeline import (
    Classifier,
    ModelUnavailable,
    Summarizer,
    analyze_articles,
    default_classifier,
    default_summarizer,
    models_are_fake,
    split_articles,
)
from nlp.types import Article, ArticleResult

FORMATS = ("jsonl", "csv")
BULK_BATCH_SIZE = 64  # articles per model call in bulk runs (the summariser batches 64 well)

# Column order of both formats. ``scores`` is one JSON object in JSONL and one
# ``score_<label>`` column per label in CSV; lists are JSON arrays in CSV cells.
BASE_FIELDS = (
    "record_id", "id", "n_articles", "source", "index", "title", "byline", "body", "captions",
    "label", "label_name", "confidence", "low_confidence", "scores", "evidence", "summary",
    "key_sentences", "keywords", "error",
)  # fmt: skip
_LIST_FIELDS = ("captions", "evidence", "key_sentences", "keywords")
CSV_FIELDS = tuple(f for f in BASE_FIELDS if f != "scores") + tuple(f"score_{lb}" for lb in LABELS)

ProgressFn = Callable[[int, int | None, "BatchStats"], None]
ErrorFn = Callable[[str, str], None]  # (source, message) of a record that failed


@dataclass
class BatchConfig:
    """What :func:`run_batch` reads, how, and where it writes.

    Attributes:
        inputs: files or folders (JSONL, CSV, TXT, ZIP of TXT).
        output: the JSONL or CSV file to write.
        format: ``"jsonl"`` or ``"csv"``; ``None`` picks by the output's suffix (``.csv`` → CSV).
        segment: split each record into articles; ``False`` treats each record as one article.
            Records with a ``title`` field are single articles either way.
        resume: keep the records already complete in ``output`` and skip them.
        batch_size: articles per model call.
        count_first: read the inputs once to know the total (for progress and ETA).
        explain: fill ``evidence`` (the sentences behind each label; costs extra model calls).
        beams, source_tokens: summary decoding; ``None`` takes the summariser's bulk settings
            (:meth:`nlp.summarizer.Summarizer.for_batch`: 2 beams over 192 tokens).
    """

    inputs: Sequence[str | Path]
    output: str | Path
    format: str | None = None
    segment: bool = True
    resume: bool = False
    batch_size: int = BULK_BATCH_SIZE
    count_first: bool = True
    explain: bool = False
    beams: int | None = None
    source_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ValueError("inputs is empty: give at least one file or folder")
        self.output = Path(self.output)
        if self.format is None:
            self.format = "csv" if self.output.suffix.lower() == ".csv" else "jsonl"
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size!r}")


@dataclass
class BatchStats:
    """Counts of one run (``skipped``: records found complete in the output on resume)."""

    records: int = 0
    skipped: int = 0
    articles: int = 0
    errors: int = 0
    seconds: float = 0.0
    labels: Counter = field(default_factory=Counter)

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    def summary_line(self) -> str:
        fake = " models=FAKE(test)" if models_are_fake() else ""
        return (
            f"records={self.records} skipped={self.skipped} articles={self.articles} "
            f"errors={self.errors} seconds={self.seconds:.1f} "
            f"articles/s={self.articles_per_s:.2f}{fake}"
        )


# --------------------------------------------------------------------------- rows


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def result_row(record_id: str, n_articles: int, result: ArticleResult) -> dict:
    """The output row of one analysed article."""
    d = result.to_dict()
    row = {name: d.get(name) for name in BASE_FIELDS}
    row.update(
        record_id=record_id,
        id=f"{record_id}#{result.article.index}",
        n_articles=n_articles,
        label_name=DISPLAY_NAMES.get(d.get("label"), ""),
        error=None,
    )
    return row


def error_row(record_id: str, source: str, title: str, message: str) -> dict:
    """The one output row of a record that could not be analysed."""
    row: dict[str, Any] = {name: None for name in BASE_FIELDS}
    row.update(
        record_id=record_id,
        id=f"{record_id}#0",
        n_articles=0,
        source=source,
        index=0,
        title=title,
        error=message,
    )
    return row


def to_csv_row(row: dict) -> dict:
    """Flatten a row for CSV: lists as JSON, scores as ``score_<label>`` columns."""
    out = {}
    for name in CSV_FIELDS:
        if name.startswith("score_"):
            value = (row.get("scores") or {}).get(name[len("score_") :])
        else:
            value = row.get(name)
            if name in _LIST_FIELDS and value is not None:
                value = json.dumps(value, ensure_ascii=False)
        out[name] = "" if value is None else value
    return out


def encode_rows(rows: Sequence[dict], fmt: str, header: bool = False) -> bytes:
    """Rows as the bytes appended to the output file (CSV: with header if ``header``)."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, quoting=csv.QUOTE_ALL)
    if header:
        writer.writeheader()
    for r in rows:
        writer.writerow(to_csv_row(r))
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- output file


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _parse_jsonl(data: bytes) -> list[dict]:
    rows = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # a line cut short by a kill; its record is redone
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _parse_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8", errors="replace")
    if not text.endswith("\n"):  # the last row was cut short
        text = text[: text.rfind("\n") + 1]
    rows = []
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                continue
            rows.append(row)
    except csv.Error:
        pass  # an unterminated quoted field at the end: the rest is a cut-short tail
    return rows


def read_output(path: str | Path, fmt: str | None = None) -> list[dict]:
    """Rows of an output file (CSV rows come back as strings)."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if not path.exists():
        return []
    data = path.read_bytes()
    return _parse_csv(data) if fmt == "csv" else _parse_jsonl(data)


def complete_rows(rows: Iterable[dict]) -> tuple[list[dict], set[str]]:
    """Rows of the records that are complete (all ``n_articles`` rows present), and their ids.

    Duplicate article ids are kept once.
    """
    seen: set[str] = set()
    by_record: dict[str, list[dict]] = {}
    for row in rows:
        rid, aid = row.get("record_id"), row.get("id")
        if not rid or not aid or aid in seen:
            continue
        try:
            int(row.get("n_articles"))
        except (TypeError, ValueError):
            continue
        seen.add(aid)
        by_record.setdefault(str(rid), []).append(row)
    kept: list[dict] = []
    done: set[str] = set()
    for rid, group in by_record.items():
        if len(group) == max(1, int(group[0]["n_articles"])):
            kept.extend(group)
            done.add(rid)
    return kept, done


def prepare_output(path: Path, fmt: str, resume: bool) -> set[str]:
    """Make ``path`` ready to append to; return the ids of input records already done.

    Without ``resume`` the file is emptied. With it, complete records are kept and a torn
    tail or an incomplete record is removed (the file is rewritten atomically when needed).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not resume or not path.exists():
        path.write_bytes(b"")
        return set()
    data = path.read_bytes()
    rows = _parse_csv(data) if fmt == "csv" else _parse_jsonl(data)
    kept, done = complete_rows(rows)
    if fmt == "csv":
        # CSV rows were read back as strings; rebuild them from the raw cells.
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in CSV_FIELDS} for r in kept)
        clean = buf.getvalue().encode("utf-8") if kept else b""
    else:
        clean = encode_rows(kept, "jsonl")
    if clean != data:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(clean)
        os.replace(tmp, path)
    return done


# --------------------------------------------------------------------------- running


def _unique_ids(records: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """Pair each record with an id unique in this run (repeats get ``~2``, ``~3``...)."""
    counts: Counter = Counter()
    for i, record in enumerate(records):
        rid = str(_get(record, "id") or f"record{i}")
        counts[rid] += 1
        yield (rid if counts[rid] == 1 else f"{rid}~{counts[rid]}"), record


def _source_file(source: str) -> Path:
    """The file a record came from: ``a/b.jsonl:12`` → ``a/b.jsonl``, ``x.zip!a.txt`` → ``x.zip``."""
    source = source.split("!", 1)[0]
    head, sep, tail = source.rpartition(":")
    return Path(head if sep and tail.isdigit() else source)


def iter_input_records(inputs: Sequence[str | Path], output: Path | None = None) -> Iterator[Any]:
    """Records of ``inputs`` (:func:`nlp.io.iter_records`), leaving out the output file's own
    rows when it lies inside an input folder."""
    from nlp.io import iter_records

    out = output.resolve() if output is not None else None
    for record in iter_records([str(p) for p in inputs]):
        if out is not None:
            src = _source_file(str(_get(record, "source") or ""))
            if src.name in (out.name, out.name + ".tmp") and src.resolve().parent == out.parent:
                continue
        yield record


def count_records(inputs: Sequence[str | Path], output: Path | None = None) -> int:
    """Number of records :func:`iter_input_records` yields."""
    return sum(1 for _ in iter_input_records(inputs, output))


def _record_text(record: Any) -> str:
    text = _get(record, "text")
    if text:
        return str(text)
    title, body = _get(record, "title") or "", _get(record, "body") or ""
    return f"{title}\n{body}" if title else str(body)


def record_articles(record: Any, segment: bool, source: str = "") -> list[Article]:
    """The articles of one input record.

    A record with its own ``title`` (CSV/JSONL ``title`` + ``body``) is one article already;
    a record with only text (a TXT page, a ``text`` column) is split into articles when
    ``segment`` is true.
    """
    title = str(_get(record, "title") or "").strip()
    if not title:
        return split_articles(_record_text(record), segment=segment, source=source)
    from nlp.text import clean_text

    body = clean_text(str(_get(record, "body") or ""))
    return [Article(title=clean_text(title), body=body, source=source, index=0)]


class _Writer:
    """Appends whole records to the output and keeps the stats."""

    def __init__(self, config: BatchConfig, stats: BatchStats, on_error: ErrorFn | None):
        self.fmt = config.format
        self.stats = stats
        self.on_error = on_error
        need_header = self.fmt == "csv" and Path(config.output).stat().st_size == 0
        self.fd = os.open(config.output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if need_header:
            _write_all(self.fd, encode_rows([], "csv", header=True))

    def write(self, rows: list[dict]) -> None:
        _write_all(self.fd, encode_rows(rows, self.fmt))
        self.stats.records += 1
        for row in rows:
            if row.get("error"):
                self.stats.errors += 1
                if self.on_error is not None:
                    self.on_error(row.get("source") or row["record_id"], row["error"])
            else:
                self.stats.articles += 1
                self.stats.labels[row["label"]] += 1

    def close(self) -> None:
        os.close(self.fd)


def _analyse_pending(
    pending: list[tuple[str, Any, list[Article]]],
    classifier: Classifier | None,
    summarizer: Summarizer | None,
    config: BatchConfig,
) -> list[list[dict]]:
    """Rows per pending record; a record whose analysis fails gets one error row."""
    articles = [a for _, _, arts in pending for a in arts]
    try:
        results = analyze_articles(
            articles, classifier, summarizer, config.batch_size, explain=config.explain
        )
    except ModelUnavailable:
        raise
    except Exception:  # noqa: BLE001 - isolate the record that breaks the batch
        if len(pending) == 1:
            raise
        out = []
        for item in pending:
            try:
                out.extend(_analyse_pending([item], classifier, summarizer, config))
            except Exception as exc:  # noqa: BLE001 - reported in the row, run goes on
                rid, record, _ = item
                out.append(
                    [
                        error_row(
                            rid,
                            _get(record, "source") or "",
                            _get(record, "title") or "",
                            f"analysis failed: {type(exc).__name__}: {exc}",
                        )
                    ]
                )
        return out
    out, pos = [], 0
    for rid, _, arts in pending:
        chunk = results[pos : pos + len(arts)]
        pos += len(arts)
        out.append([result_row(rid, len(arts), r) for r in chunk])
    return out


def run_batch(
    config: BatchConfig,
    classifier: Classifier | None = None,
    summarizer: Summarizer | None = None,
    progress: ProgressFn | None = None,
    on_error: ErrorFn | None = None,
) -> BatchStats:
    """Analyse every record of ``config.inputs`` into ``config.output``.

    Args:
        config: inputs, output, format and options (see :class:`BatchConfig`).
        classifier, summarizer: models; default to the shared ones of :mod:`nlp.pipeline`.
        progress: called as ``progress(records_seen, total_or_None, stats)`` after each record.
        on_error: called as ``on_error(source, message)`` for each record that failed.

    Returns:
        The run's :class:`BatchStats`.

    Raises:
        ModelUnavailable: a default model cannot be loaded (nothing is written then).
    """
    start = time.perf_counter()
    classifier = classifier or default_classifier()  # fail before touching the output
    summarizer = summarizer or default_summarizer()
    if hasattr(summarizer, "for_batch"):  # the real model: bulk decoding settings
        summarizer = summarizer.for_batch(config.beams, config.source_tokens)
    stats = BatchStats()
    out = Path(config.output)
    done = prepare_output(out, config.format, config.resume)
    total = count_records(config.inputs, out) if config.count_first else None
    writer = _Writer(config, stats, on_error)
    seen = 0
    pending: list[tuple[str, Any, list[Article]]] = []
    n_pending = 0

    def tick() -> None:
        stats.seconds = time.perf_counter() - start
        if progress is not None:
            progress(seen, total, stats)

    def flush() -> None:
        nonlocal pending, n_pending
        if pending:
            for rows in _analyse_pending(pending, classifier, summarizer, config):
                writer.write(rows)
        pending, n_pending = [], 0

    try:
        for rid, record in _unique_ids(iter_input_records(config.inputs, out)):
            seen += 1
            source, title = _get(record, "source") or "", _get(record, "title") or ""
            if rid in done:
                stats.skipped += 1
                tick()
                continue
            error = _get(record, "error")
            articles: list[Article] = []
            if not error:
                try:
                    articles = record_articles(record, config.segment, source)
                    if not articles:
                        error = "no text"
                except Exception as exc:  # noqa: BLE001 - reported in the row
                    error = f"segmentation failed: {type(exc).__name__}: {exc}"
            if error:
                flush()  # keep output in input order
                writer.write([error_row(rid, source, title, str(error))])
            else:
                pending.append((rid, record, articles))
                n_pending += len(articles)
                if n_pending >= config.batch_size:
                    flush()
            tick()
        flush()
    finally:
        writer.close()
    stats.seconds = time.perf_counter() - start
    if progress is not None:
        progress(seen, total, stats)
    return stats


# --------------------------------------------------------------------------- command line


def add_analyze_arguments(parser) -> None:
    """Arguments of ``python -m nlp analyze`` (``nlp.cli`` builds the subparser)."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files or folders: JSONL, CSV, TXT, ZIP of TXT files",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="output file (JSONL, or CSV with --format csv or a .csv name)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: from the output's suffix, else jsonl)",
    )
    parser.add_argument(
        "--no-segment",
        dest="segment",
        action="store_false",
        help="treat every record as one article (no page segmentation; records with a "
        "title field are single articles anyway)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the records already complete in OUT and skip them",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BULK_BATCH_SIZE,
        metavar="N",
        help=f"articles per model call (default {BULK_BATCH_SIZE})",
    )
    parser.add_argument(
        "--evidence",
        action="store_true",
        help="also fill 'evidence', the sentences behind each label (slower)",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )


def run_analyze(args) -> int:
    """Run ``python -m nlp analyze`` from parsed arguments; print the summary line.

    Returns:
        0 when every record was analysed, 1 when some failed (each is reported on stderr and
        written as a row with ``error``; the others are analysed), 2 when the models cannot
        be loaded; as the other commands do.
    """
    import sys

    from tqdm import tqdm

    config = BatchConfig(
        inputs=args.inputs,
        output=args.output,
        format=args.format,
        segment=args.segment,
        resume=args.resume,
        batch_size=args.batch_size,
        count_first=args.progress,
        explain=args.evidence,
        beams=args.beams,
        source_tokens=args.source_tokens,
    )
    bar = tqdm(unit="rec", file=sys.stderr, disable=not args.progress, dynamic_ncols=True)

    def progress(seen: int, total: int | None, stats: BatchStats) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = seen
        bar.set_postfix(articles=stats.articles, errors=stats.errors, refresh=False)
        bar.refresh()

    def report(source: str, message: str) -> None:
        tqdm.write(f"newsdesk: error: {source}: {message}", file=sys.stderr)

    try:
        stats = run_batch(config, progress=progress, on_error=report)
    except ModelUnavailable as exc:
        print(f"newsdesk: error: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    print(stats.summary_line(), flush=True)
    return 1 if stats.errors else 0


# --------------------------------------------------------------------------- helpers for faces


def jsonl_to_csv(src: str | Path, dst: str | Path) -> Path:
    """Write the rows of a JSONL output as the CSV format."""
    rows = read_output(src, "jsonl")
    dst = Path(dst)
    dst.write_bytes(encode_rows(rows, "csv", header=True))
    return dst


def label_counts(rows: Iterable[dict]) -> dict[str, int]:
    """Articles per label, in :data:`~nlp.labels.LABELS` order (errors left out)."""
    counts = Counter(r.get("label") for r in rows if not r.get("error") and r.get("label"))
    return {label: counts.get(label, 0) for label in LABELS}
