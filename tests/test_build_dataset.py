"""Merging label files: read labels beat rule labels, and the audit file has the last word."""

import json

from training.build_dataset import load_label_files


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def test_read_label_beats_rule_label(tmp_path):
    _write(tmp_path / "other.jsonl", [{"id": "a", "label": "other", "method": "rule"}])
    _write(
        tmp_path / "water_management.jsonl",
        [
            {"id": "a", "label": "water_management", "method": "read"},
        ],
    )
    merged, conflicts = load_label_files(tmp_path)
    assert merged["a"]["label"] == "water_management"
    assert conflicts == []


def test_audit_overrides_every_other_file_and_is_reported(tmp_path):
    # "audit" sorts before the domain files; it must still be applied last.
    _write(
        tmp_path / "audit.jsonl",
        [
            {"id": "a", "label": "other", "method": "corrected", "audit": "adjudicated"},
            {"id": "b", "label": "civil_affairs", "method": "read", "audit": "agreed"},
        ],
    )
    _write(
        tmp_path / "public_security.jsonl",
        [
            {"id": "a", "label": "public_security", "method": "read"},
            {"id": "b", "label": "civil_affairs", "method": "read"},
        ],
    )
    merged, conflicts = load_label_files(tmp_path)
    assert merged["a"]["label"] == "other" and merged["a"]["file"] == "audit"
    assert merged["b"]["label"] == "civil_affairs"
    assert conflicts == ["a: public_security=public_security -> audit=other"]


def test_unknown_label_is_reported_not_merged(tmp_path):
    _write(tmp_path / "other.jsonl", [{"id": "a", "label": "sports", "method": "read"}])
    merged, conflicts = load_label_files(tmp_path)
    assert merged == {} and "unknown label" in conflicts[0]


def test_other_outlets_split_by_outlet_group_and_date():
    from training.splits import split_of

    # the foreign and wire feeds are an outlet group seen only in test
    assert split_of("cnnewshub-1", "20260601", "联合早报") == "test_ood"
    assert split_of("cnnewshub-2", "20260601", "虎嗅网") == "train"
    assert split_of("cnnewshub-3", "20260721", "虎嗅网") == "dev_ood"
    assert split_of("eventmonitor-4", "20170630", "") == "train"
    assert split_of("eventmonitor-5", "20180105", "") == "dev_ood"
    # CCTV and local_rare items keep their split
    assert split_of("xwlb-20250101-1", "20250101") == "test"


def test_the_rule_blind_slice_holds_the_test_items_no_rule_flags(tmp_path):
    from nlp.evaluation.classification import domain_recall_precision
    from nlp.evaluation.data import load_rule_blind

    corpora = tmp_path / "corpora"
    corpora.mkdir()
    items = [
        {"id": "xwlb-1", "date": "20250301", "title": "社区养老", "body": "一。"},
        {"id": "xwlb-2", "date": "20250302", "title": "派出所", "body": "二。"},
        {"id": "xwlb-3", "date": "20200302", "title": "训练", "body": "三。"},
    ]
    lines = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items)
    (corpora / "xwlb.jsonl.gz").write_bytes(__import__("gzip").compress(lines.encode()))
    outlet = {"id": "cnnewshub-9", "date": "20260601", "title": "洪水", "body": "四。"}
    (corpora / "other_outlets.jsonl.gz").write_bytes(
        __import__("gzip").compress((json.dumps(outlet, ensure_ascii=False) + "\n").encode())
    )
    rows = [
        {"id": "xwlb-1", "label": "civil_affairs", "rule_label": "other", "split": "test"},
        {
            "id": "xwlb-2",
            "label": "public_security",
            "rule_label": "public_security",
            "split": "test",
        },
        {"id": "xwlb-3", "label": "civil_affairs", "rule_label": "other", "split": "train"},
        {
            "id": "cnnewshub-9",
            "label": "water_management",
            "rule_label": "other",
            "split": "test_ood",
        },
    ]
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    blind = load_rule_blind("test", dataset, corpora)
    assert blind.name == "rule_blind_test" and blind.ids == ["xwlb-1", "cnnewshub-9"]
    assert blind.labels == ["civil_affairs", "water_management"]
    assert domain_recall_precision(blind.labels, ["civil_affairs", "other"]) == {
        "domain_recall": 0.5,
        "domain_precision": 1.0,
        "domain_support": 2,
    }
