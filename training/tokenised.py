"""Tokenised training sets as ``datasets`` tables, cached as Arrow under the project's cache.

Classifier rows become their head + tail window of token ids (:func:`classifier_windows`);
summary pairs become source and target ids (:func:`tokenised_pairs`). Both are built with
``Dataset.filter`` / ``Dataset.map(batched=True)``; the pairs (79k articles, the slow part of
``training.pack``) are saved with ``save_to_disk`` under ``$NEWSDESK_CACHE/tokenised/<key>``
and read back with ``load_from_disk`` while the file, the limit and the settings are the same.

Example::

    from training.tokenised import tokenised_pairs
    ds = tokenised_pairs(Path("~/.cache/newsdesk/summaries/dev.jsonl"), 2000, tok, SummarizerConfig())
    ds["src"][0][:5], ds["tgt"][0], ds["title"][0]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from nlp import paths
from nlp.classifier import ClassifierConfig, tokenize, windows
from nlp.summarizer import SummarizerConfig
from training.corpus import datasets_cache, item_text


def load_jsonl(path: Path, limit: int = 0):
    """The first ``limit`` rows (0: all) of a JSONL file as a ``datasets.Dataset``."""
    import datasets

    datasets.disable_progress_bars()
    ds = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(datasets_cache())
    )
    return ds.select(range(min(limit, ds.num_rows))) if limit else ds


def cache_key(*parts) -> str:
    """A short stable hash of ``parts`` (JSON-serialisable), naming one cached table."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _tokenizer_id(tok) -> list:
    return [getattr(tok, "name_or_path", ""), len(tok)]


def classifier_windows(
    rows,
    split: str | tuple[str, ...],
    items: dict[str, dict],
    tok,
    ccfg: ClassifierConfig,
    full_tokens: int = 16 * 254,
):
    """The rows of one split (or of several) with their head + tail window of content token ids.

    Args:
        rows: ``datasets.Dataset`` of ``dataset.jsonl`` (``id``, ``label``, ``split``, ...).
        split: ``"train"``, ``"dev"``, … or a tuple of them.
        items: corpus items by id (:func:`training.corpus.load_items`).
        tok: the base tokenizer.
        ccfg: the reading window (``max_length``, ``head_tokens``).

    Returns:
        A ``Dataset`` with columns ``id``, ``label``, ``window`` (head + tail) and ``full``
        (the first ``full_tokens`` ids, for whole-article reading) in file order.
    """

    def encode(batch: dict) -> dict:
        ids = tokenize(tok, [item_text(items[i]) for i in batch["id"]])
        return {
            "window": [windows(s, ccfg, "head_tail")[0] for s in ids],
            "full": [s[:full_tokens] for s in ids],
        }

    splits = (split,) if isinstance(split, str) else tuple(split)
    sel = rows.filter(lambda s: s in splits, input_columns="split")
    sel = sel.select_columns(["id", "label"])
    # In memory: the windows depend on the corpus items too, which no cache key here sees.
    key = cache_key(
        "cls", *splits, _tokenizer_id(tok), ccfg.max_length, ccfg.head_tokens, full_tokens
    )
    return sel.map(encode, batched=True, batch_size=1000, keep_in_memory=True, new_fingerprint=key)


def tokenised_pairs(path: Path, limit: int, tok, scfg: SummarizerConfig, cache: bool = True):
    """Source and target ids of the first ``limit`` summary pairs (0: all) of a pairs file.

    ``src``: the first ``max_source_tokens - 2`` pieces of the body (tokenised from its first
    three times as many characters); ``tgt``: the first ``max_target_tokens - 1`` pieces of the
    title; ``title``: the title itself. Cached as Arrow (see the module docstring).
    """
    import datasets

    room = scfg.max_source_tokens - 2
    stat = path.stat()
    key = cache_key(
        "pairs",
        str(path.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        limit,
        room,
        scfg.max_target_tokens,
        _tokenizer_id(tok),
    )
    where = paths.cache_dir() / "tokenised" / key
    if cache and (where / "dataset_info.json").is_file():
        return datasets.load_from_disk(str(where))

    def encode(batch: dict) -> dict:
        src = tokenize(tok, [b[: room * 3] for b in batch["body"]])
        tgt = tokenize(tok, batch["title"])
        return {
            "src": [s[:room] for s in src],
            "tgt": [t[: scfg.max_target_tokens - 1] for t in tgt],
        }

    ds = load_jsonl(path, limit).select_columns(["body", "title"])
    ds = ds.map(encode, batched=True, batch_size=1000, remove_columns=["body"], new_fingerprint=key)
    if cache:
        ds.save_to_disk(str(where))
    return ds
