"""Evaluation metrics: pure functions over plain Python / numpy values.

* classification: :func:`classification_metrics`, :func:`expected_calibration_error`,
  :func:`reliability_table`;
* summaries: :func:`rouge_chars` and :func:`corpus_rouge` (character ROUGE, defined exactly
  below);
* intervals: :func:`bootstrap_ci`.

Faithfulness and entity extraction are in :mod:`nlp.evaluation.entities`, plots in
:mod:`nlp.evaluation.plots`.

Example:
    >>> round(rouge_chars("国务院召开常务会议", "国务院常务会议")["rougeL"], 3)
    0.875
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

MISSED = "missed"
"""The prediction for a gold item the system never produced (e.g. an article the segmenter did
not find): never right, see ``missing`` in :func:`classification_metrics`."""

MIN_SUPPORT = 5
"""Gold items a label needs to count in ``macro_f1_supported`` (:func:`classification_metrics`):
on a set with one or two items of a label, that label's F1 is 0 or 1 on a single article and
carries a full share of the plain macro average."""

# ---------------------------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------------------------


def classification_metrics(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str],
    missing: str | None = None,
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    Args:
        y_true: gold labels.
        y_pred: predicted labels, same length as ``y_true``.
        labels: the label set, in display order (e.g. :data:`nlp.labels.LABELS`); every value
            of ``y_true`` and ``y_pred`` must be one of them.
        missing: a prediction value meaning "no prediction" (e.g. :data:`MISSED`): allowed in
            ``y_pred`` only, always wrong (it lowers accuracy and the true label's recall),
            added as the last row/column of ``confusion`` and to ``labels``, counted in
            ``n_missed``, but not a class of its own in ``per_class`` or the macro average.

    Returns:
        ``{"n", "accuracy", "macro_f1", "macro_f1_labels", "macro_f1_supported",
        "macro_f1_supported_labels", "per_class", "n_missed", "labels", "confusion"}``.
        ``confusion`` is a nested list, rows = true label, columns = predicted label, both in
        ``labels`` order. ``macro_f1`` averages F1 over the labels
        that occur in ``y_true`` or ``y_pred`` (listed in ``macro_f1_labels``): a label that
        is absent from both has no defined F1 and is left out rather than counted as 0.
        Precision (recall) of a label never predicted (never true) is 0.
        ``macro_f1_supported`` averages F1 over the labels with at least :data:`MIN_SUPPORT`
        gold items only (``None`` when none has): the figure to choose between models by on
        small sets, where the plain average turns on single articles.
    """
    y_true = list(y_true)
    y_pred = list(y_pred)
    classes = list(labels)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    if missing is not None and missing in classes:
        raise ValueError(f"missing={missing!r} must not be one of the labels")
    if missing is not None and missing in y_true:
        raise ValueError(f"missing={missing!r} is a prediction value, not a gold label")
    labels = classes + ([missing] if missing is not None else [])
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({str(v) for v in (*y_true, *y_pred) if v not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not in labels={classes}")
    k = len(labels)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[index[t], index[p]] += 1
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    present = [i for i in range(len(classes)) if support[i] > 0 or predicted[i] > 0]
    supported = [i for i in range(len(classes)) if support[i] >= MIN_SUPPORT]
    n = len(y_true)
    return {
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "macro_f1": float(np.mean(f1[present])) if present else 0.0,
        "macro_f1_labels": [labels[i] for i in present],
        "macro_f1_supported": float(np.mean(f1[supported])) if supported else None,
        "macro_f1_supported_labels": [labels[i] for i in supported],
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(classes)
        },
        "n_missed": int(predicted[-1]) if missing is not None else 0,
        "labels": labels,
        "confusion": cm.tolist(),
    }


def _top_label(probs, y_true) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=float)
    y_true = np.asarray(y_true)
    if probs.ndim != 2 or len(probs) != len(y_true):
        raise ValueError(
            f"probs must have shape (n, n_classes) matching y_true; got {probs.shape} "
            f"and {len(y_true)} labels"
        )
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(float)
    return confidence, correct


