"""Labelling helper for the ``other`` class and the rules' precision on the whole corpus.

Two fixed random samples of ``xwlb`` items are read by hand and labelled:

* ``other``: 600 items whose rule label is ``other``, stratified by year (proportional
  allocation, largest remainder), drawn with ``random.Random(13)``;
* ``uniform``: 250 items drawn uniformly from all xwlb items, regardless of the rule label,
  with ``random.Random(14)``.

Labels are appended to ``data/labels/other.jsonl`` as they are decided. Usage, from the repo
root::

    python -m training.labelling.other show other 0 25        # print a batch to read
    python -m training.labelling.other write other 0 25 3=public_security:"note" ...
    python -m training.labelling.other stats                  # precision and class shares
    python -m training.labelling.other tag                    # list every row's samples

``write`` labels every item of the batch ``other`` except the ones given as
``INDEX=LABEL[/SECONDARY][:NOTE]`` (index within the whole sample); ``INDEX=other:NOTE`` just
adds a note.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.labels import LABELS, check_label
from training.corpus import iter_corpus
from training.labelling.common import label_file
from training.rules import rule_label

LABEL_FILE = label_file("other")
XWLB_FILE = "xwlb.jsonl.gz"
RULE_CACHE = Path("/tmp/other_helper_rule_labels.json")


@dataclass(frozen=True)
class SampleSpec:
    """One fixed random sample of xwlb items."""

    name: str
    size: int
    seed: int
    rule_filter: str | None  # keep only items with this rule label; None keeps all
    by_year: bool  # stratify by year (proportional allocation)


SAMPLES: dict[str, SampleSpec] = {
    "other": SampleSpec("other600_seed13", 600, 13, "other", True),
    "uniform": SampleSpec("uniform250_seed14", 250, 14, None, False),
}


@lru_cache(maxsize=1)
def xwlb_items() -> dict[str, dict]:
    """The items of ``xwlb.jsonl.gz`` only, keyed by id."""
    return {item["id"]: item for item in iter_corpus(XWLB_FILE)}


@lru_cache(maxsize=1)
def rule_labels() -> dict[str, str]:
    """Rule label of every xwlb item (cached on disk in /tmp, recomputed if stale)."""
    items = xwlb_items()
    if RULE_CACHE.exists():
        cached = json.loads(RULE_CACHE.read_text(encoding="utf-8"))
        if len(cached) == len(items):
            return cached
    labels = {k: rule_label(v["title"] or "", v["body"] or "").label for k, v in items.items()}
    RULE_CACHE.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    return labels


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Split ``size`` over strata proportionally to ``counts`` (largest remainder)."""
    total = sum(counts.values())
    exact = {k: size * c / total for k, c in counts.items()}
    alloc = {k: int(v) for k, v in exact.items()}
    rest = size - sum(alloc.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - alloc[k]), k))[:rest]:
        alloc[k] += 1
    return alloc


def draw_sample(spec: SampleSpec) -> list[str]:
    """The ids of one sample, deterministic for a given corpus and seed, sorted by date."""
    labels = rule_labels()
    items = xwlb_items()
    pool = sorted(k for k in items if spec.rule_filter is None or labels[k] == spec.rule_filter)
    rng = random.Random(spec.seed)
    if not spec.by_year:
        ids = rng.sample(pool, spec.size)
    else:
        strata: dict[str, list[str]] = defaultdict(list)
        for k in pool:
            strata[items[k]["date"][:4]].append(k)
        alloc = allocate({y: len(v) for y, v in strata.items()}, spec.size)
        ids = [k for y in sorted(strata) for k in rng.sample(strata[y], alloc[y])]
    return sorted(ids, key=lambda k: (items[k]["date"], k))


def show(sample: str, start: int, n: int, chars: int = 200) -> None:
    """Print a batch of one sample to read: index, id, date, rule label, title, body head."""
    items = xwlb_items()
    labels = rule_labels()
    for i, k in enumerate(draw_sample(SAMPLES[sample])[start : start + n], start):
        it = items[k]
        body = (it["body"] or "").replace("\n", " ")[:chars]
        print(f"[{i}] {k} {it['date']} rule={labels[k]}\n  T: {it['title']}\n  B: {body}\n")


