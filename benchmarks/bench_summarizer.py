"""Summariser speed.

Latency (default): median seconds per article (one article per call) on the 2-core machine,
plain float32 greedy decoding vs the shipped settings (beam search, source-vocabulary
constraint and faithfulness check), in one run on the same articles.

Paths (``--paths``): bulk summaries (``Summarizer.for_batch``, as ``python -m nlp analyze``
runs them) of the first N test pairs on every inference path in one run: torch float32,
bf16 weights (with native bf16 only, unless named), int8 (the encoder's linear layers), and
the encoder on ONNX Runtime float32 and int8 (:mod:`nlp.onnx_runtime`; the decoder on torch
float32). Each path is timed ``--repeats`` times, interleaved with the others, best kept;
printed with articles/s, the ratios to float32 and to the path this CPU runs the shipped
setting at, char ROUGE-L against the real headlines and the share of summaries that differ
from float32's.

Run: ``python benchmarks/bench_summarizer.py [--n 50]`` (test-split pairs, first N), or
``python benchmarks/bench_summarizer.py --paths [--n 300] [--precisions ...]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from nlp.summarizer import SUMMARIZER_PRECISIONS, Summarizer, load_config
from training.prepare_summaries import pairs_dir


def timed(fn, texts):
    out = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t])
        out.append(time.perf_counter() - t0)
    return out


def default_paths() -> list[str]:
    """Every path, bf16 weights only where the CPU has native bf16 (~5x slower elsewhere)."""
    from nlp.precision import cpu_has_bf16

    skip = () if cpu_has_bf16() else ("bf16", "bf16_weights")
    return [p for p in SUMMARIZER_PRECISIONS if p != "bf16" and p not in skip]


def compare_paths(pairs: list[dict], precisions: list[str], repeats: int) -> list[dict]:
    """Bulk summaries of ``pairs`` on each path: articles/s (best of ``repeats``), ROUGE-L."""
    from nlp.evaluation.summarization import summary_metrics
    from nlp.precision import choose_precision
    from nlp.shared_base import load_inference_base

    texts = [p["body"] for p in pairs]
    refs = [p["title"] for p in pairs]
    base = load_inference_base()
    models = {p: Summarizer(base=base, precision=p).for_batch() for p in precisions}
    seconds: dict[str, float] = {}
    out: dict[str, list[str]] = {}
    for _ in range(repeats):
        for name, model in models.items():
            model.headlines(texts[:4])  # warm-up
            t0 = time.perf_counter()
            out[name] = model.headlines(texts)
            seconds[name] = min(seconds.get(name, float("inf")), time.perf_counter() - t0)
    cfg = load_config()
    shipped = choose_precision(None, cfg, SUMMARIZER_PRECISIONS)
    ref_name = "fp32" if "fp32" in out else precisions[0]
    rows = []
    for name in precisions:
        m = summary_metrics(out[name], refs, texts, n_boot=0)
        rows.append(
            {
                "path": name,
                "runs_as": models[name].model.precision,
                "articles_per_s": round(len(texts) / seconds[name], 2),
                "rougeL": round(m["rougeL"], 2),
                "differs": sum(a != b for a, b in zip(out[name], out[ref_name], strict=True))
                / len(texts),
            }
        )
    by = {r["path"]: r for r in rows}
    ref, run = by[ref_name], by.get(shipped, by[ref_name])
    print(f"articles={len(texts)} repeats={repeats} this CPU runs the shipped setting as {shipped}")
    print(
        f"| path | articles/s | vs {ref_name} | vs {run['path']} | ROUGE-L | Δ (points) "
        f"| summary ≠ {ref_name} |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        mark = f"**{r['path']}** (shipped)" if r["path"] == shipped else r["path"]
        if r["runs_as"] != r["path"]:  # the export failed: it ran on torch
            mark += f" (ran as {r['runs_as']})"
        print(
            f"| {mark} | {r['articles_per_s']} | "
            f"{r['articles_per_s'] / ref['articles_per_s']:.2f}x | "
            f"{r['articles_per_s'] / run['articles_per_s']:.2f}x | {r['rougeL']:.2f} | "
            f"{r['rougeL'] - ref['rougeL']:+.2f} | {100 * r['differs']:.1f} % |"
        )
    return rows


def main(argv: list[str] | None = None) -> dict | list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--pairs", type=Path, default=None, help="default: the cached test split")
    ap.add_argument("--paths", action="store_true", help="compare the inference paths (bulk)")
    ap.add_argument("--precisions", nargs="+", default=None, help="--paths: default all here")
    ap.add_argument("--repeats", type=int, default=2, help="--paths: timed passes per path")
    args = ap.parse_args(argv)
    args.pairs = args.pairs or pairs_dir() / "test.jsonl"
    with args.pairs.open(encoding="utf-8") as f:
        pairs = [json.loads(line) for _, line in zip(range(args.n), f, strict=False)]
    if args.paths:
        return compare_paths(pairs, args.precisions or default_paths(), args.repeats)
    texts = [p["body"] for p in pairs]
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
