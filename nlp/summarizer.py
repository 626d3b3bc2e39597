"""Seq2seq headline summariser warm-started from the e5 encoder, plus key sentences and keywords.

The model is a ``transformers`` :class:`~transformers.EncoderDecoderModel`: the e5 encoder
with LoRA adapters, and a small BERT decoder (``decoder_layers`` layers, initialised from
evenly spaced encoder layers, cross-attention new) over a reduced output vocabulary
(``dec_vocab``: the base-tokenizer pieces that headlines use), with tied input/output
embeddings initialised from the encoder's rows. Decoding is beam search with
``no_repeat_ngram_size``; length is controlled in characters by choosing among the beams,
and a summary that hits the token limit is cut back to a whole clause, never mid-word.

Example::

    from nlp.summarizer import Summarizer
    [s] = Summarizer().summarize(["5月30日，全市小麦保险理赔工作推进会召开 ..."])
    s.summary, s.key_sentences, s.keywords
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from nlp import paths
from nlp.config import artifact_version
from nlp.cpu import adapt_threads
from nlp.extractive import (  # noqa: F401 - fallback_summary, passes_checks re-exported
    fallback_summary,
    key_sentences,
    passes_checks,
    salient_text,
)
from nlp.lora import load_into, load_small, merge_lora
from nlp.onnx_runtime import ONNX_PRECISIONS, onnx_encoder
from nlp.precision import (
    apply_precision,
    check_precision,
    choose_precision,
    inference_context,
)
from nlp.priority import PriorityLock
from nlp.seq2seq import (  # noqa: F401 - re-exported for training and tests
    BOS,
    EOS,
    PAD,
    UNK,
    SourceVocabulary,
    beam_cache,
    build_seq2seq,
    decoder_layer_ids,
    lead_clause,
    save_model,
    trim_to_clause,
)
from nlp.types import Summary
from nlp.windows import padded_width

ARTIFACT = "summarizer"
# torch (nlp.precision; ``int8``: the encoder's linear layers) or the encoder on ONNX Runtime
# (nlp.onnx_runtime, exported once), the decoder on torch float32
SUMMARIZER_PRECISIONS = ("fp32", "bf16", "bf16_weights", "int8", *ONNX_PRECISIONS)


@dataclass
class SummarizerConfig:
    """Architecture and decoding settings, saved next to the weights."""

    max_source_tokens: int = field(default=320, metadata={"help": "encoder window incl. specials"})
    max_target_tokens: int = field(default=40, metadata={"help": "decoder tokens incl. </s>"})
    decoder_layers: int = field(default=4, metadata={"help": "decoder depth"})
    lora_r: int = field(default=16, metadata={"help": "encoder LoRA rank"})
    lora_alpha: int = field(default=32, metadata={"help": "encoder LoRA scaling"})
    lora_dropout: float = field(default=0.05, metadata={"help": "encoder LoRA dropout"})
    num_beams: int = field(default=4, metadata={"help": "beam width at inference"})
    batch_num_beams: int = field(
        default=2, metadata={"help": "beam width of bulk runs (Summarizer.for_batch)"}
    )
    batch_source_tokens: int = field(
        default=192, metadata={"help": "encoder window of bulk runs (Summarizer.for_batch)"}
    )
    precision: str = field(
        default="bf16_weights",
        metadata={"help": "fp32 | bf16 (autocast) | bf16_weights | int8 | onnx_fp32 | onnx_int8"},
    )
    precision_without_bf16: str = field(
        default="fp32",
        metadata={"help": "the setting on a CPU without native bf16 (nlp.precision)"},
    )
    no_repeat_ngram_size: int = field(default=3, metadata={"help": "ban repeated token n-grams"})
    max_chars: int = field(default=40, metadata={"help": "longest summary in characters"})
    salient_chars: int = field(default=600, metadata={"help": "long articles: salient text fed"})
    free_pieces: int = field(
        default=1500,
        metadata={
            "help": "output pieces always allowed; others only when they occur in the source"
        },
    )
    copy_bonus: float = field(
        default=1.0, metadata={"help": "added to the logits of pieces that occur in the article"}
    )
    check_faithful: bool = field(
        default=True,
        metadata={"help": "prefer beams whose numbers and names all occur in the source"},
    )

    def __post_init__(self) -> None:
        if not 1 <= self.decoder_layers <= 12:
            raise ValueError(f"decoder_layers must be in 1..12, got {self.decoder_layers!r}")
        if self.max_source_tokens > 512:
            raise ValueError(f"max_source_tokens must be <= 512, got {self.max_source_tokens!r}")
        if self.num_beams < 1 or self.batch_num_beams < 1:
            raise ValueError(
                f"beam widths must be >= 1, got num_beams={self.num_beams!r}, "
                f"batch_num_beams={self.batch_num_beams!r}"
            )
        if not 8 <= self.batch_source_tokens <= self.max_source_tokens:
            raise ValueError(
                f"batch_source_tokens must be in 8..{self.max_source_tokens}, "
                f"got {self.batch_source_tokens!r}"
            )
        check_precision(self.precision, SUMMARIZER_PRECISIONS)
        check_precision(self.precision_without_bf16, SUMMARIZER_PRECISIONS)


REQUIRED = ("config", "dec_vocab", "free_order", "weight_files")


def load_config(model_dir: str | Path | None = None, with_meta: bool = False):
    """The config saved with a summariser (default: the shipped one), checked strictly.

    Args:
        model_dir: folder with ``summarizer.json``.
        with_meta: also return the whole JSON (output vocabulary, ``free_order``, ...).

    Returns:
        A :class:`SummarizerConfig`, or ``(config, meta)`` with ``with_meta``. A missing
        required entry (``free_order`` ...) or config field, or an unknown one, raises a
        ``ValueError`` naming the file and the field: no code default decides how a model runs.
    """

    from nlp.config import load_model_config

    model_dir = Path(model_dir) if model_dir is not None else paths.model_dir(ARTIFACT)
    cfg, meta = load_model_config(model_dir, ARTIFACT, SummarizerConfig, REQUIRED)
    return (cfg, meta) if with_meta else cfg


class Summarizer:
    """Abstractive summary + key sentences + keywords for whole articles.

    Args:
        model_dir: directory with ``summarizer.json`` and its weight files.
        base: an already loaded base ``BertModel`` (a copy sharing its word embeddings is
            adapted, see :func:`nlp.shared_base.task_copy`).
        precision: one of :data:`SUMMARIZER_PRECISIONS`: torch's ``fp32``, ``bf16``
            (autocast), ``bf16_weights``, ``int8`` (the encoder's linear layers), or ONNX
            Runtime's ``onnx_fp32``, ``onnx_int8`` for the encoder (the decoder on torch
            float32; all torch float32 when ONNX Runtime is not available here); default:
            the config's, for this CPU (:func:`nlp.precision.runtime_precision`).
        batch_size: articles per ``generate`` call.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        base=None,
        precision: str | None = None,
        batch_size: int = 16,
    ):
        from nlp.encoder import load_tokenizer
        from nlp.shared_base import load_inference_base, task_copy

        model_dir = Path(model_dir) if model_dir is not None else paths.model_dir(ARTIFACT)
        self.cfg, meta = load_config(model_dir, with_meta=True)
        state, _ = load_small(model_dir, ARTIFACT)
        self.dec_vocab = meta["dec_vocab"]
        self.tokenizer = load_tokenizer()
        encoder = task_copy(base) if base is not None else load_inference_base()
        model = build_seq2seq(encoder, self.cfg, self.dec_vocab, train=False)
        load_into(model, state)
        model.decoder.tie_weights()
        merge_lora(model)
        model.eval()
        precision = choose_precision(precision, self.cfg, SUMMARIZER_PRECISIONS)
        self.encoder_onnx = None  # the encoder on ONNX Runtime, see _encoded
        if precision in ONNX_PRECISIONS:
            version = artifact_version(model_dir, [f"{ARTIFACT}.json", *meta["weight_files"]])
            self.encoder_onnx = onnx_encoder(
                model.encoder, "summarizer-encoder", version, precision
            )
            precision = precision if self.encoder_onnx is not None else "fp32"
        if precision == "int8":
            apply_precision(model.encoder, precision)  # whole-model int8: -3.6 ROUGE-L (CCTV)
        elif precision not in ONNX_PRECISIONS:
            model = apply_precision(model, precision)
        self.model = model
        self.precision, self.batch_size = precision, batch_size
        self._lock = PriorityLock()  # pastes go before batch calls
        self._dec_index = {b: i for i, b in enumerate(self.dec_vocab)}
        # ``free_order`` lists decoder ids by headline frequency (saved at export time).
        free = meta["free_order"][: self.cfg.free_pieces]
        self._free = torch.zeros(len(self.dec_vocab), dtype=torch.bool)
        self._free[[PAD, BOS, EOS, *free]] = True

    def _source_ids(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]]:
        room = min(max_tokens or self.cfg.max_source_tokens, self.cfg.max_source_tokens) - 2
        t = self.tokenizer
        srcs = [salient_text(x, self.cfg.salient_chars) for x in texts]
        ids = t(srcs, add_special_tokens=False)["input_ids"]
        return [[t.bos_token_id, *s[:room], t.eos_token_id] for s in ids]

    def _decode(self, dec_ids: list[int]) -> str:
        base_ids = [self.dec_vocab[i] for i in dec_ids if i > UNK]
        return self.tokenizer.decode(base_ids, skip_special_tokens=True).replace(" ", "").strip()

    def headlines(self, texts: list[str], **decoding) -> list[str]:
        """The abstractive one-line summary of each text.

        ``decoding``: ``num_beams``, ``max_chars``, ``max_source_tokens`` (encoder window, at
        most the trained one) and ``batch_size``, by default the interactive settings; see
        :meth:`for_batch`.
        """
        return [text for text, _ in self._headlines(texts, **decoding)]

    def _headlines(
        self,
        texts: list[str],
        num_beams: int | None = None,
        max_chars: int | None = None,
        max_source_tokens: int | None = None,
        batch_size: int | None = None,
    ) -> list[tuple[str, bool]]:
        """``(summary, fallback)`` of each text (see :meth:`_choose`)."""
        beams = num_beams or self.cfg.num_beams
        limit = max_chars or self.cfg.max_chars
        size = batch_size or self.batch_size
        src = self._source_ids(texts, max_source_tokens)
        order = sorted(range(len(src)), key=lambda i: len(src[i]))
        out: list[tuple[str, bool]] = [("", False)] * len(texts)
        pad = self.tokenizer.pad_token_id
        with self._lock, inference_context(self.precision):
            adapt_threads()
            for s in range(0, len(order), size):
                idx = order[s : s + size]
                width = padded_width(max(len(src[i]) for i in idx))  # see nlp.windows
                ids = torch.full((len(idx), width), pad, dtype=torch.long)
                for r, i in enumerate(idx):
                    ids[r, : len(src[i])] = torch.tensor(src[i])
                allowed, in_source = self._allowed([src[i] for i in idx])
                gen = self.model.generate(
                    **self._encoded(ids, (ids != pad).long()),
                    num_beams=beams,
                    num_return_sequences=beams,
                    max_new_tokens=self.cfg.max_target_tokens,
                    no_repeat_ngram_size=self.cfg.no_repeat_ngram_size,
                    past_key_values=beam_cache() if beams > 1 else None,
                    logits_processor=[
                        SourceVocabulary(allowed, in_source, beams, self.cfg.copy_bonus)
                    ],
                )
                for r, i in enumerate(idx):
                    out[i] = self._choose(
                        gen[r * beams : (r + 1) * beams].tolist(), limit, texts[i]
                    )
        return out

    def _encoded(self, ids: torch.Tensor, mask: torch.Tensor) -> dict:
        """``generate``'s source arguments: the ids, or with :attr:`encoder_onnx` the encoder
        states it computed."""
        if self.encoder_onnx is None:
            return {"input_ids": ids, "attention_mask": mask}
        from transformers.modeling_outputs import BaseModelOutput

        states = self.encoder_onnx(input_ids=ids, attention_mask=mask)
        return {
            "encoder_outputs": BaseModelOutput(last_hidden_state=states),
            "attention_mask": mask,
        }

    def _allowed(self, sources: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per article, the output pieces it may use (the free ones plus its source's pieces)
        and those that occur in its source."""
        in_source = torch.zeros(len(sources), len(self.dec_vocab), dtype=torch.bool)
        for r, s in enumerate(sources):
            in_source[r, [self._dec_index[b] for b in set(s) if b in self._dec_index]] = True
        in_source[:, [PAD, BOS, EOS, UNK]] = False
        return self._free | in_source, in_source

    def _choose(self, candidates: list[list[int]], limit: int, source: str) -> tuple[str, bool]:
        """``(summary, fallback)``: the best-ranked beam that finished within ``limit``
        characters, repeats no 3-gram and, with ``check_faithful``, passes every check of
        :func:`passes_checks` (names and numbers from the source, scope words that agree,
        no repeated piece, no dateline or byline, at least 8 characters). When none passes,
        the lead's compression (:func:`fallback_summary`, ``fallback`` True).
        Without ``check_faithful``: the best finished beam, else the first cut back to a
        clause. Never empty for a non-empty source."""
        from nlp.evaluation.entities import repeated_ngram

        finished, unfinished = [], []
        for seq in candidates:
            body = seq[1:]
            done = EOS in body
            text = self._decode(body[: body.index(EOS)] if done else body)
            if done and 0 < len(text) <= limit and not repeated_ngram(text):
                finished.append(text)
            elif text:
                unfinished.append(trim_to_clause(text[: limit + 1]))
        if self.cfg.check_faithful:
            for text in finished:
                if passes_checks(text, source):
                    return text, False
            return fallback_summary(source, limit), True
        text = finished[0] if finished else next((t for t in unfinished if t), "")
        return (text, False) if text else (fallback_summary(source, limit), True)

    def summarize(
        self, texts: list[str], k_sentences: int = 3, k_keywords: int = 8, **decoding
    ) -> list[Summary]:
        """Summary, key sentences (article order) and keywords for each text.

        ``decoding``: ``num_beams``, ``max_source_tokens``, ``batch_size`` for
        :meth:`headlines`.
        """
        from nlp.keywords import keywords
        from nlp.text import split_sentences

        heads = self._headlines(texts, **decoding) if texts else []
        results = []
        for text, (head, fallback) in zip(texts, heads, strict=True):
            sents = split_sentences(text)
            results.append(
                Summary(
                    summary=head,
                    key_sentences=key_sentences(sents, k=k_sentences),
                    keywords=keywords(text, k=k_keywords),
                    fallback=fallback,
                )
            )
        return results

    def for_batch(
        self, num_beams: int | None = None, max_source_tokens: int | None = None
    ) -> BatchSummarizer:
        """This model with the bulk-run decoding settings (``batch_num_beams``,
        ``batch_source_tokens`` of the config unless given, 64 articles per call): about
        2.3x faster than the interactive beam-4 setting for a few ROUGE-L points (figures in
        ``data/models/summarizer/README.md``)."""
        return BatchSummarizer(
            self,
            num_beams or self.cfg.batch_num_beams,
            max_source_tokens or self.cfg.batch_source_tokens,
        )


@dataclass
class BatchSummarizer:
    """A :class:`Summarizer` with fixed decoding settings; shares the model, loads nothing."""

    model: Summarizer
    num_beams: int
    max_source_tokens: int
    batch_size: int = 64

    def _decoding(self) -> dict:
        return {
            "num_beams": self.num_beams,
            "max_source_tokens": self.max_source_tokens,
            "batch_size": self.batch_size,
        }

    def headlines(self, texts: list[str]) -> list[str]:
        return self.model.headlines(texts, **self._decoding())

    def summarize(self, texts: list[str], k_sentences: int = 3, k_keywords: int = 8):
        return self.model.summarize(texts, k_sentences, k_keywords, **self._decoding())
