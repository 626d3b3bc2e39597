"""Classifier speed: articles per second at 256 tokens, float32 vs bf16 autocast vs bf16
weights vs int8 (dynamic quantisation of the linear layers), each with its test macro-F1, in
one run.

Run: ``python benchmarks/bench_classifier.py [--n 683] [--threads 2]``. Prints a table and
the ratios against float32 measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import torch

from nlp.classifier import DomainClassifier
from nlp.encoder import load_base
from nlp.evaluation.metrics import classification_metrics
from nlp.labels import LABELS
from nlp.precision import PRECISIONS
from training.evaluate import load_split


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=0, help="test articles to use (0: all)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    test = load_split("test")
    texts, gold = test.texts[: args.n or None], test.labels[: args.n or None]
    base = load_base()[0]
    rows = []
    for precision in PRECISIONS:
        clf = DomainClassifier(precision=precision, base=base)
        clf.predict(texts[:8])  # warm-up
        t0 = time.perf_counter()
        probs = clf.predict_proba(texts)
        seconds = time.perf_counter() - t0
        pred = [LABELS[i] for i in probs.argmax(1)]
        m = classification_metrics(gold, pred, LABELS)
        rows.append(
            {
                "precision": precision,
                "articles": len(texts),
                "seconds": round(seconds, 2),
                "articles_per_s": round(len(texts) / seconds, 1),
                "macro_f1": round(m["macro_f1"], 4),
            }
        )
    ref = rows[0]
    print(f"threads={args.threads} max_length={clf.cfg.max_length} ({clf.cfg.long_strategy})")
    print("| precision | articles/s | speed-up vs fp32 | test macro-F1 | ΔF1 (points) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['precision']} | {r['articles_per_s']} | "
            f"{r['articles_per_s'] / ref['articles_per_s']:.2f}x | {r['macro_f1']:.4f} | "
            f"{100 * (r['macro_f1'] - ref['macro_f1']):+.2f} |"
        )
    return rows


if __name__ == "__main__":
    main()
