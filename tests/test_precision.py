"""Precision settings shared by the classifier and the summariser."""

import pytest
import torch
from torch import nn

from nlp.precision import apply_precision, check_precision, inference_context


def test_bf16_weights_casts_parameters_and_runs_without_autocast():
    model = apply_precision(nn.Linear(4, 2), "bf16_weights")
    assert model.weight.dtype == torch.bfloat16
    with inference_context("bf16_weights"):
        assert not torch.is_autocast_enabled("cpu")
        out = model(torch.ones(1, 4, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16 and not out.requires_grad


def test_bf16_autocasts_float32_weights():
    model = apply_precision(nn.Linear(4, 2), "bf16")
    assert model.weight.dtype == torch.float32
    with inference_context("bf16"):
        assert model(torch.ones(1, 4)).dtype == torch.bfloat16


def test_int8_quantises_linear_layers():
    model = apply_precision(nn.Sequential(nn.Linear(4, 2)), "int8")
    assert "quantized" in type(model[0]).__module__


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="fp16"):
        check_precision("fp16")
    with pytest.raises(ValueError, match="int8"):
        check_precision("int8", ("fp32", "bf16"))


def test_shipped_bf16_runs_as_the_models_other_setting_on_a_cpu_without_native_bf16(monkeypatch):
    from nlp import precision
    from nlp.classifier import CLASSIFIER_PRECISIONS

    monkeypatch.delenv(precision.PRECISION_ENV, raising=False)
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert precision.runtime_precision("bf16_weights") == "fp32"
    assert precision.runtime_precision("bf16") == "fp32"
    assert precision.runtime_precision("int8") == "int8"
    onnx = precision.runtime_precision("bf16_weights", CLASSIFIER_PRECISIONS, "onnx_int8")
    assert onnx == "onnx_int8"
    with pytest.raises(ValueError, match="onnx_int8"):  # not a path of that model
        precision.runtime_precision("bf16_weights", without_bf16="onnx_int8")
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert precision.runtime_precision("bf16_weights") == "bf16_weights"
    monkeypatch.setenv(precision.PRECISION_ENV, "fp32")
    assert precision.runtime_precision("bf16_weights") == "fp32"
    monkeypatch.setenv(precision.PRECISION_ENV, "fp8")
    with pytest.raises(ValueError, match="fp8"):
        precision.runtime_precision("bf16_weights")


def test_a_forced_path_applies_to_the_models_that_have_it(monkeypatch):
    from nlp import precision
    from nlp.classifier import CLASSIFIER_PRECISIONS

    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    monkeypatch.setenv(precision.PRECISION_ENV, "onnx_int8")
    assert precision.runtime_precision("bf16_weights", CLASSIFIER_PRECISIONS) == "onnx_int8"
    assert precision.runtime_precision("bf16_weights") == "bf16_weights"  # a model without it
    monkeypatch.setenv(precision.PRECISION_ENV, "onnx_fp8")
    with pytest.raises(ValueError, match="onnx_fp8"):
        precision.runtime_precision("bf16_weights", CLASSIFIER_PRECISIONS)
