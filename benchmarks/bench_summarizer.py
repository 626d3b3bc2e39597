"""Summariser latency: median seconds per article (one article per call) on the 2-core
machine, plain float32 greedy decoding vs the shipped settings (bf16 autocast, beam search,
source-vocabulary constraint and faithfulness check), in one run on the same articles.

Run: ``python benchmarks/bench_summarizer.py [--n 50]`` (test-split pairs, first N).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from nlp.summarizer import Summarizer
from training.prepare_summaries import pairs_dir


def timed(fn, texts):
    out = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t])
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--pairs", type=Path, default=None, help="default: the cached test split")
    args = ap.parse_args(argv)
    args.pairs = args.pairs or pairs_dir() / "test.jsonl"
    with args.pairs.open(encoding="utf-8") as f:
        texts = [json.loads(line)["body"] for _, line in zip(range(args.n), f, strict=False)]
    shipped = Summarizer()
    plain = Summarizer(precision="fp32")
    plain.cfg = replace(
        plain.cfg, check_faithful=False, copy_bonus=0.0, free_pieces=len(plain.dec_vocab)
    )
    plain._free[:] = True
    shipped.headlines(texts[:2])
    plain.headlines(texts[:2], num_beams=1)
    base = timed(lambda x: plain.headlines(x, num_beams=1), texts)
    ours = timed(shipped.headlines, texts)
    full = timed(shipped.summarize, texts)
    res = {
        "n": len(texts),
        "fp32_greedy_median_s": round(statistics.median(base), 3),
        "shipped_headline_median_s": round(statistics.median(ours), 3),
        "shipped_full_summary_median_s": round(statistics.median(full), 3),
    }
    res["ratio_shipped_vs_fp32_greedy"] = round(
        res["shipped_headline_median_s"] / res["fp32_greedy_median_s"], 2
    )
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
