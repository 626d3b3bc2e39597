"""End-to-end batch throughput on real corpus articles.

Writes the first ``--n`` articles of ``xwlb.jsonl.gz`` (read through :mod:`training.corpus`,
never copied into the repo) to a temporary JSONL, runs :func:`nlp.batch.run_batch` on it
exactly as ``python -m nlp analyze`` does (bulk decoding: ``Summarizer.for_batch``), and
reports articles per second, with the time spent inside the classifier and the summariser
measured separately. The baseline, in the same run, is the first ``--baseline-n`` articles
with the app's interactive decoding (4 beams over 320 tokens).

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

    def for_batch(self, num_beams=None, max_source_tokens=None):
        """Time the summariser's bulk view, as run_batch asks for it."""
        if hasattr(self.model, "for_batch"):
            self.model = self.model.for_batch(num_beams, max_source_tokens)
        return self


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
    parser.add_argument("--batch-size", type=int, default=0, help="0: the bulk default (64)")
    parser.add_argument(
        "--baseline-n",
        type=int,
        default=200,
        help="also run the first N articles with the app's decoding as the baseline (0: skip)",
    )
    parser.add_argument(
        "--segment", action="store_true", help="give items as plain text and segment them"
    )
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be at least 1, got {args.n}")

    from nlp.batch import BULK_BATCH_SIZE, BatchConfig, run_batch
    from nlp.pipeline import default_classifier, default_summarizer, models_are_fake

    t0 = time.perf_counter()
    base_classifier, base_summarizer = default_classifier(), default_summarizer()
    load_s = time.perf_counter() - t0
    batch_size = args.batch_size or BULK_BATCH_SIZE

    def run(src: Path, out: Path, beams=None, source_tokens=None) -> dict:
        classifier = Timed(base_classifier, "predict")
        summarizer = Timed(base_summarizer, "summarize")
        config = BatchConfig(
            inputs=[src],
            output=out,
            segment=args.segment,
            batch_size=batch_size,
            beams=beams,
            source_tokens=source_tokens,
        )
        stats = run_batch(config, classifier=classifier, summarizer=summarizer)
        return {
            "articles": stats.articles,
            "errors": stats.errors,
            "seconds": round(stats.seconds, 2),
            "articles_per_s": round(stats.articles_per_s, 3),
            "classifier_s": round(classifier.seconds, 2),
            "summarizer_s": round(summarizer.seconds, 2),
            "other_s": round(stats.seconds - classifier.seconds - summarizer.seconds, 2),
        }

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sample.jsonl"
        n = write_corpus_sample(args.n, src, as_text=args.segment)
        bulk = run(src, Path(tmp) / "out.jsonl")
        baseline = None
        cfg = getattr(base_summarizer, "cfg", None)
        if args.baseline_n and cfg is not None:  # real model: interactive decoding, same run
            head = Path(tmp) / "head.jsonl"
            write_corpus_sample(args.baseline_n, head, as_text=args.segment)
            baseline = run(head, Path(tmp) / "base.jsonl", cfg.num_beams, cfg.max_source_tokens)
    figures = {
        "models": "fake" if models_are_fake() else "real",
        "records": n,
        "batch_size": batch_size,
        "segment": args.segment,
        "model_load_s": round(load_s, 2),
        **bulk,
    }
    if baseline is not None:
        figures["baseline"] = {
            "decoding": f"{cfg.num_beams} beams over {cfg.max_source_tokens} tokens (the app's)",
            **baseline,
        }
        figures["speedup_vs_baseline"] = round(
            bulk["articles_per_s"] / baseline["articles_per_s"], 2
        )
    print(" ".join(f"{k}={v}" for k, v in figures.items() if k != "baseline"))
    if baseline is not None:
        print("baseline: " + " ".join(f"{k}={v}" for k, v in figures["baseline"].items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2), "utf-8")
    return 0 if bulk["articles"] else 1


if __name__ == "__main__":
    sys.exit(main())
