"""Tests of the summariser data stage (training.prepare_summaries) and its evaluation harness
(training.evaluate_summarizer), on literal items; the real corpus only behind ``slow``."""

from __future__ import annotations

import doctest
import gzip
import json
from pathlib import Path

import pytest

import training.prepare_summaries as prep
from training.evaluate_summarizer import (
    evaluate_summaries,
    first_chars,
    lead_sentence,
    markdown_table,
    model_predictions,
    summary_baselines,
)
from training.evaluate_summarizer import main as evaluate_main
from training.prepare_summaries import (
    PairStats,
    PrepareConfig,
    build_pairs,
    clean_body,
    clean_title,
    is_generic_title,
    load_split,
    series_names,
)
from training.prepare_summaries import main as prepare_main

BODY = (
    "水利部今天召开防汛会商会，部署长江流域防汛工作。会议要求各地加强堤防巡查，确保安全度汛。"
    "今年入汛以来，长江流域降雨偏多，多条河流发生超警洪水。"
)


def item(i: int, date: str, title: str, body: str = BODY) -> dict:
    return {"id": f"x-{i}", "source": "t", "date": date, "title": title, "body": body, "url": ""}


def test_docstring_examples_hold():
    result = doctest.testmod(prep)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("【领航中国】水利部部署防汛工作", "水利部部署防汛工作"),
        ("【新思想引领新征程】【时代先锋】张三：坚守一线", "张三：坚守一线"),
        ("[视频]水利部部署防汛工作", "水利部部署防汛工作"),
        ("（国际）伊朗称与以色列停火", "伊朗称与以色列停火"),
        ("快讯：水利部部署防汛工作", "水利部部署防汛工作"),
        ("人民日报评论员文章：把宣传思想工作做得更好", "把宣传思想工作做得更好"),
        ("新华社长篇通讯：旗引天山南北", "旗引天山南北"),
        ("各地迎接十八大召开【喜迎十八大】", "各地迎接十八大召开"),
        ("普京：俄方愿同各方合作", "普京：俄方愿同各方合作"),
        ("北京：冬奥场馆全部完工", "北京：冬奥场馆全部完工"),
        ("《关于严禁公款购买贺年卡的通知》印发", "《关于严禁公款购买贺年卡的通知》印发"),
    ],
)
def test_clean_title(raw, clean):
    assert clean_title(raw) == clean


def test_clean_body():
    assert clean_body("本台消息：国务院召开会议。") == "国务院召开会议。"
    assert clean_body("央视网(新闻联播)消息：国务院召开会议。") == "国务院召开会议。"
    assert clean_body("国务院召开会议。(视频编辑：张三 文字编辑：李四)") == "国务院召开会议。"
    assert clean_body("据美国媒体报道，美国发生枪击案。") == "据美国媒体报道，美国发生枪击案。"


def test_generic_titles():
    series = series_names(["【大美中国】走进河北", "【时代先锋】张三"])
    assert series == {"大美中国", "时代先锋"}
    config = PrepareConfig()
    for title in ("国际联播快讯", "国内联播快讯", "联播快讯", "国内联播简讯", "编后话", "大美中国"):
        assert is_generic_title(title, series, config), title
    assert not is_generic_title("水利部部署防汛工作", series, config)


def test_config_validates():
    with pytest.raises(ValueError, match="max_title_repeats"):
        PrepareConfig(max_title_repeats=0)
    with pytest.raises(ValueError, match="min_title_chars"):
        PrepareConfig(min_title_chars=10, max_title_chars=5)


def test_build_pairs_filters_and_splits():
    other = (
        "国务院常务会议今天召开，研究部署稳就业工作。会议指出，要多措并举扩大就业岗位供给，"
        "加大对高校毕业生和农民工就业的支持力度。"
    )
    items = [
        item(1, "20231231", "【领航中国】水利部部署防汛工作"),
        item(2, "20240101", "水利部再次部署防汛工作", BODY + " "),  # duplicate body
        item(3, "20240102", "国际联播快讯", other),
        item(4, "20240103", "短标题", other + "一"),
        item(5, "20250101", "国务院部署稳就业工作", other + "二"),
        item(6, "20250102", "国务院部署稳就业工作", other + "三"),
        item(7, "20250103", "国务院部署稳就业工作", other + "四"),  # third copy of a title
        item(8, "20241231", "国务院常务会议研究稳就业", other + "五"),
        item(9, "20241230", "被排除的条目标题", other + "六"),
        item(10, "20241229", "国务院常务会议部署稳就业工作国务院常务会议部署稳就业工作", "太短"),
    ]
    stats = PairStats()
    pairs = build_pairs(items, PrepareConfig(max_title_repeats=2), stats, exclude_ids={"x-9"})
    assert [p["id"] for p in pairs["train"]] == ["x-1"]
    assert pairs["train"][0]["title"] == "水利部部署防汛工作"
    assert [p["id"] for p in pairs["dev"]] == ["x-8"]
    assert [p["id"] for p in pairs["test"]] == ["x-5", "x-6"]
    assert set(pairs["test"][0]) == {"id", "date", "body", "title"}
    assert stats.dropped == {
        "duplicate_body": 1,
        "generic_title": 1,
        "title_too_short": 1,
        "repeated_title": 1,
        "overlaps_seed_page": 1,
        "body_too_short": 1,
    }
    assert stats.read == 10 and sum(stats.kept.values()) == 4


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    """A gzipped xwlb-like corpus of 30 literal items over all three splits."""
    root = tmp_path_factory.mktemp("corpora")
    topics = ["防汛", "就业", "养老", "治安", "农业保险", "残疾人就业"]
    rows = []
    for i in range(30):
        date = ("2019", "2024", "2025")[i % 3] + f"{1 + i % 12:02d}15"
        topic = topics[i % len(topics)]
        body = (
            f"本台消息：第{i}号通知要求各地做好{topic}工作。"
            f"有关部门表示，将加大{topic}投入，今年已投入{i + 3}亿元。各地积极落实，"
            "确保各项措施落到实处，让群众得到实惠。"
        )
        rows.append(item(i, date, f"各地做好{topic}工作 第{i}号通知发布", body))
    with gzip.open(root / "xwlb.jsonl.gz", "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return root


def test_prepare_main_writes_pairs_and_manifest(tiny_corpus, tmp_path, capsys):
    seed = tmp_path / "seed.txt"
    seed.write_text(
        "第4号通知要求各地做好农业保险工作。\n本地新闻，与央视无关的一句话。\n", "utf-8"
    )
    manifest = prepare_main(
        ["--corpora-dir", str(tiny_corpus), "--out", str(tmp_path / "pairs"),
         "--manifest-dir", str(tmp_path / "manifest"), "--seed-page", str(seed)]
    )  # fmt: skip
    assert manifest["seed_check"]["ids"] == ["x-4"]
    assert manifest["filters"]["dropped"] == {"overlaps_seed_page": 1}
    assert manifest["splits"]["train"]["n"] + manifest["splits"]["dev"]["n"] == 19
    assert manifest["splits"]["test"]["n"] == 10
    on_disk = json.loads((tmp_path / "manifest" / "manifest.json").read_text("utf-8"))
    assert on_disk["sha256"] == manifest["sha256"]
    test_pairs = load_split("test", tmp_path / "pairs")
    assert len(test_pairs) == 10 and all(p["date"] >= "20250101" for p in test_pairs)
    assert all(not p["body"].startswith("本台消息") for p in test_pairs)
    assert "kept train" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError):
        load_split("test", tmp_path / "nowhere")


