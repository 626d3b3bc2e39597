"""Model building blocks on tiny random BERTs: no trained weights needed, seconds to run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from nlp.classifier import ClassifierConfig, DomainModel, build_model, collate, windows
from nlp.lora import load_into, load_small, merge_lora, save_small
from nlp.summarizer import (
    BOS,
    EOS,
    SourceVocabulary,
    SummarizerConfig,
    beam_cache,
    build_seq2seq,
    decoder_layer_ids,
    lead_clause,
    trim_to_clause,
)
from training.export import fit_temperature, keep_offsets, per_set_macro_f1


def tiny_bert(seed: int = 0) -> BertModel:
    torch.manual_seed(seed)
    cfg = BertConfig(
        vocab_size=120,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=80,
    )
    return BertModel(cfg, add_pooling_layer=False).eval()


def test_head_tail_and_chunk_windows():
    cfg = ClassifierConfig(max_length=10, head_tokens=5)  # 8 content tokens per window
    ids = list(range(20))
    assert windows(ids[:8], cfg) == [ids[:8]]
    assert windows(ids, cfg, "head_tail") == [ids[:5] + ids[-3:]]
    chunks = windows(
        ids, ClassifierConfig(max_length=10, head_tokens=5, long_strategy="chunks", max_chunks=2)
    )
    assert chunks == [ids[:8], ids[8:16]]


def test_collate_adds_specials_and_pads():
    b = collate([[5, 6, 7], [8]], bos=0, eos=2, pad=1)
    pad = [1] * 27  # the width is bucketed to 32 tokens
    assert b["input_ids"].tolist() == [[0, 5, 6, 7, 2, *pad], [0, 8, 2, 1, 1, *pad]]
    assert b["attention_mask"].tolist() == [[1] * 5 + [0] * 27, [1] * 3 + [0] * 29]
    assert collate([list(range(31))], 0, 2, 1)["input_ids"].shape == (1, 64)


def test_bucketed_padding_leaves_the_logits_as_they_were():
    model = DomainModel(tiny_bert(), 6, dropout=0.0).eval()
    wins = [[5, 6, 7], [8, 9, 10, 11]]
    exact = {
        "input_ids": torch.tensor([[0, 5, 6, 7, 2, 1], [0, 8, 9, 10, 11, 2]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]),
    }
    with torch.inference_mode():
        a, b = model(**exact), model(**collate(wins, 0, 2, 1))
    assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize(
    "bad",
    [
        {"long_strategy": "middle"},
        {"temperature": 0.0},
        {"head_tokens": 300},
        {"labels": ("a", "b")},
    ],
)
def test_classifier_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ClassifierConfig(**bad)


def test_only_adapters_and_head_train():
    model = build_model(tiny_bert(), ClassifierConfig(lora_r=4))
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or n.startswith(("head.", "attn.")) for n in names)
    assert any("attention.self.query.lora_A" in n for n in names)


def test_attention_pooling_starts_as_the_mean_and_one_window_reads_as_forward():
    model = DomainModel(tiny_bert(), 6, dropout=0.0).eval()
    wins = [[5, 6, 7], [8, 9], [10, 11, 12, 13], [14]]
    batch = collate(wins, 1, 2, 0)
    with torch.no_grad():
        vecs = model.encode(**batch)
        owners = torch.tensor([0, 0, 0, 1])  # article 0 in three windows, article 1 in one
        art = model.combine(vecs, owners, 2)
        assert torch.allclose(art[0], vecs[:3].mean(0), atol=1e-5)  # zero scorer: the mean
        single = model.classify(art[1:])
        assert torch.allclose(single, model(**collate([wins[3]], 1, 2, 0)), atol=1e-5)
        model.attn.bias.fill_(3.0)  # a bias alone moves nothing: weights are a softmax
        assert torch.allclose(model.combine(vecs, owners, 2), art, atol=1e-5)
        d = vecs[2] - vecs[:2].mean(0)
        model.attn.weight.copy_(d / d.norm() * 1e4)  # a scorer that prefers window 2
        assert torch.allclose(model.combine(vecs, owners, 2)[0], vecs[2], atol=1e-3)


def test_attention_pooling_trains_with_the_adapters():
    model = build_model(tiny_bert(), ClassifierConfig(lora_r=2, lora_alpha=4))
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert {"attn.weight", "attn.bias"} <= names


def test_saved_adapters_reload_and_merge_to_the_same_function(tmp_path):
    cfg = ClassifierConfig(lora_r=4)
    model = build_model(tiny_bert(), cfg)
    with torch.no_grad():  # make the adapters non-trivial (lora_B starts at zero)
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    model.eval()
    batch = collate([[5, 6, 7, 8], [9, 10]], bos=0, eos=2, pad=1)
    expected = model(**batch)
    state = {n: p for n, p in model.named_parameters() if p.requires_grad}
    save_small(state, {"config": "x"}, tmp_path, "m", dtype=torch.float32, max_shard_mb=1)
    loaded, meta = load_small(tmp_path, "m")
    assert meta["config"] == "x" and set(loaded) == set(state)
    fresh = build_model(tiny_bert(), cfg)
    load_into(fresh, loaded)
    fresh.eval()
    merge_lora(fresh)
    assert not any("lora_" in n for n, _ in fresh.named_parameters())
    torch.testing.assert_close(fresh(**batch), expected, atol=1e-5, rtol=1e-4)


def test_load_into_refuses_foreign_weights():
    model = DomainModel(tiny_bert())
    with pytest.raises(RuntimeError):
        load_into(model, {"not.a.weight": torch.zeros(1)})


def test_temperature_fit_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 6)) * 2
    p = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    y = np.array([rng.choice(6, p=row) for row in p])
    assert fit_temperature(true_logits * 3.0, y)[0] == pytest.approx(3.0, rel=0.1)
    temp, bias = fit_temperature(true_logits * 3.0 + np.array([2.0, 0, 0, 0, 0, 0]), y, bias=True)
    assert temp == pytest.approx(3.0, rel=0.1)
    assert bias[0] - bias[1:].mean() == pytest.approx(-2.0 / 3.0, abs=0.15)


def test_offsets_are_judged_per_calibration_set_not_pooled():
    # a big set the offsets help a little, a small one they hurt a lot: pooled they look fine
    y = np.array([0] * 90 + [5] * 90 + [0] * 10 + [5] * 10)
    with_offsets = np.array([0] * 90 + [5] * 90 + [5] * 20)  # the small set: all `other`
    without = np.array([0] * 88 + [5] * 92 + [0] * 10 + [5] * 10)
    sizes = [180, 20]
    a, b = per_set_macro_f1(y, with_offsets, sizes), per_set_macro_f1(y, without, sizes)
    assert a[0] == 1.0 and b[1] == 1.0 and a[1] < 0.5
    assert not keep_offsets(a, b)
    assert keep_offsets(b, a)
    assert per_set_macro_f1(y, y, [200]) == [1.0]


def test_seq2seq_trains_on_tiny_data_and_generates():
    base = tiny_bert()
    dec_vocab = [1, 0, 2, 3, *range(10, 40)]  # base ids of <pad> <s> </s> <unk>, then pieces
    model = build_seq2seq(base, SummarizerConfig(decoder_layers=1, lora_r=2), dec_vocab)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in n or n.startswith("decoder.") for n in trainable)
    ids = torch.tensor([[0, 11, 12, 13, 2]])
    labels = torch.tensor([[5, 6, EOS]])
    dec_in = torch.tensor([[BOS, 5, 6]])
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    losses = []
    for _ in range(30):
        out = model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            decoder_input_ids=dec_in,
            labels=labels,
        )
        out.loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(out.loss.item())
    assert losses[-1] < losses[0] / 2
    model.eval()
    gen = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=5)
    assert gen[0, 1:4].tolist() == [5, 6, EOS]


def test_beam_cache_gives_the_beams_of_the_default_cache():
    torch.manual_seed(0)
    dec_vocab = [1, 0, 2, 3, *range(10, 60)]
    model = build_seq2seq(tiny_bert(), SummarizerConfig(decoder_layers=2, lora_r=2), dec_vocab)
    model.eval()
    ids = torch.tensor([[0, 11, 12, 13, 14, 15, 2], [0, 21, 22, 2, 1, 1, 1]])
    kw = dict(
        input_ids=ids,
        attention_mask=(ids != 1).long(),
        num_beams=4,
        num_return_sequences=4,
        max_new_tokens=8,
        output_scores=True,
        return_dict_in_generate=True,
    )
    with torch.inference_mode():
        plain = model.generate(**kw)
        ours = model.generate(past_key_values=beam_cache(), **kw)
    assert ours.sequences.tolist() == plain.sequences.tolist()
    torch.testing.assert_close(ours.sequences_scores, plain.sequences_scores)
    # the beams do get reordered (else the test would not tell the caches apart)
    assert (plain.beam_indices[:, 1:4] != torch.arange(8)[:, None]).any()


def test_decoder_layers_spread_over_the_encoder():
    assert decoder_layer_ids(12, 4) == [0, 4, 7, 11]
    assert decoder_layer_ids(12, 1) == [11]


def test_source_vocabulary_masks_and_boosts():
    allowed = torch.tensor([[True, True, False, True]])
    in_source = torch.tensor([[False, True, False, False]])
    proc = SourceVocabulary(allowed, in_source, beams=2, bonus=1.5)
    out = proc(torch.zeros(2, 1, dtype=torch.long), torch.zeros(2, 4))
    assert out[:, 2].tolist() == [float("-inf")] * 2
    assert out[:, 1].tolist() == [1.5, 1.5]
    assert out[:, 0].tolist() == [0.0, 0.0]


def test_trim_to_clause_never_cuts_mid_clause():
    assert (
        trim_to_clause("全市小麦保险理赔工作推进会召开，副市长赵鹏出")
        == "全市小麦保险理赔工作推进会召开"
    )
    assert trim_to_clause("没有任何标点的一句话") == ""


def test_lead_clause_keeps_whole_clauses_within_the_limit():
    text = (
        "5月30日，全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话。在听取汇报后提出要求。"
    )
    assert (
        lead_clause(text, 60) == "5月30日，全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话"
    )
    assert lead_clause(text, 25) == "5月30日，全市小麦保险理赔工作推进会召开"


def _shipped_meta(name: str) -> dict:
    import json

    from nlp import paths

    return json.loads((paths.model_dir(name) / f"{name}.json").read_text(encoding="utf-8"))


def _folder_with(tmp_path, name: str, meta: dict):
    """A model folder holding ``meta`` and links to the shipped weights."""
    import json

    from nlp import paths

    for f in meta.get("weight_files", []):
        (tmp_path / f).symlink_to(paths.model_dir(name) / f)
    (tmp_path / f"{name}.json").write_text(json.dumps(meta), encoding="utf-8")
    return tmp_path


def test_summarizer_folder_without_free_order_is_refused(tmp_path):
    from nlp.summarizer import Summarizer

    meta = _shipped_meta("summarizer")
    del meta["free_order"]
    folder = _folder_with(tmp_path, "summarizer", meta)
    with pytest.raises(ValueError, match=r"summarizer\.json.*'free_order'"):
        Summarizer(folder)


@pytest.mark.parametrize("name", ["classifier", "summarizer"])
def test_committed_configs_name_every_field_and_no_machine_path(name):
    from dataclasses import fields

    from nlp import classifier, summarizer
    from nlp.config import machine_paths

    meta = _shipped_meta(name)
    cls = {"classifier": ClassifierConfig, "summarizer": SummarizerConfig}[name]
    assert list(meta["config"]) == [f.name for f in fields(cls)]
    module = {"classifier": classifier, "summarizer": summarizer}[name]
    assert module.load_config() == cls(**meta["config"])

    assert machine_paths(meta) == []


@pytest.mark.parametrize("name", ["classifier", "summarizer"])
@pytest.mark.parametrize("change", ["unknown", "missing"])
def test_config_with_unknown_or_missing_field_raises_naming_it(tmp_path, name, change):
    from nlp import classifier, summarizer

    meta = _shipped_meta(name)
    if change == "unknown":
        meta["config"]["beam_width"] = 3
        field_name = "beam_width"
    else:
        field_name = "lora_alpha"
        del meta["config"][field_name]
    folder = _folder_with(tmp_path, name, meta)
    module = {"classifier": classifier, "summarizer": summarizer}[name]
    with pytest.raises(ValueError, match=f"{name}\\.json.*{change} .*'{field_name}'"):
        module.load_config(folder)


def test_machine_paths_are_cut_to_their_last_part():
    from nlp.config import strip_machine_paths

    got = strip_machine_paths(
        {"out": "/root/out/summarizer", "ckpt": "~/ck.pt", "pack": ".pack", "n": [1, "C:\\r\\x"]}
    )
    assert got == {"out": "summarizer", "ckpt": "ck.pt", "pack": ".pack", "n": [1, "x"]}
