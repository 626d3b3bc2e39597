"""Candidate batches and a label writer for the two rare domains.

The rare domains are ``agri_insurance`` and ``disability_employment``. This script prints corpus
items (id, date, rule label, headline, start of body and keyword-in-context snippets) for a
human to read, and appends the labels decided on to ``data/labels/rare.jsonl``. Nothing here
decides a label: the reader does.

A candidate needs two patterns to co-occur (insurance *and* farming; disability *and* work),
optionally within a window of characters, which finds the items that a single keyword misses
and the many-topic briefs where the two words sit in different paragraphs.

Usage (from the repository root)::

    python -m training.labelling.rare show --preset ai --limit 30
    python -m training.labelling.rare show --preset de --window 40 --offset 30
    python -m training.labelling.rare show --pattern '农业保险' --title-only
    python -m training.labelling.rare write < labels.txt
    python -m training.labelling.rare summary

``write`` reads lines ``<id> <label> [note...] [| secondary]`` and records the rule label and
the method (``read`` when the rule agreed, ``corrected`` when it did not).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nlp.labels import RARE_LABELS
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

LABEL_FILE = label_file("rare")

INSURANCE = r"保险|理赔|投保|承保|保费|农险|赔付|赔款|定损"
FARM = (
    r"农业|农户|农民|种植|养殖|小麦|水稻|玉米|稻谷|生猪|母猪|奶牛|肉牛|牛羊|果农|果园|果树|"
    r"林业|森林|林木|大棚|农作物|粮|蔬菜|茶|烟叶|棉花|渔|牧|畜|三农|涉农|农村|农房|农机|"
    r"苹果|橡胶|甘蔗|大豆|油菜|马铃薯|土豆|藏系羊|牦牛"
)
DISABLED = r"残疾|残联|残障|盲人|聋|肢残|智障|听障|视障|轮椅|手语|截肢|失明|瘫"
WORK = (
    r"就业|职业|技能|培训|招聘|岗位|创业|工作|上岗|务工|手艺|增收|车间|企业|按摩|工厂|"
    r"致富|创收|脱贫|工坊|经营|开店|电商|直播|养殖|种植|福利企业|按比例"
)

PRESETS: dict[str, tuple[str, str]] = {
    "ai": (INSURANCE, FARM),
    "de": (DISABLED, WORK),
}


@dataclass(frozen=True)
class BatchConfig:
    """Which items to print.

    Args:
        pattern: regex that must match the headline (or headline + body).
        second: optional regex that must also match; with ``window`` it must fall within
            ``window`` characters of a ``pattern`` hit.
        window: co-occurrence window in characters (0: anywhere in the text).
        year: keep items whose date starts with this.
        rule: keep items with this rule label.
        title_only: match ``pattern`` on the headline only.
        exclude: drop items whose headline matches this regex.
        limit, offset: the slice of candidates to print.
        body_chars: how much of the body to print.
        kwic: how many keyword-in-context snippets to print per item.
    """

    pattern: str = INSURANCE
    second: str | None = FARM
    window: int = 0
    year: str | None = None
    rule: str | None = None
    title_only: bool = False
    exclude: str | None = None
    limit: int = 25
    offset: int = 0
    body_chars: int = 200
    kwic: int = 2

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window!r}")
        if self.limit < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit!r}")


def full_text(item: dict) -> str:
    """Headline and body joined by a newline."""
    return f"{item.get('title') or ''}\n{item.get('body') or ''}"


def cooccur(text: str, first: str, second: str, window: int) -> bool:
    """Whether ``second`` matches within ``window`` characters of a ``first`` hit.

    >>> cooccur("小麦保险理赔", "保险", "小麦", 3)
    True
    >>> cooccur("小麦。" + "x" * 50 + "车险", "险", "小麦", 10)
    False
    """
    if window == 0:
        return bool(re.search(first, text) and re.search(second, text))
    for m in re.finditer(first, text):
        lo, hi = max(0, m.start() - window), m.end() + window
        if re.search(second, text[lo:hi]):
            return True
    return False


def matches(item: dict, cfg: BatchConfig) -> bool:
    """Whether an item fits the batch configuration (rule filter excluded)."""
    if cfg.year and not (item.get("date") or "").startswith(cfg.year):
        return False
    title = item.get("title") or ""
    text = full_text(item)
    if not re.search(cfg.pattern, title if cfg.title_only else text):
        return False
    if cfg.second and not cooccur(text, cfg.pattern, cfg.second, cfg.window):
        return False
    return not (cfg.exclude and re.search(cfg.exclude, title))


def candidates(items: dict[str, dict], cfg: BatchConfig, skip: set[str]) -> Iterator[dict]:
    """Unlabelled items fitting ``cfg``, in corpus order."""
    return common.candidates(items, lambda item: matches(item, cfg), skip, cfg.rule)


def snippets(text: str, pattern: str, n: int, width: int = 40) -> list[str]:
    """Up to ``n`` keyword-in-context snippets of ``pattern`` in ``text``, non-overlapping."""
    out: list[str] = []
    last_end = -1
    for m in re.finditer(pattern, text):
        if m.start() < last_end:
            continue
        lo, hi = max(0, m.start() - width), min(len(text), m.end() + width)
        out.append(text[lo:hi].replace("\n", " / "))
        last_end = hi
        if len(out) >= n:
            break
    return out


def format_item(item: dict, cfg: BatchConfig) -> str:
    """One item as a short block for reading."""
    body = (item.get("body") or "").replace("\n", " / ")
    lines = [
        f"[{item['id']}] {item.get('date')} rule={rule_of(item)} len={len(body)}",
        f"  T: {item.get('title')}",
        f"  B: {body[: cfg.body_chars]}",
    ]
    lines += [f"  K: …{s}…" for s in snippets(item.get("body") or "", cfg.pattern, cfg.kwic)]
    return "\n".join(lines)


def summary(path: Path = LABEL_FILE) -> str:
    """Counts per label and method, per source, and the rules' precision on what was read."""
    rows = read_rows(path)
    lines = [f"rows: {len(rows)}"]
    lines.append(f"label: {sorted(Counter(r['label'] for r in rows).items())}")
    lines.append(f"method: {sorted(Counter(r['method'] for r in rows).items())}")
    lines.append(
        f"label x method: {sorted(Counter((r['label'], r['method']) for r in rows).items())}"
    )
    for lab in RARE_LABELS:
        src = Counter(r["id"].split("-")[0] for r in rows if r["label"] == lab)
        lines.append(f"{lab} by source: {sorted(src.items())}")
    lines += rule_precision_lines(rows, "precision rule={lab}: {kept}/{n} ({share:.1%})")
    for lab in RARE_LABELS:
        gold = [r for r in rows if r["label"] == lab]
        hit = sum(r["rule_label"] == lab for r in gold)
        if gold:
            lines.append(f"recall rule on read {lab}: {hit}/{len(gold)} ({hit / len(gold):.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``show`` a batch, ``write`` labels from stdin, or ``summary``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    show = sub.add_parser("show")
    show.add_argument("--preset", choices=sorted(PRESETS), help="ai or de pattern pair")
    show.add_argument("--pattern", help="first regex (overrides the preset's)")
    show.add_argument("--second", help="second regex; '' for none")
    show.add_argument("--window", type=int, default=0)
    show.add_argument("--year")
    show.add_argument("--rule")
    show.add_argument("--title-only", action="store_true")
    show.add_argument("--exclude")
    show.add_argument("--limit", type=int, default=25)
    show.add_argument("--offset", type=int, default=0)
    show.add_argument("--chars", type=int, default=200)
    show.add_argument("--kwic", type=int, default=2)
    show.add_argument("--count", action="store_true", help="only count candidates")
    show.add_argument("--skip-file", help="file of ids (one a line) read but left unlabelled")
    sub.add_parser("write")
    sub.add_parser("summary")
    args = ap.parse_args(argv)
    if args.cmd == "summary":
        print(summary())
        return
    items = load_items()
    if args.cmd == "write":
        n = append_rows(parse_label_lines(sys.stdin, items, check_secondary=True), LABEL_FILE)
        print(f"wrote {n} rows to {LABEL_FILE}")
        return
    first, second = PRESETS.get(args.preset or "", (INSURANCE, None))
    cfg = BatchConfig(
        pattern=args.pattern or first,
        second=(args.second or None) if args.second is not None else second,
        window=args.window,
        year=args.year,
        rule=args.rule,
        title_only=args.title_only,
        exclude=args.exclude,
        limit=args.limit,
        offset=args.offset,
        body_chars=args.chars,
        kwic=args.kwic,
    )
    skip = labelled_ids(LABEL_FILE)
    if args.skip_file and Path(args.skip_file).exists():
        skip |= set(Path(args.skip_file).read_text(encoding="utf-8").split())
    batch = list(candidates(items, cfg, skip))
    if args.count:
        print(f"# {len(batch)} candidates; showing {cfg.offset}..{cfg.offset + cfg.limit}")
        return
    print_batch(batch, cfg.offset, cfg.limit, lambda item: format_item(item, cfg))


if __name__ == "__main__":
    main()
