"""The one batch runner: ``python -m nlp segment|classify|summarize|analyze`` and the app's Batch tab.

Every command is a :class:`~nlp.stages.Stage` of :func:`run_batch`: records are read
(:func:`nlp.io.iter_records`: JSONL lines, CSV rows, TXT files, TXT inside ZIPs), turned into
cleaned articles, run through the stage's models in batches, and written as rows, so
cleaning, errors, resume, exit codes and progress are the same for all four. A record that
fails (unreadable, empty, or one the model fails on) gets one row with ``error`` and the run
goes on; a failure that is not the record's fault (no model, the output cannot be written)
stops the run with :class:`~nlp.types.ModelUnavailable` or :class:`~nlp.output.OutputError`.
What the output file guarantees (never among the inputs, one writer, whole records, resume)
is in :mod:`nlp.output`.

Rows per stage (every row also carries ``record_id`` and ``n_articles``; ``id`` is
``<record id>#<k>`` for the k-th article of a record):

* ``segment``: ``id, source, index, title, byline, body, captions``, one row per article;
* ``classify``: ``id, label, scores, confidence, low_confidence`` (``evidence`` when asked);
* ``summarize``: ``id, summary, key_sentences, keywords``;
* ``analyze``: the article, its label, scores, summary, key sentences and keywords.

Example::

    from nlp.batch import BatchConfig, run_batch
    stats = run_batch(BatchConfig(inputs=["pages/"], output="out.jsonl", task="analyze"))
    print(stats.summary_line())
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp import output as out_file
from nlp.io import Record, iter_records
from nlp.output import OutputError, OutputFile, check_output_path, format_for
from nlp.pipeline import models_are_fake
from nlp.stages import (  # noqa: F401 - record_articles re-exported for the faces
    STAGES,
    Pending,
    Stage,
    fields_of,
    read_image,
    record_articles,
)
from nlp.types import Article, ModelUnavailable

BULK_BATCH_SIZE = 64  # articles per model call in bulk runs (the summariser batches 64 well)
TASKS = tuple(STAGES)  # segment, classify, summarize, analyze

ProgressFn = Callable[[int, int | None, "BatchStats"], None]
ErrorFn = Callable[[str, str], None]  # (source, message) of a record that failed


@dataclass
class BatchConfig:
    """What :func:`run_batch` reads, what it does, and where it writes.

    Attributes:
        inputs: files or folders (JSONL, CSV, TXT, ZIP of TXT).
        output: the JSONL, CSV or .xlsx file to write; ``None`` or ``"-"``: standard output.
        task: ``segment``, ``classify``, ``summarize`` or ``analyze``.
        format: ``"jsonl"``, ``"csv"`` or ``"xlsx"``; ``None`` picks by the output's suffix.
        segment: ``analyze`` only: split each record into articles (``False``: one article
            per record). Records with a ``title`` field are single articles either way.
        resume: keep the records already complete in ``output`` and skip them.
        batch_size: articles per model call.
        count_first: read the inputs once first to know the total (progress and ETA).
        explain: fill ``evidence`` (the sentences behind each label; extra model calls).
        beams, source_tokens: summary decoding; ``None`` takes the summariser's bulk
            settings (:meth:`nlp.summarizer.Summarizer.for_batch`: 2 beams over 192 tokens).
        source_root: rows and messages name their source relative to this folder (the app:
            the folder of an upload, so a server path is never shown); ``None``: as given.
    """

    inputs: Sequence[str | Path]
    output: str | Path | None = None
    task: str = "analyze"
    format: str | None = None
    segment: bool = True
    resume: bool = False
    batch_size: int = BULK_BATCH_SIZE
    count_first: bool = True
    explain: bool = False
    beams: int | None = None
    source_tokens: int | None = None
    source_root: str | Path | None = None

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ValueError("inputs is empty: give at least one file or folder")
        if isinstance(self.inputs, str | Path):
            raise ValueError(f"inputs must be a list of paths, got {self.inputs!r}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.output not in (None, "-"):
            self.output = Path(self.output)
        self.format = format_for(self.output, self.format)
        if self.format == "xlsx" and self.output in (None, "-"):
            raise ValueError("an .xlsx output needs an output file (-o OUT.xlsx)")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size!r}")


@dataclass
class BatchStats:
    """Counts of one run: ``records`` done in this run (written), ``skipped`` (found complete
    in the output on resume), ``articles`` written without error, ``errors`` (error rows)."""

    records: int = 0
    skipped: int = 0
    articles: int = 0
    errors: int = 0
    seconds: float = 0.0
    labels: Counter = field(default_factory=Counter)

    def count(self, rows: list[dict], on_error: ErrorFn | None = None) -> None:
        """Count one written record's rows (``on_error`` for each error row)."""
        self.records += 1
        for row in rows:
            if row.get("error"):
                self.errors += 1
                if on_error is not None:
                    on_error(row.get("source") or row["record_id"], row["error"])
            else:
                self.articles += 1
                if row.get("label"):
                    self.labels[row["label"]] += 1

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


