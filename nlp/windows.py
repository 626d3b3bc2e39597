"""Token windows of the classifier: how a text's tokens become the windows the model reads
(head + tail, consecutive chunks, or windows spread over the whole article), and batching.

Pure functions over token ids (``cfg`` needs ``max_length``, ``head_tokens``,
``long_strategy`` and ``max_chunks``, as :class:`nlp.classifier.ClassifierConfig` has).
"""

from __future__ import annotations

import numpy as np
import torch


def windows(ids: list[int], cfg, strategy: str | None = None) -> list[list[int]]:
    """Content token ids (no specials) → the windows the model reads (no specials).

    Example:
        >>> from nlp.classifier import ClassifierConfig
        >>> cfg = ClassifierConfig(max_length=6, head_tokens=2, max_chunks=3)
        >>> ids = list(range(20))
        >>> windows(ids, cfg), windows(ids, cfg, "chunks")
        ([[0, 1, 18, 19]], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
        >>> windows(ids, cfg, "attention")  # first, middle and last of five windows
        [[0, 1, 2, 3], [8, 9, 10, 11], [16, 17, 18, 19]]
    """
    room = cfg.max_length - 2
    if len(ids) <= room:
        return [ids]
    strategy = strategy or cfg.long_strategy
    if strategy == "head_tail":
        return [ids[: cfg.head_tokens] + ids[len(ids) - (room - cfg.head_tokens) :]]
    parts = [ids[i : i + room] for i in range(0, len(ids), room)]
    if strategy == "chunks" or len(parts) <= cfg.max_chunks:
        return parts[: cfg.max_chunks]
    pick = sorted({int(round(x)) for x in np.linspace(0, len(parts) - 1, cfg.max_chunks)})
    return [parts[k] for k in pick]


def text_windows(ids: list[list[int]], cfg, strategy: str | None = None):
    """:func:`windows` of several texts' token ids, flattened: ``(windows, owners, tokens
    read per text)``, ``owners[j]`` the text of window ``j``.

    Example:
        >>> from nlp.classifier import ClassifierConfig
        >>> cfg = ClassifierConfig(max_length=6, head_tokens=2)
        >>> wins, owners, read = text_windows([[1, 2], list(range(10))], cfg, "chunks")
        >>> owners, read.tolist()
        ([0, 1, 1, 1], [2, 10])
    """
    wins, owners = [], []
    read = np.zeros(len(ids), dtype=int)
    for i, seq in enumerate(ids):
        for w in windows(seq, cfg, strategy):
            owners.append(i)
            wins.append(w)
            read[i] += len(w)
    return wins, owners, read


def tokenize(tokenizer, texts: list[str]) -> list[list[int]]:
    """Content token ids of each text, without specials and without truncation."""
    return tokenizer(list(texts), add_special_tokens=False)["input_ids"]


# Batches are padded to a multiple of this many tokens. oneDNN (torch's CPU matrix library)
# builds and caches a kernel per input shape: with exact widths every new length is a new
# kernel, and a process serving pastes grew by ~100 MB per 150 classifier calls (bf16, to
# 1,024 cached kernels); bucketed, it stays flat and runs ~10 % faster from cache hits.
PAD_MULTIPLE = 32


def padded_width(n: int, multiple: int = PAD_MULTIPLE) -> int:
    """``n`` rounded up to a multiple of ``multiple``.

    Example:
        >>> padded_width(1), padded_width(32), padded_width(33)
        (32, 32, 64)
    """
    return -(-n // multiple) * multiple


def collate(batch: list[list[int]], bos: int, eos: int, pad: int) -> dict[str, torch.Tensor]:
    """Pad windows into ``input_ids`` / ``attention_mask`` tensors, adding ``<s>`` ``</s>``;
    the width is bucketed (:data:`PAD_MULTIPLE`), the mask covers the tokens only."""
    width = padded_width(max(len(w) for w in batch) + 2)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, w in enumerate(batch):
        row = [bos, *w, eos]
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}
