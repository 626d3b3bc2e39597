"""Reading the shared corpora (never copied into this repo).

The corpora live in ``../shared/corpora`` relative to the repository root; set
``NEWSDESK_CORPORA`` to point elsewhere.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA_DIR = Path(os.environ.get("NEWSDESK_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
CORPUS_FILES = ("xwlb.jsonl.gz", "local_rare.jsonl")


def iter_corpus(name: str, corpora_dir: Path | None = None) -> Iterator[dict]:
    """Yield the JSON objects of one corpus file (``.jsonl`` or ``.jsonl.gz``)."""
    path = Path(corpora_dir or CORPORA_DIR) / name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


@lru_cache(maxsize=2)
def load_items(corpora_dir: str | None = None) -> dict[str, dict]:
    """All corpus items of every file, keyed by their unique ``id``."""
    items: dict[str, dict] = {}
    for name in CORPUS_FILES:
        for item in iter_corpus(name, Path(corpora_dir) if corpora_dir else None):
            items[item["id"]] = item
    return items


def item_text(item: dict) -> str:
    """Headline and body as one text, the way the classifier sees an article."""
    title = (item.get("title") or "").strip()
    body = (item.get("body") or "").strip()
    return f"{title}\n{body}" if title else body
