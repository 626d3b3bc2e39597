"""The base encoder at inference: one word-embedding table per process, shared by every task
model, and their copies of the layers.

The classifier and the summariser's encoder are each the base e5 encoder with LoRA adapters
merged into its layers; the 250k × 384 word-embedding table, about four fifths of the
weights, is frozen in training and the same in both. It is held once, in bfloat16
(:class:`CompactEmbedding`); each task model gets its own float32 layers
(:func:`load_inference_base`, or :func:`task_copy` of a base the caller holds). Training and
:func:`nlp.encoder.embed` use :func:`nlp.encoder.load_base` (float32, trainable).

Example::

    from nlp.shared_base import load_inference_base
    a, b = load_inference_base(), load_inference_base()
    assert a.embeddings.word_embeddings is b.embeddings.word_embeddings
"""

from __future__ import annotations

import copy
import threading
import weakref
from functools import lru_cache

import torch
from safetensors import safe_open
from torch import nn

from nlp.encoder import locked_base_dir

_lock = threading.Lock()


class CompactEmbedding(nn.Module):
    """A frozen word-embedding table kept in bfloat16, as a buffer (not a parameter, so
    the model's ``dtype`` stays that of its layers). Rows come out as stored: adding the
    position embeddings promotes them to the model's dtype (float32 + bfloat16 →
    float32). Half the memory of the float32 table, and one table for every task model
    adapted from the same base (:func:`task_copy`)."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.num_embeddings, self.embedding_dim = weight.shape
        self.register_buffer("weight", weight.detach().to(torch.bfloat16).contiguous())

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(input_ids, self.weight)


_shared_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shared_word_embeddings(base):
    """The one bfloat16 copy of ``base``'s word embeddings (made on first call per base)."""
    emb = base.embeddings.word_embeddings
    if isinstance(emb, CompactEmbedding):
        return emb
    with _lock:
        table = _shared_tables.get(base)
        if table is None:
            table = _shared_tables[base] = CompactEmbedding(emb.weight)
        return table


def task_copy(base):
    """A copy of ``base``, a model the caller holds (a benchmark passes one to several
    classifiers), for one task model's adapters that shares its word embeddings with every
    other copy (the shipped models use :func:`load_inference_base`): the 250k × 384 table,
    about four fifths of the encoder's weights, is held once, in bfloat16, however many task
    models a process loads. The embeddings are frozen in training (the adapters sit in the
    layers), so sharing them changes nothing but their rounding; ``base`` itself is left as
    it is."""
    table = shared_word_embeddings(base)
    # The memo makes the copy's word embeddings ``table`` itself: never copied.
    return copy.deepcopy(base, memo={id(base.embeddings.word_embeddings): table})


_WORDS = "embeddings.word_embeddings.weight"


@lru_cache(maxsize=1)
def shared_word_table():
    """The base's word-embedding table as one :class:`CompactEmbedding`, read once per
    process from the cached safetensors, converted to bfloat16 a slice at a time (the
    float32 table, 384 MB, is never in memory whole)."""
    d = locked_base_dir()
    with safe_open(str(d / "model.safetensors"), framework="pt") as f:
        rows = f.get_slice(_WORDS)
        vocab, hidden = rows.get_shape()
        table = torch.empty((vocab, hidden), dtype=torch.bfloat16)
        for i in range(0, vocab, 16384):
            table[i : i + 16384] = rows[i : i + 16384].to(torch.bfloat16)
    return CompactEmbedding(table)


def load_inference_base():
    """A base encoder for one task model at inference (the classifier, the summariser's
    encoder): its own float32 layers, read from the cached safetensors (0.4 s), and the
    process's one word table (:func:`shared_word_table`). Nothing else is kept: no model
    lingers as a copy source. Training and :func:`embed` use :func:`load_base`."""
    from transformers import BertConfig, BertModel

    table = shared_word_table()
    d = locked_base_dir()
    config = BertConfig.from_pretrained(d)
    vocab = config.vocab_size
    config.vocab_size = (config.pad_token_id or 0) + 1  # the real table is shared
    model = BertModel(config, add_pooling_layer=False)
    config.vocab_size = vocab
    with safe_open(str(d / "model.safetensors"), framework="pt") as f:
        state = {k: f.get_tensor(k) for k in f.keys() if k != _WORDS}  # noqa: SIM118
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or [k for k in result.missing_keys if k != _WORDS]:
        raise RuntimeError(f"{d}: the cached base does not fit: {result}")
    model.embeddings.word_embeddings = table
    model.eval()
    return model
