"""Labelled files: the one reader (:func:`read_labelled`) and the file evaluation of the app's
Evaluate tab (:func:`evaluate_file`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.evaluation.base import Progress
from nlp.labels import DISPLAY_NAMES, LABELS
from nlp.pipeline import DEFAULT_BATCH_SIZE, Classifier, default_classifier


@dataclass
class EvalReport:
    """Result of :func:`evaluate_file`: the evaluator's details (the metrics of
    :func:`nlp.evaluation.metrics.classification_metrics` plus ``ece``, ``errors``), the
    confusion-matrix PNG, and how many rows were skipped (no text or unknown label)."""

    metrics: dict
    confusion_png: Path | None
    skipped: int
    predictions: list[str]
    reliability_png: Path | None = None


_LABEL_ALIASES = {
    **{name: label for label, name in DISPLAY_NAMES.items()},
    **{lb: lb for lb in LABELS},
}


def parse_label(value: Any) -> str | None:
    """A label id from an id (``public_security``) or a Chinese name (``公安``); else ``None``."""
    return _LABEL_ALIASES.get(str(value or "").strip())


@dataclass
class LabelledRows:
    """A labelled file read by :func:`read_labelled`: texts, gold label ids and record ids of
    the usable rows, and ``"<id>: <reason>"`` for each row that was not usable."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_labelled(path: str | Path, strict: bool = False) -> LabelledRows:
    """The one reader of labelled JSONL/CSV files (app Evaluate tab and ``nlp evaluate``).

    Each row needs ``label`` (an id such as ``public_security`` or a Chinese name such as
    ``公安``) and ``text`` or ``title`` + ``body``; files are read by :func:`nlp.io.iter_records`
    (encoding detection, size limits, ids). A row without text or with an unknown label is
    skipped, or with ``strict`` raises.

    Raises:
        ValueError: with ``strict``, the first unusable row.
    """
    from nlp.io import iter_records

    out = LabelledRows()
    for rec in iter_records([path], extra_fields=("label",)):
        label = parse_label(rec.extra.get("label"))
        problem = rec.error
        if not problem and label is None:
            given = rec.extra.get("label")
            problem = f"unknown label {given!r}" if given else "no 'label' field"
        if problem:
            if strict:
                raise ValueError(f"{path}: record {rec.id}: {problem}")
            out.skipped.append(f"{rec.id}: {problem}")
            continue
        out.texts.append(rec.text)
        out.labels.append(label)
        out.ids.append(rec.id)
    return out


def evaluate_file(
    path: str | Path,
    classifier: Classifier | None = None,
    out_dir: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> EvalReport:
    """Classify every row of a labelled file (one article per row) and score the predictions
    with a :class:`~nlp.evaluation.classification.ClassificationEvaluator`.

    Args:
        path: a labelled JSONL/CSV file (see :func:`read_labelled`).
        classifier: the model (default :func:`nlp.pipeline.default_classifier`).
        out_dir: where to write ``confusion.png`` (``None``: no image).
        batch_size: texts per model call.
        progress: ``progress(what, done, total)`` after each model call.

    Returns:
        An :class:`EvalReport`.

    Raises:
        ValueError: unreadable file, missing columns, or no usable row.
    """
    from nlp.evaluation.classification import ClassificationEvaluator
    from nlp.evaluation.data import load_labelled_file

    data = load_labelled_file(path)
    evaluator = ClassificationEvaluator(
        data.texts, data.labels, name=data.name, ids=data.ids, batch_size=batch_size
    )
    metrics = evaluator.details(classifier or default_classifier(), progress)
    png = None
    if out_dir is not None:
        from nlp.evaluation.plots import plot_confusion

        png = plot_confusion(
            metrics["confusion"], metrics["labels"], Path(out_dir) / "confusion.png"
        )
        from nlp.evaluation.plots import plot_reliability

        reliability = plot_reliability(
            metrics["reliability"], Path(out_dir) / "reliability.png", f"ECE {metrics['ece']:.3f}"
        )
    return EvalReport(
        metrics=metrics,
        confusion_png=png,
        skipped=len(data.skipped),
        predictions=metrics["predictions"],
        reliability_png=reliability if out_dir is not None else None,
    )


# --------------------------------------------------------------------------- summaries

SUMMARY_FIELDS = ("summary", "headline", "label")


@dataclass
class SummaryReport:
    """Result of :func:`evaluate_summary_file`: the metrics of
    :func:`nlp.evaluation.summarization.summary_metrics` (ROUGE against the reference when
    the file has one; the defect rates always), what was scored (``"given"``: the file's own
    ``summary`` column, ``"model"``: the shipped summariser's), and the rows skipped."""

    metrics: dict
    scored: str
    has_reference: bool
    skipped: int


def has_summary_columns(path: str | Path) -> bool:
    """Whether a file's first usable row has a ``summary`` or ``headline`` field."""
    from nlp.io import iter_records

    for rec in iter_records([path], extra_fields=SUMMARY_FIELDS):
        if rec.error:
            continue
        return bool(rec.extra.get("summary") or rec.extra.get("headline"))
    return False


def evaluate_summary_file(path: str | Path, summarizer=None, n_boot: int = 1000) -> SummaryReport:
    """Score the summaries of a file: its own ``summary`` column if it has one (e.g. an
    ``analyze`` output), else the shipped summariser's summaries of each row's body.

    The reference is the row's ``headline``, else its ``title`` when the row has a body (the
    article's own headline); without one only the defect checks (faithfulness, repeats,
    length, datelines) run. ROUGE is char ROUGE-1/2/L with a bootstrap interval.

    Raises:
        ValueError: no row with a text (and a summary or headline).
    """
    from nlp.evaluation.summarization import summary_metrics
    from nlp.io import iter_records

    given, refs, sources, skipped = [], [], [], 0
    for rec in iter_records([path], extra_fields=SUMMARY_FIELDS):
        body = rec.body if rec.title else rec.text
        if rec.error or not body.strip():
            skipped += 1
            continue
        given.append(str(rec.extra.get("summary") or "").strip())
        refs.append(str(rec.extra.get("headline") or rec.title or "").strip())
        sources.append(body)
    if not sources:
        raise ValueError(f"{path}: no row with a text to summarise")
    scored = "given" if any(given) else "model"
    if scored == "model":
        from nlp.pipeline import default_summarizer

        model = summarizer or default_summarizer()
        given = [s.summary for s in model.summarize(sources)]
    has_reference = all(refs)
    metrics = summary_metrics(given, refs if has_reference else given, sources, n_boot=n_boot)
    if not has_reference:  # ROUGE against itself means nothing
        for key in ("rouge1", "rouge2", "rougeL", "rougeL_ci95_low", "rougeL_ci95_high"):
            metrics[key] = None
    return SummaryReport(metrics, scored, has_reference, skipped)
