"""Tests of nlp.keywords (jieba TF-IDF keywords)."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys

import nlp.keywords as kw
from nlp.keywords import STOP_WORDS, is_keyword_candidate, keywords

FLOOD = (
    "水利部今天召开防汛会商会，部署长江流域防汛抗旱工作。会议要求各地水库严格执行汛限水位，"
    "加强堤防巡查，确保三峡水库安全度汛。今年入汛以来，长江流域降雨偏多2成，12条河流发生超警洪水。"
)
INSURANCE = (
    "记者从农业农村部了解到，今年我国农业保险保费规模达到1200亿元，为1.6亿户次农户提供风险保障。"
    "各地扩大完全成本保险和种植收入保险实施范围，三大粮食作物保险覆盖面持续提高。"
)


def test_docstring_examples_hold():
    result = doctest.testmod(kw)
    assert result.attempted > 0 and result.failed == 0


def test_keywords_are_topical():
    words = keywords(FLOOD, k=8)
    assert 0 < len(words) <= 8
    assert "防汛" in words or "防汛抗旱" in words
    assert any("水库" in w or "长江" in w for w in words)
    assert any("保险" in w for w in keywords(INSURANCE, k=5))


def test_keywords_filter_stop_words_numbers_and_single_chars():
    for text in (FLOOD, INSURANCE):
        for word in keywords(text, k=20):
            assert len(word) >= 2
            assert word not in STOP_WORDS
            assert not re.fullmatch(r"[\d.%,]+", word)
        assert len(set(keywords(text, k=20))) == len(keywords(text, k=20))


def test_keywords_edge_cases():
    assert keywords("", k=5) == []
    assert keywords("   \n", k=5) == []
    assert keywords(FLOOD, k=0) == []
    assert keywords(FLOOD, k=3) == keywords(FLOOD, k=8)[:3]


def test_is_keyword_candidate():
    assert is_keyword_candidate("防汛")
    assert not is_keyword_candidate("记者")
    assert not is_keyword_candidate("水")
    assert not is_keyword_candidate("2024")
    assert not is_keyword_candidate("三千")
    assert not is_keyword_candidate("——")


def test_jieba_is_initialised_once():
    assert kw.jieba_module() is kw.jieba_module()


def test_first_use_prints_nothing():
    code = "from nlp.keywords import keywords; print(keywords('水利部部署防汛工作', k=2))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert "防汛" in run.stdout


# Bounds (issue #10): jieba's work per article is bounded, normal articles are unchanged.

NAMES = (
    "王彦智：用手艺“烹饪”美好生活。今年42岁的王彦智是禹州市一家酒店的面点师，"
    "他从洗碗工做起，在残联的帮助下参加职业技能培训，学会了面点制作。"
    "如今他带着两名徒弟，每月收入超过五千元。禹州市残联负责人赵鹏说，残疾人就业培训将继续开展。"
)
TRADITIONAL = (
    "八達嶺野生動物園老虎傷人事件調查結果公布。趙某某在猛獸區下車，被老虎襲擊受傷，"
    "其母親周某下車施救時被另一隻老虎咬傷，經搶救無效死亡。調查組認定，遊客違反園區規定擅自下車，"
    "是事件發生的主要原因。"
)


def reference_keywords(text: str, k: int = 8) -> list[str]:
    """Keywords as the module computed them before the bounds: jieba's own extract_tags."""
    tags = kw._tfidf().extract_tags(text, topK=4 * k + 20, allowPOS=kw.ALLOW_POS)
    return [w for w in tags if is_keyword_candidate(w)][:k]


def test_keywords_of_normal_articles_are_jiebas_own():
    assert keywords(NAMES, k=5) == ["王彦智", "残联", "禹州市", "培训", "洗碗工"]
    for text in (FLOOD, INSURANCE, NAMES, FLOOD + "挸" * 3 + INSURANCE, FLOOD * 40):
        assert keywords(text) == reference_keywords(text)


def test_keyword_sample():
    assert kw.keyword_sample(FLOOD) == FLOOD
    text = "头" * 50_000 + "中" * 50_000 + "尾" * 50_000
    sample = kw.keyword_sample(text)
    assert len(sample) <= kw.MAX_KEYWORD_CHARS + 2
    assert sample.startswith("头") and sample.endswith("尾") and "中" in sample


def test_long_text_is_read_as_a_bounded_sample(monkeypatch):
    import jieba

    kw.jieba_module()
    seen = []
    get_dag = jieba.dt.get_DAG

    def counting(sentence):
        seen.append(len(sentence))
        assert sum(seen) <= kw.MAX_KEYWORD_CHARS, "read past the keyword sample"
        return get_dag(sentence)

    monkeypatch.setattr(jieba.dt, "get_DAG", counting)
    words = keywords(FLOOD * 600, k=5)  # ~60,000 characters
    assert any("防汛" in w for w in words)


def test_hmm_work_is_bounded_for_characters_outside_its_tables(monkeypatch):
    import jieba.posseg

    kw.jieba_module()
    work = []
    viterbi = jieba.posseg.viterbi

    def counting(obs, *args):
        work.append(kw.hmm_cost(obs))
        assert sum(work) <= kw.MAX_HMM_STATE_PAIRS, f"HMM run on {len(obs)} characters"
        return viterbi(obs, *args)

    def bounded_keywords(text):
        work.clear()  # the budget is per article
        return keywords(text)

    monkeypatch.setattr(jieba.posseg, "viterbi", counting)
    assert bounded_keywords("挸" * 8000) == []  # ~10-40 ms a character through the HMM
    assert "防汛" in " ".join(bounded_keywords(("王挸明在会上说。" + FLOOD) * 40))
    assert "防汛" in " ".join(bounded_keywords("挸" * 2000 + FLOOD))


def test_characters_outside_the_hmm_tables_still_give_keywords():
    words = keywords(TRADITIONAL * 30, k=8)  # ~2,000 characters missing from the HMM tables
    assert "老虎" in words
    assert kw.hmm_cost("挸") == 256 and kw.hmm_cost("") == 0
