"""Candidate batches and a label writer for the ``water_management`` domain.

Prints corpus items (id, date, rule label, headline, start of body) for a human to read, and
appends the labels decided on to ``data/labels/water_management.jsonl``. Nothing here decides a
label: the reader does.

Usage (from the repository root)::

    python -m training.labelling.water_management show --pattern '水库|防汛' --year 2015
    python -m training.labelling.water_management write < labels.txt

``write`` reads lines ``<id> <label> [note...]`` and records the rule label and the method
(``read`` when the rule agreed, ``corrected`` when it did not).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from training.corpus import load_items
from training.labelling import common
from training.labelling.common import (
    append_rows,
    label_file,
    labelled_ids,
    parse_label_lines,
    print_batch,
    read_rows,
    rule_of,
    rule_precision_lines,
)

DOMAIN = "water_management"
LABEL_FILE = label_file(DOMAIN)

# Words that point at water-management work (a wider net than the rules' keywords).
WATER_PATTERN = (
    "水利|水库|大坝|灌溉|灌区|河长|湖长|巡河|清四乱|河道|防汛|抗旱|度汛|汛期|节水|水资源|"
    "南水北调|引水|调水|水土保持|水土流失|饮水|堤防|治水|水生态|流域|泄洪|蓄水|排涝|"
    "水文|洪水|汛情|旱情|河湖|水系|引江|引黄|三峡|水网|堤坝|溃坝|险情|抢险"
)


@dataclass(frozen=True)
class BatchConfig:
    """Which items to print: a regex over headline (and body), a year, a rule label."""

    pattern: str = WATER_PATTERN
    year: str | None = None
    rule: str | None = None
    title_only: bool = False
    exclude_pattern: str | None = None
    limit: int = 25
    offset: int = 0
    body_chars: int = 200
    sample: int = 0
    seed: int = 0


def matches(item: dict, cfg: BatchConfig) -> bool:
    """Whether an item fits the batch configuration (rule filter excluded)."""
    if cfg.year and not (item.get("date") or "").startswith(cfg.year):
        return False
    title = item.get("title") or ""
    text = title if cfg.title_only else f"{title}\n{item.get('body') or ''}"
    if not re.search(cfg.pattern, text):
        return False
    return not (cfg.exclude_pattern and re.search(cfg.exclude_pattern, title))


def candidates(items: dict[str, dict], cfg: BatchConfig, skip: set[str]) -> Iterator[dict]:
    """Unlabelled items fitting ``cfg``, in corpus order."""
    return common.candidates(items, lambda item: matches(item, cfg), skip, cfg.rule)


def format_item(item: dict, body_chars: int) -> str:
    """One item as a short block for reading."""
    body = (item.get("body") or "").replace("\n", " ")
    return (
        f"[{item['id']}] {item.get('date')} rule={rule_of(item)}\n"
        f"  T: {item.get('title')}\n  B: {body[:body_chars]}"
    )


def summary(path: Path = LABEL_FILE) -> str:
    """Counts per label, method, year and the rule's precision on what was read."""
    rows = read_rows(path)
    items = load_items()
    lines = [f"rows: {len(rows)}"]
    lines.append(
        f"label x method: {sorted(Counter((r['label'], r['method']) for r in rows).items())}"
    )
    water = [r for r in rows if r["label"] == DOMAIN]
    years = Counter((items[r["id"]].get("date") or "????")[:4] for r in water)
    lines.append(f"{DOMAIN} per year: {sorted(years.items())}")
    neg_years = Counter(
        (items[r["id"]].get("date") or "????")[:4] for r in rows if r["label"] != DOMAIN
    )
    lines.append(f"non-{DOMAIN} per year: {sorted(neg_years.items())}")
    lines += rule_precision_lines(rows, "rule={lab}: {kept}/{n} kept ({share:.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``show`` a batch, ``write`` labels from stdin, or ``summary``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    show = sub.add_parser("show")
    show.add_argument("--pattern", default=WATER_PATTERN)
    show.add_argument("--year")
    show.add_argument("--rule")
    show.add_argument("--title-only", action="store_true")
    show.add_argument("--exclude")
    show.add_argument("--limit", type=int, default=25)
    show.add_argument("--offset", type=int, default=0)
    show.add_argument("--chars", type=int, default=200)
    show.add_argument("--sample", type=int, default=0, help="random sample of this size")
    show.add_argument("--seed", type=int, default=0)
    sub.add_parser("write")
    sub.add_parser("summary")
    args = ap.parse_args(argv)
    if args.cmd == "summary":
        print(summary())
        return
    items = load_items()
    if args.cmd == "write":
        n = append_rows(parse_label_lines(sys.stdin, items), LABEL_FILE)
        print(f"wrote {n} rows to {LABEL_FILE}")
        return
    cfg = BatchConfig(
        pattern=args.pattern,
        year=args.year,
        rule=args.rule,
        title_only=args.title_only,
        exclude_pattern=args.exclude,
        limit=args.limit,
        offset=args.offset,
        body_chars=args.chars,
        sample=args.sample,
        seed=args.seed,
    )
    batch = list(candidates(items, cfg, labelled_ids(LABEL_FILE)))
    if cfg.sample and len(batch) > cfg.sample:
        picked = random.Random(cfg.seed).sample(range(len(batch)), cfg.sample)
        batch = [batch[i] for i in sorted(picked)]
    print_batch(batch, cfg.offset, cfg.limit, lambda item: format_item(item, cfg.body_chars))


if __name__ == "__main__":
    main()
