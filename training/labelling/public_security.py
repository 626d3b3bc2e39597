"""Candidate batches and a label writer for the ``public_security`` labelling pass.

Usage (from the repository root)::

    python training/labelling/public_security.py cache            # build the candidate cache
    python training/labelling/public_security.py batch --pool rule_ps --year 2024 --n 25
    python training/labelling/public_security.py write < decisions.txt
    python training/labelling/public_security.py stats

``write`` reads decision lines ``<id> <label> [note ...]`` and appends one JSON line per item to
``data/labels/public_security.jsonl``; ``method`` is ``read`` when the label agrees with the
keyword rule and ``corrected`` when it does not. Corpus text never enters the repository: the
cache lives in ``/tmp``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nlp.labels import LABELS
from training.labelling.common import append_rows as _append
from training.labelling.common import label_file, make_row, read_rows, rule_precision_lines
from training.rules import rule_label

LABEL_FILE = label_file("public_security")
CACHE_FILE = Path("/tmp/ps_label_cache.jsonl")

# Candidate pools: a regex over title + body (``rule_ps`` is the keyword rule itself).
POOLS: dict[str, str] = {
    # police words the rules miss or that mark likely positives
    "police": r"公安|民警|派出所|警务|交警|刑警|辅警|警方|扫黑除恶|反诈|禁毒|缉毒|国家安全|义警|巡防",
    # crime words in general (finds what the rules miss)
    "crime": r"诈骗|毒|治安|平安|押解|犯罪|走私|案件|警|安全教育|盗|拐",
    # hard negatives
    "fire": r"消防|安全生产|应急管理|救援队|安全隐患|矿难|安全检查",
    "court": r"法院|检察院|检察机关|审判|判决|宣判|公诉|一审|二审|终审",
    "foreign": r"枪击|警察|警方|恐怖袭击|袭击|爆炸|骚乱|示威",
    "military": r"解放军|部队|武警|军队|海军|空军|陆军|火箭军|演习|国防",
    "diplomatic": r"安全合作|安全局势|安全理事会|安理会|地区安全|安全问题|安全观|外交部发言人",
}


@dataclass(frozen=True)
class BatchConfig:
    """Which candidates to print."""

    pool: str = "rule_ps"
    year: str = ""
    n: int = 25
    seed: int = 0
    chars: int = 220
    title_re: str = ""
    rule: str = ""


def build_cache(path: Path = CACHE_FILE) -> int:
    """Write every corpus item that hits any pool (or the rule) to the /tmp cache."""
    from training.corpus import load_items

    any_re = re.compile("|".join(POOLS.values()))
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for item in load_items().values():
            text = f"{item['title']}\n{item['body']}"
            rl = rule_label(item["title"], item["body"]).label
            if rl == "public_security" or any_re.search(text):
                row = {k: item[k] for k in ("id", "date", "title", "body")}
                row["rule_label"] = rl
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    return n


def load_cache(path: Path = CACHE_FILE) -> list[dict]:
    """Candidate rows from the /tmp cache."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def labelled_ids(path: Path = LABEL_FILE) -> dict[str, dict]:
    """Rows already written to the label file, keyed by id."""
    return {r["id"]: r for r in read_rows(path)}


def in_pool(row: dict, pool: str) -> bool:
    """Whether a cached row belongs to a candidate pool."""
    if pool == "rule_ps":
        return row["rule_label"] == "public_security"
    return re.search(POOLS[pool], f"{row['title']}\n{row['body']}") is not None


def select(rows: list[dict], cfg: BatchConfig, done: set[str]) -> list[dict]:
    """Unlabelled rows of a pool and year, shuffled reproducibly, at most ``cfg.n``."""
    picked = [
        r
        for r in rows
        if r["id"] not in done
        and r["date"].startswith(cfg.year)
        and in_pool(r, cfg.pool)
        and (not cfg.title_re or re.search(cfg.title_re, r["title"]))
        and (not cfg.rule or r["rule_label"] == cfg.rule)
    ]
    random.Random(cfg.seed).shuffle(picked)
    return picked[: cfg.n]


