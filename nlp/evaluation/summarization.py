"""Scoring headline summaries: :class:`SummarizationEvaluator`.

Character ROUGE-1/2/L (:func:`nlp.evaluation.metrics.rouge_chars`, ×100, with a bootstrap
95% interval for ROUGE-L), the share of numbers and named entities of the summary found
verbatim in the article (:func:`nlp.evaluation.entities.corpus_faithfulness`), the share of
summaries with a repeated character 3-gram, of empty ones, their mean length, and the share
with each defect of :mod:`nlp.evaluation.defects` (``defect_invented``, ``defect_scope`` ...).
:func:`first_clause` is the first-clause baseline.

Example:
    >>> ev = SummarizationEvaluator(["武汉市投资3亿元建设水网。"], ["武汉投资3亿元"],
    ...                             name="toy", n_boot=0)
    >>> ev(lambda bodies: ["武汉投资3亿元"])["toy_rougeL"]
    100.0
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import numpy as np

from nlp.evaluation.base import Evaluator, Progress
from nlp.evaluation.defects import defect_rates
from nlp.evaluation.entities import corpus_faithfulness
from nlp.evaluation.metrics import bootstrap_ci, rouge_chars


def _as_text(result) -> str:
    return result if isinstance(result, str) else result.summary


_CLAUSE_END_RE = re.compile(r"[，,；;：:。！？!?]")


def first_clause(body: str, max_chars: int = 30, min_chars: int = 8) -> str:
    """The first-clause baseline: the lead sentence of ``body`` cut at its first clause end
    (，；：。！？) within ``max_chars`` characters; a clause shorter than ``min_chars`` (a date,
    ``5月30日``) takes the next one with it while the result stays within ``max_chars``, and a
    first clause longer than ``max_chars`` is cut there.

    Example:
        >>> first_clause("5月30日，全市小麦保险理赔工作推进会召开，会议要求……")
        '5月30日，全市小麦保险理赔工作推进会召开'
        >>> first_clause("全市小麦保险理赔工作推进会召开。")
        '全市小麦保险理赔工作推进会召开'
    """
    from nlp.text import split_sentences

    sentences = [s.strip() for s in split_sentences(body or "") if s.strip()]
    lead = "".join((sentences[0] if sentences else (body or "")).split())
    ends = [m.start() for m in _CLAUSE_END_RE.finditer(lead)] + [len(lead)]
    out = lead[: ends[0]][:max_chars]
    for end in ends[1:]:
        if len(out) >= min_chars or end > max_chars:
            break
        out = lead[:end]
    return out


def generate(model, sources: list[str]) -> list[str]:
    """Summaries of ``sources`` from any summariser.

    ``model`` may have ``headlines(list[str]) -> list[str]`` (:class:`nlp.summarizer.Summarizer`)
    or ``summarize(list[str])`` returning :class:`nlp.types.Summary` objects, or be a
    callable ``list[str] -> list`` of strings or objects with ``.summary``.
    """
    if hasattr(model, "headlines"):
        out = model.headlines(sources)
    elif hasattr(model, "summarize"):
        out = model.summarize(sources)
    elif callable(model):
        out = model(sources)
    else:
        raise TypeError(f"{type(model).__name__} has neither headlines nor summarize")
    out = [_as_text(r) for r in out]
    if len(out) != len(sources):
        raise ValueError(f"model gave {len(out)} summaries for {len(sources)} sources")
    return out


def summary_metrics(
    preds: Sequence[str],
    refs: Sequence[str],
    sources: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Flat metrics of one system's summaries.

    Args:
        preds: predicted summaries.
        refs: reference headlines, aligned with ``preds``.
        sources: article bodies, aligned with ``preds`` (for faithfulness).
        n_boot: bootstrap resamples for the ROUGE-L interval (0: no interval, ``None``).
        seed: bootstrap random seed.

    Returns:
        ``{"n", "rouge1", "rouge2", "rougeL", "rougeL_ci95_low", "rougeL_ci95_high",
        "faithful_share", "faithful_share_macro", "number_share", "entity_share", "checked",
        "repeated_ngram_rate", "empty_rate", "mean_chars"}`` and ``defect_<name>`` for each
        rate of :func:`nlp.evaluation.defects.defect_rates` (``defect_any``: any defect); ROUGE in 0–100, shares in 0–1
        (``None`` where nothing could be checked).
    """
    preds, refs, sources = list(preds), list(refs), list(sources)
    if not len(preds) == len(refs) == len(sources):
        raise ValueError(f"lengths differ: {len(preds)} preds, {len(refs)} refs, {len(sources)}")
    if not preds:
        raise ValueError("nothing to evaluate")
    scores = {key: np.empty(len(preds)) for key in ("rouge1", "rouge2", "rougeL")}
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        for key, value in rouge_chars(p, r).items():
            scores[key][i] = value
    out: dict = {"n": len(preds)}
    out.update({key: 100 * float(v.mean()) for key, v in scores.items()})
    low, high = bootstrap_ci(100 * scores["rougeL"], n_boot, seed) if n_boot else (None, None)
    out["rougeL_ci95_low"], out["rougeL_ci95_high"] = low, high
    faith = corpus_faithfulness(preds, sources)
    out["faithful_share"] = faith["faithful_share_micro"]
    out["faithful_share_macro"] = faith["faithful_share_macro"]
    out["number_share"] = faith["number_share"]
    out["entity_share"] = faith["entity_share"]
    out["checked"] = faith["checked"]
    out["repeated_ngram_rate"] = faith["repeated_ngram_rate"]
    out["empty_rate"] = float(np.mean([not p.strip() for p in preds]))
    out["mean_chars"] = float(np.mean([len(p) for p in preds]))
    out.update({f"defect_{k}": v for k, v in defect_rates(preds, sources).items()})
    return out


