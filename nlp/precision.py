"""Inference precision of the encoder models, shared by the classifier and the summariser.

* ``fp32``: float32 weights and arithmetic.
* ``bf16``: float32 weights, matrix products under ``torch.autocast`` in bfloat16 (layer norms
  and softmax stay float32; every linear layer casts its weight on each call).
* ``bf16_weights``: the weights themselves stored in bfloat16, no autocast: no per-call
  casts, about 20-35 % faster on this 2-core CPU than autocast, same argmax on the checks in
  ``benchmarks/``.
* ``int8``: dynamic quantisation of the linear layers (``torch.ao``), activations float32.

The bf16 settings pay only on a CPU with native bfloat16 arithmetic (AVX-512 BF16 or AMX):
elsewhere torch emulates it and it is about 5x slower than float32 (measured: 8 classifier
windows of 256 tokens, 6.6 s in bf16 weights, 1.2 s in fp32, on an AVX2-only EPYC). A model's
*shipped* setting is therefore resolved per machine by :func:`runtime_precision`: there, its
config's ``precision_without_bf16`` is used instead (``fp32`` for the shipped models: on an
AVX2 EPYC, ONNX Runtime int8 (:mod:`nlp.onnx_runtime`) was 1.35x faster for the classifier
and 1.19x for bulk summaries, but lost 3 macro-F1 points on the out-of-domain test and about
a ROUGE-L point on two out-of-domain sets). A precision asked for explicitly (benchmarks,
``$NEWSDESK_PRECISION``) is used as it is.
"""

from __future__ import annotations

import contextlib
import logging
from functools import lru_cache

import torch
from torch import nn

from nlp import paths
from nlp.paths import PRECISION_ENV  # noqa: F401 - the variable's name, for callers

PRECISIONS = ("fp32", "bf16", "bf16_weights", "int8")


def check_precision(precision: str, allowed: tuple[str, ...] = PRECISIONS) -> str:
    if precision not in allowed:
        raise ValueError(f"precision must be one of {', '.join(allowed)}, got {precision!r}")
    return precision


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when this CPU does bfloat16 matrix arithmetic natively (``avx512_bf16`` or
    ``amx_bf16`` in ``/proc/cpuinfo``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = set(f.read().split())
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & flags)


def runtime_precision(
    shipped: str, allowed: tuple[str, ...] = PRECISIONS, without_bf16: str = "fp32"
) -> str:
    """The precision to run a model's shipped setting at on this machine.

    ``$NEWSDESK_PRECISION`` wins when set and this model has it (other models keep their own
    setting); otherwise a bf16 setting becomes ``without_bf16`` (the model config's
    ``precision_without_bf16``) on a CPU without native bfloat16 (:func:`cpu_has_bf16`), where
    bf16 would be ~5x slower; ``benchmarks/bench_classifier.py`` and
    ``benchmarks/bench_summarizer.py --paths`` time every path there.
    """
    from nlp.onnx_runtime import ONNX_PRECISIONS

    forced = paths.forced_precision()
    if forced and (forced in allowed or forced not in (*PRECISIONS, *ONNX_PRECISIONS)):
        return check_precision(forced, allowed)  # a typo raises, naming it
    if forced:
        logging.getLogger(__name__).info("%s is not a path of this model: its own setting", forced)
    if shipped in ("bf16", "bf16_weights") and not cpu_has_bf16():
        choice = check_precision(without_bf16, allowed)
        logging.getLogger(__name__).info(
            "no native bf16 on this CPU: running %s as %s", shipped, choice
        )
        return choice
    return check_precision(shipped, allowed)


def choose_precision(requested: str | None, cfg, allowed: tuple[str, ...]) -> str:
    """``requested``, else the precision a model config's ``precision`` and
    ``precision_without_bf16`` settings run at here (:func:`runtime_precision`), checked."""
    if requested:
        return check_precision(requested, allowed)
    return runtime_precision(cfg.precision, allowed, cfg.precision_without_bf16)


def apply_precision(model: nn.Module, precision: str) -> nn.Module:
    """``model`` ready for inference at ``precision`` (converted in place)."""
    check_precision(precision)
    if precision == "bf16_weights":
        return model.to(torch.bfloat16)
    if precision == "int8":
        return torch.ao.quantization.quantize_dynamic(
            model, {nn.Linear}, dtype=torch.qint8, inplace=True
        )
    return model


def inference_context(precision: str) -> contextlib.AbstractContextManager:
    """``inference_mode`` plus, for ``bf16``, CPU autocast."""
    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode())
    if precision == "bf16":
        stack.enter_context(torch.autocast("cpu", dtype=torch.bfloat16))
    return stack


def training_autocast(device: str) -> contextlib.AbstractContextManager:
    """bf16 autocast for training where it pays (a GPU, or a CPU with native bf16); plain
    fp32 elsewhere: on a CPU without it, emulated bf16 made a training step ~30x slower
    (about 4 minutes instead of 8 s for 32 windows of 192 tokens on 2 AVX2 cores)."""
    kind = device.split(":")[0]
    if kind == "cuda" or (kind == "cpu" and cpu_has_bf16()):
        return torch.autocast(kind, dtype=torch.bfloat16)
    return contextlib.nullcontext()
