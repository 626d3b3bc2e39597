"""Tests of nlp.extractive (centrality-ranked key sentences, salient text)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlp.extractive as ex
from nlp.extractive import centrality, key_sentences, lead_headline, rank_sentences, salient_text

SENTENCES = [
    "水利部召开防汛会商会，部署长江流域防汛工作。",
    "今天北京天气晴朗，最高气温二十度。",
    "各地水利部门加强防汛值守，确保长江流域安全度汛。",
    "长江流域防汛形势严峻，水利部要求各地做好防汛准备。",
    "一场足球比赛在上海举行。",
]


def test_docstring_examples_hold():
    result = doctest.testmod(ex)
    assert result.attempted > 0 and result.failed == 0


def test_key_sentences_pick_central_ones_in_article_order():
    top = key_sentences(SENTENCES, k=3)
    assert top == [SENTENCES[0], SENTENCES[2], SENTENCES[3]]
    assert key_sentences(SENTENCES, k=1)[0] in top


def test_key_sentences_edge_cases():
    assert key_sentences([], k=3) == []
    assert key_sentences(SENTENCES, k=0) == []
    assert key_sentences(SENTENCES[:2], k=5) == SENTENCES[:2]
    assert key_sentences(["只有一句。"], k=1) == ["只有一句。"]
    assert key_sentences(["", " "], k=1) == [""]  # no characters: ties, first wins


def test_key_sentences_use_given_embeddings():
    # sentence 1 lies between the others: the most central one
    vectors = np.array([[1.0, 0.0], [0.7, 0.7], [0.0, 1.0]])
    assert key_sentences(["甲。", "乙。", "丙。"], embeddings=vectors, k=1) == ["乙。"]
    with pytest.raises(ValueError):
        key_sentences(["甲。", "乙。"], embeddings=vectors, k=1)


def test_centrality_values():
    scores = centrality(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    assert scores[0] == pytest.approx(scores[1]) and scores[0] > scores[2]
    assert centrality(np.zeros((0, 3))).shape == (0,)
    assert rank_sentences(["甲。", "甲。"]) == [0, 1]


def test_salient_text_keeps_short_text_unchanged():
    assert salient_text("水利部部署防汛工作。", 100) == "水利部部署防汛工作。"


def test_salient_text_keeps_lead_and_central_sentences():
    text = "".join(SENTENCES)
    out = salient_text(text, 60)
    assert len(out) <= 60
    assert out.startswith(SENTENCES[0])
    assert "足球" not in out and "天气" not in out
    # kept sentences appear in article order
    kept = [s for s in SENTENCES if s in out]
    assert len(kept) >= 2 and out == "".join(kept)


def test_salient_text_with_embedder_and_long_lead():
    calls = []

    def embed(sentences):
        calls.append(len(sentences))
        return np.eye(len(sentences))

    out = salient_text("".join(SENTENCES), 40, embed=embed)
    assert calls == [len(SENTENCES)] and out.startswith(SENTENCES[0]) and len(out) <= 40
    assert salient_text("很长的导语" * 20 + "。后文。", 10) == ("很长的导语" * 20)[:10]
    with pytest.raises(ValueError):
        salient_text("文本", 0)


# Bounds (issue #10): memory linear in the number of sentences, same scores as before.

ARTICLES = [
    "".join(SENTENCES),
    "5月30日，全市小麦保险理赔工作推进会召开。会议通报了全市小麦受灾和理赔进展情况。"
    "各承保公司要及早行动，安排保险理赔员全部下沉一线。要做到应赔尽赔、快赔早赔。"
    "市农业农村局将会同金融部门加强督导。受灾农户可拨打服务电话咨询理赔事宜。",
    "东城区开展关爱留守儿童、困境儿童成长活动。活动中，志愿者为孩子们送上学习用品。"
    "社区工作人员详细了解每名儿童的生活和学习情况。“今天特别开心！”一名孩子说。"
    "下一步，东城区将持续做好困境儿童保障工作。工作人员和孩子们合影留念。",
]


def dense_centrality(vectors: np.ndarray) -> np.ndarray:
    """The n x n formula the module used before, as the reference."""
    x = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    n = len(x)
    sims = x @ x.T
    to_others = (sims.sum(axis=1) - np.diag(sims)) / (n - 1) if n > 1 else np.diag(sims)
    centroid = x.mean(axis=0)
    norm = np.linalg.norm(centroid)
    to_centroid = x @ (centroid / norm) if norm > 0 else np.zeros(n)
    return 0.5 * to_others + 0.5 * to_centroid


def test_centrality_equals_the_dense_formula():
    rng = np.random.default_rng(0)
    for vectors in (rng.normal(size=(7, 4)), np.array([[1.0, 0.0], [0.0, 0.0], [2.0, 2.0]])):
        assert np.allclose(centrality(vectors), dense_centrality(vectors), atol=1e-12)
    from nlp.text import split_sentences

    for text in ARTICLES:
        sentences = split_sentences(text)
        tfidf = ex.tfidf_vectors(sentences)
        assert np.allclose(centrality(tfidf), dense_centrality(tfidf.toarray()), atol=1e-12)
        reference = np.round(dense_centrality(tfidf.toarray()), 12)  # float-noise ties
        expected = sorted(range(len(sentences)), key=lambda i: (-reference[i], i))
        assert rank_sentences(sentences) == expected


def _many_sentences(n: int) -> list[str]:
    # distinct sentences over a small alphabet: few TF-IDF features, many rows
    alphabet = "水利防汛部署工作会议要求各地加强值守确保安全度汛长江流域"
    rng = np.random.default_rng(1)
    return ["".join(rng.choice(list(alphabet), size=8)) + "。" for _ in range(n)]


def test_memory_is_linear_in_the_number_of_sentences():
    import tracemalloc

    sentences = _many_sentences(3000)  # a dense 3000 x 3000 similarity alone is 72 MB
    tracemalloc.start()
    try:
        key_sentences(sentences, k=3)
        salient_text("".join(sentences), 600)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_salient_text_embeds_a_bounded_number_of_sentences():
    calls = []

    def embed(sentences):
        calls.append(len(sentences))
        return np.eye(len(sentences))

    sentences = _many_sentences(1000)  # an embedder call per sentence: a model run each
    out = salient_text("".join(sentences), 100, embed=embed)
    assert calls == [] and out.startswith(sentences[0]) and len(out) <= 100
    assert ex.MAX_EMBEDDED_SENTENCES < 1000
    salient_text("".join(sentences[: ex.MAX_EMBEDDED_SENTENCES]), 100, embed=embed)
    assert calls == [ex.MAX_EMBEDDED_SENTENCES]


# --------------------------------------------------------------------------- lead headline


@pytest.mark.parametrize(
    ("lead", "headline"),
    [
        ("本报南京6月23日电 （记者姚雪青）电子是否“可分”，一直是困扰消费者的问题。",
         "电子是否“可分”，一直是困扰消费者的问题"),
        ("新华社北京6月1日电 国务院总理李强1日主持召开国务院常务会议。",
         "国务院总理李强1日主持召开国务院常务会议"),
        ("据新华社消息，近日，国家防总启动防汛四级应急响应。", "国家防总启动防汛四级应急响应"),
        ("5月17日—19日，许昌市公安局开展派出所建设工作现场观摩交流活动。",
         "许昌市公安局开展派出所建设工作现场观摩交流活动"),
        ("5月30日，石梁河市级河湖长、市委常委、许昌军分区司令员李选才带领市河长办、市水利局和市住建局"
         "等相关部门负责同志到禹州市石梁河开展巡河调研工作。",
         "许昌军分区司令员李选才到禹州市石梁河开展巡河调研工作"),
        ("为进一步落实留守儿童、困境儿童关爱举措，营造全社会关爱儿童成长的良好氛围，5月31日，东城区永昌"
         "办事处开展关爱留守儿童、困境儿童成长活动。", "东城区永昌办事处开展关爱留守儿童、困境儿童成长活动"),
    ],
)  # fmt: skip
def test_lead_headline_is_a_clean_short_clause_of_the_lead(lead, headline):
    from nlp.evaluation.defects import summary_defects

    out = lead_headline(lead + "第二句话在这里。")
    assert out == headline
    found = summary_defects(out, lead)
    assert not found["dateline"] and not found["invented"] and not found["length"], found


@given(st.text(min_size=1, max_size=400))
@settings(max_examples=150, deadline=None)
def test_lead_headline_is_never_empty_and_never_long(text):
    out = lead_headline(text)
    if text.strip():
        assert out.strip()
    assert len(out) <= 30


def test_the_fallback_takes_out_a_dateline_its_lead_compression_kept():
    from nlp.evaluation.defects import dateline_or_byline
    from nlp.summarizer import fallback_summary, passes_checks

    source = "国务院新闻办公室举行发布会 新华社北京6月3日电 国务院新闻办公室今天举行发布会，介绍防汛工作。"
    assert dateline_or_byline(lead_headline(source, 30))  # what the lead compression gives
    out = fallback_summary(source, 40)
    assert out == "国务院新闻办公室举行发布会" and passes_checks(out, source)
    byline = "市水利局（记者 张三）部署全市防汛工作，要求各地加强巡查。"
    assert fallback_summary(byline, 40) == "市水利局部署全市防汛工作"


def test_the_fallback_reads_on_when_the_lead_is_too_short_and_keeps_it_when_nothing_passes():
    from nlp.summarizer import fallback_summary

    source = (
        "他说。市体育局昨天在市体育中心隆重举办第十五届全民健身运动会开幕式暨群众体育展示活动。"
    )
    assert lead_headline(source, 30) == "他说"
    assert fallback_summary(source, 40).startswith("市体育局昨天在市体育中心")
    assert fallback_summary("好。", 40) == "好"  # nothing better: never empty
