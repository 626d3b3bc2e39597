"""nlp.io: encodings, bad inputs, record iteration and writers."""

import json
import os
import random
import zipfile

import pytest

from nlp.io import (
    decode_bytes,
    detect_encoding,
    iter_records,
    read_jsonl,
    read_text_file,
    write_jsonl,
)
from nlp.types import InputError

TEXT = "本报讯（记者 武芳）5月30日，全市小麦保险理赔工作推进会召开。\n“思路理清，收获满满。”"


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-32"])
def test_read_text_file_detects_encoding(tmp_path, encoding):
    path = tmp_path / f"page-{encoding}.txt"
    path.write_bytes(TEXT.encode(encoding))
    assert read_text_file(path) == TEXT


def test_crlf_is_normalised(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("第一行\r\n第二行\r第三行".encode("gbk"))
    assert read_text_file(path) == "第一行\n第二行\n第三行"


def test_detect_encoding_on_a_sample_cut_inside_a_character():
    data = ("中文" * 10).encode("utf-8")[:-1]
    assert detect_encoding(data) == "utf-8"


def test_random_binary_is_rejected_with_a_one_line_message(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(InputError) as err:
        read_text_file(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    assert "not a text file" in message


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        b"PK\x03\x04" + bytes(range(40)) * 20,
    ],
)
def test_binary_formats_are_rejected(data):
    with pytest.raises(InputError):
        decode_bytes(data, "x.bin")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_text_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        read_text_file(tmp_path)


def test_too_large_file_is_rejected_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:  # sparse: 21 MB on disk costs nothing
        f.truncate(21 * 1024 * 1024)
    with pytest.raises(InputError, match=r"too large \(21.0 MB; the limit is 20.0 MB\)"):
        read_text_file(path)


def test_five_megabyte_text_is_read(tmp_path):
    path = tmp_path / "big.txt"
    text = ("许昌市公安局开展派出所建设工作现场观摩交流活动。" * 75 + "\n") * 1000
    path.write_text(text, encoding="utf-8")
    assert os.path.getsize(path) > 5 * 1024 * 1024
    assert read_text_file(path) == text


# ---------------------------------------------------------------- records


def test_txt_records_and_bad_files(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\t\n", encoding="utf-8")
    (tmp_path / "english.txt").write_text("No Chinese here.", encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(TEXT.encode("gbk"))
    (tmp_path / "noise.txt").write_bytes(random.Random(1).randbytes(2048))
    names = ["good", "empty", "blank", "english", "gbk", "noise", "missing"]
    recs = list(iter_records([tmp_path / f"{n}.txt" for n in names]))
    by_id = {r.id: r for r in recs}
    assert len(recs) == 7
    assert by_id["good"].ok and by_id["good"].body == TEXT and by_id["good"].text == TEXT
    assert by_id["empty"].error == "empty text"
    assert by_id["blank"].error == "empty text"
    assert by_id["english"].ok and by_id["english"].warning == "no Chinese characters"
    assert by_id["gbk"].ok and by_id["gbk"].body == TEXT
    assert "not a text file" in by_id["noise"].error
    assert by_id["missing"].error == "no such file"
    assert by_id["good"].source == str(tmp_path / "good.txt")


def test_record_size_limit(tmp_path):
    (tmp_path / "a.txt").write_text("中" * 100, encoding="utf-8")
    (rec,) = iter_records([tmp_path / "a.txt"], max_bytes=50)
    assert "too large" in rec.error


def test_jsonl_records(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": TEXT}, ensure_ascii=False),
        json.dumps({"title": "标题", "body": "正文。"}, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id": 7, "foo": 1}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "   "}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recs = list(iter_records([path]))
    assert [r.id for r in recs] == ["a1", "batch:2", "batch:3", "7", "batch:6", "batch:7"]
    assert recs[0].body == TEXT and recs[0].ok
    assert (recs[1].title, recs[1].body, recs[1].text) == ("标题", "正文。", "标题\n正文。")
    assert recs[1].source == f"{path}:2"
    assert recs[2].error.startswith("invalid JSON")
    assert recs[3].error == "no 'text', 'title' or 'body' field"
    assert "not an object" in recs[4].error
    assert recs[5].error == "empty text"


def test_extra_fields_are_kept(tmp_path):
    jl = tmp_path / "l.jsonl"
    jl.write_text(json.dumps({"text": "正文。", "Label": "other", "date": "20230530"}) + "\n")
    (rec,) = iter_records([jl])
    assert rec.extra == {"label": "other", "date": "20230530"}
    (rec,) = iter_records([jl], extra_fields=["label"])
    assert rec.extra == {"label": "other"}
    csv_path = tmp_path / "l.csv"
    csv_path.write_text("text,label\n正文。,agri_insurance\n", encoding="utf-8")
    (rec,) = iter_records([csv_path], extra_fields=("label",))
    assert rec.extra == {"label": "agri_insurance"}


def test_jsonl_overlong_line_is_skipped(tmp_path):
    path = tmp_path / "b.jsonl"
    rows = [{"text": "中" * 200}, {"text": "短文本。"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    recs = list(iter_records([path], max_bytes=100))
    assert "longer than" in recs[0].error
    assert recs[1].ok and recs[1].body == "短文本。" and recs[1].id == "b:2"


def test_csv_records(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("ID,Title,Body\nx1,标题一,正文一。\n,标题二,正文二。\nx3,,\n".encode("gbk"))
    recs = list(iter_records([path]))
    assert [r.id for r in recs] == ["x1", "rows:3", "x3"]
    assert recs[0].title == "标题一" and recs[0].body == "正文一。"
    assert recs[2].error == "empty text"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    (rec,) = iter_records([bad])
    assert "no 'text', 'title' or 'body' column" in rec.error


def test_folder_and_zip(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("第一篇。", encoding="utf-8")
    (folder / "sub" / "b.txt").write_bytes("第二篇。".encode("gbk"))
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    (folder / ".hidden.txt").write_text("隐藏。", encoding="utf-8")
    with zipfile.ZipFile(folder / "sub" / "pages.zip", "w") as zf:
        zf.writestr("p1.txt", "压缩包里的第一篇。".encode())
        zf.writestr("dir/p2.txt", "压缩包里的第二篇。".encode("gb18030"))
        zf.writestr("bin.txt", random.Random(2).randbytes(500))
        zf.writestr("__MACOSX/._p1.txt", b"junk")
    recs = list(iter_records([folder]))
    assert [(r.id, r.body) for r in recs if r.ok] == [
        ("a", "第一篇。"),
        ("b", "第二篇。"),
        ("p2", "压缩包里的第二篇。"),
        ("p1", "压缩包里的第一篇。"),
    ]
    bad = [r for r in recs if not r.ok]
    assert len(bad) == 1 and bad[0].source.endswith("pages.zip!bin.txt")


def test_bad_zip_and_empty_folder(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "empty").mkdir()
    recs = list(iter_records([tmp_path / "broken.zip", tmp_path / "empty"]))
    assert "not a readable ZIP file" in recs[0].error
    assert "folder holds no" in recs[1].error


# ---------------------------------------------------------------- plain JSONL


def test_write_jsonl_replaces_the_file_whole_and_read_jsonl_names_a_bad_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("old content that must go\n", "utf-8")
    assert write_jsonl([{"id": "a", "title": "标题"}, {"id": "b"}], path) == 2
    assert path.read_text("utf-8") == '{"id": "a", "title": "标题"}\n{"id": "b"}\n'
    assert read_jsonl(path) == [{"id": "a", "title": "标题"}, {"id": "b"}]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    path.write_text('{"id": "a"}\n\n[1, 2]\n', "utf-8")
    with pytest.raises(ValueError, match=r"rows.jsonl:3: not a JSON object"):
        read_jsonl(path)


# ---------------------------------------------------------------- values that are not text


def test_non_string_text_and_odd_ids_are_refused_not_printed_into_the_text(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": "n", "text": 12345},
        {"id": "l", "text": ["a", "公安"]},
        {"id": {"x": 1}, "text": "派出所民警巡逻。"},
        {"id": 7, "text": "派出所民警巡逻。"},
        {"id": "t", "title": ["标题"], "body": "正文。"},
        {"id": "ok", "title": None, "body": "正文。"},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    recs = list(iter_records([src]))
    assert [r.error for r in recs] == [
        "field 'text' must be a string, got a number",
        "field 'text' must be a string, got a list",
        "field 'id' must be a string or an integer, got an object",
        "",
        "field 'title' must be a string, got a list",
        "",
    ]
    assert recs[3].id == "7" and recs[5].body == "正文。"
