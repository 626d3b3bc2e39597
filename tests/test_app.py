"""The Gradio app's handlers and layout, run in-process with the test-only keyword models."""

from __future__ import annotations

import importlib.util
import json
import socket
import tempfile
import time
from pathlib import Path

import pytest

from nlp import paths, pipeline, runs
from nlp.labels import DISPLAY_NAMES, LABELS
from nlp.priority import PriorityLock
from nlp.testing import KeywordClassifier, LeadSummarizer
from nlp.types import Article, ArticleResult, Classification, Summary

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_cd28cbcedefb48dc.txt"

# gr.Warning outside a request only issues a Python warning; the message is in the status too.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def app():
    """``app.py`` imported as a module (it lives at the repo root, outside the package)."""
    spec = importlib.util.spec_from_file_location("newsdesk_app", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    monkeypatch.setenv(paths.FAKE_MODELS_ENV, "1")
    monkeypatch.setattr(pipeline, "_models", {})


def _result(label="public_security", low=False, evidence=("派出所民警巡逻。",)):
    scores = {lb: 0.02 for lb in LABELS}
    scores[label] = 1 - 0.02 * (len(LABELS) - 1)
    return ArticleResult(
        article=Article(title="标题<b>", body="开头。派出所民警巡逻。结尾。", byline="记者 张三"),
        classification=Classification(label, scores, scores[label], low, list(evidence)),
        summary=Summary("一句话摘要", ["派出所民警巡逻。"], ["民警", "巡逻"]),
    )


def test_every_event_has_an_api_name_and_heavy_events_are_separate(app):
    fns = list(app.demo.fns.values())
    assert all(fn.api_name for fn in fns)
    by_name = {fn.api_name: fn for fn in fns}
    assert {"analyze", "batch", "ocr", "evaluate"} <= set(by_name)
    groups = {
        name: by_name[name].concurrency_id for name in ("analyze", "batch", "ocr", "evaluate")
    }
    assert len(set(groups.values())) == 4, groups  # a batch job never holds the paste slot
    assert by_name["analyze"].concurrency_limit >= 2


def test_highlight(app):
    out = app.highlight("甲<乙>。派出所民警巡逻。丙。丁丙", ["派出所民警巡逻。", "丙", "<乙"])
    assert out == "甲<mark>&lt;乙</mark>&gt;。<mark>派出所民警巡逻。丙</mark>。丁<mark>丙</mark>"
    assert app.highlight("无证据", ["不在文中"]) == "无证据"


def test_card_shows_label_bars_flag_summary_and_evidence(app):
    html = app.render_card(_result(low=True))
    assert 'data-label="public_security"' in html
    assert all(DISPLAY_NAMES[lb] in html for lb in LABELS)  # a bar for every label
    assert "低置信度" in html
    assert '<h3 class="nd-title">标题&lt;b&gt;</h3>' in html
    assert "<mark>派出所民警巡逻。</mark>" in html
    assert "一句话摘要" in html and "民警" in html and "记者 张三" in html
    assert "低置信度" not in app.render_card(_result(low=False))


def test_card_says_when_the_classifier_read_only_part_of_a_long_article(app):
    partial = _result()
    partial.classification.tokens_read, partial.classification.tokens_total = 254, 13240
    html = app.render_card(partial)
    assert 'class="nd-partial"' in html and "254 / 13240" in html and "2%" in html
    whole = _result()
    whole.classification.tokens_read = whole.classification.tokens_total = 120
    assert "nd-partial" not in app.render_card(whole)
    assert "nd-partial" not in app.render_card(_result())  # not counted: nothing said


def test_analyze_text_single_article(app):
    status, cards, table, results = app.analyze_text("水利局部署水库防汛工作。河长巡河。", False)
    assert "1" in status and "⚠️" not in status
    assert cards.count('class="nd-card"') == 1
    assert table[0][2] == DISPLAY_NAMES["water_management"]
    assert results[0]["label"] == "water_management"


@pytest.mark.skipif(not SEED.exists(), reason="shared seed page not present")
def test_analyze_text_seed_page_matches_library(app):
    page = SEED.read_text(encoding="utf-8")
    status, cards, table, results = app.analyze_text(page, True)
    expected = pipeline.analyze(page)
    assert cards.count('class="nd-card"') == len(expected) == len(table) == len(results)
    assert [r["label"] for r in results] == [r.classification.label for r in expected]
    assert f"**{len(expected)}**" in status


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请先输入"),
        ("   \n ", "请先输入"),
        ("中" * 10_000_000, "文本过长"),
        ("\x00\x01\x02PK\x03\x04" * 50, "不是文字"),
    ],
)
def test_bad_paste_gives_chinese_message_not_a_trace(app, text, message):
    status, cards, table, results = app.analyze_text(text, True)
    assert status.startswith("⚠️") and message in status
    assert "Traceback" not in status and cards == "" and table == [] and results == []


