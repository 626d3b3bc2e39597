"""Double blind reading: two readers' label lines → agreement, disagreements, a label file.

A reading set (written by :mod:`training.labelling.mine` ``batches``) is a folder with
``batch-*.txt`` (what the readers saw), ``provenance.jsonl`` (why each item was picked) and,
once read, ``reads-A/`` and ``reads-B/`` (each reader's ``<id> <label> [note] [| second]``
lines per batch, read independently). Disagreements go to a third reading
(``adjudicate.txt``: the item, both labels and notes); its lines (``adjudicated.txt``) settle
them.

``agree``
    Prints counts, raw agreement and Cohen's kappa, and writes ``adjudicate.txt``.
``write``
    Writes ``data/labels/<name>.jsonl``: per item the final label, both reads, whether it
    was adjudicated, the rule label, the pick reasons and the set's name.

Example::

    python -m training.labelling.reads agree ~/.cache/newsdesk/reading/outlets
    python -m training.labelling.reads write ~/.cache/newsdesk/reading/outlets --name outlets
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from collections import Counter
from pathlib import Path

from nlp.labels import LABELS
from training.labelling.common import label_file, rule_of, split_label_line
from training.labelling.mine import iter_all_items


def read_lines(folder: Path) -> dict[str, tuple[str, str, str]]:
    """``{id: (label, note, second)}`` from every ``*.txt`` of a reader's folder; unknown
    labels raise ``ValueError`` naming the file and line."""
    out: dict[str, tuple[str, str, str]] = {}
    for path in sorted(folder.glob("*.txt")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parsed = split_label_line(line)
            if parsed is None:
                continue
            item_id, label, note = parsed
            second = ""
            if "|" in note:
                note, second = (s.strip() for s in note.rsplit("|", 1))
            if label not in LABELS or (second and second not in LABELS):
                raise ValueError(f"{path}:{n}: unknown label in {line!r}")
            out[item_id] = (label, note, second)
    return out


def batch_ids(folder: Path) -> list[str]:
    """The ids of a set's batches, in batch order."""
    ids = []
    for path in sorted(folder.glob("batch-*.txt")):
        ids += re.findall(r"^## (\S+)", path.read_text(encoding="utf-8"), flags=re.M)
    return ids


def kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two readers' labels.

    Example:
        >>> round(kappa(["x", "x", "y", "y"], ["x", "x", "y", "x"]), 3)
        0.5
    """
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def agreement(folder: Path) -> dict:
    """Counts and agreement of the two reads of a set (items read by both only)."""
    ids = batch_ids(folder)
    a, b = read_lines(folder / "reads-A"), read_lines(folder / "reads-B")
    both = [i for i in ids if i in a and i in b]
    la, lb = [a[i][0] for i in both], [b[i][0] for i in both]
    pos = [i for i in both if a[i][0] != "other" or b[i][0] != "other"]
    return {
        "items": len(ids),
        "read_by_both": len(both),
        "missing_a": len([i for i in ids if i not in a]),
        "missing_b": len([i for i in ids if i not in b]),
        "agreement": round(sum(x == y for x, y in zip(la, lb, strict=True)) / max(1, len(both)), 4),
        "kappa": round(kappa(la, lb), 4) if both else None,
        "positives_either": len(pos),
        "positives_agreed": sum(a[i][0] == b[i][0] for i in pos),
        "disagreements": [i for i in both if a[i][0] != b[i][0]],
        "a_counts": dict(Counter(la)),
        "b_counts": dict(Counter(lb)),
    }


def write_adjudication(folder: Path, disagreements: list[str], chars: int = 900) -> Path:
    a, b = read_lines(folder / "reads-A"), read_lines(folder / "reads-B")
    want = set(disagreements)
    items = {x["id"]: x for x in iter_all_items() if x["id"] in want}
    path = folder / "adjudicate.txt"
    with path.open("w", encoding="utf-8") as f:
        for i in disagreements:
            it = items[i]
            body = " ".join((it.get("body") or "").split())
            f.write(f"## {i} [{it.get('date', '')}]\n标题：{it.get('title') or '（无）'}\n")
            f.write(body[:chars] + ("…" if len(body) > chars else "") + "\n")
            for who, r in (("A", a[i]), ("B", b[i])):
                f.write(f"reader {who}: {r[0]}" + (f" | {r[2]}" if r[2] else "") + f" — {r[1]}\n")
            f.write("\n")
    return path


def final_rows(folder: Path, name: str, date: str = "2026-12-02") -> list[dict]:
    """The label-file rows of a set: agreed labels, and adjudicated ones where they differ
    (an item still undecided is left out); ``date``: when it was read, for the provenance."""
    a, b = read_lines(folder / "reads-A"), read_lines(folder / "reads-B")
    adj_path = folder / "adjudicated.txt"
    adj = read_lines_file(adj_path) if adj_path.exists() else {}
    prov = {}
    for line in (folder / "provenance.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        prov[r["id"]] = r["picked_by"]
    ids = [i for i in batch_ids(folder) if i in a and i in b]
    items = {x["id"]: x for x in iter_all_items() if x["id"] in set(ids)}
    rows = []
    for i in ids:
        (la, na, sa), (lb, nb, sb) = a[i], b[i]
        if la == lb:
            label, second, adjudicated = la, sa if sa == sb else "", False
        elif i in adj:
            label, second, adjudicated = adj[i][0], adj[i][2], True
        else:
            continue
        rule = rule_of(items[i])
        row = {
            "id": i,
            "label": label,
            "method": "read" if label == rule else "corrected",
            "rule_label": rule,
            "first_read": la,
            "second_read": lb,
            "adjudicated": adjudicated,
            "note": (adj[i][1] if adjudicated else na) or nb,
            "picked_by": prov.get(i, []),
            "sample": f"{name}: double blind reading ({date})",
        }
        if second and second != label:
            row["secondary"] = second
        rows.append(row)
    return rows


def read_lines_file(path: Path) -> dict[str, tuple[str, str, str]]:
    """:func:`read_lines` of one file."""
    tmp = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parsed = split_label_line(line)
        if parsed is None:
            continue
        item_id, label, note = parsed
        second = ""
        if "|" in note:
            note, second = (s.strip() for s in note.rsplit("|", 1))
        if label not in LABELS or (second and second not in LABELS):
            raise ValueError(f"{path}: unknown label in {line!r}")
        tmp[item_id] = (label, note, second)
    return tmp


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=("agree", "write"))
    ap.add_argument("folder", type=Path)
    ap.add_argument("--name", default="")
    ap.add_argument("--date", default=str(datetime.date.today()), help="when the set was read")
    a = ap.parse_args(argv)
    if a.cmd == "agree":
        stats = agreement(a.folder)
        path = write_adjudication(a.folder, stats["disagreements"])
        stats["disagreements"] = len(stats["disagreements"])
        print(json.dumps(stats, ensure_ascii=False, indent=1))
        print(f"disagreements for a third reading: {path}")
        return
    rows = final_rows(a.folder, a.name or a.folder.name, a.date)
    out = label_file(a.name or a.folder.name)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(f"{len(rows)} rows → {out}: {dict(Counter(r['label'] for r in rows))}")


if __name__ == "__main__":
    main()
