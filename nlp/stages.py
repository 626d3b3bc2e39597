"""The stages of the batch runner (:mod:`nlp.batch`): one per command.

A :class:`Stage` says which rows its command writes (:attr:`Stage.fields`, also the CSV
columns) and turns a batch of records into rows: ``segment`` one row per article of a page,
``classify`` and ``summarize`` one row per record (the record cleaned as one article, as
``analyze --no-segment`` cleans it), ``analyze`` one row per article with label and summary.
Every row carries ``record_id``, ``id`` (``<record>#<k>``; the record id for classify and
summarize) and ``n_articles``, which resume relies on. Adding a command: subclass
:class:`Stage` and register it in :data:`STAGES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlp.io import Record, check_record
from nlp.labels import DISPLAY_NAMES
from nlp.pipeline import (
    analyze_articles,
    default_classifier,
    default_summarizer,
    predict_labels,
    split_articles,
)
from nlp.types import Article

if TYPE_CHECKING:  # pragma: no cover
    from nlp.batch import BatchConfig

Pending = list[tuple[str, Record, list[Article]]]  # (record id, record, its articles)


class Stage:
    """One command of the runner: which rows it writes and how a batch of records becomes rows.

    Subclasses set :attr:`name` and :attr:`fields` and implement :meth:`rows`.
    """

    name = ""
    fields: tuple[str, ...] = ()
    segment_pages = False  # records without a title are split into articles

    def __init__(self, config: BatchConfig):
        self.config = config

    def load(self, classifier=None, summarizer=None) -> None:
        """Take the given models, or load the shared ones the stage needs (raises
        ModelUnavailable before any output is touched)."""

    def articles(self, record: Record) -> list[Article]:
        """The cleaned articles of one record."""
        return record_articles(record, self.segment_pages, record.source)

    def rows(self, pending: Pending) -> list[list[dict]]:
        """Rows of each pending record (same order), one per article."""
        raise NotImplementedError

    def error_row(self, rid: str, record: Record, message: str) -> dict:
        row = {name: None for name in self.fields}
        row.update(record_id=rid, id=f"{rid}#0", n_articles=0, source=record.source)
        row.update(error=message)
        return row

    @staticmethod
    def _keys(rid: str, n: int, k: int) -> dict:
        return {"record_id": rid, "id": f"{rid}#{k}", "n_articles": n}


class SegmentStage(Stage):
    name = "segment"
    fields = ("record_id", "id", "n_articles", "source", "index", "title", "byline", "body",
              "captions", "original_title", "original_body", "error")  # fmt: skip

    def articles(self, record: Record) -> list[Article]:
        sizes = record.line_sizes
        return split_articles(record.text, segment=True, source=record.source, line_sizes=sizes)

    def rows(self, pending: Pending) -> list[list[dict]]:
        return [
            [{**self._keys(rid, len(arts), a.index), **a.to_dict()} for a in arts]
            for rid, _, arts in pending
        ]


class _OneArticleStage(Stage):
    """``classify`` / ``summarize``: every record is one article, cleaned as ``analyze
    --no-segment`` cleans it, and ``id`` is the record's id."""

    def _row(self, rid: str, record: Record, result: dict) -> dict:
        row = {"record_id": rid, "id": rid, "n_articles": 1, **result}
        if record.warning:
            row["warning"] = record.warning
        return row

    def error_row(self, rid: str, record: Record, message: str) -> dict:
        return {"record_id": rid, "id": rid, "n_articles": 0, "source": record.source,
                "error": message}  # fmt: skip


class ClassifyStage(_OneArticleStage):
    name = "classify"
    fields = ("record_id", "id", "n_articles", "label", "label_name", "confidence",
              "low_confidence", "scores", "evidence", "tokens_read", "tokens_total",
              "secondary", "secondary_score", "warning", "source", "error")  # fmt: skip

    def load(self, classifier=None, summarizer=None) -> None:
        self.classifier = classifier or default_classifier()

    def rows(self, pending: Pending) -> list[list[dict]]:
        arts = [a for _, _, group in pending for a in group]
        labels = predict_labels(self.classifier, [a.text for a in arts], self.config.explain)
        if len(labels) != len(arts):
            raise RuntimeError(f"the classifier returned {len(labels)} labels for {len(arts)}")
        return [
            [self._row(rid, record, c.to_dict())]
            for (rid, record, _), c in zip(pending, labels, strict=True)
        ]


