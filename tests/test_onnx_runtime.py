"""The ONNX Runtime paths on tiny random models: the classifier, the summariser's encoder, int8, the cache."""

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
    table = model.encoder.embeddings.word_embeddings.weight
    got = onnx_runtime.OnnxModel(path, table)(**batch).numpy()
    assert got.shape == want.shape == (3, 6)
    tol = 1e-4 if precision == "onnx_fp32" else 0.1 * np.abs(want).max()
    assert np.abs(got - want).max() <= tol
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
    import onnx

    shapes = [tuple(t.dims) for t in onnx.load(str(path)).graph.initializer]
    assert (120, 32) not in shapes  # the word-embedding table stays out of the graph
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


@pytest.mark.parametrize("precision", onnx_runtime.ONNX_PRECISIONS)
def test_summariser_encoder_on_onnx_gives_the_torch_states_and_beams(tmp_path, precision):
    from transformers.modeling_outputs import BaseModelOutput

    from nlp.seq2seq import beam_cache, build_seq2seq
    from nlp.summarizer import SummarizerConfig

    torch.manual_seed(0)
    dec_vocab = [1, 0, 2, 3, *range(10, 60)]
    cfg = SummarizerConfig(decoder_layers=1, lora_r=2)
    model = merge_lora(build_seq2seq(task_copy(tiny_bert()), cfg, dec_vocab)).eval()
    ids = torch.tensor([[0, 11, 12, 13, 14, 15, 16, 2], [0, 21, 22, 2, 1, 1, 1, 1]])
    mask = (ids != 1).long()  # 8 tokens: not the export's 4, the axis is dynamic
    with torch.inference_mode():
        want = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    path = onnx_runtime.build(
        onnx_runtime.EncoderStates(model.encoder), tmp_path / "e.onnx", precision
    )
    table = model.encoder.embeddings.word_embeddings.weight
    states = onnx_runtime.OnnxModel(path, table)(input_ids=ids, attention_mask=mask)
    assert states.shape == want.shape == (2, 8, 32)
    tol = 1e-4 if precision == "onnx_fp32" else 0.1 * want.abs().max().item()
    assert (states - want).abs().max().item() <= tol
    if precision == "onnx_fp32":  # the same beams from the states as from the ids
        kw = dict(attention_mask=mask, num_beams=3, num_return_sequences=3, max_new_tokens=6)
        with torch.inference_mode():
            plain = model.generate(input_ids=ids, past_key_values=beam_cache(), **kw)
            ours = model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=states),
                past_key_values=beam_cache(),
                **kw,
            )
        assert ours.tolist() == plain.tolist()


def test_each_call_runs_on_a_session_with_the_threads_the_load_leaves(tmp_path):
    model, batch = _model(), _batch()
    path = onnx_runtime.build(model, tmp_path / "m.onnx", "onnx_fp32")
    before = torch.get_num_threads()
    onnx = onnx_runtime.OnnxModel(path, model.encoder.embeddings.word_embeddings.weight)
    outs = []
    try:
        for n in (1, 2, 1):  # what nlp.cpu.adapt_threads sets before each model call
            torch.set_num_threads(n)
            outs.append(onnx(**batch).numpy())
    finally:
        torch.set_num_threads(before)
    assert sorted(onnx._sessions) == sorted({1, 2, before})
    assert onnx._sessions[1].get_session_options().intra_op_num_threads == 1
    assert np.abs(outs[0] - outs[1]).max() < 1e-5 and np.abs(outs[0] - outs[2]).max() < 1e-5
