"""The ONNX Runtime path of the classifier on a tiny random BERT: export, int8, the cache."""

import numpy as np
import pytest
import torch

from nlp import onnx_runtime
from nlp.classifier import ClassifierConfig, build_model
from nlp.lora import merge_lora
from nlp.shared_base import task_copy
from nlp.windows import collate
from tests.test_model_parts import tiny_bert

pytest.importorskip("onnx")


def _model():
    model = build_model(task_copy(tiny_bert()), ClassifierConfig(lora_r=2))
    with torch.no_grad():
        model.head.weight.normal_()  # a head that tells the labels apart
    return merge_lora(model).eval()


def _batch():
    return collate([[5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [20]], 0, 2, 1)


@pytest.mark.parametrize("precision", onnx_runtime.ONNX_PRECISIONS)
def test_exported_model_gives_the_torch_logits(tmp_path, precision):
    model, batch = _model(), _batch()
    with torch.inference_mode():
        want = model(**batch).numpy()
    path = onnx_runtime.build(model, tmp_path / "m.onnx", precision)
    got = onnx_runtime.OnnxModel(path)(**batch).numpy()
    assert got.shape == want.shape == (3, 6)
    tol = 1e-4 if precision == "onnx_fp32" else 0.1 * np.abs(want).max()
    assert np.abs(got - want).max() <= tol
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
    # The shared bfloat16 word table is back in place after the export.
    assert model.encoder.embeddings.word_embeddings.weight.dtype == torch.bfloat16


def test_onnx_model_is_cached_per_version_and_falls_back_when_it_cannot_be_built(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("NEWSDESK_CACHE", str(tmp_path))
    model = _model()
    first = onnx_runtime.onnx_model(model, "classifier", "v1", "onnx_fp32")
    path = onnx_runtime.cache_path("classifier", "v1", "onnx_fp32")
    assert first is not None and first.path == path and path.exists()
    stamp = path.stat().st_mtime_ns
    assert onnx_runtime.onnx_model(model, "classifier", "v1", "onnx_fp32").path == path
    assert path.stat().st_mtime_ns == stamp  # reused, not exported again

    def broken(*args, **kwargs):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_runtime, "export", broken)
    assert onnx_runtime.onnx_model(model, "classifier", "v2", "onnx_fp32") is None
    assert "using torch" in caplog.text
    with pytest.raises(ValueError, match="precision"):
        onnx_runtime.build(model, tmp_path / "x.onnx", "onnx_fp16")
