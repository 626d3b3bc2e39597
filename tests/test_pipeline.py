"""The pipeline with small fake models: cleaning, batching, validation, lazy thread-safe loading."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nlp import paths, pipeline
from nlp.labels import LABELS
from nlp.testing import KeywordClassifier, LeadSummarizer
from nlp.types import Article, Classification, InputError, Summary

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_cd28cbcedefb48dc.txt"


class RecordingClassifier(KeywordClassifier):
    """The keyword fake, remembering the batches it was given."""

    def __init__(self):
        super().__init__()
        self.calls: list[list[str]] = []

    def predict(self, texts):
        self.calls.append(list(texts))
        return super().predict(texts)


def test_keyword_fake_labels_by_keywords():
    clf = KeywordClassifier()
    police, plain = clf.predict(
        ["派出所民警开展治安巡逻。", "今天天气晴朗，市场繁荣。"], explain=True
    )
    assert police.label == "public_security"
    assert not police.low_confidence
    assert police.evidence == ["派出所民警开展治安巡逻。"]
    assert plain.label == "other" and plain.low_confidence
    for c in (police, plain):
        assert set(c.scores) == set(LABELS)
        assert sum(c.scores.values()) == pytest.approx(1.0)
        assert c.confidence == max(c.scores.values())


def test_analyze_one_article_cleans_ocr_spaces():
    text = "防 汛 工 作 会 议 召 开\n水利局部署水库安全度汛工作。河长巡河检查河道。"
    [result] = pipeline.analyze(
        text, segment=False, classifier=KeywordClassifier(), summarizer=LeadSummarizer()
    )
    assert result.article.title == "防汛工作会议召开"  # the short first line is the headline
    assert result.article.body.startswith("水利局")
    assert result.classification.label == "water_management"
    assert result.summary.summary  # the lead sentence
    assert result.summary.summary in result.article.text
    assert result.article.index == 0


def test_one_article_without_a_headline_line():
    [a] = pipeline.split_articles("水利局部署防汛工作。\n河长巡河。", segment=False)
    assert a.title == "" and a.body.startswith("水利局部署防汛工作。")
    [b] = pipeline.split_articles("只有一行没有句号", segment=False)
    assert b.title == "" and b.body == "只有一行没有句号"


def test_analyze_articles_batches_and_keeps_order():
    clf = RecordingClassifier()
    articles = [Article(title=f"标题{i}", body=f"第{i}篇正文，派出所。", index=i) for i in range(5)]
    results = pipeline.analyze_articles(articles, clf, LeadSummarizer(), batch_size=2)
    assert [len(c) for c in clf.calls] == [2, 2, 1]
    assert [r.article.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.article.title for r in results] == [a.title for a in articles]


def test_evidence_is_asked_for_only_when_explaining():
    text = "市场繁荣。派出所民警开展治安巡逻。"
    fake = (KeywordClassifier(), LeadSummarizer())
    [with_evidence] = pipeline.analyze(text, segment=False, classifier=fake[0], summarizer=fake[1])
    assert with_evidence.classification.evidence == ["派出所民警开展治安巡逻。"]
    [without] = pipeline.analyze(text, False, *fake, explain=False)
    assert without.classification.evidence == []
    # A classifier whose predict() takes no ``explain`` is called without it.
    clf = RecordingClassifier()
    [plain] = pipeline.analyze(text, False, clf, LeadSummarizer())
    assert clf.calls == [[text]] and plain.classification.label == "public_security"


def test_model_returning_wrong_count_is_an_error():
    class Broken:
        def predict(self, texts):
            return []

    with pytest.raises(RuntimeError, match="0 labels"):
        pipeline.analyze("派出所", segment=False, classifier=Broken(), summarizer=LeadSummarizer())


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("  \n\t ", "empty"), ("中" * (pipeline.MAX_CHARS + 1), "too_long"),
     ("PK\x03\x04\x00\x00\x14\x00binary\x00\x01", "binary")],
)  # fmt: skip
def test_bad_input_raises_input_error(text, code):
    with pytest.raises(InputError) as info:
        pipeline.analyze(text, classifier=KeywordClassifier(), summarizer=LeadSummarizer())
    assert info.value.code == code


def test_single_article_helpers():
    c = pipeline.classify("残联举办残疾人就业招聘会", classifier=KeywordClassifier())
    assert isinstance(c, Classification) and c.label == "disability_employment"
    s = pipeline.summarize("第一句。第二句。", summarizer=LeadSummarizer())
    assert isinstance(s, Summary) and s.summary == "第一句。"


def test_default_models_load_once_under_concurrency(monkeypatch):
    loads = []

    def slow_load(kind):
        loads.append(kind)
        time.sleep(0.2)
        return KeywordClassifier() if kind == "classifier" else LeadSummarizer()

    monkeypatch.setattr(pipeline, "_models", {})
    monkeypatch.setattr(pipeline, "_load", slow_load)
    got = []
    threads = [threading.Thread(target=lambda: got.append(pipeline.default_classifier()))
               for _ in range(8)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["classifier"]
    assert len({id(m) for m in got}) == 1


def test_fake_switch_selects_fakes(monkeypatch):
    monkeypatch.setattr(pipeline, "_models", {})
    monkeypatch.setenv(paths.FAKE_MODELS_ENV, "1")
    assert pipeline.models_are_fake()
    assert isinstance(pipeline.default_classifier(), KeywordClassifier)
    assert isinstance(pipeline.default_summarizer(), LeadSummarizer)


@pytest.mark.skipif(not SEED.exists(), reason="shared seed page not present")
def test_analyze_seed_page_gives_one_result_per_segmented_article():
    import nlp.segment as segment

    page = SEED.read_text(encoding="utf-8")
    results = pipeline.analyze(page, classifier=KeywordClassifier(), summarizer=LeadSummarizer())
    articles = segment.segment_page(page)
    assert len(results) == len([a for a in articles if a.text.strip()]) > 1
    assert [r.article.index for r in results] == list(range(len(results)))


def test_import_nlp_is_lazy_and_exports_work():
    code = (
        "import sys, nlp\n"
        "assert 'torch' not in sys.modules and 'nlp.pipeline' not in sys.modules\n"
        "from nlp import analyze, ArticleResult, LABELS\n"
        "assert callable(analyze) and len(LABELS) == 6\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
