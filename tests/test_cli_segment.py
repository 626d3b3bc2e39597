"""``python -m nlp segment``: output contract, bad inputs, exit codes."""

import json
import random
import subprocess
import sys

import pytest

from nlp.cli import build_parser, main

FIELDS = {"record_id", "id", "n_articles", "source", "index", "title", "byline", "body", "captions",
          "original_title", "original_body"}  # fmt: skip


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_segment_seed_to_file(seed_path, tmp_path, capsys):
    out = tmp_path / "articles.jsonl"
    assert main(["segment", str(seed_path), "-o", str(out)]) == 0
    rows = _read_jsonl(out)
    assert len(rows) == 9
    assert all(set(r) == FIELDS for r in rows)
    assert [r["index"] for r in rows] == list(range(9))
    assert rows[-1]["title"] == "立足实际找“路子”药草变成“致富宝”"
    assert all(r["source"] == str(seed_path) for r in rows)
    assert capsys.readouterr().err == ""


def test_segment_to_stdout(tmp_path, capsys):
    page = tmp_path / "p.txt"
    page.write_text(
        "全市小麦保险理赔工作推进会召开\n\n5月30日，全市小麦保险理赔工作推进会召开。", "utf-8"
    )
    assert main(["segment", str(page)]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["title"] == "全市小麦保险理赔工作推进会召开"
    assert row["body"] == "5月30日，全市小麦保险理赔工作推进会召开。"


def test_bad_inputs_are_reported_and_the_rest_goes_through(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("标题在这里呢\n\n正文第一句。正文第二句。", encoding="utf-8")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("河湖长巡河调研\n\n5月30日，李选才到石梁河开展巡河调研。".encode("gbk"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\n \t ", encoding="utf-8")
    noise = tmp_path / "noise.txt"
    noise.write_bytes(random.Random(3).randbytes(3000))
    english = tmp_path / "english.txt"
    english.write_text("No Chinese at all.", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    out = tmp_path / "out.jsonl"
    files = [good, empty, gbk, blank, noise, english, missing]
    assert main(["segment", *map(str, files), "-o", str(out)]) == 1
    rows = _read_jsonl(out)
    # One row per input, in order; the bad ones say why (and resume skips them).
    assert [r["source"] for r in rows] == list(map(str, files))
    assert [r["id"] for r in rows] == ["good#0", "empty#0", "gbk#0", "blank#0", "noise#0",
                                       "english#0", "missing#0"]  # fmt: skip
    assert [bool(r.get("error")) for r in rows] == [False, True, False, True, True, False, True]
    assert rows[2]["title"] == "河湖长巡河调研"
    err_lines = capsys.readouterr().err.splitlines()
    assert err_lines == [
        f"newsdesk: error: {empty}: empty text",
        f"newsdesk: error: {blank}: empty text",
        f"newsdesk: error: {noise}: not a text file (binary or unknown encoding)",
        f"newsdesk: warning: {english}: no Chinese characters",
        f"newsdesk: error: {missing}: no such file",
    ]


def test_five_megabyte_page(seed_text, tmp_path):
    page = tmp_path / "big.txt"
    copies = 5 * 1024 * 1024 // len(seed_text.encode("utf-8")) + 1
    page.write_text((seed_text.strip() + "\n\n") * copies, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(page), "-o", str(out)]) == 0
    assert len(_read_jsonl(out)) == 9 * copies


def test_too_large_page_is_refused(tmp_path, capsys):
    page = tmp_path / "huge.txt"
    with open(page, "wb") as f:
        f.truncate(25 * 1024 * 1024)
    assert main(["segment", str(page), "-o", str(tmp_path / "o.jsonl")]) == 1
    assert "too large (25.0 MB; the limit is 20.0 MB)" in capsys.readouterr().err


def test_jsonl_input_segments_each_row(tmp_path):
    batch = tmp_path / "pages.jsonl"
    batch.write_text(
        json.dumps({"id": "p1", "text": "标题一二三四\n\n正文一。"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "p2", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.jsonl"
    assert main(["segment", str(batch), "-o", str(out)]) == 1
    row, bad = _read_jsonl(out)
    assert row["source"] == f"{batch}:1" and row["title"] == "标题一二三四"
    assert row["id"] == "p1#0" and row["record_id"] == "p1" and row["n_articles"] == 1
    assert bad["id"] == "p2#0" and bad["error"] == "empty text"


def test_unwritable_output_and_usage_errors(tmp_path, seed_path, capsys):
    (tmp_path / "dir.jsonl").mkdir()
    assert main(["segment", str(seed_path), "-o", str(tmp_path / "dir.jsonl")]) == 2
    assert capsys.readouterr().err == (
        f"newsdesk: error: {tmp_path / 'dir.jsonl'}: is a folder; give a file name for the output\n"
    )
    assert main([]) == 2
    assert main(["segment"]) == 2
    assert main(["--help"]) == 0


def test_parser_has_segment_subcommand():
    parser = build_parser()
    args = parser.parse_args(["segment", "a.txt", "-o", "b.jsonl"])
    assert (args.command, args.inputs, args.output) == ("segment", ["a.txt"], "b.jsonl")


@pytest.mark.parametrize("entry", [["-m", "nlp"]])
def test_python_dash_m_nlp(entry, seed_path):
    proc = subprocess.run(
        [sys.executable, *entry, "segment", str(seed_path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 9


def test_segment_reads_page_images_and_reports_bad_ones(tmp_path, capsys, monkeypatch):
    """PNG/JPEG pages go through OCR (here a stand-in that checks the image is readable) and
    the segmenter gets the line sizes; an unreadable image is an error row, the rest goes on."""
    from PIL import Image

    import nlp.ocr

    seen = {}

    def fake_ocr_page(image, config=None):
        nlp.ocr.load_image(image)  # the real reader: a bad file raises ValueError here
        text = "小麦保险理赔会召开\n\n本报讯（记者 张三）全市小麦保险理赔工作推进会召开。"
        seen["image"] = str(image)
        return nlp.ocr.OcrPage(text, [2.0, 1.0])

    monkeypatch.setattr(nlp.ocr, "ocr_page", fake_ocr_page)
    pages = tmp_path / "pages"
    pages.mkdir()
    Image.new("RGB", (40, 30), "white").save(pages / "page.png")
    (pages / "broken.jpg").write_bytes(b"not an image at all")
    (pages / "a.txt").write_text("标题在这里呢\n\n正文第一句。", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(pages), "-o", str(out)]) == 1  # one bad record
    rows = {r["record_id"]: r for r in _read_jsonl(out)}
    assert rows["page"]["title"] == "小麦保险理赔会召开" and rows["page"]["byline"] == "记者 张三"
    assert "cannot read the image" in rows["broken"]["error"]
    assert rows["a"]["title"] == "标题在这里呢"
    assert seen["image"].endswith("page.png")
    assert "broken" in capsys.readouterr().err


def test_ocr_text_gets_the_checks_every_record_gets(tmp_path, capsys, monkeypatch):
    """Text read from an image is checked like pasted text: no Chinese is a warning."""
    from PIL import Image

    import nlp.ocr

    monkeypatch.setattr(nlp.ocr, "ocr_page", lambda image, config=None: nlp.ocr.OcrPage(
        "Just English.", [1.0]))  # fmt: skip
    Image.new("RGB", (40, 30), "white").save(tmp_path / "en.png")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(tmp_path / "en.png"), "-o", str(out)]) == 0
    assert _read_jsonl(out)[0]["body"] == "Just English."
    assert "no Chinese characters" in capsys.readouterr().err
