"""Inference precision of the encoder models, shared by the classifier and the summariser.

* ``fp32``: float32 weights and arithmetic.
* ``bf16``: float32 weights, matrix products under ``torch.autocast`` in bfloat16 (layer norms
  and softmax stay float32; every linear layer casts its weight on each call).
* ``bf16_weights``: the weights themselves stored in bfloat16, no autocast: no per-call
  casts, about 20-35 % faster on this 2-core CPU than autocast, same argmax on the checks in
  ``benchmarks/``.
* ``int8``: dynamic quantisation of the linear layers (``torch.ao``), activations float32.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

PRECISIONS = ("fp32", "bf16", "bf16_weights", "int8")


def check_precision(precision: str, allowed: tuple[str, ...] = PRECISIONS) -> str:
    if precision not in allowed:
        raise ValueError(f"precision must be one of {', '.join(allowed)}, got {precision!r}")
    return precision


def apply_precision(model: nn.Module, precision: str) -> nn.Module:
    """``model`` ready for inference at ``precision`` (may be a new module for ``int8``)."""
    check_precision(precision)
    if precision == "bf16_weights":
        return model.to(torch.bfloat16)
    if precision == "int8":
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    return model


def inference_context(precision: str) -> contextlib.AbstractContextManager:
    """``inference_mode`` plus, for ``bf16``, CPU autocast."""
    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode())
    if precision == "bf16":
        stack.enter_context(torch.autocast("cpu", dtype=torch.bfloat16))
    return stack