def test_baselines_and_evaluation_by_hand():
    bodies = ["水利部部署防汛工作。各地加强巡查。", "国务院召开常务会议。会议研究就业。"]
    refs = ["水利部部署防汛工作", "国务院召开常务会议"]
    assert lead_sentence(bodies[0]) == "水利部部署防汛工作。"
    assert first_chars(" 水利 部部署", 3) == "水利部"
    systems = summary_baselines(bodies, n_chars=5)
    assert systems["first_n"] == ["水利部部署", "国务院召开"]
    lead = evaluate_summaries(systems["lead1"], refs, bodies, n_boot=50)
    assert lead["rougeL"] == pytest.approx(100.0)
    assert lead["rougeL_ci95"][0] <= lead["rougeL"] <= lead["rougeL_ci95"][1]
    empty = evaluate_summaries(["", ""], refs, bodies, n_boot=0)
    assert empty["rougeL"] == 0.0 and empty["empty_rate"] == 1.0
    assert "| lead1 | 2 |" in markdown_table({"lead1": lead})
    with pytest.raises(ValueError):
        evaluate_summaries(["a"], [], [])


def test_evaluate_main_smoke(tiny_corpus, tmp_path):
    pairs = tmp_path / "pairs"
    prepare_main(["--corpora-dir", str(tiny_corpus), "--out", str(pairs),
                  "--manifest-dir", str(tmp_path), "--skip-seed-check"])  # fmt: skip
    report = evaluate_main(["--data-dir", str(pairs), "--out", str(tmp_path / "rep"),
                            "--bootstrap", "100"])  # fmt: skip
    results = report["results"]
    assert set(results) == {"lead1", "first_n", "extractive", "reference"}
    assert results["reference"]["rougeL"] == pytest.approx(100.0)
    # the lead sentence restates the headline: a loose minimum
    assert results["lead1"]["rougeL"] > 40
    assert (tmp_path / "rep" / "metrics.md").read_text("utf-8").startswith("| system |")
    assert json.loads((tmp_path / "rep" / "metrics.json").read_text("utf-8"))["n"] == 10


def test_model_predictions_use_interactive_or_bulk_decoding(monkeypatch):
    from nlp.summarizer import BatchSummarizer

    calls = []

    class Fake:
        def headlines(self, texts, **decoding):
            calls.append(decoding)
            return [t[:3] for t in texts]

        def for_batch(self):
            return BatchSummarizer(self, num_beams=2, max_source_tokens=192)

    from nlp import pipeline

    monkeypatch.setattr(pipeline, "_models", {"summarizer:real": Fake()})
    monkeypatch.delenv("NEWSDESK_FAKE_MODELS", raising=False)
    assert model_predictions(["水利部部署", "国务院召开"]) == ["水利部", "国务院"]
    assert model_predictions(["水利部部署"], bulk=True) == ["水利部"]
    assert calls == [{}, {"num_beams": 2, "max_source_tokens": 192, "batch_size": 64}]


@pytest.mark.slow
def test_real_corpus_pairs_and_lead_baseline(tmp_path):
    manifest = prepare_main(["--out", str(tmp_path / "pairs"), "--manifest-dir", str(tmp_path)])
    splits = manifest["splits"]
    assert splits["train"]["n"] > 60000 and splits["dev"]["n"] > 5000 and splits["test"]["n"] > 5000
    assert splits["train"]["date_max"] <= "20231231" < splits["dev"]["date_min"]
    assert splits["dev"]["date_max"] <= "20241231" < splits["test"]["date_min"]
    report = evaluate_main(["--data-dir", str(tmp_path / "pairs"), "--out", str(tmp_path / "r"),
                            "--limit", "400", "--bootstrap", "0"])  # fmt: skip
    assert 30 < report["results"]["lead1"]["rougeL"] < 50
