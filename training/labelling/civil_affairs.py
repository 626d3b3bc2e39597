"""Candidate batches and label writing for the ``civil_affairs`` (民政) domain.

Used while hand-labelling: ``show`` prints candidates (id, date, rule label, title and the
start of the body) to read; ``write`` appends read labels to ``data/labels/civil_affairs.jsonl``
with the rule label and method filled in. Only ids, labels and short notes are stored.

Examples::

    python -m training.labelling.civil_affairs show --pattern "低保|特困" --year 2024 --n 25
    python -m training.labelling.civil_affairs write < labels.txt   # lines: "<id> <code> [note]"
    python -m training.labelling.civil_affairs stats
"""

from __future__ import annotations

import argparse
import pickle
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from training.corpus import load_items
from training.labelling.common import (
    append_rows,
    label_file,
    labelled_ids,
    make_row,
    read_rows,
    rule_precision_lines,
)
from training.rules import rule_label

LABEL_FILE = label_file("civil_affairs")
RULE_CACHE = Path("/tmp/civil_affairs_rule_cache.pkl")

# Short codes typed while labelling.
CODES: dict[str, str] = {
    "C": "civil_affairs",
    "O": "other",
    "P": "public_security",
    "W": "water_management",
    "A": "agri_insurance",
    "D": "disability_employment",
}


@dataclass(frozen=True)
class ShowConfig:
    """Which candidates to print."""

    pattern: str = "民政"
    year: str = ""
    rule: str = ""
    title_only: bool = False
    n: int = 25
    seed: int = 0
    chars: int = 200
    head: int = 0


def rule_labels(items: dict[str, dict]) -> dict[str, str]:
    """Rule label of every item, cached in /tmp (the rules are fixed during labelling)."""
    if RULE_CACHE.exists():
        cached = pickle.loads(RULE_CACHE.read_bytes())
        if len(cached) == len(items):
            return cached
    labels = {i: rule_label(it["title"], it["body"]).label for i, it in items.items()}
    RULE_CACHE.write_bytes(pickle.dumps(labels))
    return labels


def matches(item: dict, pattern: re.Pattern, title_only: bool, head: int = 0) -> bool:
    """Whether an item's title (or title + body, or its first ``head`` chars) matches."""
    body = item["body"][:head] if head else item["body"]
    text = item["title"] if title_only else f"{item['title']}\n{body}"
    return bool(pattern.search(text))


def candidates(
    items: dict[str, dict], rules: dict[str, str], cfg: ShowConfig, exclude: set[str]
) -> list[dict]:
    """Unlabelled items matching the config, in a seeded random order."""
    pat = re.compile(cfg.pattern)
    years = tuple(cfg.year.split(",")) if cfg.year else ()
    found = [
        it
        for i, it in items.items()
        if i not in exclude
        and (not years or it["date"][:4] in years)
        and (
            not cfg.rule
            or rules[i] == cfg.rule
            or (cfg.rule.startswith("!") and rules[i] != cfg.rule[1:])
        )
        and matches(it, pat, cfg.title_only, cfg.head)
    ]
    random.Random(cfg.seed).shuffle(found)
    return found


def format_item(item: dict, rule: str, chars: int) -> str:
    """One candidate as printed for reading."""
    body = item["body"].replace("\n", " ")[:chars]
    return f"{item['id']} {item['date']} [{rule}] 【{item['title']}】 {body}"


def parse_line(line: str) -> tuple[str, str, str, str] | None:
    """``<id> <code>[/<secondary code>] [note]`` -> (id, label, secondary, note)."""
    parts = line.strip().split(maxsplit=2)
    if len(parts) < 2 or line.lstrip().startswith("#"):
        return None
    code, _, sec = parts[1].partition("/")
    label = CODES[code.upper()]
    secondary = CODES[sec.upper()] if sec else ""
    return parts[0], label, secondary, parts[2] if len(parts) > 2 else ""


def cmd_show(cfg: ShowConfig) -> None:
    items = load_items()
    rules = rule_labels(items)
    found = candidates(items, rules, cfg, labelled_ids(LABEL_FILE))
    print(f"# {len(found)} candidates")
    for it in found[: cfg.n]:
        print(format_item(it, rules[it["id"]], cfg.chars))


def cmd_write(lines: Iterable[str]) -> None:
    items = load_items()
    rules = rule_labels(items)
    done = labelled_ids(LABEL_FILE)
    recs = []
    for line in lines:
        parsed = parse_line(line)
        if parsed is None:
            continue
        item_id, label, secondary, note = parsed
        if item_id not in items:
            raise SystemExit(f"unknown id {item_id}")
        if item_id in done:
            print(f"skip duplicate {item_id}", file=sys.stderr)
            continue
        done.add(item_id)
        recs.append(make_row(item_id, label, rules[item_id], note, secondary))
    print(f"appended {append_rows(recs, LABEL_FILE, skip_seen=False)}")


def cmd_stats() -> None:
    items = load_items()
    recs = read_rows(LABEL_FILE)
    print("label x method:", Counter((r["label"], r["method"]) for r in recs))
    ca = [r for r in recs if r["label"] == "civil_affairs"]
    print("civil_affairs by year:", sorted(Counter(items[r["id"]]["date"][:4] for r in ca).items()))
    neg = [r for r in recs if r["label"] != "civil_affairs"]
    print("non-civil by year:", sorted(Counter(items[r["id"]]["date"][:4] for r in neg).items()))
    for line in rule_precision_lines(recs, "rule={lab}: {n} read, kept {kept} ({share:.1%})"):
        print(line)
    rule_ca = [r for r in recs if r["label"] == "civil_affairs"]
    hit = sum(r["rule_label"] == "civil_affairs" for r in rule_ca)
    print(f"recall of rule on read civil_affairs: {hit}/{len(rule_ca)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show")
    s.add_argument("--pattern", default=ShowConfig.pattern)
    s.add_argument("--year", default="")
    s.add_argument("--rule", default="")
    s.add_argument("--title-only", action="store_true")
    s.add_argument("--n", type=int, default=25)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--chars", type=int, default=200)
    s.add_argument("--head", type=int, default=0)
    sub.add_parser("write")
    sub.add_parser("stats")
    args = ap.parse_args(argv)
    if args.cmd == "show":
        cmd_show(
            ShowConfig(
                args.pattern,
                args.year,
                args.rule,
                args.title_only,
                args.n,
                args.seed,
                args.chars,
                args.head,
            )
        )
    elif args.cmd == "write":
        cmd_write(sys.stdin)
    else:
        cmd_stats()


if __name__ == "__main__":
    main()
