"""Batch analysis: output rows, torn-tail repair, resume, and a real kill-and-resume run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nlp import batch, paths, pipeline
from nlp.batch import BatchConfig, fields_of
from nlp.evaluation.labelled import read_labelled
from nlp.output import OutputFile, complete_rows, csv_columns, encode_rows, read_output

ROOT = Path(__file__).resolve().parents[1]
SEED = paths.seed_page()
FIELDS = fields_of("analyze")

ARTICLES = [
    ("派出所开展治安巡逻", "民警加强夜间巡逻，维护社会治安。"),
    ("水库安全度汛", "水利局检查水库防汛准备，河长巡河。"),
    ("残联举办招聘会", "残联为残疾人就业搭建平台。"),
    ("小麦保险理赔", "保险公司为受灾农户理赔，农业保险保障增收。"),
    ("敬老院送温暖", "民政局走访敬老院，落实养老救助政策。"),
    ("夏粮收购开始", "今年粮食丰收，收购工作有序开展。"),
]


pytestmark = pytest.mark.usefixtures("fake_models")


def _row(rid: str, i: int, n: int, label: str = "other") -> dict:
    return {"record_id": rid, "id": f"{rid}#{i}", "n_articles": n, "index": i, "label": label,
            "scores": {label: 1.0}, "keywords": ["甲", "乙"], "error": None}  # fmt: skip


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# --------------------------------------------------------------------------- pure parts


def test_jsonl_and_csv_round_trip(tmp_path):
    rows = [_row("a", 0, 2), _row("a", 1, 2), _row("b", 0, 1, "water_management")]
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"out.{fmt}"
        path.write_bytes(encode_rows(rows, fmt, FIELDS, header=True))
        back = read_output(path, fmt)
        assert [r["id"] for r in back] == ["a#0", "a#1", "b#0"]
        assert [int(r["n_articles"]) for r in back] == [2, 2, 1]
    csv_rows = read_output(tmp_path / "out.csv")
    assert csv_rows[2]["score_water_management"] == "1.0"
    assert json.loads(csv_rows[0]["keywords"]) == ["甲", "乙"]


def test_complete_rows_drops_incomplete_records_and_duplicates():
    rows = [_row("a", 0, 2), _row("a", 1, 2), _row("a", 1, 2), _row("b", 0, 3), _row("b", 1, 3)]
    kept, done = complete_rows(rows)
    assert done == {"a"}
    assert [r["id"] for r in kept] == ["a#0", "a#1"]


def _prepare(path: Path, fmt: str, resume: bool) -> set[str]:
    with OutputFile(path, fmt, FIELDS, resume=resume) as out:
        return out.done


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_prepare_output_cuts_a_torn_tail(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    whole = encode_rows([_row("a", 0, 1), _row("b", 0, 2), _row("b", 1, 2)], fmt, FIELDS, True)
    torn = whole + encode_rows([_row("c", 0, 1)], fmt, FIELDS)[:-25]  # killed mid-write
    path.write_bytes(torn)
    assert _prepare(path, fmt, resume=True) == {"a", "b"}
    assert path.read_bytes() == whole
    # A record with only some of its rows written is redone as a whole.
    path.write_bytes(whole + encode_rows([_row("c", 0, 2)], fmt, FIELDS))
    assert _prepare(path, fmt, resume=True) == {"a", "b"}
    assert path.read_bytes() == whole
    assert _prepare(path, fmt, resume=False) == set()
    assert path.read_bytes() == (encode_rows([], fmt, FIELDS, True) if fmt == "csv" else b"")


def test_config_checks():
    with pytest.raises(ValueError, match="format"):
        BatchConfig(inputs=["x"], output="o.jsonl", format="xml")
    with pytest.raises(ValueError, match="batch_size"):
        BatchConfig(inputs=["x"], output="o.jsonl", batch_size=0)
    assert BatchConfig(inputs=["x"], output="o.CSV").format == "csv"


# --------------------------------------------------------------------------- running


def _records(n: int, page: str | None = None) -> list[dict]:
    rows = []
    for i in range(n):
        if page is not None and i % 3 == 1:
            rows.append({"id": f"r{i:03d}", "text": page})
        else:
            title, body = ARTICLES[i % len(ARTICLES)]
            rows.append({"id": f"r{i:03d}", "title": title, "body": body})
    return rows


def test_run_batch_rows_ids_and_errors(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", [*_records(6), {"id": "blank", "body": "  "}])
    out = tmp_path / "out.jsonl"
    stats = batch.run_batch(BatchConfig(inputs=[src], output=out, segment=False, batch_size=4))
    rows = read_output(out)
    good = [r for r in rows if not r["error"]]
    assert stats.records == 7 and stats.articles == 6 and stats.errors == 1
    assert [r["label"] for r in good] == [
        "public_security", "water_management", "disability_employment", "agri_insurance",
        "civil_affairs", "other",
    ]  # fmt: skip
    assert all(r["id"] == f"{r['record_id']}#0" and r["n_articles"] == 1 for r in good)
    assert {k for k in good[0]} >= {"source", "index", "title", "byline", "body", "captions",
                                     "label", "scores", "confidence", "low_confidence",
                                     "summary", "key_sentences", "keywords", "error"}  # fmt: skip
    [bad] = [r for r in rows if r["error"]]
    assert bad["record_id"] == "blank" and bad["n_articles"] == 0 and "empty" in bad["error"]
    assert stats.labels["public_security"] == 1


@pytest.mark.skipif(not SEED.exists(), reason="shared seed page not present")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_a_cut_reproduces_the_uninterrupted_output(tmp_path, fmt):
    src = _write_jsonl(tmp_path / "in.jsonl", _records(7, SEED.read_text("utf-8")))
    clean = tmp_path / f"clean.{fmt}"
    batch.run_batch(BatchConfig(inputs=[src], output=clean, batch_size=5))
    full = clean.read_bytes()
    assert len({r["record_id"] for r in read_output(clean)}) == 7
    assert max(int(r["n_articles"]) for r in read_output(clean)) > 1  # the page has several

    out = tmp_path / f"cut.{fmt}"
    out.write_bytes(full[: len(full) * 11 // 20])  # cut somewhere inside a record
    stats = batch.run_batch(BatchConfig(inputs=[src], output=out, resume=True, batch_size=5))
    assert out.read_bytes() == full
    assert 0 < stats.skipped < 7 and stats.records == 7 - stats.skipped


def _workbook_rows(path: Path) -> list[dict]:
    from openpyxl import load_workbook

    ws = load_workbook(path).active
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_xlsx_output_holds_every_article_with_the_csv_columns(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", [*_records(6), {"id": "blank", "body": "  "}])
    out = tmp_path / "结果.xlsx"
    stats = batch.run_batch(BatchConfig(inputs=[src], output=out, segment=False, batch_size=4))
    assert stats.records == 7
    rows = _workbook_rows(out)
    assert list(rows[0]) == [c for c in csv_columns(FIELDS)]
    assert [r["id"] for r in rows] == [f"r{i:03d}#0" for i in range(6)] + ["blank#0"]
    assert rows[0]["label"] == "public_security" and isinstance(rows[0]["confidence"], float)
    assert json.loads(rows[0]["keywords"]) and rows[-1]["error"]
    assert not list(tmp_path.glob(".*")), "the hidden rows file and the lock are gone"


def test_xlsx_resume_continues_a_cut_run_and_a_finished_workbook(tmp_path):
    from nlp.output import xlsx_rows_path

    src = _write_jsonl(tmp_path / "in.jsonl", _records(6))
    clean = tmp_path / "clean.jsonl"
    batch.run_batch(BatchConfig(inputs=[src], output=clean, segment=False))
    full = clean.read_bytes()
    out = tmp_path / "out.xlsx"
    xlsx_rows_path(out).write_bytes(full[: len(full) // 2 + 7])  # a run killed half-way
    stats = batch.run_batch(BatchConfig(inputs=[src], output=out, resume=True, segment=False))
    assert 0 < stats.skipped < 6 and stats.records == 6 - stats.skipped
    first = _workbook_rows(out)
    assert [r["id"] for r in first] == [f"r{i:03d}#0" for i in range(6)]
    assert not xlsx_rows_path(out).exists()
    # resuming a finished workbook with more input keeps its rows and adds the new ones
    more = _write_jsonl(tmp_path / "more.jsonl", _records(8))
    stats = batch.run_batch(BatchConfig(inputs=[more], output=out, resume=True, segment=False))
    assert stats.skipped == 6 and stats.records == 2
    rows = _workbook_rows(out)
    assert [r["id"] for r in rows] == [f"r{i:03d}#0" for i in range(8)]
    assert [r["label"] for r in rows[:6]] == [r["label"] for r in first]


def test_xlsx_cells_over_excels_limit_are_cut_with_a_note_and_control_chars_dropped():
    from nlp.rows import XLSX_CELL_LIMIT, XLSX_CUT_NOTE, encode_xlsx, parse_xlsx

    row = _row("a", 0, 1)
    row["body"], row["title"] = "长" * 40_000, "标题\x01\x02"
    [back] = parse_xlsx(encode_xlsx([row], FIELDS))
    assert len(back["body"]) == XLSX_CELL_LIMIT and back["body"].endswith(XLSX_CUT_NOTE)
    assert back["title"] == "标题" and back["score_other"] == 1.0
    assert parse_xlsx(b"not a workbook") == []


def test_xlsx_to_stdout_is_refused(capsys):
    from nlp.cli import main

    assert main(["analyze", str(ROOT / "README.md"), "-o", "-", "--format", "xlsx"]) == 2
    assert "xlsx" in capsys.readouterr().err


# --------------------------------------------------------------------------- the command


def test_analyze_command_killed_half_way_then_resumed(tmp_path):
    """SIGKILL a real ``python -m nlp analyze`` run, resume it, compare with a clean run."""
    page = SEED.read_text("utf-8") if SEED.exists() else None
    src = _write_jsonl(tmp_path / "in.jsonl", _records(30, page))
    env = {**os.environ, "NEWSDESK_FAKE_MODELS": "1"}
    cmd = [sys.executable, "-m", "nlp", "analyze", str(src), "--batch-size", "2"]

    clean = tmp_path / "clean.jsonl"
    subprocess.run([*cmd, "-o", str(clean)], env=env, check=True, capture_output=True,
                   timeout=120)  # fmt: skip

    out = tmp_path / "out.jsonl"
    slow = {**env, "NEWSDESK_FAKE_DELAY": "0.03"}
    proc = subprocess.Popen([*cmd, "-o", str(out)], env=slow, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 8:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = read_output(out)
    done_before = {r["record_id"] for r in complete_rows(partial)[0]}
    assert 0 < len(done_before) < 30

    resumed = subprocess.run([*cmd, "-o", str(out), "--resume"], env=env, capture_output=True,
                             text=True, timeout=120, check=True)  # fmt: skip
    summary = resumed.stdout.strip().splitlines()[-1]
    assert (
        f"skipped={len(done_before)}" in summary and f"records={30 - len(done_before)}" in summary
    )
    assert "articles/s=" in summary and "FAKE" in summary

    rows = read_output(out)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a row was written twice"
    assert {r["record_id"] for r in rows} == {f"r{i:03d}" for i in range(30)}
    assert out.read_bytes() == clean.read_bytes()


def test_record_with_a_title_is_one_article_even_when_segmenting():
    rec = {
        "id": "x",
        "title": "派出所 开展治安巡逻",
        "body": "民警加强\n巡逻，维护治安。\n\n小标题\n\n又一段。",
    }
    from nlp.io import Record

    record = Record("x", "s", title=rec["title"], body=rec["body"])
    [article] = batch.record_articles(record, segment=True, source="s")
    assert article.title == "派出所 开展治安巡逻"  # a real word gap in a headline stays
    assert "民警加强巡逻" in article.body and "又一段" in article.body
    assert article.source == "s" and article.index == 0


def test_evidence_only_when_asked(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", _records(1))
    out = tmp_path / "out.jsonl"
    batch.run_batch(BatchConfig(inputs=[src], output=out))
    assert read_output(out)[0]["evidence"] == []
    batch.run_batch(BatchConfig(inputs=[src], output=out, explain=True))
    assert read_output(out)[0]["evidence"] == [
        "派出所开展治安巡逻",
        "民警加强夜间巡逻，维护社会治安。",
    ]


def test_analyze_command_without_models_says_so_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from nlp.cli import main

    def no_weights(kind):
        raise FileNotFoundError("no trained model")

    monkeypatch.setattr(pipeline, "_load", no_weights)
    src = _write_jsonl(tmp_path / "in.jsonl", _records(2))
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(src), "-o", str(out), "--no-progress"]) == 2
    assert "cannot load the classifier" in capsys.readouterr().err
    assert not out.exists()


def test_bulk_runs_ask_the_summariser_for_its_batch_decoding(tmp_path):
    from nlp.testing import LeadSummarizer

    asked = []

    class Bulk(LeadSummarizer):
        def for_batch(self, num_beams=None, max_source_tokens=None):
            asked.append((num_beams, max_source_tokens))
            return self

    src = _write_jsonl(tmp_path / "in.jsonl", _records(2))
    batch.run_batch(BatchConfig(inputs=[src], output=tmp_path / "a.jsonl"), summarizer=Bulk())
    config = BatchConfig(inputs=[src], output=tmp_path / "b.jsonl", beams=4, source_tokens=320)
    batch.run_batch(config, summarizer=Bulk())
    assert asked == [(None, None), (4, 320)]


def test_read_labelled_keeps_ids_accepts_chinese_names_and_skips_or_refuses_bad_rows(tmp_path):
    src = _write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {"id": "a", "text": "派出所民警开展治安巡逻。", "label": "public_security"},
            {"id": "b", "title": "水库", "body": "水利局部署水库防汛。", "label": "水利"},
            {"id": "c", "text": "没有标签"},
            {"id": "d", "text": "标签写错了", "label": "sports"},
        ],
    )
    rows = read_labelled(src)
    assert rows.ids == ["a", "b"] and rows.labels == ["public_security", "water_management"]
    assert rows.texts[1] == "水库\n水利局部署水库防汛。"
    assert rows.skipped == ["c: no 'label' field", "d: unknown label 'sports'"]
    with pytest.raises(ValueError, match="record c: no 'label' field"):
        read_labelled(src, strict=True)
