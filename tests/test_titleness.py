"""The headline-register model: training texts, fit, save/load, and the tagger's feature."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.segment.tagger import LineTagger, line_features, page_lines, titleness_probs
from nlp.segment.titleness import Titleness, training_texts

HEADLINES = [
    "全市小麦保险理赔工作推进会召开",
    "石梁河开展巡河调研",
    "我省出台残疾人就业帮扶新政",
    "县民政局部署冬季救助工作",
    "多地启动防汛四级应急响应",
    "公安机关开展夏季治安打击整治行动",
]
BODY = [
    "会议要求，各地要加快理赔进度。",
    "出品 | 虎嗅科技组",
    "以下是这次对话内容的精选：",
    "他说，这件事还要从去年说起。",
    "记者在现场看到，工人们正在忙碌。",
    "据了解，该项目总投资约三亿元。",
]


def test_training_texts_take_short_paragraphs_whole_and_cut_long_ones():
    item = {"title": " 石梁河开展巡河调研 ", "body": "短段落\n" + "长" * 60 + "。\n\n"}
    titles, others = training_texts([item, item], seed=3)
    assert titles == ["石梁河开展巡河调研"]  # stripped, once
    assert others[0] == "短段落" and others.count("短段落") == 1
    cuts = others[1:]
    assert cuts and all(set(c) == {"长"} and 8 <= len(c) <= 30 for c in cuts)


def test_fit_separates_headlines_from_body_text_and_round_trips(tmp_path: Path):
    model = Titleness.fit(HEADLINES * 3, BODY * 3, c=10.0)
    p_head = model.proba(HEADLINES)
    p_body = model.proba(BODY)
    assert min(p_head) > max(p_body)
    # spaces (letter-spaced headlines) and digits do not change what the model reads
    assert model.proba(["石 梁 河 开 展 巡 河 调 研"]) == pytest.approx(model.proba([HEADLINES[1]]))
    assert model.proba(["2号文件"]) == pytest.approx(model.proba(["7号文件"]))
    model.save(tmp_path / Titleness.FILE)
    back = Titleness.load(tmp_path / Titleness.FILE)
    assert back.proba(HEADLINES + BODY) == pytest.approx(p_head + p_body, abs=2e-3)
    assert back.proba([]) == []


def test_tagger_features_carry_titleness_of_short_lines_and_blocks():
    model = Titleness(np.zeros(2**18, dtype=np.float32), 3.0)  # P = 0.95 for every text
    lines = page_lines("石梁河开展巡河调研\n\n" + "正文很长的一行" * 10 + "。\n第二行。")
    plain = line_features(lines)
    probs = titleness_probs(lines, model)
    assert probs[0] == pytest.approx((0.9526, 0.9526), abs=1e-4) and probs[1] == (-1.0, -1.0)
    feats = line_features(lines, titles=probs)
    assert feats[0]["0:title_ln=5"] == 1.0 and feats[0]["0:title_blk=5"] == 1.0
    assert "0:title_ln=5" not in feats[1] and "0:title_blk=5" not in feats[1]  # too long
    assert feats[2]["0:title_ln=5"] == 1.0 and "0:title_blk=5" not in feats[2]
    assert not any(k.startswith("0:title") for f in plain for k in f)


def test_tagger_reads_the_titleness_model_of_its_folder(tmp_path: Path):
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    lines = page_lines("石梁河开展巡河调研\n\n李选才到石梁河开展巡河调研。")
    trainer.append(line_features(lines), ["head", "start"])
    trainer.set_params({"max_iterations": 5})
    trainer.train(str(tmp_path / LineTagger.FILE))
    assert LineTagger(tmp_path / LineTagger.FILE).titleness is None
    Titleness(np.zeros(2**18, dtype=np.float32), 0.0).save(tmp_path / Titleness.FILE)
    tagger = LineTagger(tmp_path / LineTagger.FILE)
    assert tagger.titleness is not None and len(tagger.tag(lines)) == 2


def test_training_pages_get_each_lines_titleness_from_the_half_that_did_not_see_it():
    from training.segmenter import _fold, crossfit_titles

    ids = [f"xwlb-{k}" for k in range(40)]
    a = next(i for i in ids if _fold(i) == 0)
    b = next(i for i in ids if _fold(i) == 1)
    lines = page_lines("第3版\n\n甲文标题\n\n甲文正文。\n\n乙文标题\n\n乙文正文。")
    arts = [-1, 0, 0, 1, 1]
    gold = {"articles": [{"id": a}, {"id": b}]}
    halves = (
        Titleness(np.zeros(2**18, dtype=np.float32), -3.0),  # fitted on fold 0: P = 0.047
        Titleness(np.zeros(2**18, dtype=np.float32), 3.0),  # fitted on fold 1: P = 0.953
    )
    probs = crossfit_titles((lines, [], arts, gold), halves)
    low, high = pytest.approx(0.0474, abs=1e-3), pytest.approx(0.9526, abs=1e-3)
    assert [p[0] for p in probs] == [low, high, high, low, low]