def reliability_table(probs, y_true, n_bins: int = 15) -> list[dict]:
    """Top-label reliability table: one row per equal-width confidence bin.

    Args:
        probs: array ``(n, n_classes)`` of predicted probabilities.
        y_true: ``n`` gold class indices (columns of ``probs``).
        n_bins: number of equal-width bins over ``[0, 1]``; bin ``b`` holds confidences in
            ``(b/n_bins, (b+1)/n_bins]`` (the first bin also holds 0).

    Returns:
        A list of ``n_bins`` dicts ``{"lower", "upper", "count", "confidence", "accuracy"}``;
        ``confidence``/``accuracy`` are the bin means, ``None`` for an empty bin.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins!r}")
    confidence, correct = _top_label(probs, y_true)
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        count = int(mask.sum())
        rows.append(
            {
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "count": count,
                "confidence": float(confidence[mask].mean()) if count else None,
                "accuracy": float(correct[mask].mean()) if count else None,
            }
        )
    return rows


def expected_calibration_error(probs, y_true, n_bins: int = 15) -> float:
    """Top-label expected calibration error.

    ``ECE = sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|`` over the equal-width bins of
    :func:`reliability_table`, where confidence is the highest probability of each row and
    accuracy whether its argmax is the gold class. Returns 0.0 for no rows.

    Example:
        >>> expected_calibration_error([[0.9, 0.1], [0.9, 0.1]], [0, 1], n_bins=10)
        0.4
    """
    rows = reliability_table(probs, y_true, n_bins)
    n = sum(r["count"] for r in rows)
    if n == 0:
        return 0.0
    ece = sum(r["count"] / n * abs(r["accuracy"] - r["confidence"]) for r in rows if r["count"])
    return round(float(ece), 12)


# ---------------------------------------------------------------------------------------------
# summaries: character ROUGE
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9]+|\S")


def rouge_tokens(text: str) -> list[str]:
    """Tokens that :func:`rouge_chars` compares.

    The text is NFKC-normalised (full-width letters and digits become ASCII) and
    lower-cased; a run of ASCII letters/digits is one token (``"5G"`` → ``"5g"``,
    ``"2024"`` → ``"2024"``); every other non-space character is its own token; tokens in the
    Unicode categories P* (punctuation) and S* (symbols) are dropped, so ``"3.5%"`` gives
    ``["3", "5"]``.

    Example:
        >>> rouge_tokens("５G网络，覆盖率99%！")
        ['5g', '网', '络', '覆', '盖', '率', '99']
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    return [t for t in _TOKEN_RE.findall(text) if unicodedata.category(t[0])[0] not in "PS"]


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """Counts of the ``n``-grams (tuples) of a token list."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    precision = overlap / n_pred
    recall = overlap / n_ref
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: Sequence, b: Sequence) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``.

    Bit-parallel (Allison & Dix 1986 / Hyyrö 2004): one big-integer update per item of ``b``,
    so whole articles (thousands of characters) cost milliseconds instead of the quadratic
    Python loop of the textbook DP.
    """
    if not a or not b:
        return 0
    masks: dict = {}
    for i, item in enumerate(a):
        masks[item] = masks.get(item, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for item in b:
        u = v & masks.get(item, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_n(pred_tokens: Sequence[str], ref_tokens: Sequence[str], n: int) -> float:
    """F1 of clipped n-gram overlap between two token lists (0.0 when either has no n-gram)."""
    pred, ref = ngram_counts(pred_tokens, n), ngram_counts(ref_tokens, n)
    overlap = sum((pred & ref).values())
    return _f1(overlap, sum(pred.values()), sum(ref.values()))


def rouge_chars(pred: str, ref: str) -> dict[str, float]:
    """Character ROUGE-1, ROUGE-2 and ROUGE-L F1 (in ``[0, 1]``) of one prediction.

    Definition:
        * both texts are tokenised by :func:`rouge_tokens`: NFKC, lower-case, whitespace,
          punctuation (P*) and symbols (S*) removed, each remaining character one token
          except that a run of ASCII letters/digits is a single token;
        * ROUGE-N = F1 of the clipped n-gram overlap
          ``sum_g min(count_pred(g), count_ref(g))`` over the n-gram counts of each side;
        * ROUGE-L = F1 with precision ``LCS / len(pred)`` and recall ``LCS / len(ref)``,
          LCS = longest common token subsequence (:func:`lcs_length`, exact for any length);
        * an empty prediction or reference (no tokens left) scores 0 on every measure, on
          purpose: an empty summary must never look good, and an empty reference is a data
          error that should lower the score visibly rather than be skipped silently.

    This equals ``rouge-score``'s ``RougeScorer`` run on the tokens joined by spaces with a
    whitespace tokenizer (checked in the tests).
    """
    p, r = rouge_tokens(pred), rouge_tokens(ref)
    if not p or not r:
        return {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    return {
        "rouge1": rouge_n(p, r, 1),
        "rouge2": rouge_n(p, r, 2),
        "rougeL": _f1(lcs_length(p, r), len(p), len(r)),
    }


def corpus_rouge(preds: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """Mean of the per-pair :func:`rouge_chars` F1 scores, × 100.

    Returns ``{"rouge1", "rouge2", "rougeL"}``; all 0.0 for an empty corpus.
    """
    preds, refs = list(preds), list(refs)
    if len(preds) != len(refs):
        raise ValueError(f"{len(preds)} predictions but {len(refs)} references")
    if not preds:
        return {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    scores = [rouge_chars(p, r) for p, r in zip(preds, refs, strict=True)]
    return {key: 100 * float(np.mean([s[key] for s in scores])) for key in scores[0]}


# ---------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------


def bootstrap_ci(values, n_boot: int = 1000, seed: int = 0) -> list[float]:
    """Percentile 95% bootstrap interval of the mean of ``values``.

    Args:
        values: per-item scores (e.g. ROUGE-L of each summary).
        n_boot: number of resamples (with replacement, each of ``len(values)`` items).
        seed: random seed, so reports are reproducible.

    Returns:
        ``[low, high]``, the 2.5th and 97.5th percentiles of the resampled means.

    Example:
        >>> bootstrap_ci([1.0, 1.0, 1.0], n_boot=10)
        [1.0, 1.0]
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0 or n_boot < 1:
        raise ValueError(f"need values and n_boot >= 1, got {values.size} values, n_boot={n_boot}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]
