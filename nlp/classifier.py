"""Domain classifier: the e5 encoder with LoRA adapters and a linear head over mean pooling.

Long articles are read as head + tail (the first ``head_tokens`` and the last tokens of the
article, within ``max_length``), as up to ``max_chunks`` windows whose logits are averaged
(``chunks``), or whole (``attention``): every window of the article (``max_chunks`` of them,
spread evenly, when there are more) is encoded and their pooled vectors are combined by a
learned attention before the head, so the model weighs the part that says what the article is
about. ``long_strategy`` picks one; the harness measures them side by side. Probabilities are
calibrated: ``softmax(logits / T + b)``, with the temperature ``T`` and per-label offsets ``b``
fitted on the dev split (they undo the priors that class weighting gave the model in training)
and saved with the model.

Example::

    from nlp.classifier import DomainClassifier
    [c] = DomainClassifier().predict(["全市小麦保险理赔工作推进会召开 ..."])
    c.label, c.scores["agri_insurance"], c.low_confidence
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy.special import log_softmax
from torch import nn

from nlp import paths
from nlp.config import artifact_version
from nlp.cpu import adapt_threads
from nlp.labels import ID2LABEL, LABELS, secondary_label
from nlp.lora import add_lora, load_into, load_small, merge_lora, save_small
from nlp.onnx_runtime import ONNX_PRECISIONS, onnx_model
from nlp.precision import (
    PRECISIONS,
    apply_precision,
    check_precision,
    choose_precision,
    inference_context,
)
from nlp.priority import PriorityLock
from nlp.types import Classification
from nlp.windows import collate, text_windows, tokenize, windows  # noqa: F401 - re-exported

ARTIFACT = "classifier"
LEXICAL = "lexical.npz"  # the char TF-IDF model blended in when ``lexical_weight`` > 0


STRATEGIES = ("head_tail", "chunks", "attention")
# torch (nlp.precision) or ONNX Runtime (nlp.onnx_runtime, the torch model exported once)
CLASSIFIER_PRECISIONS = (*PRECISIONS, *ONNX_PRECISIONS)


@dataclass
class ClassifierConfig:
    """Model and inference settings, saved next to the weights."""

    max_length: int = field(default=256, metadata={"help": "tokens per window incl. <s> </s>"})
    head_tokens: int = field(default=160, metadata={"help": "head part of head+tail"})
    long_strategy: str = field(
        default="head_tail", metadata={"help": "head_tail | chunks | attention"}
    )
    max_chunks: int = field(
        default=4, metadata={"help": "windows read with 'chunks' and 'attention'"}
    )
    lora_r: int = field(default=16, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator"})
    lora_dropout: float = field(default=0.1, metadata={"help": "dropout on LoRA inputs"})
    dropout: float = field(default=0.1, metadata={"help": "dropout before the head"})
    temperature: float = field(default=1.0, metadata={"help": "calibration temperature"})
    class_bias: tuple[float, ...] = field(
        default=(0.0,) * len(LABELS), metadata={"help": "calibration offset per label"}
    )
    low_confidence: float = field(default=0.6, metadata={"help": "flag below this top prob"})
    secondary_threshold: float = field(
        default=0.0,
        metadata={"help": "report a second domain whose probability reaches this (0: never)"},
    )
    lexical_weight: float = field(
        default=0.0,
        metadata={"help": "weight of the char TF-IDF model (lexical.npz) in the log-linear blend"},
    )
    precision: str = field(
        default="bf16",
        metadata={"help": "shipped inference: one of CLASSIFIER_PRECISIONS (torch or ONNX)"},
    )
    precision_without_bf16: str = field(
        default="fp32",
        metadata={"help": "the setting on a CPU without native bf16 (nlp.precision)"},
    )
    labels: tuple[str, ...] = LABELS

    def __post_init__(self) -> None:
        if self.long_strategy not in STRATEGIES:
            raise ValueError(
                f"long_strategy must be one of {STRATEGIES}, got {self.long_strategy!r}"
            )
        if self.max_chunks < 1:
            raise ValueError(f"max_chunks must be >= 1, got {self.max_chunks!r}")
        if not 0 < self.head_tokens <= self.max_length - 2:
            raise ValueError(f"head_tokens must be in 1..max_length-2, got {self.head_tokens!r}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature!r}")
        if not 0.0 <= self.lexical_weight < 1.0:
            raise ValueError(f"lexical_weight must be in [0, 1), got {self.lexical_weight!r}")
        check_precision(self.precision, CLASSIFIER_PRECISIONS)
        check_precision(self.precision_without_bf16, CLASSIFIER_PRECISIONS)
        if tuple(self.labels) != LABELS:
            raise ValueError(f"model labels {self.labels!r} differ from nlp.labels {LABELS!r}")
        self.labels = tuple(self.labels)
        if len(self.class_bias) != len(self.labels):
            raise ValueError(f"class_bias needs {len(self.labels)} values, got {self.class_bias!r}")
        self.class_bias = tuple(self.class_bias)


class DomainModel(nn.Module):
    """Encoder → masked mean pooling → dropout → linear head over the six labels.

    An article read in several windows (``attention``) has its windows' pooled vectors
    combined by :meth:`combine` (a learned score per window, softmax over the article's
    windows) before the head. The scorer starts at zero: an untrained one averages the
    windows, and a one-window article is read exactly as by :meth:`forward`.
    """

    def __init__(self, encoder: nn.Module, n_labels: int = len(LABELS), dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)
        self.attn = nn.Linear(encoder.config.hidden_size, 1)
        nn.init.zeros_(self.attn.weight)
        nn.init.zeros_(self.attn.bias)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled last hidden states of a batch of windows, ``(windows, hidden)``."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.encode(input_ids, attention_mask)))

    def combine(self, vecs: torch.Tensor, owners: torch.Tensor, n: int) -> torch.Tensor:
        """Attention pooling of window vectors ``(windows, hidden)`` into ``n`` article
        vectors; ``owners[j]`` is the article of window ``j``."""
        score = self.attn(vecs).squeeze(-1).float()
        top = torch.full((n,), -torch.inf, device=vecs.device).scatter_reduce(
            0, owners, score, "amax", include_self=True
        )
        e = torch.exp(score - top[owners])
        weight = e / torch.zeros(n, device=vecs.device).index_add(0, owners, e)[owners]
        out = torch.zeros(n, vecs.shape[1], device=vecs.device, dtype=torch.float32)
        return out.index_add(0, owners, weight.unsqueeze(-1) * vecs.float()).to(vecs.dtype)

    def classify(self, article_vecs: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(article_vecs))


def build_model(base: nn.Module, cfg: ClassifierConfig) -> DomainModel:
    """A trainable model: LoRA on every encoder linear layer, the head; the rest frozen."""
    model = DomainModel(base, len(cfg.labels), cfg.dropout)
    for p in model.parameters():
        p.requires_grad = False
    add_lora(model, "encoder.encoder", cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout)
    for name, p in model.named_parameters():
        if "lora_" in name or name.startswith(("head.", "attn.")):
            p.requires_grad = True
    return model


def save_model(
    model: DomainModel, cfg: ClassifierConfig, out_dir: str | Path, extra: dict | None = None
) -> None:
    """Save the adapters + head (float16) and the config (with the label map)."""
    state = {n: p for n, p in model.named_parameters() if p.requires_grad}
    meta = {"config": asdict(cfg), "id2label": {str(k): v for k, v in ID2LABEL.items()}}
    save_small(state, dict(meta, **(extra or {})), out_dir, ARTIFACT)


def load_config(model_dir: str | Path | None = None, with_meta: bool = False):
    """The config saved with a classifier (default: the shipped one), checked strictly.

    Args:
        model_dir: folder with ``classifier.json``.
        with_meta: also return the whole JSON (label map, calibration, training settings).

    Returns:
        A :class:`ClassifierConfig`, or ``(config, meta)`` with ``with_meta``. A missing or
        unknown config field raises a ``ValueError`` naming the file and the field.
    """

    from nlp.config import load_model_config

    model_dir = Path(model_dir) if model_dir is not None else paths.model_dir(ARTIFACT)
    cfg, meta = load_model_config(
        model_dir, ARTIFACT, ClassifierConfig, ("config", "id2label", "weight_files")
    )
    return (cfg, meta) if with_meta else cfg


class DomainClassifier:
    """A trained classifier ready for inference (adapters merged into the encoder).

    Args:
        model_dir: directory with ``classifier.json`` and its weight files.
        precision: one of :data:`CLASSIFIER_PRECISIONS`: torch's ``fp32``, ``bf16``
            autocast, ``bf16_weights``, ``int8`` (:mod:`nlp.precision`), or ONNX Runtime's
            ``onnx_fp32``, ``onnx_int8`` (:mod:`nlp.onnx_runtime`; torch fp32 when that is not
            available here); default: the shipped setting in the model's config.
        base: an already loaded base ``BertModel`` to adapt (a copy is made that shares its word
            embeddings, see :func:`nlp.shared_base.task_copy`).
        lexical_weight: override the config's blend weight (``0``: the encoder alone).
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        precision: str | None = None,
        base=None,
        batch_size: int = 32,
        lexical_weight: float | None = None,
    ):
        from nlp.encoder import load_tokenizer
        from nlp.shared_base import load_inference_base, task_copy

        model_dir = Path(model_dir) if model_dir is not None else paths.model_dir(ARTIFACT)
        self.cfg, meta = load_config(model_dir, with_meta=True)
        state, _ = load_small(model_dir, ARTIFACT)
        if {int(k): v for k, v in meta["id2label"].items()} != ID2LABEL:
            raise ValueError(f"{model_dir}: saved label map {meta['id2label']} != nlp.labels")
        if lexical_weight is not None:
            self.cfg.lexical_weight = lexical_weight
        self.lexical = None
        if self.cfg.lexical_weight > 0:
            from nlp.lexical import LexicalModel

            self.lexical = LexicalModel.load(Path(model_dir) / LEXICAL)
        self.meta = meta
        self.version = artifact_version(model_dir, [f"{ARTIFACT}.json", *meta["weight_files"]])
        precision = choose_precision(precision, self.cfg, CLASSIFIER_PRECISIONS)
        self.tokenizer = load_tokenizer()
        encoder = task_copy(base) if base is not None else load_inference_base()
        model = build_model(encoder, self.cfg)
        load_into(model, state)
        merge_lora(model)
        model.eval()
        on_onnx = precision in ONNX_PRECISIONS
        onnx = onnx_model(model, ARTIFACT, self.version, precision) if on_onnx else None
        precision = "fp32" if on_onnx and onnx is None else precision  # torch, the fallback
        self.model = onnx if onnx is not None else apply_precision(model, precision)
        self.precision = precision
        self.batch_size = batch_size
        self._lock = PriorityLock()  # pastes go before batch calls
        t = self.tokenizer
        self._special = (t.bos_token_id, t.eos_token_id, t.pad_token_id)

    def logits(self, texts: list[str], strategy: str | None = None) -> np.ndarray:
        """Uncalibrated logits, ``(len(texts), 6)``; long texts per ``strategy``."""
        return self._logits(texts, strategy)[0]

    def _windows(self, texts: list[str], strategy: str | None = None, cfg=None):
        """``(windows, owners, tokens read, tokens in all)`` of the texts read by ``strategy``
        under ``cfg`` (default the model's; :func:`nlp.windows.text_windows`)."""
        ids = tokenize(self.tokenizer, texts)
        wins, owners, read = text_windows(ids, cfg or self.cfg, strategy)
        return wins, owners, read, np.array([len(seq) for seq in ids], dtype=int)

    def _logits(self, texts: list[str], strategy: str | None = None):
        """Logits and, per text, the tokens read and the tokens in all."""
        wins, owners, read, total = self._windows(texts, strategy)
        if (strategy or self.cfg.long_strategy) == "attention":  # windows weighed, then the head
            with self._lock, inference_context(self.precision), torch.inference_mode():
                vecs = self._encode_windows(wins)
                art = self.model.combine(vecs, torch.tensor(owners), len(texts))
                return self.model.classify(art).float().numpy(), read, total
        order = sorted(range(len(wins)), key=lambda j: len(wins[j]))
        out = np.zeros((len(wins), len(self.cfg.labels)), dtype=np.float32)
        with self._lock, inference_context(self.precision):
            adapt_threads()
            for s in range(0, len(order), self.batch_size):
                idx = order[s : s + self.batch_size]
                batch = collate([wins[j] for j in idx], *self._special)
                out[idx] = self.model(**batch).float().numpy()
        pooled = np.zeros((len(texts), out.shape[1]), dtype=np.float32)
        counts = np.zeros(len(texts))
        np.add.at(pooled, owners, out)
        np.add.at(counts, owners, 1)
        return pooled / np.maximum(counts, 1)[:, None], read, total

    def _encode_windows(self, wins: list[list[int]]) -> torch.Tensor:
        """The pooled encoder vector of every window (batched by length), in the model's
        dtype; call under ``inference_context`` and ``torch.inference_mode``."""
        if self.precision in ONNX_PRECISIONS:
            raise ValueError("the attention strategy runs on torch: load a torch precision")
        order = sorted(range(len(wins)), key=lambda j: len(wins[j]))
        vecs = None
        adapt_threads()
        for s in range(0, len(order), self.batch_size):
            idx = order[s : s + self.batch_size]
            v = self.model.encode(**collate([wins[j] for j in idx], *self._special))
            if vecs is None:
                vecs = torch.zeros(len(wins), v.shape[1], dtype=v.dtype)
            vecs[idx] = v
        return vecs

    def window_vectors(self, texts: list[str], max_chunks: int) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors (W, hidden) float32, owners (W,))`` of every window the ``attention``
        strategy reads with ``max_chunks`` (what ``training.train_attention`` trains on)."""
        read = replace(self.cfg, long_strategy="attention", max_chunks=max_chunks)
        wins, owners, _, _ = self._windows(texts, cfg=read)
        with self._lock, inference_context(self.precision), torch.inference_mode():
            vecs = self._encode_windows(wins)
        return vecs.float().numpy(), np.array(owners, dtype=np.int64)

    def scores(self, texts: list[str], strategy: str | None = None) -> np.ndarray:
        """Uncalibrated scores: the encoder's logits, or with a lexical model the blend
        ``(1 - w) · log_softmax(logits) + w · log p_lexical``."""
        return self._scores(texts, strategy)[0]

    def _scores(self, texts: list[str], strategy: str | None = None):
        z, read, total = self._logits(texts, strategy)
        if self.lexical is not None:
            z = blend_scores(z, self.lexical.log_proba(texts), self.cfg.lexical_weight)
        return z, read, total

    def predict_proba(self, texts: list[str], strategy: str | None = None) -> np.ndarray:
        """Calibrated probabilities over :data:`nlp.labels.LABELS`."""
        return self._proba(texts, strategy)[0]

    def _proba(self, texts: list[str], strategy: str | None = None):
        z, read, total = self._scores(texts, strategy)
        z = z / self.cfg.temperature + np.array(self.cfg.class_bias)
        return softmax(z), read, total

    def predict(self, texts: list[str], explain: bool = False) -> list[Classification]:
        """One :class:`Classification` per text (``evidence`` filled when ``explain``), with
        how many of its tokens the model read (``tokens_read`` of ``tokens_total``)."""
        if texts:
            probs, read, total = self._proba(texts)
        else:
            probs, read, total = np.zeros((0, len(LABELS))), [], []
        labels = [LABELS[int(p.argmax())] for p in probs]
        evidence = self.evidence(texts, labels) if explain else [[] for _ in texts]
        out = []
        for p, label, ev, r, t in zip(probs, labels, evidence, read, total, strict=True):
            second, second_p = secondary_label(p, label, self.cfg.secondary_threshold)
            out.append(
                Classification(
                    label=label,
                    scores={lab: round(float(v), 6) for lab, v in zip(LABELS, p, strict=True)},
                    confidence=round(float(p.max()), 6),
                    low_confidence=bool(p.max() < self.cfg.low_confidence),
                    evidence=ev,
                    tokens_read=int(r),
                    tokens_total=int(t),
                    secondary=second,
                    secondary_score=round(second_p, 6),
                )
            )
        return out

    def evidence(
        self, texts: list[str], labels: list[str], k: int = 2, max_sentences: int = 40
    ) -> list[list[str]]:
        """Per text, up to ``k`` sentences that on their own point most strongly to its label
        (probability of that label ≥ 0.5 when the sentence is classified alone), in text
        order. All sentences of all texts go through the model in one batched call.

        Bounded per text whatever its length: only its first ``max_sentences`` sentences of
        at least 6 characters are scored, each as the model reads a text (one window with
        ``head_tail``, at most ``max_chunks`` with ``chunks``)."""
        from nlp.text import split_sentences

        sents = [
            [x for x in split_sentences(t) if len(x.strip()) >= 6][:max_sentences] for t in texts
        ]
        flat = [x for group in sents for x in group]
        probs = self.predict_proba(flat) if flat else np.zeros((0, len(LABELS)))
        out, start = [], 0
        for group, label in zip(sents, labels, strict=True):
            p = probs[start : start + len(group), LABELS.index(label)]
            start += len(group)
            best = sorted(int(i) for i in np.argsort(-p)[:k] if p[i] >= 0.5)
            out.append([group[i] for i in best])
        return out


def blend_scores(logits: np.ndarray, lexical_log_proba: np.ndarray, weight: float) -> np.ndarray:
    """The log-linear blend of encoder and lexical model, ``(1 - w) · log_softmax(logits) +
    w · log p_lexical`` (what :meth:`DomainClassifier.scores` returns with a lexical model)."""
    return (1 - weight) * log_softmax(logits, axis=-1) + weight * lexical_log_proba


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
