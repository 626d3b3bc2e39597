"""Out-of-domain headline sets for the summariser: other outlets, local rare news, the seed page.

None of these texts trained the summariser (it learned from CCTV pairs up to 2023). Sets:

* ``event_web``, ``tech_business``, ``overseas``: ``other_outlets.jsonl.gz`` by outlet group
  (:data:`OUTLET_GROUPS`, :func:`outlet_group`);
* ``local_rare``: ``local_rare.jsonl`` (county media on the two rare domains);
* ``seed_page``: the seed page's nine articles, segmented and matched to their gold headlines.

Every item is ``{"id", "set", "split", "source", "reference"}``: ``source`` the body (the
``（原标题：…）`` line removed), ``reference`` the item's own cleaned headline
(:func:`clean_headline`). ``split`` is ``dev`` or ``test`` by a hash of the id
(:func:`split_of`), so later sessions choose models on dev and report test; the sample of a set
(:func:`sample`) is fixed by a seeded hash too, so it does not depend on file order.

Example::

    from nlp.evaluation.summary_sets import build_sets
    sets = build_sets(split="test", n=100)     # {"event_web": [...], ...}
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from nlp import paths
from nlp.io import read_jsonl

# Feeds of cn-news-hub by group; every EventMonitor item (2016–2018 web news gathered around
# 13 public events) is ``event_web`` whatever its ``outlet``.
OUTLET_GROUPS: dict[str, tuple[str, ...]] = {
    "tech_business": ("虎嗅网", "少数派", "少数派 SSPAI", "财新网 - 首页资讯"),
    "overseas": (
        "联合早报",
        "联合早报 - 财经",
        "法广RFI中文",
        "德国之声中文网",
        "纽约时报中文网",
        "联合国新闻 - 中文",
        "联合国新闻 - 综合",
        "世界卫生组织 - 中文",
        "朝鲜日报中文",
        "日经中文网",
        "FT中文网",
        "RFA自由亚洲",
        "端传媒",
    ),
}
EVENT_SOURCE_PREFIX = "liuhuanyong/EventMonitor"
OUTLET_SETS = ("event_web", "tech_business", "overseas")
SET_NAMES = (*OUTLET_SETS, "local_rare", "seed_page")
MIN_BODY_CHARS = 60

_PART_RE = re.compile(r"\s+[-|｜]\s+")  # "南方周末 - …", "具透 | …", "… - cnBeta.COM"
_SUFFIX_RE = re.compile(r"_[^\s_]{2,16}$")  # "…_新浪新闻"
_ORIGINAL_TITLE_RE = re.compile(r"^\s*[（(]?原标题[：:][^\n）)]*[）)]?\s*")


def clean_headline(title: str) -> str:
    """``title`` without a site suffix, a column or outlet prefix, or a ``（原标题：…）`` part.

    Example:
        >>> clean_headline("南方周末 - 杭州保姆纵火案中止审理")
        '杭州保姆纵火案中止审理'
        >>> clean_headline("具透 | iOS 27 首个公开测试版来了")
        'iOS 27 首个公开测试版来了'
        >>> clean_headline("华为发布新机_新浪科技")
        '华为发布新机'
    """
    text = re.sub(r"[（(]原标题[：:][^）)]*[）)]", "", title or "").strip()
    # Of the parts around " - " / " | ", the headline is the one with the most Chinese.
    parts = [p for p in _PART_RE.split(text) if p.strip()] or [text]
    text = max(parts, key=lambda p: (sum("\u4e00" <= ch <= "\u9fff" for ch in p), len(p)))
    return _SUFFIX_RE.sub("", text).strip()


def clean_body(body: str) -> str:
    """``body`` without a leading ``（原标题：…）`` or ``原标题：…`` line.

    Example:
        >>> clean_body("（原标题：中兴的2017）\\n中兴被罚。")
        '中兴被罚。'
    """
    return _ORIGINAL_TITLE_RE.sub("", body or "", count=1).strip()


def outlet_group(item: dict) -> str | None:
    """The set of an ``other_outlets`` item (``event_web``, ``tech_business``, ``overseas``),
    or ``None`` for a feed in no group.

    Example:
        >>> outlet_group({"source": "enxpower/cn-news-hub@a0", "outlet": "虎嗅网"})
        'tech_business'
    """
    if str(item.get("source", "")).startswith(EVENT_SOURCE_PREFIX):
        return "event_web"
    outlet = item.get("outlet") or ""
    return next((name for name, feeds in OUTLET_GROUPS.items() if outlet in feeds), None)


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def split_of(item_id: str) -> str:
    """``dev`` or ``test`` for an item id, half each by a hash (stable across runs).

    Example:
        >>> split_of("pages-000000") in ("dev", "test")
        True
    """
    return "dev" if _hash(f"split:{item_id}") % 2 == 0 else "test"


def sample(items: list[dict], n: int, seed: int = 0) -> list[dict]:
    """Up to ``n`` items (all with ``n <= 0``), chosen by a seeded hash of their ids and kept in
    that order, so the same items come back whatever the order of ``items``."""
    ranked = sorted(items, key=lambda it: _hash(f"{seed}:{it['id']}"))
    return ranked if n <= 0 else ranked[:n]


def _item(raw: dict, set_name: str) -> dict | None:
    body, title = clean_body(raw.get("body", "")), clean_headline(raw.get("title", ""))
    if not title or len(body) < MIN_BODY_CHARS:
        return None
    return {
        "id": raw["id"],
        "set": set_name,
        "split": split_of(raw["id"]),
        "source": body,
        "reference": title,
    }


def outlet_sets(path: str | Path | None = None) -> dict[str, list[dict]]:
    """``other_outlets.jsonl.gz`` as ``{set name: items}`` for :data:`OUTLET_SETS`."""
    path = Path(path) if path else paths.corpora_dir() / "other_outlets.jsonl.gz"
    out: dict[str, list[dict]] = {name: [] for name in OUTLET_SETS}
    for raw in read_jsonl(path):
        group = outlet_group(raw)
        item = _item(raw, group) if group else None
        if item is not None:
            out[group].append(item)
    return out


def local_rare_set(path: str | Path | None = None) -> list[dict]:
    """``local_rare.jsonl`` as items of the set ``local_rare``."""
    path = Path(path) if path else paths.corpora_dir() / "local_rare.jsonl"
    items = (_item(raw, "local_rare") for raw in read_jsonl(path))
    return [it for it in items if it is not None]


def seed_page_set(gold_dir: str | Path | None = None, pages_dir: str | Path | None = None):
    """The seed pages' gold articles (body as segmented, gold headline without its spaces) as
    items of the set ``seed_page``; articles the segmenter missed are left out. All are
    ``test``: nine articles are too few to choose a model on."""
    from nlp.evaluation.gold import match_gold
    from nlp.evaluation.segmentation import load_gold
    from nlp.io import read_text_file
    from nlp.segment import segment_page

    gold_dir = Path(gold_dir) if gold_dir else paths.seed_gold().parent
    pages_dir = Path(pages_dir) if pages_dir else paths.seeds_dir()
    items = []
    for gold_file in sorted(gold_dir.glob("*.gold.jsonl")):
        page = pages_dir / gold_file.name.replace(".gold.jsonl", ".txt")
        articles = segment_page(read_text_file(page), source=page.stem)
        for k, row in enumerate(load_gold(gold_file)):
            art = match_gold(row, articles)
            if art is not None and art.body.strip():
                ref = "".join(row["title"].split())
                item_id = f"{page.stem}:{k}"
                items.append(
                    {
                        "id": item_id,
                        "set": "seed_page",
                        "split": "test",
                        "source": art.body,
                        "reference": ref,
                    }
                )
    return items


def build_sets(
    names: tuple[str, ...] = SET_NAMES, split: str = "test", n: int = 200, seed: int = 0
) -> dict[str, list[dict]]:
    """The named sets, each limited to ``split`` (``dev``, ``test`` or ``all``) and to a fixed
    sample of ``n`` items (:func:`sample`; ``n <= 0`` keeps all).

    Raises:
        ValueError: an unknown set name or split.
    """
    unknown = [name for name in names if name not in SET_NAMES]
    if unknown or split not in ("dev", "test", "all"):
        raise ValueError(f"unknown set {unknown} or split {split!r}; sets: {SET_NAMES}")
    found: dict[str, list[dict]] = {}
    if any(name in OUTLET_SETS for name in names):
        found.update(outlet_sets())
    if "local_rare" in names:
        found["local_rare"] = local_rare_set()
    if "seed_page" in names:
        found["seed_page"] = seed_page_set()
    out = {}
    for name in names:
        items = found[name]
        if split != "all" and name != "seed_page":
            items = [it for it in items if it["split"] == split]
        out[name] = sample(items, n, seed)
    return out
