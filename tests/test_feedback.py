"""Label corrections from the app: append-only records, review, and the label file."""

from __future__ import annotations

import json
import threading

import pytest

from nlp.feedback import RecentArticles, read_corrections, record_correction, text_hash
from training import feedback as stage
from training.build_dataset import item_split, load_label_files
from training.corpus import FEEDBACK_SOURCE, feedback_items

TITLE, BODY = "暴雨过后抢修堤防", "县水利局组织抢修受损堤防，转移群众。"
PREDICTED = {"label": "other", "confidence": 0.61, "scores": {"other": 0.61}}


def test_a_correction_records_the_label_note_hash_model_version_time_and_text(tmp_path):
    recent = RecentArticles()
    key = recent.add(TITLE, BODY, PREDICTED, model_version="classifier-abc")
    assert key == text_hash(TITLE, BODY)
    rec = record_correction(key, "water_management", " 讲的是堤防抢修 ", recent=recent,
                            folder=tmp_path)  # fmt: skip
    [back] = read_corrections(tmp_path)
    assert back == rec
    assert rec["label"] == "water_management" and rec["note"] == "讲的是堤防抢修"
    assert rec["predicted"] == "other" and rec["model_version"] == "classifier-abc"
    assert rec["title"] == TITLE and rec["body"] == BODY and rec["time"].endswith("+00:00")


def test_unknown_label_or_key_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match="unknown label"):
        record_correction(text_hash(TITLE, BODY), "weather", folder=tmp_path)
    with pytest.raises(ValueError, match="SHA-256"):
        record_correction("../../etc/passwd", "other", folder=tmp_path)
    assert read_corrections(tmp_path) == []


def test_concurrent_corrections_never_tear_a_line(tmp_path):
    keys = [text_hash(f"标题{i}", BODY * 50) for i in range(8)]

    def worker(key):
        for _ in range(25):
            record_correction(key, "civil_affairs", "长" * 400, folder=tmp_path)

    threads = [threading.Thread(target=worker, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "corrections.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200 and all(json.loads(line)["label"] == "civil_affairs" for line in lines)


def test_an_article_the_app_no_longer_holds_is_recorded_without_text(tmp_path):
    recent = RecentArticles(capacity=1)
    first = recent.add(TITLE, BODY, PREDICTED)
    recent.add("另一篇", "正文。", PREDICTED)
    rec = record_correction(first, "water_management", recent=recent, folder=tmp_path,
                            model_version="v")  # fmt: skip
    assert rec["body"] is None and rec["model_version"] == "v"


def test_review_then_write_puts_decided_corrections_in_the_label_file(tmp_path, capsys):
    folder, recent = tmp_path / "fb", RecentArticles()
    a = recent.add(TITLE, BODY, PREDICTED)
    b = recent.add("残联招聘会", "残疾人专场招聘会举行。", PREDICTED)
    c = recent.add("某新闻", "正文。", PREDICTED)
    record_correction(a, "water_management", recent=recent, folder=folder)
    record_correction(a, "water_management", "同意", recent=recent, folder=folder)
    record_correction(b, "disability_employment", recent=recent, folder=folder)
    record_correction(c, "public_security", recent=recent, folder=folder)
    record_correction(c, "civil_affairs", recent=recent, folder=folder)
    sheet = tmp_path / "review.tsv"
    assert stage.main(["review", "--folder", str(folder), "--out", str(sheet)]) == 0
    assert "5 corrections of 3 articles" in capsys.readouterr().out
    lines = sheet.read_text(encoding="utf-8").splitlines()
    decided = {a: "accept", b: "reject", c: "accept"}  # c: the users disagree
    filled = [lines[0]] + [decided[line.split("\t")[1]] + line for line in lines[1:]]
    sheet.write_text("\n".join(filled) + "\n", encoding="utf-8")
    out = tmp_path / "labels" / "feedback.jsonl"
    args = ["write", "--review", str(sheet), "--folder", str(folder), "--out", str(out)]
    assert stage.main(args) == 0
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["label"] == "water_management" and row["method"] == "user"
    assert row["provenance"] == "user" and row["user_labels"] == ["water_management"] * 2
    assert row["body"] == BODY and row["id"] == f"user-{a[:16]}"
    assert "gives no label" in capsys.readouterr().err
    # the dataset builder reads them as read labels, with their texts, for training only
    merged, _ = load_label_files(out.parent)
    assert merged[row["id"]]["label"] == "water_management"
    items = feedback_items(out)
    assert items[row["id"]]["source"] == FEEDBACK_SOURCE and items[row["id"]]["body"] == BODY
    assert item_split(row["id"], items[row["id"]]) == "train"
    assert item_split("xwlb-20250301-1", {"date": "20250301"}) == "test"
