"""Tests of the evaluation core (nlp.evaluation): evaluators, gold matching, the harness and
``python -m nlp evaluate``, with the test-double models (no weights)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nlp import paths
from nlp.cli import main
from nlp.evaluation import (
    ClassificationEvaluator,
    SequentialEvaluator,
    SummarizationEvaluator,
    harness,
)
from nlp.evaluation.gold import load_seed_page
from nlp.evaluation.labelled import evaluate_file
from nlp.evaluation.segmentation import load_gold
from nlp.testing import KeywordClassifier, LeadSummarizer

ROWS = [
    {"text": "派出所民警走进社区开展反诈宣传。", "label": "public_security"},
    {"text": "水利局部署水库防汛工作。", "label": "水利"},
    {"title": "市场", "body": "今年粮食丰收，市场繁荣。", "label": "other"},
    {"text": "残联举办残疾人就业招聘会。", "label": "civil_affairs"},  # the fake says DE
    {"text": "没有标签的一行"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def fake(fake_models, monkeypatch, tmp_path):
    """Test-double models, no shared folder (so only given files are scored), cwd in tmp."""
    monkeypatch.setenv(paths.SHARED_ENV, str(tmp_path / "no-shared"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- evaluators -----------------------------------------------------------------------------


def test_classification_evaluator_gives_flat_prefixed_metrics_and_a_file(tmp_path):
    texts = [r["text"] for r in ROWS if "text" in r and "label" in r]
    labels = ["public_security", "water_management", "civil_affairs"]
    ev = ClassificationEvaluator(texts, labels, name="toy", batch_size=2)
    calls = []
    out = ev(KeywordClassifier(), tmp_path, progress=lambda *a: calls.append(a))
    assert ev.primary_key == "toy_macro_f1" and out["toy_n"] == 3
    assert out["toy_accuracy"] == pytest.approx(2 / 3) and out["toy_missed"] == 0
    assert out["toy_f1_public_security"] == 1.0 and out["toy_f1_civil_affairs"] == 0.0
    assert all(isinstance(v, int | float) for v in out.values())
    assert calls == [("toy", 2, 3), ("toy", 3, 3)]
    assert json.loads((tmp_path / "metrics" / "toy.json").read_text("utf-8")) == out


def test_sequential_evaluator_merges_and_takes_the_first_primary_metric():
    a = ClassificationEvaluator(["派出所民警巡逻。"], ["public_security"], name="a")
    b = ClassificationEvaluator(["水库防汛。"], ["other"], name="b")
    seq = SequentialEvaluator([a, b])
    out = seq(KeywordClassifier())
    assert seq.primary_key == "a_macro_f1"
    assert out["a_accuracy"] == 1.0 and out["b_accuracy"] == 0.0


def test_summarization_evaluator_scores_a_lead_summariser(tmp_path):
    sources = [
        "全市防汛工作会议召开。会议部署了汛期各项工作。",
        "小麦保险理赔工作推进会召开。各公司要及早行动。",
    ]
    refs = ["全市防汛工作会议召开", "全市小麦保险理赔推进会召开"]
    ev = SummarizationEvaluator(sources, refs, name="toy", batch_size=1, n_boot=100)
    out = ev(LeadSummarizer(), tmp_path)
    assert ev.primary_key == "toy_rougeL"
    assert out["toy_rougeL"] > 80  # the lead sentence is nearly the headline here
    assert out["toy_rougeL_ci95_low"] <= out["toy_rougeL"] <= out["toy_rougeL_ci95_high"]
    assert out["toy_empty_rate"] == 0.0 and out["toy_n"] == 2
    assert (tmp_path / "metrics" / "toy.json").is_file()
    assert ev.score(["", ""])["rougeL"] == 0.0


# --- the seed page: a missed gold article is an error ---------------------------------------


def test_a_gold_article_the_segmenter_missed_counts_as_an_error(tmp_path, seed_path):
    rows = load_gold(paths.seed_gold())
    rows.append(
        {"title": "不在本版的文章", "first_sentence": "这句话不在版面上。", "label": "other"}
    )
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    write_jsonl(gold_dir / paths.seed_gold().name, rows)
    seed = load_seed_page(gold_dir)
    assert len(seed.texts) == 10 and seed.texts[-1] is None
    assert all(t for t in seed.texts[:-1])  # the nine real articles are all found
    ev = ClassificationEvaluator(seed.texts, seed.labels, name="seed_page", ids=seed.ids)
    details = ev.details(KeywordClassifier())
    flat = ev.prefixed(ev.flatten(details))
    assert flat["seed_page_missed"] == 1
    assert details["predictions"][-1] == "missed"
    assert {"id": seed.ids[-1], "gold": "other", "pred": "missed"} in details["errors"]
    right = sum(p == g for p, g in zip(details["predictions"], seed.labels, strict=True))
    assert flat["seed_page_accuracy"] == pytest.approx(right / 10) and right <= 9


# --- the app's file evaluation --------------------------------------------------------------


def test_evaluate_file_uses_the_evaluator(tmp_path):
    report = evaluate_file(write_jsonl(tmp_path / "l.jsonl", ROWS), KeywordClassifier(), tmp_path)
    assert report.metrics["accuracy"] == pytest.approx(0.75) and report.skipped == 1
    assert report.predictions[3] == "disability_employment"
    assert report.confusion_png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no row"):
        evaluate_file(write_jsonl(tmp_path / "none.jsonl", ROWS[-1:]), KeywordClassifier())


# --- python -m nlp evaluate -----------------------------------------------------------------


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*")}


def test_evaluate_file_writes_reports_only_to_out(fake, capsys):
    committed = paths.reports_dir() / "classifier"
    before = _hashes(committed)
    labelled = write_jsonl(fake / "labelled.jsonl", ROWS)
    assert main(["evaluate", str(labelled)]) == 0
    assert _hashes(committed) == before
    assert sorted(p.name for p in fake.iterdir()) == ["labelled.jsonl"]
    assert "| labelled | finetuned | 4 | 0.750 |" in capsys.readouterr().out
    assert main(["evaluate", str(labelled), "--out", str(fake / "rep")]) == 0
    assert _hashes(committed) == before
    (result,) = json.loads((fake / "rep" / "metrics.json").read_text("utf-8"))
    assert result["accuracy"] == pytest.approx(0.75) and result["metrics"]["labelled_n"] == 4
    assert (fake / "rep" / "confusion_labelled.png").is_file()


def test_evaluate_exits_1_for_an_unreadable_or_unusable_file(fake, capsys):
    good = str(write_jsonl(fake / "good.jsonl", ROWS))
    no_rows = str(write_jsonl(fake / "unlabelled.jsonl", ROWS[-1:]))
    assert main(["evaluate", str(fake / "missing.jsonl")]) == 1
    assert main(["evaluate", no_rows]) == 1
    assert "no row with both text and a known label" in capsys.readouterr().err
    assert main(["evaluate", good, no_rows]) == 1  # the good file is still scored
    captured = capsys.readouterr()
    assert "| good | finetuned | 4 |" in captured.out and "unlabelled.jsonl" in captured.err


def test_evaluate_min_macro_f1_and_usage_errors(fake, capsys):
    good = str(write_jsonl(fake / "good.jsonl", ROWS))
    assert main(["evaluate", good, "--min-macro-f1", "0.5"]) == 0  # macro-F1 0.600
    assert main(["evaluate", good, "--min-macro-f1", "0.9"]) == 1
    assert "good: macro-F1 0.600 < 0.900" in capsys.readouterr().err
    assert main(["evaluate", good, "--min-macro-f1", "1.5"]) == 2
    assert main(["evaluate", good, "--batch-size", "0"]) == 2
    assert main(["evaluate", good, "--no-such-option"]) == 2


def test_evaluate_reports_each_stage_on_stderr_as_it_goes(fake, capsys):
    assert main(["evaluate", str(write_jsonl(fake / "good.jsonl", ROWS))]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("newsdesk: evaluate: ")]
    assert lines[0].startswith("newsdesk: evaluate: set good: 4 items, 1 unusable rows skipped")
    assert lines[1].startswith("newsdesk: evaluate: model finetuned: ready in")
    assert lines[2] == "newsdesk: evaluate: good / finetuned: classifying 4 items ..."
    assert "n=   4 acc=0.750 macroF1=0.600" in lines[3] and lines[3].endswith(" s)")


def test_evaluate_without_files_reports_a_missing_default_set(fake, capsys):
    assert main(["evaluate", "--no-test"]) == 1  # no shared folder: no seed page
    assert "seed page" in capsys.readouterr().err


def test_training_evaluate_stage_scores_a_file_with_a_loose_minimum(fake):
    from training import evaluate as stage

    results = stage.main(
        [str(write_jsonl(fake / "l.jsonl", ROWS)), "--no-test", "--no-baselines", "--out", "rep"]
    )
    assert [r["model"] for r in results] == ["finetuned"]
    assert results[0]["accuracy"] >= 0.75  # three of four right; a broken model gets fewer
    assert (fake / "rep" / "report.md").is_file()


def test_harness_below_threshold_names_the_set():
    results = [{"model": "finetuned", "data": "test", "macro_f1": 0.7}]
    assert harness.below_threshold(results, 0.8) == ["test: macro-F1 0.700 < 0.800"]
    assert harness.below_threshold(results, 0.7) == []


# Out-of-domain summary sets (nlp.evaluation.summary_sets) and their report (training.ood_report).

OUTLET_ROWS = [
    {"id": "em-1", "source": "liuhuanyong/EventMonitor@70ae", "outlet": "新京报", "date": "2017",
     "title": "南方周末 - 杭州保姆纵火案中止审理",
     "body": "（原标题：杭州保姆纵火案因管辖权异议中止审理）\n" + "杭州保姆纵火案今日开庭。" * 8},
    {"id": "hub-1", "source": "enxpower/cn-news-hub@a0", "outlet": "虎嗅网", "date": "2026",
     "title": "A股又现天价离婚案", "body": "A股再现天价离婚。" * 10},
    {"id": "hub-2", "source": "enxpower/cn-news-hub@a0", "outlet": "联合早报", "date": "2026",
     "title": "大埔火灾听证会结束", "body": "香港大埔宏福苑火灾独立委员会完成听证会。" * 5},
    {"id": "hub-3", "source": "enxpower/cn-news-hub@a0", "outlet": "未知", "date": "2026",
     "title": "不在任何组", "body": "正文" * 40},
    {"id": "hub-4", "source": "enxpower/cn-news-hub@a0", "outlet": "虎嗅网", "date": "2026",
     "title": "正文太短", "body": "短"},
]  # fmt: skip


def _write_jsonl(path, rows):
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return path


def test_outlet_sets_group_clean_and_drop(tmp_path):
    from nlp.evaluation.summary_sets import outlet_sets

    sets = outlet_sets(_write_jsonl(tmp_path / "o.jsonl.gz", OUTLET_ROWS))
    assert {k: [it["id"] for it in v] for k, v in sets.items()} == {
        "event_web": ["em-1"], "tech_business": ["hub-1"], "overseas": ["hub-2"]
    }  # fmt: skip
    event = sets["event_web"][0]
    assert event["reference"] == "杭州保姆纵火案中止审理"
    assert event["source"].startswith("杭州保姆纵火案今日开庭") and "原标题" not in event["source"]
    assert event["split"] in ("dev", "test")


def test_clean_headline_cuts_suffixes_prefixes_and_original_title():
    from nlp.evaluation.summary_sets import clean_headline

    assert clean_headline("华为发布新机 - cnBeta.COM") == "华为发布新机"
    assert clean_headline("华为发布新机_新浪科技") == "华为发布新机"
    assert clean_headline("具透 | iOS 27 首个公开测试版来了") == "iOS 27 首个公开测试版来了"
    assert clean_headline("中兴的2017（原标题：中兴被罚）") == "中兴的2017"
    assert clean_headline("全市小麦保险理赔工作推进会召开") == "全市小麦保险理赔工作推进会召开"


def test_split_and_sample_are_fixed_by_the_id_not_the_order():
    from nlp.evaluation.summary_sets import sample, split_of

    items = [{"id": f"x-{i}"} for i in range(50)]
    splits = [split_of(it["id"]) for it in items]
    assert set(splits) == {"dev", "test"} and splits == [split_of(f"x-{i}") for i in range(50)]
    first = [it["id"] for it in sample(items, 10)]
    assert [it["id"] for it in sample(items[::-1], 10)] == first
    assert [it["id"] for it in sample(items, 10, seed=1)] != first
    assert len(sample(items, 0)) == 50


def test_seed_page_set_has_the_gold_headlines(seed_path):
    from nlp.evaluation.summary_sets import seed_page_set

    items = seed_page_set()
    refs = [it["reference"] for it in items]
    assert len(items) >= 8 and "全市小麦保险理赔工作推进会召开" in refs
    assert all(it["split"] == "test" and it["source"] for it in items)


def test_first_clause_baseline():
    from nlp.evaluation.summarization import first_clause

    assert first_clause("5月30日，全市小麦保险理赔工作推进会召开，会议要求。") == (
        "5月30日，全市小麦保险理赔工作推进会召开"
    )
    assert first_clause("全市召开防汛工作会议，部署防汛。下一句。") == "全市召开防汛工作会议"
    assert first_clause("长" * 50 + "。") == "长" * 30


def test_run_sets_writes_tables_and_samples(tmp_path, monkeypatch):
    from training import ood_report
    from training.evaluate_summarizer import main as evaluate_main

    rows = _write_jsonl(tmp_path / "o.jsonl.gz", OUTLET_ROWS)

    def fake_build(names, split, n):
        from nlp.evaluation.summary_sets import outlet_sets

        return {k: v for k, v in outlet_sets(rows).items() if k in names}

    monkeypatch.setattr(ood_report, "build_sets", fake_build)
    monkeypatch.setattr(
        "training.evaluate_summarizer.shipped_summarizer", lambda bulk=False: LeadSummarizer()
    )
    report = evaluate_main(["--sets", "event_web,overseas", "--model", "--bootstrap", "0",
                            "--out", str(tmp_path / "rep")])  # fmt: skip
    assert set(report["sets"]) == {"event_web", "overseas"}
    res = report["sets"]["overseas"]["results"]
    assert set(res) == {"lead1", "first_clause", "model"} and "defect_scope" in res["model"]
    md = (tmp_path / "rep" / "metrics.md").read_text("utf-8")
    assert "| overseas | first_clause |" in md and "invented %" in md
    samples = (tmp_path / "rep" / "samples.md").read_text("utf-8")
    assert "## event_web" in samples and "reference: 杭州保姆纵火案中止审理" in samples
    with pytest.raises(SystemExit):
        ood_report.wanted_sets("cctv,nope")
