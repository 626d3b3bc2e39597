"""Scoring a domain classifier on labelled texts: :class:`ClassificationEvaluator`.

Example:
    >>> from nlp.testing import KeywordClassifier
    >>> ev = ClassificationEvaluator(["派出所民警巡逻。", "足球联赛开幕。"],
    ...                              ["public_security", "other"], name="toy")
    >>> ev(KeywordClassifier())["toy_accuracy"]
    1.0
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from nlp.evaluation.base import Evaluator, Progress
from nlp.evaluation.metrics import (
    MISSED,
    classification_metrics,
    expected_calibration_error,
    reliability_table,
)
from nlp.labels import LABEL2ID, LABELS


def predict_proba(model, texts: list[str]) -> np.ndarray:
    """Probabilities ``(len(texts), 6)`` over :data:`nlp.labels.LABELS` from any classifier.

    ``model`` may have ``predict_proba(texts)`` (:class:`nlp.classifier.DomainClassifier`,
    :class:`nlp.lexical.LexicalModel`), or ``predict(texts)`` returning
    :class:`nlp.types.Classification` objects (their ``scores``), or be a callable
    ``texts -> probabilities``.
    """
    if not texts:
        return np.zeros((0, len(LABELS)))
    if hasattr(model, "predict_proba"):
        probs = model.predict_proba(texts)
    elif hasattr(model, "predict"):
        probs = [[c.scores[lab] for lab in LABELS] for c in model.predict(texts)]
    elif callable(model):
        probs = model(texts)
    else:
        raise TypeError(f"{type(model).__name__} has neither predict_proba nor predict")
    probs = np.asarray(probs, dtype=float)
    if probs.shape != (len(texts), len(LABELS)):
        raise ValueError(f"model gave probabilities of shape {probs.shape} for {len(texts)} texts")
    return probs


def domain_recall_precision(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """Of the in-domain gold items (not ``other``), the share given their own domain
    (``domain_recall``); of the items predicted in a domain, the share that is right
    (``domain_precision``); ``None`` where there is nothing to count.

    Example:
        >>> domain_recall_precision(["other", "civil_affairs", "public_security"],
        ...                         ["civil_affairs", "civil_affairs", "other"])
        {'domain_recall': 0.5, 'domain_precision': 0.5, 'domain_support': 2}
    """
    pairs = list(zip(gold, pred, strict=True))
    pos = [p == g for g, p in pairs if g != "other"]
    found = [p == g for g, p in pairs if p not in ("other", MISSED)]
    return {
        "domain_recall": round(sum(pos) / len(pos), 4) if pos else None,
        "domain_precision": round(sum(found) / len(found), 4) if found else None,
        "domain_support": len(pos),
    }


class ClassificationEvaluator(Evaluator):
    """Accuracy, macro-F1, per-label F1 and calibration of a classifier on labelled texts.

    A text of ``None`` is a gold item the system under test never produced (an article the
    segmenter missed): it is not sent to the model, its prediction is
    :data:`~nlp.evaluation.metrics.MISSED` (always wrong) and it is counted in ``missed``.
    ECE is computed over the items that were classified.

    Args:
        texts: one text per item (``None`` for a missed item).
        labels: gold label ids, aligned with ``texts``.
        name: prefix of the metric keys (``test`` gives ``test_macro_f1``).
        ids: record ids, for the list of errors in :meth:`details`.
        batch_size: texts per model call (progress is reported after each).
        n_errors: how many misclassified items :meth:`details` lists.

    The flat result has ``n``, ``accuracy``, ``macro_f1`` (primary), ``ece``, ``missed``,
    ``domain_recall`` / ``domain_precision`` (:func:`domain_recall_precision`) and
    ``f1_<label>`` for every label.
    """

    primary_metric = "macro_f1"

    def __init__(
        self,
        texts: Sequence[str | None],
        labels: Sequence[str],
        name: str = "",
        ids: Sequence[str] | None = None,
        batch_size: int = 128,
        n_errors: int = 50,
    ):
        super().__init__(name)
        self.texts = list(texts)
        self.labels = list(labels)
        self.ids = list(ids) if ids is not None else [str(i) for i in range(len(self.texts))]
        if not len(self.texts) == len(self.labels) == len(self.ids):
            raise ValueError(
                f"{len(self.texts)} texts, {len(self.labels)} labels, {len(self.ids)} ids"
            )
        unknown = sorted(set(self.labels) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown gold labels {unknown}; expected some of {LABELS}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        self.batch_size = batch_size
        self.n_errors = n_errors

    def probabilities(self, model, progress: Progress | None = None) -> np.ndarray:
        """Probabilities of the items that have a text, in order, batch by batch."""
        present = [t for t in self.texts if t is not None]
        parts = []
        for start in range(0, len(present), self.batch_size):
            parts.append(predict_proba(model, present[start : start + self.batch_size]))
            if progress is not None:
                progress(self.name, min(start + self.batch_size, len(present)), len(present))
        return np.concatenate(parts) if parts else np.zeros((0, len(LABELS)))

    def details(self, model, progress: Progress | None = None) -> dict:
        """The full result: :func:`~nlp.evaluation.metrics.classification_metrics` (with the
        ``missed`` column), ``ece``, ``seconds``, ``predictions`` and up to ``n_errors``
        ``errors`` (``{"id", "gold", "pred"}``)."""
        started = time.perf_counter()
        probs = self.probabilities(model, progress)
        found = iter(LABELS[i] for i in probs.argmax(axis=1))
        pred = [MISSED if t is None else next(found) for t in self.texts]
        missing = MISSED if MISSED in pred else None  # a missed column only when needed
        out = classification_metrics(self.labels, pred, LABELS, missing=missing)
        pairs = zip(self.labels, self.texts, strict=True)
        gold_found = [LABEL2ID[g] for g, t in pairs if t is not None]
        out["ece"] = expected_calibration_error(probs, gold_found) if len(probs) else None
        out["reliability"] = reliability_table(probs, gold_found, n_bins=10) if len(probs) else []
        out.update(domain_recall_precision(self.labels, pred))
        out["seconds"] = round(time.perf_counter() - started, 2)
        out["predictions"] = pred
        out["errors"] = [
            {"id": i, "gold": g, "pred": p}
            for i, g, p in zip(self.ids, self.labels, pred, strict=True)
            if g != p
        ][: self.n_errors]
        return out

    @staticmethod
    def flatten(details: dict) -> dict:
        """The flat metrics of a :meth:`details` result."""
        flat = {
            "n": details["n"],
            "accuracy": details["accuracy"],
            "macro_f1": details["macro_f1"],
            "ece": details["ece"],
            "missed": details["n_missed"],
            "domain_recall": details["domain_recall"],
            "domain_precision": details["domain_precision"],
        }
        if details["macro_f1_supported"] is not None:  # some label has MIN_SUPPORT gold items
            flat["macro_f1_supported"] = details["macro_f1_supported"]
        flat.update({f"f1_{lab}": pc["f1"] for lab, pc in details["per_class"].items()})
        return flat

    def compute(self, model, progress: Progress | None = None) -> dict:
        return self.flatten(self.details(model, progress))
