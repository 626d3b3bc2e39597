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
