"""Merge the label files in ``data/labels/`` into one classifier dataset with date splits.

Splits (the same cut-offs as the summariser's, see :mod:`training.splits`):
xwlb items by broadcast date, train ≤ 2023-12-31 < dev ≤ 2024-12-31 < test; the undated
``local_rare`` items (another source) by a stable hash of their id, 50/20/30. The seed page
never enters any split, nor do corpus items that reprint one of its articles (found by
verbatim sentences, :func:`training.prepare_summaries.seed_overlap`).

Conflicts (one id labelled differently in two files) are resolved in favour of a read label
over a rule label; two different read labels are reported and the file of the domain
specialist (the file named for the label one of them gives) wins. ``audit.jsonl`` is applied
last and overrides them all: a blind second reading of every dev/test item and every train
item with a domain label or rule hit, disagreements adjudicated against the labelling guide
(``previous`` and ``second_read`` keep both readings).

``feedback.jsonl`` holds the app users' corrections after review (:mod:`training.feedback`):
they count as read labels, carry their own texts, and go to the training split only.

Run: ``python -m training.build_dataset`` → ``data/classifier/dataset.jsonl`` + stats.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

from nlp import paths
from nlp.labels import LABELS
from training.corpus import FEEDBACK_SOURCE, load_items
from training.prepare_summaries import seed_overlap
from training.rules import rule_label
from training.splits import split_of

SPLITS = ("train", "dev", "test", "dev_ood", "test_ood")

LABEL_DIR = paths.data_dir() / "labels"
OUT = paths.data_dir() / "classifier" / "dataset.jsonl"
READ = ("read", "corrected", "user")
AUDIT = "audit"  # applied last, overrides every other file


def load_label_files(label_dir: Path = LABEL_DIR) -> tuple[dict[str, dict], list[str]]:
    """All labelled rows by id, after conflict resolution, and a list of conflict notes."""
    merged: dict[str, dict] = {}
    conflicts = []
    paths = sorted(label_dir.glob("*.jsonl"), key=lambda p: (p.stem == AUDIT, p.name))
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") not in LABELS:
                conflicts.append(
                    f"{path.name}: {row.get('id')} has unknown label {row.get('label')!r}"
                )
                continue
            row["file"] = path.stem
            old = merged.get(row["id"])
            if path.stem == AUDIT:
                if old is not None and old["label"] != row["label"]:
                    conflicts.append(
                        f"{row['id']}: {old['file']}={old['label']} -> audit={row['label']}"
                    )
                merged[row["id"]] = row
            elif old is None or (old["method"] not in READ and row["method"] in READ):
                merged[row["id"]] = row
            elif old["label"] != row["label"] and row["method"] in READ:
                conflicts.append(
                    f"{row['id']}: {old['file']}={old['label']} vs {path.stem}={row['label']}"
                )
                if path.stem in (row["label"], "rare") and old["file"] not in (
                    old["label"],
                    "rare",
                ):
                    merged[row["id"]] = row
    return merged, conflicts


def item_split(item_id: str, item: dict) -> str:
    """The split of one labelled item: the users' corrections (:mod:`training.feedback`)
    train only, corpus items by :func:`training.splits.split_of`."""
    if item.get("source") == FEEDBACK_SOURCE:
        return "train"
    return split_of(item_id, item.get("date", ""), item.get("outlet"))


def fill_other(merged: dict[str, dict], items: dict[str, dict], target: int, seed: int = 7) -> int:
    """Add random unread xwlb items that the rules call ``other`` until ``target`` others."""
    have = sum(1 for r in merged.values() if r["label"] == "other")
    pool = [i for i in sorted(items) if i.startswith("cdxwlb") or "xwlb" in items[i]["source"]]
    random.Random(seed).shuffle(pool)
    added = 0
    for item_id in pool:
        if have + added >= target:
            break
        if item_id in merged:
            continue
        it = items[item_id]
        if rule_label(it["title"], it["body"]).label == "other":
            merged[item_id] = {
                "id": item_id,
                "label": "other",
                "method": "rule",
                "rule_label": "other",
                "file": "fill",
            }
            added += 1
    return added


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--min-other", type=int, default=2400, help="fill `other` up to this many")
    args = ap.parse_args(argv)
    items = load_items()
    merged, conflicts = load_label_files()
    missing = [i for i in merged if i not in items]
    for i in missing:
        del merged[i]
    # Corpus items that reprint a seed-page article (same wire story) stay out of every split.
    leaked = [i for i in seed_overlap(items.values())["ids"] if i in merged]
    for i in leaked:
        del merged[i]
    added = fill_other(merged, items, args.min_other)
    rows = []
    for item_id in sorted(merged):
        r = merged[item_id]
        it = items[item_id]
        rows.append(
            {
                "id": item_id,
                "label": r["label"],
                "method": r["method"],
                "rule_label": r.get("rule_label"),
                "date": it.get("date", ""),
                "split": item_split(item_id, it),
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    table = Counter((r["split"], r["label"]) for r in rows)
    stats = {
        "total": len(rows),
        "conflicts": sum(" -> audit=" not in c for c in conflicts),
        "audit": {
            "read_twice": sum(r.get("file") == AUDIT for r in merged.values()),
            "changed": sum(" -> audit=" in c for c in conflicts),
        },
        "unknown_ids": len(missing),
        "excluded_seed_overlap": leaked,
        "filled_other_by_rule": added,
        "methods": dict(Counter(r["method"] for r in rows)),
        "per_split": {s: {lab: table[(s, lab)] for lab in LABELS} for s in SPLITS},
    }
    (args.out.parent / "dataset_stats.json").write_text(json.dumps(stats, indent=2))
    (args.out.parent / "conflicts.txt").write_text("\n".join(conflicts) + "\n")
    print(json.dumps(stats, indent=2))
    return stats


if __name__ == "__main__":
    main()
