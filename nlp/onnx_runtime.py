"""Encoders on ONNX Runtime: exported once per model version, optionally quantised to int8,
cached on disk, run by an :class:`onnxruntime.InferenceSession`. The classifier runs whole on
it (encoder and head: logits); the summariser runs its encoder on it
(:func:`onnx_encoder`: the states its torch decoder attends to).

* ``onnx_fp32``: the merged model (adapters folded into the layers) exported by
  ``torch.onnx.export``; ONNX Runtime's graph optimisations fuse attention and layer norms.
* ``onnx_int8``: the same graph after ONNX Runtime's dynamic quantisation
  (``onnxruntime.quantization.quantize_dynamic``: int8 weights per output channel for every
  ``MatMul`` with constant weights, activations quantised per call). Chosen on 300 test
  articles among four recipes: per-tensor weights changed 3.7 % of the top labels, this one
  1.7 %, macro-F1 0.9310 against 0.9309 for fp32 (quantising the embedding ``Gather`` too
  changed 4.5 % of 200).

The exported file depends on the weights only, so it is built on first use and kept under
``paths.cache_dir() / "onnx"``, keyed by the model's artifact version and the precision (a
retrained model gets a new file; nothing is committed). :func:`onnx_model` returns ``None``
when ONNX Runtime or the exporter is missing or the export fails, and the caller keeps torch.

Example::

    clf = DomainClassifier(precision="onnx_int8")   # builds the cache on first use
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nlp import paths

ONNX_PRECISIONS = ("onnx_fp32", "onnx_int8")
EXPORT_VERSION = 3  # bump when the export below changes (3: word rows in, no table)
OPSET = 17

log = logging.getLogger(__name__)


class _RowsIn(nn.Module):
    """Stands in for the word-embedding table while exporting: returns the rows given."""

    rows: torch.Tensor | None = None

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.rows


class _Exportable(nn.Module):
    """``model``'s ``forward`` from the word-embedding rows of the ids (``word_rows``,
    float32) instead of the ids: the graph holds no word-embedding table (250k x 384, four
    fifths of the weights); :class:`OnnxModel` looks the rows up in the one shared bfloat16
    table (:func:`nlp.shared_base.task_copy`). The mask stands in for the ids, of which
    ``BertModel`` then reads only the shape."""

    def __init__(self, model: nn.Module, rows_in: _RowsIn):
        super().__init__()
        self.model, self.rows_in = model, rows_in

    def forward(self, word_rows: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        self.rows_in.rows = word_rows
        return self.model(input_ids=attention_mask, attention_mask=attention_mask).float()


class EncoderStates(nn.Module):
    """A ``BertModel`` as ``forward(input_ids, attention_mask) -> last hidden states``, the
    shape :func:`export` takes (``.encoder`` is the ``BertModel``, as in the classifier)."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def export(model: nn.Module, out: Path) -> None:
    """Write ``model`` (``forward(input_ids, attention_mask) -> tensor``, float32 layers, its
    ``BertModel`` at ``.encoder``) to ``out`` as ONNX with dynamic batch and sequence axes;
    the output is ``logits``, or ``states`` for an :class:`EncoderStates`."""
    per_token = isinstance(model, EncoderStates)
    output = "states" if per_token else "logits"
    emb = model.encoder.embeddings
    shared, rows_in = emb.word_embeddings, _RowsIn()
    emb.word_embeddings = rows_in
    try:
        ids = torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]]) % shared.weight.shape[0]
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        rows = nn.functional.embedding(ids, shared.weight).float()
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                _Exportable(model, rows_in).eval(),
                (rows, mask),
                str(out),
                input_names=["word_rows", "attention_mask"],
                output_names=[output],
                dynamic_axes={
                    "word_rows": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    output: {0: "batch", 1: "tokens"} if per_token else {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        emb.word_embeddings = shared


def quantize(src: Path, out: Path) -> None:
    """Dynamic int8 quantisation of ``src`` into ``out`` (weights int8, activations per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(out),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
    )


class OnnxModel:
    """An exported model behind the torch call the classifier makes:
    ``model(input_ids=..., attention_mask=...)`` → its output (logits, or an encoder's
    states) as a float32 tensor. The ids' rows are looked up in ``table``, the model's own
    (shared) word-embedding table, and fed to the graph as float32.

    Threads: one session per intra-op thread count, made on first use; each call runs on the
    session for torch's current count, which the caller has just set with
    :func:`nlp.cpu.adapt_threads` (the cores other processes leave free), threads not spinning
    between calls. ``threads`` fixes the count.
    Without the table the int8 file is 23 MB (407 MB with it)."""

    def __init__(self, path: Path, table: torch.Tensor, threads: int | None = None):
        self.path, self.table, self.threads = path, table, threads
        self._sessions: dict[int, object] = {}
        self._session(threads or torch.get_num_threads())  # fail here, not on the first call

    def _session(self, threads: int):
        import onnxruntime as ort

        if threads not in self._sessions:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[threads] = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        return self._sessions[threads]

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        rows = nn.functional.embedding(input_ids, self.table).float()
        feed = {
            "word_rows": rows.numpy(),
            "attention_mask": attention_mask.numpy().astype(np.int64, copy=False),
        }
        session = self._session(self.threads or torch.get_num_threads())
        return torch.from_numpy(session.run(None, feed)[0])

    def eval(self) -> OnnxModel:  # the torch model's face
        return self


def cache_path(name: str, version: str, precision: str) -> Path:
    """Where the exported ``precision`` file of model ``name`` at ``version`` is kept."""
    return paths.cache_dir() / "onnx" / f"{name}-{version}-v{EXPORT_VERSION}-{precision}.onnx"


def build(model: nn.Module, out: Path, precision: str) -> Path:
    """Export (and for ``onnx_int8`` quantise) ``model`` to ``out``, atomically."""
    if precision not in ONNX_PRECISIONS:
        raise ValueError(f"precision must be one of {ONNX_PRECISIONS}, got {precision!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.onnx")
    fp32 = out.with_name(f".{out.stem}.{os.getpid()}.fp32.onnx")
    try:
        export(model, fp32 if precision == "onnx_int8" else tmp)
        if precision == "onnx_int8":
            quantize(fp32, tmp)
        tmp.replace(out)
    finally:
        for leftover in (tmp, fp32):
            leftover.unlink(missing_ok=True)
    return out


def onnx_encoder(encoder: nn.Module, name: str, version: str, precision: str) -> OnnxModel | None:
    """A ``BertModel``'s last hidden states on ONNX Runtime (:class:`EncoderStates`), as
    :func:`onnx_model`; ``name`` keys the cache (``summarizer-encoder`` ...)."""
    return onnx_model(EncoderStates(encoder), name, version, precision)


def onnx_model(model: nn.Module, name: str, version: str, precision: str) -> OnnxModel | None:
    """``model`` on ONNX Runtime at ``precision``, exported on first use; ``None`` (and a
    warning) when that is not possible here, so the caller keeps ``model`` on torch."""
    out = cache_path(name, version, precision)
    try:
        if not out.exists():
            log.info("exporting the %s to ONNX (%s), once: %s", name, precision, out)
            build(model, out, precision)
        return OnnxModel(out, model.encoder.embeddings.word_embeddings.weight)
    except Exception as exc:  # noqa: BLE001 - any failure means: stay on torch
        log.warning("ONNX Runtime path unavailable for the %s (%s); using torch", name, exc)
        return None
