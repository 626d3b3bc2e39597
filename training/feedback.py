"""Stage: the app users' label corrections, reviewed, into ``data/labels/feedback.jsonl``.

The app appends every "标注有误" correction to the feedback folder (:mod:`nlp.feedback`).
Corrections are not trusted as they come: a reviewer reads them against the labelling guide
first.

1. ``python -m training.feedback review [--folder F] [--out review.tsv]`` writes one line per
   corrected article (corrections of the same text grouped, newest first): an empty
   ``decision`` column, then the hash, the model's label, the users' labels and notes, and the
   headline. It prints how many corrections and articles there are.
2. The reviewer fills ``decision``: ``accept`` (the users' label, when they agree), a label id
   (the reviewer's own reading, e.g. ``water_management``), or ``reject``; blank is skipped.
3. ``python -m training.feedback write --review review.tsv`` adds the decided articles to
   ``data/labels/feedback.jsonl`` (kept rows stay; a new decision replaces an old one). Each
   row has provenance ``user``: the users' labels and notes, the model's label and version,
   the time, the text hash, and the headline and body (these texts are in no corpus).

``python -m training.build_dataset`` then puts these articles in the training split only
(never dev or test; an article that reprints a seed-page story is left out as every corpus
item is), and the next model learns from them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import OrderedDict
from pathlib import Path

from nlp import paths
from nlp.feedback import read_corrections
from nlp.labels import LABELS

OUT = paths.data_dir() / "labels" / "feedback.jsonl"
REVIEW_COLUMNS = ("decision", "text_sha256", "predicted", "user_labels", "n", "notes", "title")


def group_corrections(records: list[dict]) -> list[dict]:
    """One entry per corrected text, newest correction first, with every user's label."""
    groups: OrderedDict[str, dict] = OrderedDict()
    for r in sorted(records, key=lambda r: r.get("time") or "", reverse=True):
        g = groups.setdefault(
            r["text_sha256"],
            {"text_sha256": r["text_sha256"], "records": [], "title": None, "body": None},
        )
        g["records"].append(r)
        if g["body"] is None and r.get("body"):
            g["title"], g["body"] = r.get("title") or "", r["body"]
    return list(groups.values())


def review_rows(groups: list[dict]) -> list[dict]:
    """The review sheet's rows (``decision`` left blank for the reviewer)."""
    rows = []
    for g in groups:
        recs = g["records"]
        rows.append(
            {
                "decision": "",
                "text_sha256": g["text_sha256"],
                "predicted": recs[0].get("predicted") or "",
                "user_labels": ",".join(r["label"] for r in recs),
                "n": len(recs),
                "notes": " / ".join(r["note"] for r in recs if r.get("note")),
                "title": (g["title"] or "")[:80] if g["body"] else "（正文未保存）",
            }
        )
    return rows


def decide(decision: str, user_labels: list[str]) -> str | None:
    """The label a review decision gives, or ``None`` (rejected, blank, users disagree)."""
    decision = decision.strip()
    if decision in LABELS:
        return decision
    if decision == "accept" and len(set(user_labels)) == 1:
        return user_labels[0]
    return None


def feedback_rows(groups: list[dict], decisions: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Label rows for the decided articles, and a note for each decision that gave none."""
    rows, skipped = [], []
    for g in groups:
        decision = decisions.get(g["text_sha256"], "")
        if not decision.strip():
            continue
        recs = g["records"]
        label = decide(decision, [r["label"] for r in recs])
        if label is None:
            skipped.append(f"{g['text_sha256'][:12]}: {decision!r} gives no label")
            continue
        if not g["body"]:
            skipped.append(f"{g['text_sha256'][:12]}: its text was not kept, cannot train")
            continue
        rows.append(
            {
                "id": f"user-{g['text_sha256'][:16]}",
                "label": label,
                "method": "user",
                "provenance": "user",
                "reviewed": decision.strip(),
                "user_labels": [r["label"] for r in recs],
                "notes": [r["note"] for r in recs if r.get("note")],
                "predicted": recs[0].get("predicted"),
                "model_version": recs[0].get("model_version"),
                "time": recs[0].get("time"),
                "text_sha256": g["text_sha256"],
                "title": g["title"],
                "body": g["body"],
            }
        )
    return rows, skipped


def merge_into(path: Path, rows: list[dict]) -> int:
    """Add ``rows`` to the label file (a row for the same id is replaced); rows in all."""
    kept: OrderedDict[str, dict] = OrderedDict()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                kept[row["id"]] = row
    for row in rows:
        kept[row["id"]] = row
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept.values())
    path.write_text(text, encoding="utf-8")
    return len(kept)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    rev = sub.add_parser("review", help="write the review sheet of the corrections")
    rev.add_argument("--folder", type=Path, default=None, help="feedback folder")
    rev.add_argument("--out", type=Path, default=Path("feedback-review.tsv"))
    wr = sub.add_parser("write", help="add the reviewed corrections to the label file")
    wr.add_argument("--review", type=Path, required=True, help="the filled review sheet")
    wr.add_argument("--folder", type=Path, default=None, help="feedback folder")
    wr.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    groups = group_corrections(read_corrections(args.folder))
    if args.cmd == "review":
        with args.out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=REVIEW_COLUMNS, delimiter="\t")
            writer.writeheader()
            writer.writerows(review_rows(groups))
        n = sum(len(g["records"]) for g in groups)
        print(f"{n} corrections of {len(groups)} articles -> {args.out}")
        return 0
    with args.review.open(encoding="utf-8", newline="") as f:
        decisions = {
            r["text_sha256"]: r.get("decision") or "" for r in csv.DictReader(f, delimiter="\t")
        }
    rows, skipped = feedback_rows(groups, decisions)
    total = merge_into(args.out, rows)
    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    print(
        f"{len(rows)} articles labelled from review ({len(skipped)} skipped); {args.out}: {total} rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
