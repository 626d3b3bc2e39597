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