def format_row(row: dict, chars: int) -> str:
    """One candidate as printed for reading."""
    body = row["body"].replace("\n", " ")[:chars]
    return f"{row['id']} {row['date']} [{row['rule_label']}] {row['title']}\n    {body}"


def rule_labels_for(ids: list[str], rows: list[dict]) -> dict[str, str]:
    """Rule label of each id: from the cache, else computed from the corpus itself."""
    rules = {r["id"]: r["rule_label"] for r in rows}
    missing = [i for i in ids if i not in rules]
    if missing:
        from training.corpus import load_items

        items = load_items()
        for i in missing:
            rules[i] = rule_label(items[i]["title"], items[i]["body"]).label
    return rules


def decision_row(line: str, rules: dict[str, str]) -> dict:
    """Turn ``<id> <label>[+secondary] [note]`` into a label-file row, method derived from the rule label."""
    parts = line.split(maxsplit=2)
    item_id, label = parts[0], parts[1]
    label, _, secondary = label.partition("+")
    if label not in LABELS or (secondary and secondary not in LABELS):
        raise ValueError(f"unknown label {label!r} for {item_id}")
    row = make_row(item_id, label, rules[item_id], secondary=secondary)
    if len(parts) > 2:
        row["note"] = parts[2]
    return row


def append_rows(rows: list[dict], path: Path = LABEL_FILE) -> None:
    """Append label rows as JSON lines (written as we go so no work is lost)."""
    _append(rows, path, skip_seen=False)


def stats(path: Path = LABEL_FILE, cache: list[dict] | None = None) -> str:
    """Counts per label/method/year and the rule's precision on what was read."""
    rows = list(labelled_ids(path).values())
    dates = {r["id"]: r["date"] for r in (cache or [])}
    if any(r["id"] not in dates for r in rows):
        from training.corpus import load_items

        items = load_items()
        dates.update({r["id"]: items[r["id"]]["date"] for r in rows if r["id"] not in dates})
    out = [f"items: {len(rows)}"]
    out.append(
        f"label x method: {sorted(Counter((r['label'], r['method']) for r in rows).items())}"
    )
    ps_years = Counter(dates.get(r["id"], "")[:4] for r in rows if r["label"] == "public_security")
    out.append(f"public_security by year: {sorted(ps_years.items())}")
    neg_years = Counter(dates.get(r["id"], "")[:4] for r in rows if r["label"] != "public_security")
    out.append(f"others by year: {sorted(neg_years.items())}")
    out += rule_precision_lines(rows, "rule={lab}: {kept}/{n} kept ({share:.1%})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=("cache", "batch", "write", "stats"))
    ap.add_argument("--pool", default="rule_ps", choices=("rule_ps", *POOLS))
    ap.add_argument("--year", default="")
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chars", type=int, default=220)
    ap.add_argument("--title-re", default="")
    ap.add_argument("--rule", default="")
    args = ap.parse_args(argv)
    if args.cmd == "cache":
        print(f"cached {build_cache()} candidates in {CACHE_FILE}")
        return
    rows = load_cache()
    if args.cmd == "batch":
        cfg = BatchConfig(
            args.pool, args.year, args.n, args.seed, args.chars, args.title_re, args.rule
        )
        for row in select(rows, cfg, set(labelled_ids())):
            print(format_row(row, cfg.chars))
    elif args.cmd == "write":
        lines = [ln for ln in sys.stdin if ln.strip() and not ln.startswith("#")]
        rules = rule_labels_for([ln.split()[0] for ln in lines], rows)
        done = labelled_ids()
        new = [decision_row(ln, rules) for ln in lines]
        new = [r for r in new if r["id"] not in done]
        append_rows(new)
        print(f"appended {len(new)}")
    else:
        print(stats(cache=rows))


if __name__ == "__main__":
    main()
