"""Train/dev/test split rule shared by every dataset: by date, and by source for undated items.

xwlb items: train up to ``TRAIN_END``, dev up to ``DEV_END``, test after (2025-01-01 …
2026-03-31). ``other_outlets`` items: :func:`outlet_split` (an outlet group only in test). Undated items (``local_rare``, a different source) are split by a stable hash of
their id: 50 % train, 20 % dev, 30 % test.
"""

from __future__ import annotations

import hashlib

TRAIN_END = "20231231"
DEV_END = "20241231"


TEST_OUTLETS = frozenset(
    ("联合早报", "联合早报 - 财经", "法广RFI中文", "德国之声中文网", "纽约时报中文网")
    + ("联合国新闻 - 中文", "联合国新闻 - 综合", "日经中文网", "朝鲜日报中文")
    + ("世界卫生组织 - 中文", "RFA自由亚洲", "FT中文网")
)
"""The 2026 foreign and wire feeds of ``other_outlets``: an outlet group seen only in test."""
OUTLET_DEV_FROM = {"cnnewshub": "20260720", "eventmonitor": "20170701"}
"""Other ``other_outlets`` items from these dates on are dev (the domestic feeds' last days;
the EventMonitor web news of 2017-H2 and 2018), the earlier ones train."""
OUTLET_PREFIXES = tuple(f"{source}-" for source in OUTLET_DEV_FROM)
"""How the ids of ``other_outlets`` items begin (one prefix per source)."""


def outlet_split(item_id: str, date: str, outlet: str) -> str:
    """``"train"``, ``"dev_ood"`` or ``"test_ood"`` for an ``other_outlets`` item: the foreign
    and wire feeds (:data:`TEST_OUTLETS`) are test only, the rest splits by date.

    Example:
        >>> outlet_split("cnnewshub-1", "20260601", "联合早报"), outlet_split("eventmonitor-9", "20180105", "")
        ('test_ood', 'dev_ood')
    """
    if outlet in TEST_OUTLETS:
        return "test_ood"
    source = item_id.split("-", 1)[0]
    return "dev_ood" if date and date >= OUTLET_DEV_FROM.get(source, "9") else "train"


def split_of(item_id: str, date: str, outlet: str | None = None) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for one corpus item; an ``other_outlets`` item
    (``outlet`` given, possibly empty) gets :func:`outlet_split`."""
    if outlet is not None:
        return outlet_split(item_id, date, outlet)
    if date:
        if date <= TRAIN_END:
            return "train"
        return "dev" if date <= DEV_END else "test"
    h = int(hashlib.sha1(item_id.encode()).hexdigest()[:8], 16) % 10
    return "train" if h < 5 else ("dev" if h < 7 else "test")
