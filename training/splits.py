"""Train/dev/test split rule shared by every dataset: by date, and by source for undated items.

xwlb items: train up to ``TRAIN_END``, dev up to ``DEV_END``, test after (2025-01-01 …
2026-03-31). Undated items (``local_rare``, a different source) are split by a stable hash of
their id: 50 % train, 20 % dev, 30 % test.
"""

from __future__ import annotations

import hashlib

TRAIN_END = "20231231"
DEV_END = "20241231"


def split_of(item_id: str, date: str) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for one corpus item."""
    if date:
        if date <= TRAIN_END:
            return "train"
        return "dev" if date <= DEV_END else "test"
    h = int(hashlib.sha1(item_id.encode()).hexdigest()[:8], 16) % 10
    return "train" if h < 5 else ("dev" if h < 7 else "test")
