"""The multi-set summary report of ``python -m training.evaluate_summarizer --sets ...``.

Scores the CCTV test split (``cctv``) and the out-of-domain sets of
:mod:`nlp.evaluation.summary_sets` with the same systems (Lead-1, first clause, and with
``--model``/``--bulk`` the shipped summariser), writes ``metrics.json``, ``metrics.md`` (one
table of ROUGE and one of defect rates, a row per set and system) and ``samples.md`` (ten items
per set with their flagged defects).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from nlp.evaluation.defects import DEFECTS, flagged, summary_defects
from nlp.evaluation.summarization import first_clause
from nlp.evaluation.summary_sets import SET_NAMES, build_sets

TRAINING_NOTE = (
    "The shipped summariser was trained on CCTV 新闻联播 pairs up to 2023 "
    "(data/models/summarizer/README.md); `cctv` is its held-out test split (2025 on). None of "
    "the out-of-domain sets was used to train it: other_outlets.jsonl.gz (event_web: "
    "EventMonitor web news of 2016–2018; tech_business: 虎嗅 and similar feeds; overseas: "
    "联合早报, RFI, DW, NYT, UN News … of 2026), local_rare.jsonl and the seed page. Each "
    "out-of-domain item is dev or test by a hash of its id; this report scores the split named "
    "below; the reference is the item's own headline (site suffix and 原标题 removed)."
)
SAMPLES_PER_SET = 10


def _log(message: str) -> None:
    print(f"evaluate_summarizer: {message}", file=sys.stderr, flush=True)


def wanted_sets(spec: str) -> list[str]:
    """Set names of a ``--sets`` value: ``all``, or a comma list of ``cctv`` and
    :data:`~nlp.evaluation.summary_sets.SET_NAMES`.

    Example:
        >>> wanted_sets("cctv,seed_page")
        ['cctv', 'seed_page']
    """
    names = ["cctv", *SET_NAMES] if spec == "all" else [s.strip() for s in spec.split(",") if s]
    unknown = [n for n in names if n not in ("cctv", *SET_NAMES)]
    if unknown or not names:
        raise SystemExit(f"unknown sets {unknown}; choose from cctv, {', '.join(SET_NAMES)}")
    return names


def _cctv_items(args: argparse.Namespace) -> list[dict]:
    from training.prepare_summaries import load_split

    pairs = load_split(args.split, args.data_dir)
    if args.limit:
        pairs = pairs[: args.limit]
    return [
        {"id": p.get("id", str(i)), "source": p["body"], "reference": p["title"]}
        for i, p in enumerate(pairs)
    ]


def score_set(items: list[dict], models: dict, n_boot: int) -> tuple[dict, dict]:
    """Systems' summaries of one set and their metrics: ``(predictions, results)``, each keyed
    by system (``lead1``, ``first_clause`` and the names of ``models``)."""
    from training.evaluate_summarizer import evaluate_summaries, lead_sentence

    bodies = [it["source"] for it in items]
    refs = [it["reference"] for it in items]
    preds = {
        "lead1": [lead_sentence(b) for b in bodies],
        "first_clause": [first_clause(b) for b in bodies],
    }
    for name, model in models.items():
        t0 = time.time()
        preds[name] = generate_all(model, bodies)
        _log(f"{name}: {len(bodies)} summaries in {time.time() - t0:.1f} s")
    results = {name: evaluate_summaries(p, refs, bodies, n_boot) for name, p in preds.items()}
    return preds, results


def generate_all(model, bodies: list[str], batch: int = 32) -> list[str]:
    """:func:`~nlp.evaluation.summarization.generate` in batches of ``batch``."""
    from nlp.evaluation.summarization import generate

    out: list[str] = []
    for start in range(0, len(bodies), batch):
        out += generate(model, bodies[start : start + batch])
    return out


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def tables(report: dict) -> str:
    """``metrics.md``: a ROUGE table and a defect table, a row per (set, system)."""
    rouge = [
        "| set | system | n | ROUGE-1 | ROUGE-2 | ROUGE-L (95% CI) | mean chars |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    defects = [
        "| set | system | " + " | ".join(f"{d} %" for d in (*DEFECTS, "any")) + " |",
        "|---|---|" + "---:|" * (len(DEFECTS) + 1),
    ]
    for set_name, entry in report["sets"].items():
        for system, m in entry["results"].items():
            ci = m.get("rougeL_ci95")
            rl = f"{m['rougeL']:.1f}" + (f" ({ci[0]:.1f}–{ci[1]:.1f})" if ci else "")
            rouge.append(
                f"| {set_name} | {system} | {m['n']} | {m['rouge1']:.1f} | {m['rouge2']:.1f} "
                f"| {rl} | {m['mean_chars']:.1f} |"
            )
            cells = " | ".join(_pct(m[f"defect_{d}"]) for d in (*DEFECTS, "any"))
            defects.append(f"| {set_name} | {system} | {cells} |")
    return "\n".join(
        [*rouge, "", *defects, "", TRAINING_NOTE, "", f"Out-of-domain split: {report['split']}."]
    )


def samples_markdown(items_by_set: dict, preds_by_set: dict, system: str) -> str:
    """``samples.md``: the first :data:`SAMPLES_PER_SET` items of each set with source lead,
    reference, the ``system`` summary and its flagged defects."""
    lines = [f"# Summary samples ({system})", ""]
    for set_name, items in items_by_set.items():
        lines += [f"## {set_name}", ""]
        preds = preds_by_set[set_name].get(system) or preds_by_set[set_name]["lead1"]
        for item, pred in list(zip(items, preds, strict=True))[:SAMPLES_PER_SET]:
            found = flagged(summary_defects(pred, item["source"]))
            lead = "".join(item["source"].split())[:120]
            lines += [
                f"- `{item['id']}`",
                f"  - source lead: {lead}…",
                f"  - reference: {item['reference']}",
                f"  - {system}: {pred or '(empty)'}",
                f"  - defects: {'; '.join(found) if found else 'none'}",
                "",
            ]
    return "\n".join(lines)


def short_table(report: dict) -> str:
    """The printed summary: per set, RL of every system and the model's defect rates."""
    lines = []
    for set_name, entry in report["sets"].items():
        res = entry["results"]
        rls = "  ".join(f"{k}={v['rougeL']:.1f}" for k, v in res.items())
        lines.append(f"{set_name:14s} n={entry['n']:4d}  RL: {rls}")
        for system in ("model", "model_bulk"):
            if system in res:
                rates = " ".join(
                    f"{d}={_pct(res[system][f'defect_{d}'])}" for d in (*DEFECTS, "any")
                )
                lines.append(f"{'':14s} {system} defects %: {rates}")
    return "\n".join(lines)