class SummarizationEvaluator(Evaluator):
    """Character ROUGE and faithfulness of a summariser's outputs against reference headlines.

    Args:
        sources: article bodies.
        references: reference headlines, aligned with ``sources``.
        name: prefix of the metric keys (``test`` gives ``test_rougeL``).
        batch_size: bodies per model call (progress is reported after each).
        n_boot: bootstrap resamples for the ROUGE-L interval (0 to skip).
        seed: bootstrap random seed.

    The flat result is :func:`summary_metrics` plus ``seconds`` (generation time); the
    primary metric is ``rougeL``. :meth:`score` scores given summaries (baselines).
    """

    primary_metric = "rougeL"

    def __init__(
        self,
        sources: Sequence[str],
        references: Sequence[str],
        name: str = "",
        batch_size: int = 64,
        n_boot: int = 1000,
        seed: int = 0,
    ):
        super().__init__(name)
        self.sources = list(sources)
        self.references = list(references)
        if len(self.sources) != len(self.references):
            raise ValueError(f"{len(self.sources)} sources but {len(self.references)} references")
        if not self.sources:
            raise ValueError("nothing to evaluate: no sources")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        self.batch_size = batch_size
        self.n_boot = n_boot
        self.seed = seed

    def predictions(self, model, progress: Progress | None = None) -> list[str]:
        """The model's summary of every source, batch by batch."""
        out: list[str] = []
        total = len(self.sources)
        for start in range(0, total, self.batch_size):
            out += generate(model, self.sources[start : start + self.batch_size])
            if progress is not None:
                progress(self.name, len(out), total)
        return out

    def score(self, preds: Sequence[str]) -> dict:
        """Unprefixed :func:`summary_metrics` of given summaries."""
        return summary_metrics(preds, self.references, self.sources, self.n_boot, self.seed)

    def compute(self, model, progress: Progress | None = None) -> dict:
        started = time.perf_counter()
        preds = self.predictions(model, progress)
        seconds = round(time.perf_counter() - started, 2)
        return {**self.score(preds), "seconds": seconds}