def test_model_failure_is_reported_politely(app, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("weights missing")

    monkeypatch.setattr(pipeline, "analyze", boom)
    status, *_ = app.analyze_text("派出所", True)
    assert "处理时出错" in status and "weights" not in status


@pytest.mark.skipif(not SEED.exists(), reason="shared seed page not present")
def test_examples_come_from_the_seed_page(app):
    page, segment = app.load_example(0)
    assert segment is True and page == SEED.read_text(encoding="utf-8")
    one, seg1 = app.load_example(1)
    two, _ = app.load_example(2)
    assert seg1 is False and one and two and one != two
    titles = [a.title for a in pipeline.split_articles(page)]
    assert one.split("\n")[0] in titles and two.split("\n")[0] in titles


def test_ocr_handler_messages(app):
    from PIL import Image

    out = app.ocr_and_analyze(None, True)
    assert "请先上传图片" in out[1]
    out = app.ocr_and_analyze(Image.new("RGB", (300, 200), "white"), True)
    assert out[0] == "" and "没有识别到文字" in out[1]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_batch_tab_writes_csv_jsonl_preview_and_chart(app, tmp_path):
    upload = _jsonl(
        tmp_path / "稿件.jsonl",
        [
            {"id": "r1", "title": "派出所开展治安巡逻", "body": "民警巡逻，维护治安。"},
            {"id": "r2", "title": "水库安全度汛", "body": "水利局检查水库防汛。"},
            {"id": "r3", "title": "残联举办招聘会", "body": "残疾人就业招聘会在残联举行。"},
        ],
    )
    status, preview, csv_path, jsonl_path, chart, xlsx_path = app.run_batch_file(str(upload), False)
    assert "完成" in status and "3 篇文章" in status, status
    rows = [json.loads(x) for x in Path(jsonl_path).read_text("utf-8").splitlines()]
    assert [r["label"] for r in rows] == [
        "public_security",
        "water_management",
        "disability_employment",
    ]
    assert Path(csv_path).read_text("utf-8").count("\n") >= 4  # header + 3 rows
    assert len(preview) == 3 and preview[0][3] == DISPLAY_NAMES["public_security"]
    counts = dict(zip(chart["value"]["领域"], chart["value"]["篇数"], strict=True))
    assert counts[DISPLAY_NAMES["water_management"]] == 1 and sum(counts.values()) == 3
    assert chart["y_lim"] == [0, 1]  # the count axis starts at 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 4 and values[1][values[0].index("label")] == "public_security"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (None, None, "请先上传文件"),
        ("x.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("empty.jsonl", b"", "没有可分析的记录"),
        ("bin.txt", bytes(range(256)) * 40, "没有可分析的记录"),
    ],
)
def test_batch_tab_bad_uploads(app, tmp_path, name, content, message):
    path = None
    if name is not None:
        path = tmp_path / name
        path.write_bytes(content)
    status, preview, csv_path, jsonl_path, chart, xlsx_path = app.run_batch_file(
        str(path) if path else None, True
    )
    assert status.startswith("⚠️") and message in status, status
    assert csv_path is None and jsonl_path is None and xlsx_path is None


def test_evaluate_tab(app, tmp_path):
    upload = _jsonl(
        tmp_path / "gold.jsonl",
        [
            {"text": "派出所民警开展治安巡逻。", "label": "public_security"},
            {"text": "水利局部署水库防汛。", "label": "水利"},
            {"title": "市场", "body": "今年粮食丰收，市场繁荣。", "label": "other"},
            {"text": "残联举办残疾人就业招聘会。", "label": "civil_affairs"},  # fake says DE
            {"text": "没有标签"},
        ],
    )
    status, per_class, png, reliability, summaries = app.evaluate_file(str(upload))
    assert "0.750" in status  # 3 of 4 right
    assert "ECE" in status and Path(reliability).stat().st_size > 1000
    assert summaries == []  # no summary or headline column
    assert "1 行" in status  # the unlabelled row
    assert Path(png).stat().st_size > 1000
    rows = {r[0]: r for r in per_class}
    assert rows[DISPLAY_NAMES["civil_affairs"]][2] == 0.0  # recall of the missed label


