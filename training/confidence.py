"""Stage: the low-confidence flag's threshold, chosen on dev, and its accuracy split.

An article is flagged for review (``low_confidence``, 低置信度，建议人工复核) when the
classifier's top probability is under the model's ``low_confidence`` threshold. The threshold
is chosen on ``dev`` + ``dev_ood`` as the highest one that flags at most ``--max-share`` of the
articles (a desk can review about one article in ten), so the flag goes where the model is
most often wrong. For each split the stage prints, per threshold: the share flagged, the
accuracy of flagged and of unflagged articles, and how many of the errors the flag catches.

    python -m training.confidence [--model-dir D] [--splits dev,dev_ood] [--report test,test_ood] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.labels import LABELS

GRID = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def flag_table(confidence: np.ndarray, correct: np.ndarray) -> list[dict]:
    """Per threshold of :data:`GRID`: share flagged, accuracy flagged / unflagged, errors caught."""
    rows = []
    for t in GRID:
        flagged = confidence < t
        rows.append(
            {
                "threshold": t,
                "flagged_share": float(flagged.mean()) if len(flagged) else 0.0,
                "acc_flagged": float(correct[flagged].mean()) if flagged.any() else None,
                "acc_unflagged": float(correct[~flagged].mean()) if (~flagged).any() else None,
                "errors_caught": int((~correct & flagged).sum()),
                "errors": int((~correct).sum()),
            }
        )
    return rows


def choose(table: list[dict], max_share: float) -> dict:
    """The highest threshold flagging at most ``max_share``; the lowest one if none does."""
    fitting = [r for r in table if r["flagged_share"] <= max_share]
    return max(fitting, key=lambda r: r["threshold"]) if fitting else table[0]


def _print(name: str, table: list[dict]) -> None:
    print(f"{name}: threshold  flagged  acc flagged  acc unflagged  errors caught")
    for r in table:
        fl = "-" if r["acc_flagged"] is None else f"{r['acc_flagged']:.3f}"
        un = "-" if r["acc_unflagged"] is None else f"{r['acc_unflagged']:.3f}"
        print(f"  {r['threshold']:9.2f}  {r['flagged_share'] * 100:6.1f}%  {fl:>11}  {un:>13}  "
              f"{r['errors_caught']:5d} / {r['errors']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", type=Path, default=None)
    ap.add_argument("--splits", default="dev,dev_ood", help="splits the threshold is chosen on")
    ap.add_argument("--report", default="test,test_ood", help="splits only reported")
    ap.add_argument("--max-share", type=float, default=0.10)
    ap.add_argument("--write", action="store_true", help="store it in the model's config")
    args = ap.parse_args(argv)
    from nlp.classifier import DomainClassifier
    from nlp.evaluation.classification import predict_proba
    from nlp.evaluation.data import load_split

    model = DomainClassifier(args.model_dir)

    def scored(splits: str):
        conf, ok = [], []
        for split in [s for s in splits.split(",") if s]:
            data = load_split(split)
            probs = predict_proba(model, data.texts)  # the model batches its windows itself
            conf.append(probs.max(1))
            ok.append(probs.argmax(1) == np.array([LABELS.index(g) for g in data.labels]))
        return np.concatenate(conf), np.concatenate(ok)

    print(f"model {model.version}")
    table = flag_table(*scored(args.splits))
    _print(args.splits, table)
    best = choose(table, args.max_share)
    print(f"chosen on {args.splits}: {best['threshold']:.2f} "
          f"(flags {best['flagged_share'] * 100:.1f}%)")  # fmt: skip
    for split in [s for s in args.report.split(",") if s]:
        _print(split, flag_table(*scored(split)))
    if args.write:
        path = Path(args.model_dir or paths.model_dir("classifier")) / "classifier.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["config"]["low_confidence"] = best["threshold"]
        meta["low_confidence"] = {"chosen_on": args.splits, "max_share": args.max_share,
                                  **{k: v for k, v in best.items() if k != "threshold"}}  # fmt: skip
        path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
