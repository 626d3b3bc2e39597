"""Classifier speed: articles per second at 256 tokens on every inference path in one run:
torch float32, bf16 autocast, bf16 weights and int8 (dynamic quantisation of the linear
layers), and ONNX Runtime float32 and int8 (:mod:`nlp.onnx_runtime`), each with its test
macro-F1 and how often its top label differs from float32's.

Run: ``python benchmarks/bench_classifier.py [--n 1169] [--threads 2] [--precisions ...]
[--compare DIR ...]``. Prints a table with the ratios against torch float32 and against the
path this CPU runs the shipped setting at (:func:`nlp.precision.choose_precision`), measured
in the same run. The ONNX files are exported on first use (about a minute) and cached.
``--compare`` times other model folders (a candidate, or the model a new one replaces) at
their own shipped settings, lexical blend included, in the same run and on the same articles,
against the shipped folder.
"""

from __future__ import annotations

import argparse
import time

import torch

from nlp.classifier import CLASSIFIER_PRECISIONS, DomainClassifier, load_config
from nlp.cpu import set_ceiling
from nlp.evaluation.metrics import classification_metrics
from nlp.labels import LABELS
from nlp.precision import choose_precision, cpu_has_bf16
from nlp.shared_base import load_inference_base
from training.evaluate import load_split


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=0, help="test articles to use (0: all)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--precisions", nargs="+", default=list(CLASSIFIER_PRECISIONS))
    ap.add_argument(
        "--compare", nargs="*", default=[], help="model folders to time against the shipped one"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    set_ceiling(args.threads, adaptive=False)
    test = load_split("test")
    texts, gold = test.texts[: args.n or None], test.labels[: args.n or None]
    base = load_inference_base()
    shipped = choose_precision(None, load_config(), CLASSIFIER_PRECISIONS)
    precisions = list(dict.fromkeys(["fp32", *args.precisions]))
    rows, reference = [], None
    for precision in precisions:
        clf = DomainClassifier(precision=precision, base=base)
        if clf.precision != precision:
            print(f"{precision}: not available here ({clf.precision} instead), skipped")
            continue
        top, seconds, macro_f1 = timed_run(clf, texts, gold)
        reference = top if reference is None else reference
        rows.append(
            {
                "precision": precision,
                "articles": len(texts),
                "seconds": round(seconds, 2),
                "articles_per_s": round(len(texts) / seconds, 1),
                "macro_f1": round(macro_f1, 4),
                "changed": round(float((top != reference).mean()), 4),
            }
        )
        del clf
    by = {r["precision"]: r for r in rows}
    ref, run = by["fp32"], by.get(shipped, by["fp32"])
    print(
        f"threads={args.threads} max_length={load_config().max_length} articles={len(texts)} "
        f"native bf16={cpu_has_bf16()} shipped setting runs as {shipped}"
    )
    print(
        f"| path | articles/s | vs fp32 | vs {run['precision']} | test macro-F1 | "
        "ΔF1 (points) | top label ≠ fp32 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        name = f"**{r['precision']}** (shipped)" if r is run else r["precision"]
        print(
            f"| {name} | {r['articles_per_s']} | "
            f"{r['articles_per_s'] / ref['articles_per_s']:.2f}x | "
            f"{r['articles_per_s'] / run['articles_per_s']:.2f}x | {r['macro_f1']:.4f} | "
            f"{100 * (r['macro_f1'] - ref['macro_f1']):+.2f} | {100 * r['changed']:.1f} % |"
        )
    if args.compare:
        rows += compare_models([None, *args.compare], base, texts, gold)
    return rows


def timed_run(clf, texts: list[str], gold: list[str]):
    """``(top label indices, seconds, macro-F1)`` of one timed pass after a short warm-up."""
    clf.predict(texts[:8])  # warm-up
    t0 = time.perf_counter()
    top = clf.predict_proba(texts).argmax(1)
    seconds = time.perf_counter() - t0
    m = classification_metrics(gold, [LABELS[i] for i in top], LABELS)
    return top, seconds, m["macro_f1"]


def time_model(folder, base, texts: list[str], gold: list[str]) -> dict:
    """Articles per second and test macro-F1 of one model folder at its shipped settings."""
    clf = DomainClassifier(folder, base=base)
    _, seconds, macro_f1 = timed_run(clf, texts, gold)
    return {
        "model": str(folder or "shipped"),
        "precision": clf.precision,
        "lexical_weight": clf.cfg.lexical_weight,
        "articles_per_s": round(len(texts) / seconds, 1),
        "macro_f1": round(macro_f1, 4),
    }


def compare_models(folders: list, base, texts: list[str], gold: list[str]) -> list[dict]:
    """:func:`time_model` for each folder (``None``: the shipped one, the reference), printed."""
    rows = [time_model(f, base, texts, gold) for f in folders]
    ref = rows[0]
    print("| model | path | lexical blend | articles/s | vs shipped | test macro-F1 |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['model']} | {r['precision']} | {r['lexical_weight']} | {r['articles_per_s']} | "
            f"{r['articles_per_s'] / ref['articles_per_s']:.2f}x | {r['macro_f1']:.4f} |"
        )
    return rows


if __name__ == "__main__":
    main()