def test_evaluate_tab_wrong_columns(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("标题,内容\n甲,乙\n", "utf-8")
    status, per_class, png, *_ = app.evaluate_file(str(path))
    assert status.startswith("⚠️") and "label" in status and png is None


class _OneAtATime:
    """A test double that, like the real models, lets one call at a time into the model
    (through the same kind of lock) and takes ``delay`` seconds per text."""

    def __init__(self, inner, delay: float):
        self.inner, self.delay, self._lock = inner, delay, PriorityLock()

    def _wait(self, texts):
        with self._lock:
            time.sleep(self.delay * len(texts))

    def predict(self, texts, explain=False):
        self._wait(texts)
        return self.inner.predict(texts, explain=explain)

    def summarize(self, texts):
        self._wait(texts)
        return self.inner.summarize(texts)


def _launch(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{port}/"


def test_a_running_batch_does_not_hold_up_pasted_text(app, tmp_path, monkeypatch):
    """Both tabs share the models' locks: a paste answers within a batch model call or two."""
    from gradio_client import Client, handle_file

    delay = 0.05  # per article and model: the batch takes 60 x 2 x 0.05 = 6 s
    monkeypatch.setattr(
        pipeline,
        "_models",
        {
            "classifier:fake": _OneAtATime(KeywordClassifier(delay=0), delay),
            "summarizer:fake": _OneAtATime(LeadSummarizer(), delay),
        },
    )
    upload = _jsonl(
        tmp_path / "big.jsonl",
        [{"id": f"r{i}", "title": "水库度汛", "body": "水利局检查水库。"} for i in range(60)],
    )
    url = _launch(app)
    try:
        client = Client(url, verbose=False)
        batch_job = client.submit(handle_file(str(upload)), False, api_name="/batch")
        time.sleep(1.0)
        start = time.monotonic()
        status, _, _, results = client.predict("派出所民警巡逻。", False, api_name="/analyze")
        paste_s = time.monotonic() - start
        assert results[0]["label"] == "public_security"
        assert not batch_job.done(), "the batch finished too early to show anything"
        batch_status = batch_job.result(timeout=120)[0]
    finally:
        app.demo.close()
    assert "完成" in batch_status and "60 篇文章" in batch_status
    assert paste_s < 1.0, f"paste took {paste_s:.2f} s while the batch ran"


def test_unreadable_png_gets_the_apps_message(app, tmp_path):
    from gradio.data_classes import ImageData

    fake = tmp_path / "scan.png"
    fake.write_bytes(b"this is not a picture" * 20)
    value = app.image_in.preprocess(ImageData(path=str(fake), orig_name="scan.png"))
    text, status, *_ = app.ocr_and_analyze(value, True)
    assert text == "" and "无法读取这张图片" in status


@pytest.mark.parametrize("name", ["稿件.json", "gold.json"])
def test_json_uploads_are_refused_with_a_hint(app, tmp_path, name):
    path = tmp_path / name
    path.write_text(json.dumps([{"text": "派出所民警巡逻。", "label": "public_security"}]), "utf-8")
    status, *outputs = app.run_batch_file(str(path), False)
    assert status.startswith("⚠️") and "JSONL" in status and outputs[1] is None, status
    status, _, png, *_ = app.evaluate_file(str(path))
    assert status.startswith("⚠️") and "JSONL" in status and png is None, status


class _Progress:
    def __init__(self):
        self.calls = []

    def __call__(self, value, desc=None, unit=None):
        self.calls.append((value, desc))


def test_batch_progress_counts_finished_articles(app, tmp_path):
    rows = [{"id": f"r{i}", "title": "水库度汛", "body": "水利局检查水库。"} for i in range(20)]
    progress = _Progress()
    status, *_ = app.run_batch_file(str(_jsonl(tmp_path / "a.jsonl", rows)), False, progress)
    assert "20 篇文章" in status
    counted = [(v, d) for v, d in progress.calls if isinstance(v, tuple)]
    assert counted, progress.calls
    for (done, total), desc in counted:  # one article per record: both counts agree
        assert total == 20 and desc == f"已分析 {done} 篇文章（{done} / 20 条记录）", desc
    assert counted[-1][0] == (20, 20)


def test_batch_downloads_name_the_upload_not_the_server_path(app, tmp_path):
    upload = _jsonl(tmp_path / "稿件.jsonl", [{"id": "r1", "text": "派出所民警巡逻。"}])
    _, _, csv_path, jsonl_path, *_ = app.run_batch_file(str(upload), False)
    row = json.loads(Path(jsonl_path).read_text("utf-8").splitlines()[0])
    assert row["source"] == "稿件.jsonl:1"
    assert str(tmp_path) not in Path(csv_path).read_text("utf-8")


def test_run_folders_are_removed_on_a_schedule(app, tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    root = runs.runs_root()
    stale = root / "batch-old"
    stale.mkdir(parents=True)
    (stale / "x_分析结果.jsonl").write_text("{}\n", "utf-8")
    hours_ago = time.time() - app.RUN_MAX_AGE - 60
    os.utime(stale, (hours_ago, hours_ago))
    upload = _jsonl(tmp_path / "a.jsonl", [{"id": "r1", "text": "派出所民警巡逻。"}])
    _, _, csv_path, *_ = app.run_batch_file(str(upload), False)
    assert not stale.exists(), "a run folder older than RUN_MAX_AGE was kept"
    assert Path(csv_path).parent.parent == root
    assert runs.clean_own_runs() >= 1 and not Path(csv_path).exists()  # what shutdown runs
    assert app.demo.delete_cache == (3600, int(app.RUN_MAX_AGE))  # Gradio's uploads too


def test_missing_models_give_a_clear_message(app, monkeypatch, tmp_path):
    def no_weights(kind):
        raise FileNotFoundError("data/models/classifier/model.safetensors")

    monkeypatch.setattr(pipeline, "_load", no_weights)
    status, *_ = app.analyze_text("派出所民警巡逻。", False)
    assert "模型暂不可用" in status
    upload = _jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "派出所民警巡逻。"}])
    status, _, csv_path, *_ = app.run_batch_file(str(upload), False)
    assert "模型暂不可用" in status and csv_path is None