class SummarizeStage(_OneArticleStage):
    name = "summarize"
    fields = ("record_id", "id", "n_articles", "summary", "key_sentences", "keywords",
              "fallback", "warning", "source", "error")  # fmt: skip

    def load(self, classifier=None, summarizer=None) -> None:
        self.summarizer = bulk_summarizer(self.config, summarizer)

    def rows(self, pending: Pending) -> list[list[dict]]:
        arts = [a for _, _, group in pending for a in group]
        # The summariser was trained to write a headline from a body: it reads the body.
        summaries = self.summarizer.summarize([a.body or a.text for a in arts])
        if len(summaries) != len(arts):
            raise RuntimeError(f"the summariser returned {len(summaries)} for {len(arts)}")
        return [
            [self._row(rid, record, s.to_dict())]
            for (rid, record, _), s in zip(pending, summaries, strict=True)
        ]


class AnalyzeStage(Stage):
    name = "analyze"
    fields = ("record_id", "id", "n_articles", "source", "index", "title", "byline", "body",
              "captions", "label", "label_name", "confidence", "low_confidence", "scores",
              "evidence", "tokens_read", "tokens_total", "secondary", "secondary_score", "summary",
              "key_sentences", "keywords", "fallback",
              "original_title", "original_body", "error")  # fmt: skip

    def __init__(self, config: BatchConfig):
        super().__init__(config)
        self.segment_pages = config.segment

    def load(self, classifier=None, summarizer=None) -> None:
        self.classifier = classifier or default_classifier()
        self.summarizer = bulk_summarizer(self.config, summarizer)

    def rows(self, pending: Pending) -> list[list[dict]]:
        arts = [a for _, _, group in pending for a in group]
        results = analyze_articles(
            arts, self.classifier, self.summarizer, self.config.batch_size, self.config.explain
        )
        out, pos = [], 0
        for rid, _, group in pending:
            chunk, pos = results[pos : pos + len(group)], pos + len(group)
            out.append(analyze_rows(rid, chunk))
        return out

    def error_row(self, rid: str, record: Record, message: str) -> dict:
        row = super().error_row(rid, record, message)
        row.update(index=0, title=record.title)
        return row


def analyze_rows(rid: str, results) -> list[dict]:
    """The ``analyze`` rows of one record's results: :class:`~nlp.types.ArticleResult` or
    their ``to_dict()`` (the app's downloads write the same rows as the command)."""
    rows = []
    for r in results:
        d = r if isinstance(r, dict) else r.to_dict()
        row = {name: d.get(name) for name in AnalyzeStage.fields}
        row.update(record_id=rid, id=f"{rid}#{d.get('index') or 0}", n_articles=len(results))
        row.update(label_name=DISPLAY_NAMES.get(d.get("label"), ""), error=None)
        rows.append(row)
    return rows


STAGES: dict[str, type[Stage]] = {
    s.name: s for s in (SegmentStage, ClassifyStage, SummarizeStage, AnalyzeStage)
}


def fields_of(task: str) -> tuple[str, ...]:
    """The row fields (CSV columns before ``scores`` is expanded) of a task."""
    return STAGES[task].fields


def bulk_summarizer(config: BatchConfig, summarizer=None):
    """``summarizer`` (default: the shared one) with the bulk decoding settings of ``config``
    (a summariser without :meth:`~nlp.summarizer.Summarizer.for_batch` as it is)."""
    summarizer = summarizer or default_summarizer()
    if hasattr(summarizer, "for_batch"):
        summarizer = summarizer.for_batch(config.beams, config.source_tokens)
    return summarizer


def read_image(record: Record) -> str:
    """OCR a page-image record in place (``body`` and ``line_sizes``), then check its text as
    every record's is (:func:`nlp.io.check_record`); the error, or ``""``."""
    from nlp.ocr import ocr_page

    try:
        page = ocr_page(record.image)
    except ValueError as exc:
        return str(exc)
    if not page.text.strip():
        return "no text found in the image"
    record.body, record.line_sizes = page.text, page.line_sizes
    return check_record(record).error


def record_articles(record: Record, segment: bool, source: str = "") -> list[Article]:
    """The cleaned articles of one input record.

    A record with its own ``title`` (CSV/JSONL ``title`` + ``body``) is one article already;
    a record with only text (a TXT page, a ``text`` column) is split into articles when
    ``segment`` is true, else is one article (a short first line is its headline).
    """
    if not record.title.strip():
        sizes = record.line_sizes
        return split_articles(record.text, segment=segment, source=source, line_sizes=sizes)
    from nlp.pipeline import keep_original
    from nlp.script import to_simplified
    from nlp.text import clean_text

    title, body = to_simplified(record.title), to_simplified(record.body)
    article = Article(title=clean_text(title), body=clean_text(body), source=source, index=0)
    if title != record.title or body != record.body:
        keep_original([article], f"{record.title}\n{record.body}", f"{title}\n{body}")
    return [article]
