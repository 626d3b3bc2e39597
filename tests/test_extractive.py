"""Tests of nlp.extractive (centrality-ranked key sentences, salient text)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import nlp.extractive as ex
from nlp.extractive import centrality, key_sentences, rank_sentences, salient_text

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
