"""The one batch runner behind segment / classify / summarize / analyze: the same cleaning,
errors, progress and output safety for every command (issues #9 and #10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import paths, pipeline
from nlp.batch import BatchConfig, fields_of, run_batch
from nlp.cli import main
from nlp.output import OutputFile, encode_rows, read_output
from nlp.testing import KeywordClassifier, LeadSummarizer
from nlp.types import InputError

COMMANDS = ("segment", "classify", "summarize", "analyze")
GOOD = {"id": "good", "title": "派出所开展治安巡逻", "body": "民警加强夜间巡逻，维护社会治安。"}
GOOD2 = {"id": "good2", "title": "水库安全度汛", "body": "水利局检查水库防汛准备。"}
BAD = {"id": "bad", "title": "坏记录", "body": "这条记录让模型出错。"}


pytestmark = pytest.mark.usefixtures("fake_models")


class FailsOnBad(KeywordClassifier):
    """Raises for any batch that holds the text 坏记录 (as a real model may on odd input)."""

    def predict(self, texts, explain=False):
        if any("坏记录" in t for t in texts):
            raise RuntimeError("model blew up")
        return super().predict(texts, explain)


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


# --------------------------------------------------------------------- #9.1 one path, cleaned


def test_classify_and_summarize_clean_the_text_as_analyze_does(tmp_path, capsys):
    """An OCR-spaced record: keywords only match once the spaces inside words are removed."""
    spaced = {
        "id": "ocr",
        "text": "派 出 所 民 警 开 展 治 安 巡 逻\n民 警 加 强 巡 逻 ， 维 护 治 安 。",
    }
    src = _jsonl(tmp_path / "in.jsonl", [spaced])
    out = {c: tmp_path / f"{c}.jsonl" for c in COMMANDS}
    assert main(["classify", str(src), "-o", str(out["classify"]), "--no-progress"]) == 0
    assert main(["summarize", str(src), "-o", str(out["summarize"]), "--no-progress"]) == 0
    args = ["analyze", str(src), "-o", str(out["analyze"]), "--no-segment", "--no-progress"]
    assert main(args) == 0
    [c], [s], [a] = (_lines(out[k]) for k in ("classify", "summarize", "analyze"))
    assert c["label"] == a["label"] == "public_security"
    assert c["scores"] == a["scores"]
    assert s["summary"] == a["summary"] == "民警加强巡逻，维护治安。"
    assert c["id"] == "ocr" and a["id"] == "ocr#0"
    # the classify row keeps every field of the old contract, evidence empty unless asked
    assert {"id", "label", "scores", "confidence", "low_confidence", "evidence"} <= set(c)
    assert c["evidence"] == []


@pytest.mark.parametrize("command", ["classify", "summarize", "analyze"])
def test_missing_model_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, command):
    def no_weights(kind):
        raise FileNotFoundError("no trained model here")

    monkeypatch.setattr(pipeline, "_load", no_weights)
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    out = tmp_path / "out.jsonl"
    assert main([command, str(src), "-o", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot load the" in err[0] and "no trained model here" in err[0]
    assert not out.exists()


def test_the_test_model_switch_is_honoured_by_every_command(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    for command in COMMANDS:
        out = tmp_path / f"{command}.jsonl"
        stats = run_batch(BatchConfig([src], out, task=command))
        assert stats.records == 1 and stats.errors == 0, command
        assert "FAKE" in stats.summary_line()


# --------------------------------------------------------------------- #9.2 / #10.6 lone failures


@pytest.mark.parametrize("task", ["classify", "analyze"])
@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_a_failing_record_alone_in_its_batch_loses_nothing_else(tmp_path, task, batch_size):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD, BAD, GOOD2])
    out = tmp_path / "out.jsonl"
    config = BatchConfig([src], out, task=task, batch_size=batch_size)
    stats = run_batch(config, classifier=FailsOnBad(), summarizer=LeadSummarizer())
    rows = read_output(out)
    assert [r["record_id"] for r in rows] == ["good", "bad", "good2"]
    assert [bool(r.get("error")) for r in rows] == [False, True, False]
    assert "model blew up" in rows[1]["error"]
    assert (stats.records, stats.articles, stats.errors) == (3, 2, 1)


def test_a_one_record_file_that_fails_gives_an_error_row_not_a_traceback(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [BAD])
    out = tmp_path / "out.jsonl"
    stats = run_batch(BatchConfig([src], out, task="classify"), classifier=FailsOnBad())
    assert stats.errors == 1 and "model blew up" in read_output(out)[0]["error"]
    # ... and a resumed run counts it as done rather than hitting it again.
    again = run_batch(BatchConfig([src], out, task="classify", resume=True), FailsOnBad())
    assert (again.records, again.skipped) == (0, 1)


def test_64_good_records_then_one_the_model_fails_on(tmp_path, capsys, monkeypatch):
    rows = [{"id": f"g{i}", "title": GOOD["title"], "body": GOOD["body"]} for i in range(64)]
    src = _jsonl(tmp_path / "in.jsonl", [*rows, BAD])
    monkeypatch.setattr(pipeline, "_models", {"classifier:fake": FailsOnBad()})
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(src), "-o", str(out), "--no-progress"]) == 1
    printed = capsys.readouterr()
    assert "records=65" in printed.out and "errors=1" in printed.out
    assert "Traceback" not in printed.err and "in.jsonl:65" in printed.err
    assert len(read_output(out)) == 65


# --------------------------------------------------------------------- #9.5 CSV resume


def test_csv_resume_keeps_every_good_row_after_a_corrupt_one(tmp_path):
    fields = fields_of("analyze")

    def row(rid):
        return {"record_id": rid, "id": f"{rid}#0", "n_articles": 1, "label": "other",
                "body": "正文，\n有换行。", "error": None}  # fmt: skip

    good = [encode_rows([row(r)], "csv", fields) for r in ("a", "b", "c", "d")]
    corrupt = b'"x","x#0","1","broken row with an "unterminated quote\n'
    path = tmp_path / "out.csv"
    path.write_bytes(
        encode_rows([], "csv", fields, header=True) + good[0] + corrupt + b"".join(good[1:])
    )
    with OutputFile(path, "csv", fields, resume=True) as out:
        assert out.done == {"a", "b", "c", "d"}
    assert [r["record_id"] for r in read_output(path)] == ["a", "b", "c", "d"]
    assert read_output(path)[1]["body"] == "正文，\n有换行。"


# --------------------------------------------------------------------- #9.6 progress


def test_progress_counts_records_written_and_leaves_out_skipped_ones(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [{**GOOD, "id": f"r{i}"} for i in range(10)])
    out = tmp_path / "out.jsonl"
    seen = []

    def progress(done, total, stats):
        seen.append((done, total, stats.articles, len(read_output(out))))

    run_batch(BatchConfig([src], out, task="classify", batch_size=4), progress=progress)
    assert [s[0] for s in seen] == list(range(1, 11))
    assert all(done == articles == written for done, _, articles, written in seen)
    assert {s[1] for s in seen} == {10}

    out.write_bytes(b"".join(out.read_bytes().splitlines(keepends=True)[:6]))
    seen.clear()
    stats = run_batch(BatchConfig([src], out, task="classify", resume=True), progress=progress)
    assert stats.skipped == 6 and [s[:2] for s in seen] == [(i, 4) for i in range(1, 5)]


# --------------------------------------------------------------------- #10.1-3 output safety


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("extra", [[], ["--resume"], ["--format", "csv"]])
def test_output_equal_to_an_input_is_refused_and_the_input_kept(tmp_path, capsys, command, extra):
    src = _jsonl(tmp_path / "x.jsonl", [GOOD, GOOD2])
    before = src.read_bytes()
    assert main([command, str(src), "-o", str(src), "--no-progress", *extra]) == 2
    err = capsys.readouterr().err
    assert "is also an input" in err and str(src) in err
    assert src.read_bytes() == before


@pytest.mark.parametrize("command", COMMANDS)
def test_output_inside_an_input_folder_is_refused(tmp_path, capsys, command):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "p.txt").write_text("派出所开展治安巡逻\n民警加强夜间巡逻。", "utf-8")
    out = folder / "sub" / "out.jsonl"
    assert main([command, str(folder), "-o", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "inside the input folder" in err and str(folder) in err
    assert not out.exists()


def test_a_second_writer_of_the_same_output_is_refused(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    out = tmp_path / "out.jsonl"
    with OutputFile(out, "jsonl", fields_of("classify")) as first:
        first.write_record([{"record_id": "z", "id": "z", "n_articles": 1}])
        for extra in ([], ["--resume"]):
            assert main(["classify", str(src), "-o", str(out), "--no-progress", *extra]) == 2
            assert "another run is writing this output" in capsys.readouterr().err
        assert read_output(out) == [{"record_id": "z", "id": "z", "n_articles": 1}]
    # The lock ends with the run: now it goes through.
    assert main(["classify", str(src), "-o", str(out), "--no-progress"]) == 0
    assert not list(tmp_path.glob(".*.lock"))


def test_a_second_writer_in_another_process_is_refused(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [{**GOOD, "id": f"r{i}"} for i in range(40)])
    out = tmp_path / "out.jsonl"
    env = {**os.environ, paths.FAKE_MODELS_ENV: "1", paths.FAKE_DELAY_ENV: "0.05"}
    cmd = [sys.executable, "-m", "nlp", "classify", str(src), "-o", str(out), "--no-progress",
           "--batch-size", "1"]  # fmt: skip
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = tmp_path / ".out.jsonl.lock"
        for _ in range(400):
            if out.exists() and out.stat().st_size > 0:
                break
            first.poll()
            assert first.returncode is None, first.stderr.read().decode()
            import time

            time.sleep(0.02)
        assert lock.exists()
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "another run is writing" in second.stderr
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0
    ids = [r["id"] for r in read_output(out)]
    assert ids == [f"r{i}" for i in range(40)]


# --------------------------------------------------------------------- #10.8 write errors


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_is_one_line_and_exit_2(tmp_path, capsys, command):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    assert main([command, str(src), "-o", "/dev/full", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/dev/full" in err[0] and "No space left" in err[0]


def test_an_unwritable_output_is_exit_2(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["analyze", str(src), "-o", str(blocker / "out.jsonl"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot create its folder" in err[0]
    assert main(["analyze", str(src), "-o", str(tmp_path), "--no-progress"]) == 2
    assert "is a folder" in capsys.readouterr().err


# --------------------------------------------------------------------- #10.9 non-strings


def test_the_library_refuses_a_list_where_one_text_is_expected():
    for call in (pipeline.classify, pipeline.summarize, pipeline.analyze):
        with pytest.raises(InputError) as info:
            call(["", "派出所民警巡逻。"])
        assert info.value.code == "not_text" and "got list" in str(info.value)


def test_source_root_names_sources_relative_to_it_in_rows_and_messages(tmp_path):
    src = _jsonl(tmp_path / "稿件.jsonl", [GOOD, {"id": "e", "text": " "}])
    out = tmp_path / "out" / "o.jsonl"
    said = []
    run_batch(BatchConfig([src], out, task="classify", source_root=tmp_path),
              on_error=lambda source, message: said.append(source))  # fmt: skip
    assert [r["source"] for r in read_output(out) if r.get("source")] == ["稿件.jsonl:2"]
    assert said == ["稿件.jsonl:2"]
