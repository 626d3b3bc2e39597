"""What every labelling helper shares: label files, rule labels, label rows, label lines, batches.

Each domain file (``civil_affairs``, ``public_security``, ``water_management``, ``rare``,
``other``) keeps only its own rules (which items to show, how to print them, its summary);
reading and appending label files, the ``read``/``corrected`` method and parsing the
``<id> <label> [note] [| secondary]`` lines a reader types are here, once. Nothing here decides
a label: the reader does.

Example::

    from training.labelling.common import append_rows, label_file, parse_label_lines
    rows = parse_label_lines(["xwlb-1 other 不是水利"], items)
    append_rows(rows, label_file("water_management"))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from nlp import paths
from nlp.labels import LABELS
from training.rules import rule_label


def label_file(name: str) -> Path:
    """``data/labels/<name>.jsonl``."""
    return paths.data_dir() / "labels" / f"{name}.jsonl"


def read_rows(path: Path) -> list[dict]:
    """All rows of a label file (none when it does not exist yet)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def labelled_ids(path: Path) -> set[str]:
    """Ids already written to a label file."""
    return {r["id"] for r in read_rows(path)}


def rule_of(item: dict) -> str:
    """Keyword-rule label of one corpus item."""
    return rule_label(item.get("title") or "", item.get("body") or "").label


def candidates(
    items: dict[str, dict], fits: Callable[[dict], bool], skip: set[str], rule: str | None = None
) -> Iterator[dict]:
    """Unlabelled items (ids not in ``skip``) that ``fits`` accepts and, when ``rule`` is
    given, whose rule label it is; in corpus order."""
    for item_id, item in items.items():
        if item_id in skip or not fits(item):
            continue
        if rule and rule_of(item) != rule:
            continue
        yield item


def make_row(item_id: str, label: str, rule: str, note: str = "", secondary: str = "") -> dict:
    """A label-file row; method ``read`` when the rule agreed, else ``corrected``."""
    row = {
        "id": item_id,
        "label": label,
        "method": "read" if label == rule else "corrected",
        "rule_label": rule,
    }
    if note:
        row["note"] = note
    if secondary:
        row["secondary"] = secondary
    return row


def record(item: dict, label: str, note: str = "") -> dict:
    """:func:`make_row` for a corpus item, its rule label computed; ``ValueError`` on an
    unknown label."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return make_row(item["id"], label, rule_of(item), note)


def append_rows(rows: Iterable[dict], path: Path, skip_seen: bool = True) -> int:
    """Append rows as JSON lines (with ``skip_seen``, not ids already in the file); returns
    how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seen = labelled_ids(path) if skip_seen else set()
    written = 0
    with path.open("a", encoding="utf-8") as f:
        for row in rows:
            if skip_seen and row["id"] in seen:
                continue
            seen.add(row["id"])
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    return written


def split_label_line(line: str) -> tuple[str, str, str] | None:
    """``<id> <label> [note]`` → ``(id, label, note)``; ``None`` for blank and ``#`` lines."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    parts = line.split(maxsplit=2)
    return parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def parse_label_lines(
    lines: Iterable[str], items: dict[str, dict], check_secondary: bool = False
) -> list[dict]:
    """Turn ``<id> <label> [note] [| secondary]`` lines into label-file rows.

    Args:
        lines: what the reader typed (``#`` starts a comment line).
        items: corpus items by id.
        check_secondary: refuse a secondary label that is not one of ``nlp.labels``.
    """
    rows = []
    for parsed in map(split_label_line, lines):
        if parsed is None:
            continue
        item_id, label, note = parsed
        secondary = ""
        if "|" in note:
            note, secondary = (s.strip() for s in note.split("|", 1))
        row = record(items[item_id], label, note)
        if secondary:
            if check_secondary and secondary not in LABELS:
                raise ValueError(f"unknown secondary label {secondary!r} for {item_id}")
            row["secondary"] = secondary
        rows.append(row)
    return rows


def print_batch(batch: list, offset: int, limit: int, fmt: Callable[[object], str]) -> None:
    """Print the candidates ``offset .. offset + limit`` of a batch, one block each."""
    print(f"# {len(batch)} candidates; showing {offset}..{offset + limit}")
    for entry in batch[offset : offset + limit]:
        print(fmt(entry))


def rule_precision_lines(rows: list[dict], template: str) -> list[str]:
    """One line per rule label: how many of the rows it proposed kept its label.

    ``template`` is formatted with ``lab``, ``kept``, ``n`` and ``share``.
    """
    out = []
    for lab in sorted({r["rule_label"] for r in rows}):
        sel = [r for r in rows if r["rule_label"] == lab]
        kept = sum(r["label"] == lab for r in sel)
        out.append(template.format(lab=lab, kept=kept, n=len(sel), share=kept / len(sel)))
    return out
