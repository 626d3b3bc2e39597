"""Reading the shared corpora (never copied into this repo).

The corpora live in :func:`nlp.paths.corpora_dir` (``../shared/corpora`` beside the checkout,
or ``$NEWSDESK_CORPORA``). Each JSONL file (gzipped or not) is read once with
``datasets.load_dataset("json", ...)`` and kept as Arrow under :func:`nlp.paths.cache_dir`,
so later reads take about a second instead of parsing 45 MB of gzipped JSON again.

Example::

    from training.corpus import load_corpus, load_items
    load_corpus("xwlb.jsonl.gz").num_rows      # 101603
    load_items()["xwlb-20230530-4044"]["title"]
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from nlp import paths
from nlp.evaluation.data import CORPUS_FILES, item_text  # noqa: F401 - one definition


def datasets_cache() -> Path:
    """Where ``datasets`` keeps its Arrow copies of the corpora (under the project's cache)."""
    return paths.cache_dir() / "datasets"


def load_corpus(name: str, corpora_dir: Path | str | None = None):
    """One corpus file as a ``datasets.Dataset`` (columns: id, date, title, body, ...).

    Args:
        name: file name inside the corpora folder, e.g. ``"xwlb.jsonl.gz"``.
        corpora_dir: another corpora folder (default :func:`nlp.paths.corpora_dir`).

    Returns:
        The rows in file order. A missing file raises ``FileNotFoundError`` naming it.
    """
    import datasets

    path = Path(corpora_dir or paths.corpora_dir()) / name
    if not path.is_file():
        raise FileNotFoundError(f"corpus file {path} not found (set NEWSDESK_CORPORA?)")
    if path.stat().st_size == 0:  # the json builder cannot infer a schema from nothing
        return datasets.Dataset.from_list([])
    datasets.disable_progress_bars()
    return datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(datasets_cache())
    )


def iter_corpus(name: str, corpora_dir: Path | str | None = None) -> Iterator[dict]:
    """Yield the JSON objects of one corpus file (``.jsonl`` or ``.jsonl.gz``) in file order.

    A field that a row lacks (Arrow fills it with ``None``) is left out, as in the file.
    """
    for batch in load_corpus(name, corpora_dir).iter(batch_size=2000):
        keys = list(batch)
        for values in zip(*batch.values(), strict=True):
            yield {k: v for k, v in zip(keys, values, strict=True) if v is not None}


def load_items(corpora_dir: str | None = None) -> dict[str, dict]:
    """All corpus items of every file, keyed by their unique ``id`` (cached per folder), and
    the reviewed app corrections whose texts are in no corpus (:func:`feedback_items`)."""
    items = _load_items(str(Path(corpora_dir or paths.corpora_dir()).resolve()))
    extra = {k: v for k, v in feedback_items().items() if k not in items}
    return {**items, **extra} if extra else items


FEEDBACK_SOURCE = "feedback"


def feedback_items(path: Path | None = None) -> dict[str, dict]:
    """The articles of ``data/labels/feedback.jsonl`` (:mod:`training.feedback`) as items:
    ``id``, ``title``, ``body``, ``source`` ``feedback``, ``date`` of the correction."""
    path = path or paths.data_dir() / "labels" / "feedback.jsonl"
    if not path.is_file():
        return {}
    import json

    items = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("body"):
                date = (row.get("time") or "")[:10].replace("-", "")
                items[row["id"]] = {"id": row["id"], "title": row.get("title") or "",
                                    "body": row["body"], "source": FEEDBACK_SOURCE,
                                    "date": date}  # fmt: skip
    return items


@lru_cache(maxsize=2)
def _load_items(corpora_dir: str) -> dict[str, dict]:
    items: dict[str, dict] = {}
    for name in CORPUS_FILES:
        if name == "other_outlets.jsonl.gz" and not (Path(corpora_dir) / name).is_file():
            continue  # optional: the labelled set takes its outlet items when it is there
        for item in iter_corpus(name, corpora_dir):
            items[item["id"]] = item
    return items
