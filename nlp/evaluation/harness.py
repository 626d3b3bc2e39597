"""The classifier harness: every model on every labelled set, with reports.

Used by ``python -m nlp evaluate`` (the shipped classifier and its variants) and by
``python -m training.evaluate`` (which adds the baselines that need training). Models are
given as factories, loaded one at a time (and timed), then scored on every set with a
:class:`~nlp.evaluation.classification.ClassificationEvaluator`.

Example::

    from nlp.evaluation import harness
    from nlp.evaluation.gold import load_seed_page
    results = harness.run([load_seed_page()], harness.finetuned_models(), log=print)
    results[0]["accuracy"], results[0]["n_missed"]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.evaluation.base import Progress
from nlp.evaluation.classification import ClassificationEvaluator
from nlp.evaluation.data import LabelledSet
from nlp.evaluation.metrics import MIN_SUPPORT
from nlp.labels import LABELS, RARE_LABELS

ModelFactory = Callable[[], object]
Log = Callable[[str], None]

VARIANTS: dict[str, dict] = {
    "finetuned_chunks": {"strategy": "chunks"},
    "finetuned_bf16": {"precision": "bf16"},
    "finetuned_bf16_weights": {"precision": "bf16_weights"},
    "finetuned_fp32": {"precision": "fp32"},
    "finetuned_int8": {"precision": "int8"},
}
"""Settings of the shipped classifier that ``--variants`` scores besides the shipped one."""


def _quiet(message: str) -> None:
    pass


def _domain_classifier(model_dir: Path | None, strategy: str | None = None, **kwargs):
    from nlp.classifier import DomainClassifier
    from nlp.types import ModelUnavailable

    where = model_dir or paths.model_dir("classifier")
    try:
        clf = DomainClassifier(where, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(f"cannot load the classifier from {where}: {exc}") from exc
    if strategy is None:
        return clf
    return lambda texts: clf.predict_proba(texts, strategy=strategy)


def finetuned_models(
    model_dir: str | Path | None = None, variants: bool = False
) -> dict[str, ModelFactory]:
    """Factories of the fine-tuned classifier (``finetuned``) and, with ``variants``, of its
    other settings (:data:`VARIANTS`, plus the encoder alone when it ships a lexical blend).

    Without ``model_dir`` ``finetuned`` is :func:`nlp.pipeline.default_classifier` (the one
    model cache, test doubles under ``NEWSDESK_FAKE_MODELS=1``).
    """
    folder = Path(model_dir) if model_dir is not None else None
    if folder is None:
        from nlp.pipeline import default_classifier

        models: dict[str, ModelFactory] = {"finetuned": default_classifier}
    else:
        models = {"finetuned": lambda: _domain_classifier(folder)}
    if variants:
        from nlp.classifier import load_config

        if load_config(folder).lexical_weight > 0:
            models["finetuned_encoder_only"] = lambda: _domain_classifier(
                folder, lexical_weight=0.0
            )
        for name, kwargs in VARIANTS.items():
            models[name] = lambda kw=kwargs: _domain_classifier(folder, **kw)
    return models


def load_sets(
    files: list[str | Path], test: bool, seed_page: bool, log: Log | None = None
) -> tuple[list[LabelledSet], list[str]]:
    """The labelled sets to score, and a problem line for each that could not be loaded.

    Args:
        files: labelled JSONL/CSV files (:func:`nlp.evaluation.data.load_labelled_file`).
        test: include the held-out test split, the out-of-domain test split (other outlets)
            and the rule-blind slice of both (:func:`nlp.evaluation.data.load_rule_blind`).
        seed_page: include the labelled seed page (:func:`nlp.evaluation.gold.load_seed_page`).
        log: called with one line per set loaded (items, time).

    Returns:
        ``(sets, problems)``; a problem reads ``"<what>: <message>"``.
    """
    from nlp.evaluation.data import load_labelled_file, load_rule_blind, load_split
    from nlp.evaluation.gold import load_seed_page

    log = log or _quiet
    loaders: list[tuple[str, Callable[[], LabelledSet]]] = []
    if test:
        loaders.append(("test split", lambda: load_split("test")))
        loaders.append(("out-of-domain test split", lambda: load_split("test_ood")))
        loaders.append(("rule-blind test slice", lambda: load_rule_blind("test")))
    if seed_page:
        loaders.append(("seed page", load_seed_page))
    loaders += [(str(f), lambda f=f: load_labelled_file(f)) for f in files]
    sets, problems = [], []
    for what, load in loaders:
        started = time.perf_counter()
        try:
            data = load()
        except (OSError, ValueError) as exc:
            problems.append(str(exc) if what in str(exc) else f"{what}: {exc}")
            continue
        missed = sum(t is None for t in data.texts)
        extra = f", {len(data.skipped)} unusable rows skipped" if data.skipped else ""
        extra += f", {missed} gold articles not found by the segmenter" if missed else ""
        log(
            f"set {data.name}: {len(data.texts)} items{extra} ({time.perf_counter() - started:.1f} s)"
        )
        sets.append(data)
    return sets, problems


def below_threshold(
    results: list[dict], min_macro_f1: float, model: str = "finetuned"
) -> list[str]:
    """``"<set>: macro-F1 0.712 < 0.800"`` for every set where ``model`` scores below
    ``min_macro_f1``."""
    return [
        f"{r['data']}: macro-F1 {r['macro_f1']:.3f} < {min_macro_f1:.3f}"
        for r in results
        if r["model"] == model and r["macro_f1"] < min_macro_f1
    ]


def _num(v) -> str:
    """A figure to three decimals, or ``–`` when it is undefined (``None``)."""
    return "–" if v is None else f"{v:.3f}"


def summary_line(result: dict) -> str:
    """One line of figures of a result: ``seed_page finetuned n=9 acc=1.000 ...``."""
    rare = " ".join(f"{lab[:6]}={result['per_class'][lab]['f1']:.2f}" for lab in RARE_LABELS)
    ece, supported = _num(result["ece"]), _num(result["macro_f1_supported"])
    missed = f" missed={result['n_missed']}" if result["n_missed"] else ""
    return (
        f"{result['data']:12s} {result['model']:22s} n={result['n']:4d} "
        f"acc={result['accuracy']:.3f} macroF1={result['macro_f1']:.3f} "
        f"macroF1(n>={MIN_SUPPORT})={supported} {rare} ECE={ece}{missed}"
    )


def run(
    sets: list[LabelledSet],
    models: dict[str, ModelFactory],
    out_dir: str | Path | None = None,
    log: Log | None = None,
    progress: Progress | None = None,
    batch_size: int = 128,
) -> list[dict]:
    """Score every model on every set; with ``out_dir`` write the reports.

    Args:
        sets: labelled sets (:mod:`nlp.evaluation.data`, :mod:`nlp.evaluation.gold`).
        models: name → factory; each model is built once, scored on every set, then dropped.
        out_dir: where :func:`write_reports` writes (``None``: nothing is written).
        log: called with one line per stage (model loaded, set scored, with times).
        progress: ``progress(what, done, total)`` after each model batch.
        batch_size: texts per model call.

    Returns:
        One dict per (set, model), sets first: the evaluator's details plus ``model``,
        ``data`` and the flat ``metrics`` (``{set_metric: value}``).
    """
    log = log or _quiet
    evaluators = [
        ClassificationEvaluator(s.texts, s.labels, name=s.name, ids=s.ids, batch_size=batch_size)
        for s in sets
    ]
    by_pair: dict[tuple[str, str], dict] = {}
    for model_name, factory in models.items():
        started = time.perf_counter()
        model = factory()
        log(f"model {model_name}: ready in {time.perf_counter() - started:.1f} s")
        for ev in evaluators:
            n_texts = sum(t is not None for t in ev.texts)
            log(f"{ev.name} / {model_name}: classifying {n_texts} items ...")

            def step(_what, done, total, what=f"{ev.name}/{model_name}"):
                if progress is not None:
                    progress(what, done, total)

            result = ev.details(model, step)
            result["model"], result["data"] = model_name, ev.name
            result["metrics"] = ev.prefixed(ev.flatten(result))
            by_pair[(ev.name, model_name)] = result
            log(f"{summary_line(result)} ({result['seconds']:.1f} s)")
        del model
    results = [by_pair[(ev.name, m)] for ev in evaluators for m in models]
    if out_dir is not None:
        write_reports(results, out_dir, plot_model=next(iter(models), None))
    return results


def markdown(results: list[dict]) -> str:
    """The results as one Markdown table, one row per (set, model)."""
    rows = [
        f"| data | model | n | accuracy | macro-F1 | macro-F1 (labels ≥ {MIN_SUPPORT} items) | "
        + " | ".join(f"F1 {lab}" for lab in LABELS)
        + " | domain recall | domain precision | ECE | missed |",
        "|" + "---|" * (10 + len(LABELS)),
    ]

    for m in results:
        f1s = " | ".join(f"{m['per_class'][lab]['f1']:.3f}" for lab in LABELS)
        dom = f"{_num(m.get('domain_recall'))} | {_num(m.get('domain_precision'))}"
        rows.append(
            f"| {m['data']} | {m['model']} | {m['n']} | {m['accuracy']:.3f} | "
            f"{m['macro_f1']:.3f} | {_num(m['macro_f1_supported'])} | {f1s} | {dom} | "
            f"{_num(m['ece'])} | {m['n_missed']} |"
        )
    return "\n".join(rows) + "\n"


def write_reports(
    results: list[dict], out_dir: str | Path, plot_model: str | None = "finetuned"
) -> list[Path]:
    """Write ``metrics.json``, ``report.md`` and, for ``plot_model``, one
    ``confusion_<set>.png`` per set into ``out_dir``; returns the paths written."""
    from nlp.evaluation.plots import plot_confusion

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for m in results:
        if m["model"] == plot_model:
            cm, labels = np.array(m["confusion"]), m["labels"]
            png = out / f"confusion_{m['data']}.png"
            title = f"{m['model']} on {m['data']}"
            written.append(plot_confusion(cm, labels, png, title=title))
    kept = [{k: v for k, v in m.items() if k != "predictions"} for m in results]
    (out / "metrics.json").write_text(json.dumps(kept, ensure_ascii=False, indent=1), "utf-8")
    (out / "report.md").write_text("# Classifier evaluation\n\n" + markdown(results), "utf-8")
    return written + [out / "metrics.json", out / "report.md"]