# --------------------------------------------------------------------------- desk tools


def test_card_has_copy_buttons_markdown_download_and_a_correction_form(app):
    from urllib.parse import unquote

    result = _result()
    html = app.render_card(result, key="k" * 64)
    assert 'data-key="' + "k" * 64 + '"' in html
    assert 'data-copy="summary" data-copy-text="一句话摘要"' in html
    assert 'data-copy="keywords" data-copy-text="民警、巡逻"' in html
    card = app.card_text(result)
    assert card.startswith("标题<b>\n") and "领域：公安" in card and "摘要：一句话摘要" in card
    assert 'data-copy="card"' in html
    href = html.split('href="data:text/markdown;charset=utf-8,', 1)[1].split('"', 1)[0]
    markdown = unquote(href)
    assert markdown == app.card_markdown(result) and markdown.startswith("# 标题<b>")
    assert 'download="第1篇_标题b.md"' in html  # no characters a file name cannot hold
    # the correction form offers every label but the one given
    assert "标注有误" in html and "nd-fb-send" in html
    assert 'value="public_security"' not in html.split('class="nd-fb"', 1)[1]
    assert all(f'value="{lb}"' in html for lb in LABELS if lb != "public_security")


def test_card_shows_a_secondary_label_when_the_model_gives_one(app):
    result = _result("water_management")
    assert "nd-second" not in app.render_card(result)
    result.classification.secondary, result.classification.secondary_score = "civil_affairs", 0.31
    html = app.render_card(result)
    assert 'data-secondary="civil_affairs"' in html and "次要领域：民政 31%" in html
    assert "次要领域：民政（31%）" in app.card_text(result)


