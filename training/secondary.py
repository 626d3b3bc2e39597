"""Stage: the secondary label's threshold, chosen on dev against read second domains.

An article truly about two domains (flood relief: water works and resettling residents)
keeps the guide's primary label and may report a ``secondary`` one
(:func:`nlp.labels.secondary_label`): the most probable other domain, when its probability
reaches the model's ``secondary_threshold``. The threshold is chosen here, on dev items read
for their second domain (``data/labels/secondary/dev.jsonl``: candidates from ``dev`` and
``dev_ood``, every in-domain item and every ``other`` item the model gives a domain at least
0.1; each read twice blind, the second domain kept where both readers agree).

``write FOLDER``
    The two readers' lines (``reads-A/``, ``reads-B/``: ``<id> <label> | <second or none>``)
    → the label file, with both reads and the agreement.
``choose [--model-dir D] [--write]``
    Scores every threshold from 0.05 to 0.60 (precision, recall and F1 of the predicted
    second domain, and how often one is shown), picks the best F1 (ties: the higher
    threshold), and with ``--write`` stores it in the model's ``classifier.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.labels import LABELS, secondary_label

OUT = paths.data_dir() / "labels" / "secondary" / "dev.jsonl"
GRID = tuple(round(0.05 * k, 2) for k in range(1, 13))


def read_second_lines(folder: Path) -> dict[str, tuple[str, str]]:
    """``{id: (primary, second)}`` from a reader's ``*.txt`` (``second`` is ``""`` for none)."""
    out = {}
    for path in sorted(folder.glob("*.txt")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            head, _, second = line.partition("|")
            parts = head.split()
            second = second.strip()
            second = "" if second in ("", "none") else second
            if len(parts) < 2 or parts[1] not in LABELS or (second and second not in LABELS):
                raise ValueError(f"{path}:{n}: cannot read {line!r}")
            out[parts[0]] = (parts[1], second if second != parts[1] else "")
    return out


def agreement_rows(a: dict, b: dict) -> tuple[list[dict], dict]:
    """Label rows of the items both readers read, and the agreement figures."""
    rows, both = [], sorted(set(a) & set(b))
    for item_id in both:
        (pa, sa), (pb, sb) = a[item_id], b[item_id]
        rows.append(
            {
                "id": item_id,
                "secondary": sa if sa == sb else "",
                "agreed": sa == sb,
                "first_read": {"label": pa, "secondary": sa},
                "second_read": {"label": pb, "secondary": sb},
                "sample": "secondary: dev candidates read twice blind for a second domain",
            }
        )
    has_a = [bool(a[i][1]) for i in both]
    has_b = [bool(b[i][1]) for i in both]
    stats = {
        "items": len(both),
        "second_agreement": float(np.mean([r["agreed"] for r in rows])) if rows else 0.0,
        "reader_a_seconds": sum(has_a),
        "reader_b_seconds": sum(has_b),
        "agreed_seconds": sum(bool(r["secondary"]) for r in rows),
        "primary_agreement": float(np.mean([a[i][0] == b[i][0] for i in both])) if both else 0.0,
        "agreed_by_label": dict(Counter(r["secondary"] for r in rows if r["secondary"])),
    }
    return rows, stats


def threshold_table(probs: np.ndarray, primary: list[str], gold: list[str]) -> list[dict]:
    """Precision, recall and F1 of the predicted second domain at every threshold of
    :data:`GRID` (``primary``: the model's labels; ``gold``: read second domains or "")."""
    rows = []
    for t in GRID:
        pred = [secondary_label(p, lab, t)[0] for p, lab in zip(probs, primary, strict=True)]
        tp = sum(bool(p) and p == g for p, g in zip(pred, gold, strict=True))
        n_pred, n_gold = sum(bool(p) for p in pred), sum(bool(g) for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"threshold": t, "shown": n_pred, "right": tp, "gold": n_gold,
                     "precision": prec, "recall": rec, "f1": f1})  # fmt: skip
    return rows


def best_threshold(table: list[dict]) -> dict:
    """The row with the best F1; ties go to the higher threshold (fewer shown)."""
    return max(table, key=lambda r: (round(r["f1"], 6), r["threshold"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    wr = sub.add_parser("write", help="readers' lines -> the label file")
    wr.add_argument("folder", type=Path)
    wr.add_argument("--out", type=Path, default=OUT)
    ch = sub.add_parser("choose", help="score thresholds on dev, pick one")
    ch.add_argument("--model-dir", type=Path, default=None)
    ch.add_argument("--labels", type=Path, default=OUT)
    ch.add_argument("--write", action="store_true", help="store it in the model's config")
    args = ap.parse_args(argv)
    if args.cmd == "write":
        a = read_second_lines(args.folder / "reads-A")
        b = read_second_lines(args.folder / "reads-B")
        rows, stats = agreement_rows(a, b)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    from nlp.classifier import DomainClassifier
    from nlp.evaluation.classification import predict_proba
    from training.corpus import item_text, load_items

    rows = [json.loads(x) for x in args.labels.read_text(encoding="utf-8").splitlines() if x]
    rows = [r for r in rows if r["agreed"]]  # a second domain the readers disagree on: out
    items = load_items()
    texts = [item_text(items[r["id"]]) for r in rows]
    model = DomainClassifier(args.model_dir)
    probs = predict_proba(model, texts)  # the model batches its windows itself
    primary = [LABELS[int(p.argmax())] for p in probs]
    table = threshold_table(probs, primary, [r["secondary"] for r in rows])
    print(f"{len(rows)} dev items read twice with agreeing second domains "
          f"({sum(bool(r['secondary']) for r in rows)} have one); model {model.version}")  # fmt: skip
    print("threshold  shown  right  gold  precision  recall    F1")
    for r in table:
        print(f"{r['threshold']:9.2f}  {r['shown']:5d}  {r['right']:5d}  {r['gold']:4d}  "
              f"{r['precision']:9.3f}  {r['recall']:6.3f}  {r['f1']:.3f}")  # fmt: skip
    best = best_threshold(table)
    print(f"chosen: {best['threshold']:.2f} (F1 {best['f1']:.3f})")
    if args.write:
        path = Path(args.model_dir or paths.model_dir("classifier")) / "classifier.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["config"]["secondary_threshold"] = best["threshold"]
        meta["secondary"] = {
            k: (round(v, 4) if isinstance(v, float) else v) for k, v in best.items()
        }
        meta["secondary"]["chosen_on"] = f"{args.labels.name}: {len(rows)} agreed dev items"
        path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
