"""Stage: score headline summaries on the held-out split, with baselines in the same run.

Every system is scored by the library's
:class:`~nlp.evaluation.summarization.SummarizationEvaluator`: character ROUGE-1/2/L (with a
bootstrap 95% interval for ROUGE-L), the share of numbers and named entities of the summary
found verbatim in the article and the share of summaries with a repeated character 3-gram.
Baselines (:func:`summary_baselines`):

* ``lead1``: the first sentence of the body;
* ``first_n``: the first N characters of the body, N = median headline length on dev;
* ``extractive``: the most central sentence (:func:`nlp.extractive.key_sentences`, k=1).

The real headline itself is scored too (``reference``): its ROUGE is 100 by construction,
but its faithfulness shows how often real headlines use numbers or names absent from the
body, the ceiling to compare a model's faithfulness with.

With ``--model`` (``--bulk``) the shipped summariser (with the bulk-run decoding) is added:
:func:`nlp.pipeline.default_summarizer`, anything :func:`nlp.evaluation.summarization.generate`
accepts.

With ``--sets all`` (or a comma list of ``cctv`` and the names of
:data:`nlp.evaluation.summary_sets.SET_NAMES`) the out-of-domain sets are scored too, each on a
fixed sample of ``--sample`` items of ``--ood-split``, with Lead-1, the first-clause baseline
(:func:`nlp.evaluation.summarization.first_clause`) and the defect rates of
:mod:`nlp.evaluation.defects`; ``samples.md`` shows ten items per set (:mod:`training.ood_report`).

Usage::

    python -m training.prepare_summaries          # once, writes the pairs
    python -m training.evaluate_summarizer        # baselines on test → reports/summarizer/
    python -m training.evaluate_summarizer --model --limit 500
    python -m training.evaluate_summarizer --model --bulk --sets all --sample 100 --limit 300
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.evaluation.summarization import SummarizationEvaluator, generate, summary_metrics
from training.prepare_summaries import DEFAULT_OUT, load_split

DEFAULT_REPORT_DIR = paths.reports_dir() / "summarizer"
Embedder = Callable[[list[str]], np.ndarray]


def _with_interval(metrics: dict) -> dict:
    low, high = metrics["rougeL_ci95_low"], metrics["rougeL_ci95_high"]
    return {**metrics, "rougeL_ci95": [low, high] if low is not None else None}


def evaluate_summaries(preds, refs, sources, n_boot: int = 1000, seed: int = 0) -> dict:
    """:func:`nlp.evaluation.summarization.summary_metrics` plus ``rougeL_ci95`` as a
    ``[low, high]`` pair (``None`` without bootstrap), the shape of the reports."""
    return _with_interval(summary_metrics(preds, refs, sources, n_boot, seed))


def lead_sentence(body: str) -> str:
    """The first sentence of ``body`` (:func:`nlp.text.split_sentences`)."""
    from nlp.text import split_sentences

    sentences = [s.strip() for s in split_sentences(body) if s.strip()]
    return sentences[0] if sentences else body.strip()


def first_chars(body: str, n_chars: int) -> str:
    """The first ``n_chars`` characters of ``body``, whitespace removed."""
    return "".join(body.split())[:n_chars]


def top_sentence(body: str, embed: Embedder | None = None) -> str:
    """The most central sentence of ``body`` (:func:`nlp.extractive.key_sentences`, k=1)."""
    from nlp.extractive import key_sentences
    from nlp.text import split_sentences

    sentences = [s.strip() for s in split_sentences(body) if s.strip()]
    if not sentences:
        return body.strip()
    embeddings = embed(sentences) if embed is not None and len(sentences) > 1 else None
    return key_sentences(sentences, embeddings, k=1)[0]


def summary_baselines(
    sources: Sequence[str], n_chars: int, embed: Embedder | None = None
) -> dict[str, list[str]]:
    """Baseline summaries of each body: ``{"lead1", "first_n", "extractive"}`` → list."""
    if n_chars <= 0:
        raise ValueError(f"n_chars must be positive, got {n_chars!r}")
    return {
        "lead1": [lead_sentence(b) for b in sources],
        "first_n": [first_chars(b, n_chars) for b in sources],
        "extractive": [top_sentence(b, embed) for b in sources],
    }


def shipped_summarizer(bulk: bool = False):
    """The shipped summariser with its interactive decoding, or with ``bulk`` the settings of
    bulk runs (:meth:`nlp.summarizer.Summarizer.for_batch`)."""
    from nlp.pipeline import default_summarizer

    model = default_summarizer()
    return model.for_batch() if bulk else model


def model_predictions(bodies: Sequence[str], bulk: bool = False) -> list[str]:
    """Headlines of ``bodies`` from :func:`shipped_summarizer`."""
    return generate(shipped_summarizer(bulk), list(bodies))


def _log(message: str) -> None:
    print(f"evaluate_summarizer: {message}", file=sys.stderr, flush=True)


def _progress(what: str, done: int, total: int) -> None:
    _log(f"{what}: {done}/{total} summarised")


def _fmt(value, digits: int = 1, scale: float = 1.0) -> str:
    return "–" if value is None else f"{scale * value:.{digits}f}"


def markdown_table(results: dict[str, dict], note: str = "") -> str:
    """A Markdown table of :func:`evaluate_summaries` results, one row per system."""
    lines = [
        "| system | n | ROUGE-1 | ROUGE-2 | ROUGE-L (95% CI) | faithful % | numbers % "
        "| entities % | repeated 3-gram % | mean chars |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in results.items():
        ci = m.get("rougeL_ci95")
        rouge_l = _fmt(m["rougeL"]) + (f" ({ci[0]:.1f}–{ci[1]:.1f})" if ci else "")
        lines.append(
            f"| {name} | {m['n']} | {_fmt(m['rouge1'])} | {_fmt(m['rouge2'])} | {rouge_l} "
            f"| {_fmt(m['faithful_share'], scale=100)} | {_fmt(m['number_share'], scale=100)} "
            f"| {_fmt(m['entity_share'], scale=100)} "
            f"| {_fmt(m['repeated_ngram_rate'], scale=100)} | {_fmt(m['mean_chars'])} |"
        )
    return "\n".join(lines) + ("\n\n" + note if note else "") + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_OUT, help="pairs folder")
    parser.add_argument("--split", default="test", choices=("dev", "test"), help="split scored")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT_DIR, help="report folder")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N pairs")
    parser.add_argument("--model", action="store_true", help="also score nlp.summarizer")
    parser.add_argument(
        "--bulk", action="store_true", help="also score the bulk-run decoding (for_batch)"
    )
    parser.add_argument(
        "--encoder", action="store_true", help="extractive baseline on nlp.encoder embeddings"
    )
    parser.add_argument("--n-chars", type=int, default=0, help="first-N length (0: dev median)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument(
        "--sets", default="", help="'all' or comma list: cctv and out-of-domain set names"
    )
    parser.add_argument("--sample", type=int, default=200, help="items per out-of-domain set")
    parser.add_argument(
        "--ood-split", default="test", choices=("dev", "test", "all"), help="out-of-domain split"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Score baselines (and the model with ``--model``); write metrics.json and metrics.md."""
    args = parse_args(argv)
    if args.sets:
        from training.ood_report import run_sets

        return run_sets(args)
    pairs = load_split(args.split, args.data_dir)
    if args.limit:
        pairs = pairs[: args.limit]
    dev_titles = [len(p["title"]) for p in load_split("dev", args.data_dir)]
    if not args.n_chars and not dev_titles:
        raise SystemExit("the dev split is empty: pass --n-chars for the first-N baseline")
    n_chars = args.n_chars or round(statistics.median(dev_titles))
    bodies = [p["body"] for p in pairs]
    refs = [p["title"] for p in pairs]
    embed = None
    if args.encoder:
        from nlp.encoder import embed
    started = time.time()
    evaluator = SummarizationEvaluator(bodies, refs, name=args.split, n_boot=args.bootstrap)
    _log(f"{args.split}: {len(bodies)} pairs; baselines ...")
    systems = summary_baselines(bodies, n_chars, embed)
    for name, wanted, bulk in (("model", args.model, False), ("model_bulk", args.bulk, True)):
        if wanted:
            t0 = time.time()
            systems[name] = evaluator.predictions(shipped_summarizer(bulk), _progress)
            _log(f"{name}: {len(bodies)} summaries in {time.time() - t0:.1f} s")
    systems["reference"] = refs
    results = {name: _with_interval(evaluator.score(preds)) for name, preds in systems.items()}
    if "model" in systems:
        # How often the checks replaced the abstractive summary by the lead's compression.
        from nlp.pipeline import default_summarizer
        from nlp.summarizer import fallback_summary

        limit = default_summarizer().cfg.max_chars
        fallback = sum(
            p == fallback_summary(b, limit) for p, b in zip(systems["model"], bodies, strict=True)
        )
        results["model"]["fallback_rate"] = round(fallback / max(1, len(bodies)), 4)
    report = {
        "split": args.split,
        "n": len(pairs),
        "first_n_chars": n_chars,
        "extractive_vectors": "encoder" if args.encoder else "tfidf_char_1_2",
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    note = (
        f"Split `{args.split}` ({len(pairs)} pairs), character ROUGE F1 ×100 "
        f"(`nlp.evaluation.metrics.rouge_chars`); first_n = first {n_chars} characters (median dev "
        "headline length). `reference` scores the real headline (ROUGE 100 by construction): "
        "its faithfulness is the share of headline numbers/entities that occur verbatim in "
        "the body. A repeated character 3-gram is normal in a long extracted sentence "
        "(lead1, extractive); in a headline-length output it flags a generation loop."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    table = markdown_table(results, note)
    (args.out / "metrics.md").write_text(table, encoding="utf-8")
    print(table)
    return report


if __name__ == "__main__":
    main()