def test_a_correction_from_a_card_lands_in_the_feedback_file(app, tmp_path, monkeypatch):
    from nlp.feedback import read_corrections

    monkeypatch.setenv(paths.FEEDBACK_ENV, str(tmp_path / "fb"))
    status, cards, *_ = app.analyze_text("市水利局部署防汛工作\n水库巡查，河长巡河。", False)
    key = cards.split('data-key="', 1)[1].split('"', 1)[0]
    message = app.record_feedback(key, "civil_affairs", "其实是救灾安置")
    assert "已记录" in message and "民政" in message
    [rec] = read_corrections(tmp_path / "fb")
    assert rec["label"] == "civil_affairs" and rec["note"] == "其实是救灾安置"
    assert rec["predicted"] == "water_management" and rec["model_version"] == "fake-keywords"
    assert rec["title"] == "市水利局部署防汛工作" and "河长巡河" in rec["body"]
    assert "无法记录" in app.record_feedback(key, "not-a-label", "")
    assert "无法记录" in app.record_feedback("../x", "other", "")
    assert len(read_corrections(tmp_path / "fb")) == 1


def test_paste_results_download_as_xlsx_and_csv_with_a_bom(app):
    from openpyxl import load_workbook

    assert app.export_results([]) == (None, None)
    *_, results = app.analyze_text(SEED.read_text("utf-8"), True) if SEED.exists() else (
        None, None, None, app.analyze_text("派出所民警巡逻。\n\n水利局检查水库。", True)[3]
    )  # fmt: skip
    xlsx, csv_path = app.export_results(results)
    values = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert len(values) == len(results) + 1
    header = values[0]
    assert [v[header.index("title")] or "" for v in values[1:]] == [r["title"] for r in results]
    assert Path(csv_path).read_bytes().startswith("\ufeff".encode())


def test_a_traditional_paste_is_analysed_as_simplified_and_shows_its_original(app):
    status, cards, table, results = app.analyze_text("市公安局開展反詐宣傳\n民警深入社區。", False)
    assert results[0]["title"] == "市公安局开展反诈宣传"
    assert results[0]["original_title"] == "市公安局開展反詐宣傳"
    assert "原文为繁体字" in cards and "民警深入社區。" in cards


def test_evaluate_tab_scores_summaries_of_a_file_with_a_summary_column(app, tmp_path):
    rows = [
        {"title": "市水利局部署防汛工作", "body": "市水利局部署防汛工作。要求加强巡查。",
         "summary": "市水利局部署防汛工作", "label": "water_management"},
        {"title": "派出所开展巡逻", "body": "派出所开展夜间巡逻。", "summary": "派出所派出所派出所",
         "label": "public_security"},
    ]  # fmt: skip
    status, per_class, png, reliability, summaries = app.evaluate_file(
        str(_jsonl(tmp_path / "out.jsonl", rows))
    )
    assert "分类：共 2 篇" in status and "摘要：2 篇" in status and "summary 列" in status
    shown = dict(summaries)
    assert float(shown["ROUGE-1（字）"]) > 50
    assert shown["有重复片段"] == "50.0%"
    # headline column only, no labels: the model's summaries are scored, no classification
    only = [
        {
            "text": "全市小麦保险理赔工作推进会召开。各公司下沉一线。",
            "headline": "小麦保险理赔推进会召开",
        }
    ]
    status, per_class, png, reliability, summaries = app.evaluate_file(
        str(_jsonl(tmp_path / "h.jsonl", only))
    )
    assert "模型生成的摘要" in status and per_class == [] and png is None and summaries


def test_the_cards_server_function_takes_the_forms_object(app, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.FEEDBACK_ENV, str(tmp_path))
    _, cards, *_ = app.analyze_text("派出所开展巡逻\n民警巡逻。", False)
    key = cards.split('data-key="', 1)[1].split('"', 1)[0]
    assert "已记录" in app.feedback_from_card({"key": key, "label": "other", "note": ""})
    assert "已记录" in app.feedback_from_card([key, "other"])
    assert "无法记录" in app.feedback_from_card("just a string")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("empty.jsonl", b""),
        ("bin.csv", bytes(range(256)) * 40),
        ("broken.jsonl", b'{"text": "\xe6\xb4\xbe\n{not json\n'),
        ("no_text.csv", "label,summary\n公安,摘要\n".encode()),
    ],
    ids=["empty.csv", "empty.jsonl", "binary.csv", "broken.jsonl", "no-text.csv"],
)
def test_evaluate_tab_bad_files_get_a_message_not_a_trace(app, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    status, per_class, png, reliability, summaries = app.evaluate_file(str(path))
    assert status.startswith("⚠️") and "Traceback" not in status, status
    assert png is None and reliability is None and summaries == []
