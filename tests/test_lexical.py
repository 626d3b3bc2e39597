"""The char TF-IDF model: fit, save/load round trip, and the dev choice of its blend weight."""

import numpy as np
import pytest

from nlp.labels import LABEL2ID, LABELS
from nlp.lexical import LexicalModel

TEXTS = {
    "public_security": ["派出所民警开展治安巡逻", "公安机关打击电信诈骗犯罪", "交警整治交通违法"],
    "civil_affairs": ["民政局发放低保救助金", "敬老院养老服务提升", "社区开展留守儿童关爱"],
    "water_management": ["水利局部署水库防汛", "河长巡河清理河道", "灌区节水改造工程"],
    "agri_insurance": ["小麦保险理赔到户", "农业保险查勘定损", "生猪保险保费补贴"],
    "disability_employment": ["残疾人就业招聘会", "残联开展盲人按摩培训", "残疾人创业扶持"],
    "other": ["经济数据稳中向好", "文艺演出精彩纷呈", "足球联赛开幕"],
}


@pytest.fixture(scope="module")
def model():
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [lab for lab, ts in TEXTS.items() for _ in ts]
    return LexicalModel.fit(texts, labels)


def test_fit_predicts_its_own_words_with_full_distributions(model):
    p = model.proba(["民警巡逻打击犯罪", "水库防汛河长"])
    assert p.shape == (2, len(LABELS))
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert [LABELS[i] for i in p.argmax(1)] == ["public_security", "water_management"]


def test_save_and_load_give_the_same_probabilities(model, tmp_path):
    model.save(tmp_path / "lexical.npz")
    again = LexicalModel.load(tmp_path / "lexical.npz")
    texts = ["农业保险理赔", "残疾人就业", "完全无关的句子"]
    assert np.abs(again.proba(texts) - model.proba(texts)).max() < 1e-3  # float16 coefficients


def test_blend_weight_is_the_best_on_dev_and_the_smallest_among_ties():
    from training.export import choose_lexical_weight

    y = np.array([LABEL2ID["public_security"], LABEL2ID["other"]])
    logits = np.zeros((2, len(LABELS)))
    logits[:, LABEL2ID["other"]] = 1.0  # the encoder says other twice: one wrong
    lex = np.log(np.full((2, len(LABELS)), 0.01))
    lex[0, LABEL2ID["public_security"]] = np.log(0.95)  # the lexical model fixes the first
    lex[1, LABEL2ID["other"]] = np.log(0.95)
    weight, by_weight = choose_lexical_weight(logits, lex, y)
    best = max(by_weight.values())
    assert by_weight[weight] == best > by_weight[0.0]
    assert all(by_weight[w] < best for w in by_weight if w < weight)


def test_a_blend_that_gains_too_little_on_dev_is_not_used():
    from training.export import choose_lexical_weight

    y = np.array([LABEL2ID["other"]] * 2)
    logits = np.zeros((2, len(LABELS)))
    logits[:, LABEL2ID["other"]] = 1.0  # already right: nothing to gain
    lex = np.log(np.full((2, len(LABELS)), 1 / len(LABELS)))
    weight, by_weight = choose_lexical_weight(logits, lex, y)
    assert weight == 0.0 and by_weight[0.0] == max(by_weight.values())
