"""Stage 1 of the summariser: article body → headline pairs from the CCTV corpus.

Reads ``xwlb.jsonl.gz`` with :func:`training.corpus.iter_corpus`, cleans headlines and
bodies, drops unusable pairs, splits by date with the project's one rule
(:func:`training.splits.split_of`: train ≤ 2023-12-31 < dev ≤ 2024-12-31 < test) and writes
``train/dev/test.jsonl`` (fields ``id``, ``date``, ``body``, ``title``) to a cache folder
outside git (the corpus must not be redistributed). Only a small ``manifest.json`` with
counts, filters, file hashes and the seed-page check is written into the repository.

Seed page: it is a local daily, not CCTV, but it reprints one national wire story (the
first meeting of the 20th Central National Security Commission) that CCTV also aired as
``xwlb-20230530-4044``; :func:`seed_overlap` finds such items by verbatim sentences and they
are left out of the pairs, so the seed page stays unseen by the summariser.

Cleaning, decided by reading the data (counts from the full corpus):

* headline prefixes removed: any leading ``【…】`` series block (``【新思想引领新征程】`` 419
  times, ``【新春走基层】`` 177, …), leading ``[…]``/``（…）`` blocks, trailing ``【…】``
  blocks (``…【喜迎十八大】``) and genre labels that the body cannot predict
  (``人民日报社论：``, ``新华社长篇通讯：``, ``国际锐评：``, ``新闻特写：``, ``焦点访谈：`` …).
  Speaker and place prefixes (``普京：``, ``世卫：``, ``北京：``) are content and stay;
* body boilerplate removed: leading ``本台消息：``/``央视网消息：``/``中国网络电视台消息：``
  datelines and trailing ``（责任编辑：…）``/``(视频编辑：… 文字编辑：…)`` credits;
* dropped: generic headlines with no content of their own — the news-brief compilations
  ``国际联播快讯``/``国内联播快讯``/``联播快讯``/``国内联播简讯`` (several stories under one
  title), ``编后话``, ``节目预告``, and headlines that are just a series name (``大美中国``,
  ``时代先锋``: any text also used as a ``【…】`` series prefix in the corpus); headlines
  outside 5–50 characters after cleaning or not shorter than half the body; bodies outside
  60–4000 characters; exact-duplicate bodies (first kept); repeated headlines beyond the
  first ``max_title_repeats`` in a split (templated headlines such as
  ``国家卫生健康委通报最新疫情``, 742 times, would otherwise dominate training and scoring).

Usage::

    python -m training.prepare_summaries            # pairs to ~/.cache/newsdesk/summaries/
    python -m training.prepare_summaries --out /tmp/pairs --manifest-dir data/summaries
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nlp import paths
from training.corpus import iter_corpus
from training.splits import DEV_END, TRAIN_END, split_of

SPLITS: tuple[str, ...] = ("train", "dev", "test")

CORPUS = "xwlb.jsonl.gz"
# ``None``: resolved at call time by :func:`pairs_dir` (so ``$NEWSDESK_CACHE`` set later counts).
DEFAULT_OUT = None
DEFAULT_MANIFEST_DIR = paths.data_dir() / "summaries"


def pairs_dir() -> Path:
    """Where the pairs are written and read: ``$NEWSDESK_CACHE/summaries`` (outside git)."""
    return paths.cache_dir() / "summaries"


@dataclass
class PrepareConfig:
    """Filters for body → headline pairs (lengths in characters, after cleaning)."""

    min_title_chars: int = 5  # shorter headlines are names or series labels, not summaries
    max_title_chars: int = 50  # 99th percentile of raw headlines is 59
    min_body_chars: int = 60  # the corpus already dropped bodies under 60
    max_body_chars: int = 4000  # 99th percentile is ~1,700; longer ones are transcripts
    max_title_repeats: int = 2  # copies of one headline kept per split
    generic_titles: tuple[str, ...] = ("编后话", "节目预告", "本台短评", "本台评论", "新闻特写")

    def __post_init__(self) -> None:
        if not 0 < self.min_title_chars <= self.max_title_chars:
            raise ValueError(
                f"need 0 < min_title_chars <= max_title_chars, got "
                f"{self.min_title_chars!r}, {self.max_title_chars!r}"
            )
        if not 0 < self.min_body_chars <= self.max_body_chars:
            raise ValueError(
                f"need 0 < min_body_chars <= max_body_chars, got "
                f"{self.min_body_chars!r}, {self.max_body_chars!r}"
            )
        if self.max_title_repeats < 1:
            raise ValueError(f"max_title_repeats must be >= 1, got {self.max_title_repeats!r}")


# --------------------------------------------------------------------------------------------
# cleaning
# --------------------------------------------------------------------------------------------

_LEADING_BLOCK_RE = re.compile(r"^\s*(?:【[^】]*】|\[[^\]]*\]|（[^）]*）|\([^)]*\))\s*")
_TRAILING_BLOCK_RE = re.compile(r"\s*【[^】]*】\s*$")
_GENRE_PREFIX_RE = re.compile(
    r"^\s*(?:(?:人民日报|新华社|光明日报|经济日报|《求是》)[^：:“”《]{0,10}"
    r"|新闻特写|国际锐评|焦点访谈|央视快评|央视短评|本台短评|本台评论|新华时评|记者调查"
    r"|记者观察|记者探访|新闻背景|新闻现场|真相调查|权威访谈|权威解读|大湾区之声热评"
    r"|最新消息|快讯|视频|图文)\s*[：:]\s*"
)
_BRIEFS_RE = re.compile(r"^(?:国内|国际)?联播(?:快讯|简讯)$|^(?:国内|国际)?(?:快讯|简讯)$")
_SERIES_RE = re.compile(r"【([^】]+)】")
_BODY_DATELINE_RE = re.compile(
    r"^\s*(?:本台(?:最新)?消息|央视网\s*[(（]?(?:新闻联播)?[)）]?\s*消息"
    r"|中国网络电视台\s*[(（]?(?:新闻联播)?[)）]?\s*消息|新华社消息)\s*[：:，,]\s*"
)
_BODY_CREDITS_RE = re.compile(r"\s*[(（][^()（）]{0,6}编辑[：:][^()（）]{0,40}[)）]\s*$")


def clean_title(title: str) -> str:
    """Headline without series blocks and genre labels.

    Example:
        >>> clean_title("【新思想引领新征程】人民日报社论：奋进在充满希望的道路上")
        '奋进在充满希望的道路上'
        >>> clean_title("普京：俄方愿同各方合作")
        '普京：俄方愿同各方合作'
    """
    title = (title or "").strip()
    previous = None
    while title != previous:
        previous = title
        title = _LEADING_BLOCK_RE.sub("", title, count=1)
        title = _TRAILING_BLOCK_RE.sub("", title, count=1)
        title = _GENRE_PREFIX_RE.sub("", title, count=1)
    return title.strip()


def clean_body(body: str) -> str:
    """Body without the leading ``本台消息：``-style dateline and trailing editor credits.

    Example:
        >>> clean_body("本台消息：国务院召开会议。\\n（责任编辑：易佳）")
        '国务院召开会议。'
    """
    body = (body or "").strip()
    body = _BODY_DATELINE_RE.sub("", body, count=1)
    body = _BODY_CREDITS_RE.sub("", body)
    return body.strip()


def series_names(titles: Iterable[str]) -> set[str]:
    """Every text used inside a ``【…】`` block of some headline (a programme series name)."""
    names: set[str] = set()
    for title in titles:
        names.update(name.strip() for name in _SERIES_RE.findall(title or ""))
    return names


def is_generic_title(title: str, series: set[str], config: PrepareConfig) -> bool:
    """Whether a cleaned headline says nothing about its own story."""
    bare = title.strip().strip('“”"《》')
    return bool(_BRIEFS_RE.match(bare)) or bare in config.generic_titles or bare in series


def body_key(body: str) -> str:
    """Whitespace-free body text, the key for exact-duplicate detection."""
    return "".join(body.split())


# --------------------------------------------------------------------------------------------
# building the pairs
# --------------------------------------------------------------------------------------------


@dataclass
class PairStats:
    """What :func:`build_pairs` kept and why it dropped the rest."""

    read: int = 0
    dropped: Counter = field(default_factory=Counter)
    prefix_removed: int = 0
    body_cleaned: int = 0
    kept: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {
            "read": self.read,
            "dropped": dict(self.dropped.most_common()),
            "title_prefix_or_suffix_removed": self.prefix_removed,
            "body_dateline_or_credits_removed": self.body_cleaned,
            "kept": {s: self.kept[s] for s in SPLITS},
        }


def build_pairs(
    items: Iterable[dict],
    config: PrepareConfig | None = None,
    stats: PairStats | None = None,
    exclude_ids: Iterable[str] = (),
) -> dict[str, list[dict]]:
    """Clean, filter and split corpus items into ``{"train"|"dev"|"test": [pair, ...]}``.

    Each pair is ``{"id", "date", "body", "title"}`` with the cleaned headline and body.
    Items are processed in corpus order (chronological), so the first copy of a duplicate
    body and the earliest headlines are the ones kept. Items whose id is in ``exclude_ids``
    (e.g. those overlapping the seed page, see :func:`seed_overlap`) are dropped.
    """
    config = config or PrepareConfig()
    stats = stats if stats is not None else PairStats()
    items = list(items)
    exclude = set(exclude_ids)
    series = series_names(item.get("title", "") for item in items)
    seen_bodies: set[str] = set()
    title_counts: dict[str, Counter] = {s: Counter() for s in SPLITS}
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for item in items:
        stats.read += 1
        raw_title = (item.get("title") or "").strip()
        raw_body = (item.get("body") or "").strip()
        split = split_of(item["id"], item.get("date") or "")
        title = clean_title(raw_title)
        body = clean_body(raw_body)
        reason = None
        if item["id"] in exclude:
            reason = "overlaps_seed_page"
        elif not raw_title or not raw_body:
            reason = "empty_title_or_body"
        elif is_generic_title(title or raw_title, series, config):
            reason = "generic_title"
        elif len(title) < config.min_title_chars:
            reason = "title_too_short"
        elif len(title) > config.max_title_chars:
            reason = "title_too_long"
        elif len(body) < config.min_body_chars:
            reason = "body_too_short"
        elif len(body) > config.max_body_chars:
            reason = "body_too_long"
        elif 2 * len(title) >= len(body):
            reason = "title_not_shorter_than_half_body"
        elif body_key(body) in seen_bodies:
            reason = "duplicate_body"
        elif title_counts[split][title] >= config.max_title_repeats:
            reason = "repeated_title"
        if reason:
            stats.dropped[reason] += 1
            continue
        seen_bodies.add(body_key(body))
        title_counts[split][title] += 1
        stats.prefix_removed += title != raw_title
        stats.body_cleaned += body != raw_body
        stats.kept[split] += 1
        out[split].append({"id": item["id"], "date": item["date"], "body": body, "title": title})
    return out


def write_jsonl(rows: Iterable[dict], path: Path) -> str:
    """Write ``rows`` as UTF-8 JSON lines; return the file's SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            line = json.dumps(row, ensure_ascii=False) + "\n"
            f.write(line)
            digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def load_split(split: str, out_dir: str | Path | None = None) -> list[dict]:
    """The pairs of one split written by :func:`main` (``FileNotFoundError`` if not yet)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    path = Path(out_dir or pairs_dir()) / f"{split}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `python -m training.prepare_summaries`")
    return list(iter_jsonl(path))


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """The JSON objects of a ``.jsonl`` file."""
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def seed_overlap(items: Iterable[dict], seed_path: Path | None = None, min_chars: int = 12) -> dict:
    """Which sentences of the seed newspaper page occur verbatim in the corpus bodies.

    The seed page is a local daily (Xuchang police news), not CCTV, but a local paper also
    reprints national wire copy, so an article of it can coincide with a CCTV story. Every
    seed sentence of at least ``min_chars`` characters is looked up in every body, with
    whitespace removed on both sides (the page has hard line breaks).

    Returns:
        ``{"seed", "checked", "found", "found_examples", "ids", "min_chars"}``; ``ids`` are
        the corpus items containing a seed sentence (to keep out of training).
    """
    from nlp.text import split_sentences

    seed_path = Path(seed_path) if seed_path is not None else paths.seed_page()
    if not seed_path.exists():
        return {"seed": seed_path.name, "checked": 0, "found": 0, "ids": [], "note": "missing"}
    text = "".join(seed_path.read_text(encoding="utf-8").split())
    sentences = [s for s in split_sentences(text) if len(s) >= min_chars]
    items = list(items)
    keys = [body_key(item.get("body", "")) for item in items]
    haystack = "\x00".join(keys)
    found = [s for s in sentences if body_key(s) in haystack]
    found_keys = [body_key(s) for s in found]
    ids = sorted(
        item["id"]
        for item, key in zip(items, keys, strict=True)
        if any(f in key for f in found_keys)
    )
    return {
        "seed": seed_path.name,
        "checked": len(sentences),
        "found": len(found),
        "found_examples": [s[:30] for s in found[:3]],
        "ids": ids,
        "min_chars": min_chars,
    }


def split_stats(pairs: list[dict]) -> dict:
    """Size and median lengths of one split."""
    if not pairs:
        return {"n": 0}
    return {
        "n": len(pairs),
        "date_min": min(p["date"] for p in pairs),
        "date_max": max(p["date"] for p in pairs),
        "median_title_chars": float(statistics.median(len(p["title"]) for p in pairs)),
        "median_body_chars": float(statistics.median(len(p["body"]) for p in pairs)),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, help="folder for train/dev/test.jsonl (default: pairs_dir(), no git)"
    )
    parser.add_argument(
        "--manifest-dir",
        type=Path,
        default=DEFAULT_MANIFEST_DIR,
        help="folder in the repository for manifest.json (counts, filters, hashes)",
    )
    parser.add_argument("--corpora-dir", type=Path, default=None, help="shared corpora folder")
    parser.add_argument("--max-title-repeats", type=int, default=PrepareConfig.max_title_repeats)
    parser.add_argument(
        "--seed-page", type=Path, default=None, help="seed page to check (default: nlp.paths)"
    )
    parser.add_argument("--skip-seed-check", action="store_true", help="skip the seed check")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Build the pairs, write them and the manifest; return the manifest."""
    args = parse_args(argv)
    args.out = args.out or pairs_dir()
    config = PrepareConfig(max_title_repeats=args.max_title_repeats)
    items = list(iter_corpus(CORPUS, args.corpora_dir))
    seed = None if args.skip_seed_check else seed_overlap(items, args.seed_page)
    stats = PairStats()
    pairs = build_pairs(items, config, stats, exclude_ids=seed["ids"] if seed else ())
    hashes = {s: write_jsonl(pairs[s], args.out / f"{s}.jsonl") for s in SPLITS}
    manifest = {
        "corpus": CORPUS,
        "out_dir": "$NEWSDESK_CACHE/summaries" if args.out == pairs_dir() else args.out.name,
        "fields": ["id", "date", "body", "title"],
        "cutoffs": {
            "train": f"<= {TRAIN_END}",
            "dev": f"> {TRAIN_END} and <= {DEV_END}",
            "test": f"> {DEV_END}",
            "rule": "training.splits.split_of",
        },
        "config": asdict(config),
        "filters": stats.to_dict(),
        "splits": {s: split_stats(pairs[s]) for s in SPLITS},
        "sha256": hashes,
        "seed_check": seed,
    }
    args.manifest_dir.mkdir(parents=True, exist_ok=True)
    (args.manifest_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"read {stats.read} items; kept " + ", ".join(f"{s} {stats.kept[s]}" for s in SPLITS))
    print("dropped: " + ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common()))
    if seed:
        print(
            f"seed page sentences found in xwlb: {seed['found']} of {seed['checked']}, "
            f"in items {seed['ids']} (excluded from the pairs)"
        )
    print(f"pairs in {args.out}; manifest in {args.manifest_dir / 'manifest.json'}")
    return manifest


if __name__ == "__main__":
    main()