# --------------------------------------------------------------------------- running


def unique_ids(records: Iterator[Record]) -> Iterator[tuple[str, Record]]:
    """Pair each record with an id unique in this run (repeats get ``~2``, ``~3``...)."""
    counts: Counter = Counter()
    for i, record in enumerate(records):
        rid = str(record.id or f"record{i}")
        counts[rid] += 1
        yield (rid if counts[rid] == 1 else f"{rid}~{counts[rid]}"), record


def relative_source(source: str, root: str | Path) -> str:
    """``source`` (``a/b.jsonl:12``, ``x.zip!a.txt``) with the folder ``root`` left out.

    Example:
        >>> relative_source("/tmp/gradio/ab12/稿件.jsonl:3", "/tmp/gradio/ab12")
        '稿件.jsonl:3'
    """
    folder = str(root).rstrip("/") + "/"
    return source[len(folder) :] if source.startswith(folder) else source


def todo_records(
    config: BatchConfig, done: set[str], stats: BatchStats
) -> Iterator[tuple[str, Record]]:
    """The records of ``config.inputs`` still to do, each with its id unique in the run, and
    its source relative to ``config.source_root``; records found in ``done`` are counted as
    ``stats.skipped``."""
    for rid, record in unique_ids(iter_records(config.inputs)):
        if rid in done:
            stats.skipped += 1
            continue
        if config.source_root is not None:
            record.source = relative_source(record.source, config.source_root)
        yield rid, record


def count_todo(inputs: Sequence[str | Path], done: set[str]) -> int:
    """Records of ``inputs`` that are not in ``done`` (the total of a progress bar)."""
    return sum(1 for rid, _ in unique_ids(iter_records(inputs)) if rid not in done)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def prepare_record(stage: Stage, record: Record) -> tuple[str, list[Article]]:
    """``(error, articles)`` of one record: OCR for an image, then the stage's cleaned
    articles; ``error`` says why the record gets an error row (``""``: none)."""
    error = record.error
    if not error and record.image:
        error = read_image(record)
    articles: list[Article] = []
    if not error:
        try:
            articles = stage.articles(record)
            error = "" if articles else "no article found"
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - reported in the row
            error = f"segmentation failed: {_describe(exc)}"
    return error, articles


def records_rows(stage: Stage, items: Sequence[tuple[str, Record]], batch_size: int):
    """The rows of each ``(record id, record)``, in order, as a local run writes them: an
    error row for a record that fails, the stage's rows for the others (model calls of about
    ``batch_size`` articles). A Ray worker runs this on its share of a run
    (:mod:`nlp.cluster`)."""
    out: list[list[dict] | None] = [None] * len(items)
    pending: Pending = []
    slots: list[int] = []

    def flush() -> None:
        for slot, rows in zip(slots, _rows_or_errors(stage, pending), strict=True):
            out[slot] = rows
        pending.clear()
        slots.clear()

    n_articles = 0
    for slot, (rid, record) in enumerate(items):
        error, articles = prepare_record(stage, record)
        if error:
            out[slot] = [stage.error_row(rid, record, str(error))]
            continue
        pending.append((rid, record, articles))
        slots.append(slot)
        n_articles += len(articles)
        if n_articles >= batch_size:
            flush()
            n_articles = 0
    if pending:
        flush()
    return out


