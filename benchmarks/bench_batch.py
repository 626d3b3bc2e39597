"""End-to-end batch throughput on real corpus articles.

Writes the first ``--n`` articles of ``xwlb.jsonl.gz`` (read through :mod:`training.corpus`,
never copied into the repo) to a temporary JSONL, runs :func:`nlp.batch.run_batch` on it
exactly as ``python -m nlp analyze`` does, and reports articles per second, with the time
spent inside the classifier and the summariser measured separately.

    python benchmarks/bench_batch.py              # 1000 articles, real models
    python benchmarks/bench_batch.py --n 200 --batch-size 32 --segment
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


class Timed:
    """Wraps a model, adding up the seconds spent in its one batch method."""

    def __init__(self, model, method: str):
        self.model, self.method, self.seconds, self.texts = model, method, 0.0, 0

    def _call(self, texts):
        start = time.perf_counter()
        out = getattr(self.model, self.method)(texts)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        return out

    def predict(self, texts):
        return self._call(texts)

    def summarize(self, texts):
        return self._call(texts)


def write_corpus_sample(n: int, path: Path, as_text: bool = False) -> int:
    """Write the first ``n`` corpus items as JSONL; return how many.

    Rows are ``id, title, body`` (one article each), or ``id, text`` with ``as_text`` so that
    the segmenter reads every item as a page.
    """
    from training.corpus import item_text, iter_corpus

    count = 0
    with path.open("w", encoding="utf-8") as f:
        for item in iter_corpus("xwlb.jsonl.gz"):
            if count >= n:
                break
            if as_text:
                row = {"id": item["id"], "text": item_text(item)}
            else:
                row = {
                    "id": item["id"],
                    "title": item.get("title", ""),
                    "body": item.get("body", ""),
                }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="corpus articles to analyse")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--segment", action="store_true", help="give items as plain text and segment them"
    )
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be at least 1, got {args.n}")

    from nlp.batch import BatchConfig, run_batch
    from nlp.pipeline import default_classifier, default_summarizer, models_are_fake

    t0 = time.perf_counter()
    classifier = Timed(default_classifier(), "predict")
    summarizer = Timed(default_summarizer(), "summarize")
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "sample.jsonl", Path(tmp) / "out.jsonl"
        n = write_corpus_sample(args.n, src, as_text=args.segment)
        config = BatchConfig(
            inputs=[src], output=out, segment=args.segment, batch_size=args.batch_size
        )
        stats = run_batch(config, classifier=classifier, summarizer=summarizer)
    figures = {
        "models": "fake" if models_are_fake() else "real",
        "records": n,
        "articles": stats.articles,
        "errors": stats.errors,
        "batch_size": args.batch_size,
        "segment": args.segment,
        "model_load_s": round(load_s, 2),
        "seconds": round(stats.seconds, 2),
        "articles_per_s": round(stats.articles_per_s, 3),
        "classifier_s": round(classifier.seconds, 2),
        "summarizer_s": round(summarizer.seconds, 2),
        "other_s": round(stats.seconds - classifier.seconds - summarizer.seconds, 2),
    }
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2), "utf-8")
    return 0 if stats.articles else 1


if __name__ == "__main__":
    sys.exit(main())