def run_sets(args: argparse.Namespace) -> dict:
    """Score the sets of ``args.sets``; write the report to ``args.out``; return it."""
    from training.evaluate_summarizer import shipped_summarizer

    started = time.time()
    names = wanted_sets(args.sets)
    ood = [n for n in names if n != "cctv"]
    items_by_set = {"cctv": _cctv_items(args)} if "cctv" in names else {}
    if ood:
        items_by_set.update(build_sets(tuple(ood), args.ood_split, args.sample))
    models = {}
    if args.model:
        models["model"] = shipped_summarizer(False)
    if args.bulk:
        models["model_bulk"] = shipped_summarizer(True)
    report: dict = {"split": args.ood_split, "cctv_split": args.split, "sets": {}}
    preds_by_set = {}
    for name, items in items_by_set.items():
        if not items:
            _log(f"{name}: no items, skipped")
            continue
        _log(f"{name}: {len(items)} items")
        preds, results = score_set(items, models, args.bootstrap)
        preds_by_set[name] = preds
        ids = [it["id"] for it in items]
        report["sets"][name] = {"n": len(items), "results": results, "ids": ids}
    report["seconds"] = round(time.time() - started, 1)
    report["note"] = TRAINING_NOTE
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (args.out / "metrics.md").write_text(tables(report) + "\n", encoding="utf-8")
    shown = {k: v for k, v in items_by_set.items() if k in preds_by_set}
    system = "model" if args.model else "model_bulk" if args.bulk else "first_clause"
    (args.out / "samples.md").write_text(
        samples_markdown(shown, preds_by_set, system), encoding="utf-8"
    )
    print(short_table(report))
    return report