def _rows_or_errors(stage: Stage, pending: Pending) -> list[list[dict]]:
    """The stage's rows of ``pending``; when the batch fails, each record is retried alone
    and a record that fails alone gets an error row, so one bad record loses nothing else."""
    try:
        return stage.rows(pending)
    except (ModelUnavailable, OutputError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - isolate the record that breaks the batch
        if len(pending) == 1:
            rid, record, _ = pending[0]
            return [[stage.error_row(rid, record, f"{stage.name} failed: {_describe(exc)}")]]
        return [rows for item in pending for rows in _rows_or_errors(stage, [item])]


def run_batch(
    config: BatchConfig,
    classifier=None,
    summarizer=None,
    progress: ProgressFn | None = None,
    on_error: ErrorFn | None = None,
    on_warning: ErrorFn | None = None,
) -> BatchStats:
    """Run ``config.task`` over every record of ``config.inputs`` into ``config.output``.

    Args:
        config: inputs, output, task and options (see :class:`BatchConfig`).
        classifier, summarizer: models; default to the shared ones of :mod:`nlp.pipeline`.
        progress: called as ``progress(records_done, records_to_do_or_None, stats)`` after
            each written record (records skipped on resume are not counted in either).
        on_error: called as ``on_error(source, message)`` for each record that failed.
        on_warning: called as ``on_warning(source, message)`` for each record processed with
            a warning (e.g. no Chinese characters).

    Returns:
        The run's :class:`BatchStats`.

    Raises:
        ModelUnavailable: a default model cannot be loaded (nothing is written then).
        OutputError: the output is an input, is locked by another run, or cannot be written.
    """
    stage = STAGES[config.task](config)
    check_output_path(config.output, config.inputs)
    stage.load(classifier, summarizer)  # fail before touching the output
    start = time.perf_counter()  # the rate is of the work, not of loading the models
    stats = BatchStats()
    with OutputFile(config.output, config.format, stage.fields, config.resume) as out:
        total = count_todo(config.inputs, out.done) if config.count_first else None
        pending: Pending = []
        n_pending = 0

        def write(rows: list[dict]) -> None:
            out.write_record(rows)
            stats.count(rows, on_error)
            stats.seconds = time.perf_counter() - start
            if progress is not None:
                progress(stats.records, total, stats)

        def flush() -> None:
            nonlocal pending, n_pending
            if pending:
                for rows in _rows_or_errors(stage, pending):
                    write(rows)
            pending, n_pending = [], 0

        for rid, record in todo_records(config, out.done, stats):
            error, articles = prepare_record(stage, record)
            if record.warning and not error and on_warning is not None:
                on_warning(record.source, record.warning)
            if error:
                flush()  # keep the output in input order
                write([stage.error_row(rid, record, str(error))])
                continue
            pending.append((rid, record, articles))
            n_pending += len(articles)
            if n_pending >= config.batch_size:
                flush()
        flush()
    stats.seconds = time.perf_counter() - start
    return stats


# --------------------------------------------------------------------------- for the faces


def jsonl_to_csv(src: str | Path, dst: str | Path, task: str = "analyze") -> Path:
    """Write the rows of a task's JSONL output as CSV."""
    return out_file.jsonl_to_csv(src, dst, fields_of(task))


def jsonl_to_xlsx(src: str | Path, dst: str | Path, task: str = "analyze") -> Path:
    """Write the rows of a task's JSONL output as an Excel workbook."""
    return out_file.jsonl_to_xlsx(src, dst, fields_of(task))


read_output = out_file.read_output
label_counts = out_file.label_counts