def append_jsonl(path: Path, rows: list[dict]) -> None:
    """Append rows as JSON lines (UTF-8, one object per line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """All rows of a JSON-lines file ([] if missing)."""
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def parse_override(arg: str) -> tuple[int, str, str, str]:
    """``"3=water_management/civil_affairs:note"`` → ``(3, label, secondary, note)``."""
    idx, rest = arg.split("=", 1)
    labels, _, note = rest.partition(":")
    label, _, secondary = labels.partition("/")
    return int(idx), check_label(label), check_label(secondary) if secondary else "", note


def make_row(
    item_id: str, label: str, rule: str, sample: str, note: str = "", secondary: str = ""
) -> dict:
    """One label record; ``method`` is ``read`` if the rule agreed, else ``corrected``."""
    row = {
        "id": item_id,
        "label": check_label(label),
        "method": "read" if label == rule else "corrected",
        "rule_label": rule,
        "sample": sample,
    }
    if secondary:
        row["secondary"] = check_label(secondary)
    if note:
        row["note"] = note
    return row


def write(sample: str, start: int, n: int, overrides: list[str]) -> None:
    """Append labels for a read batch: ``other`` unless overridden by ``INDEX=LABEL[:NOTE]``."""
    spec = SAMPLES[sample]
    ids = draw_sample(spec)
    labels = rule_labels()
    done = {r["id"] for r in read_jsonl(LABEL_FILE)}
    over = {i: (lab, sec, note) for i, lab, sec, note in map(parse_override, overrides)}
    bad = [i for i in over if not start <= i < start + n]
    if bad:
        raise ValueError(f"override index outside batch {start}..{start + n - 1}: {bad}")
    rows = []
    for i in range(start, min(start + n, len(ids))):
        if ids[i] in done:
            continue  # already labelled (e.g. in the other sample); membership is recomputed
        lab, sec, note = over.get(i, ("other", "", ""))
        rows.append(make_row(ids[i], lab, labels[ids[i]], spec.name, note, sec))
    append_jsonl(LABEL_FILE, rows)
    print(f"appended {len(rows)} rows; corrected: {sum(r['method'] == 'corrected' for r in rows)}")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n`` (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def tag_samples() -> None:
    """Rewrite the label file once so every row lists all samples it belongs to (``sample``)."""
    rows = read_jsonl(LABEL_FILE)
    members: dict[str, list[str]] = defaultdict(list)
    for spec in SAMPLES.values():
        for k in draw_sample(spec):
            members[k].append(spec.name)
    for r in rows:
        r["sample"] = members.get(r["id"], [])
    LABEL_FILE.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"tagged {len(rows)} rows; in both samples: {sum(len(r['sample']) > 1 for r in rows)}")


def precision_by_rule(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """For each rule label: (items whose read label agrees, items read)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        out[r["rule_label"]][1] += 1
        out[r["rule_label"]][0] += r["label"] == r["rule_label"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def stats() -> None:
    """Print counts, the rules' precision on both samples and the uniform sample's shares."""
    by_id = {r["id"]: r for r in read_jsonl(LABEL_FILE)}
    print("rows:", len(by_id), dict(Counter((r["label"], r["method"]) for r in by_id.values())))
    for name, spec in SAMPLES.items():
        rows = [by_id[k] for k in draw_sample(spec) if k in by_id]
        print(f"\n== sample {spec.name}: {len(rows)}/{spec.size} labelled")
        for lab, (ok, tot) in sorted(precision_by_rule(rows).items()):
            lo, hi = wilson(ok, tot)
            print(f"  rule={lab:22s} kept {ok}/{tot} = {ok / tot:.3f}  (95% CI {lo:.3f}-{hi:.3f})")
        gold = Counter(r["label"] for r in rows)
        rule = Counter(r["rule_label"] for r in rows)
        if name == "uniform" and rows:
            ok = sum(r["label"] == r["rule_label"] for r in rows)
            lo, hi = wilson(ok, len(rows))
            print(
                f"  overall rule accuracy {ok}/{len(rows)} = {ok / len(rows):.3f}"
                f"  (95% CI {lo:.3f}-{hi:.3f})"
            )
        pool = sum(1 for v in rule_labels().values() if spec.rule_filter in (None, v))
        for lab in LABELS:
            lo, hi = wilson(gold[lab], len(rows))
            share = gold[lab] / max(1, len(rows))
            print(
                f"  {lab:22s} read {gold[lab]:4d} ({share:.3f}, CI {lo:.3f}-{hi:.3f},"
                f" ~{round(pool * share)} of {pool})  rule {rule[lab]:4d}"
            )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args[0] if args else "stats"
    if cmd == "show":
        show(args[1], int(args[2]), int(args[3]))
    elif cmd == "write":
        write(args[1], int(args[2]), int(args[3]), args[4:])
    elif cmd == "stats":
        stats()
    elif cmd == "tag":
        tag_samples()
    else:
        raise SystemExit(f"unknown command {cmd!r}; use show, write or stats")


if __name__ == "__main__":
    main()
