"""training.page_images: generated pages printed, read (a stand-in OCR here), kept, scored."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from nlp.ocr_layout import TextBox
from nlp.segment import SegmentConfig
from training import page_image, page_images


def _corpora(tmp_path: Path) -> Path:
    rows = []
    for i in range(40):
        paras = [f"第{i}篇讲城市{i}的水利工程第{p}期进展。工程已完成{p}成。" * 3 for p in range(3)]
        rows.append({"id": f"xwlb-20240101-{i}", "date": "20240101",
                     "title": f"城市{i}水利工程建设取得新进展", "body": "\n".join(paras)})  # fmt: skip
    with gzip.open(tmp_path / "xwlb.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return tmp_path


def test_pages_are_read_once_kept_and_scored(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CORPORA", str(_corpora(tmp_path)))
    # the stand-in OCR reads the printed blocks back: headlines at 1.9 times the body's size
    monkeypatch.setattr(page_image, "render_blocks", lambda blocks: blocks)
    reads = []

    def read(blocks):  # one fragment per printed line, lines 40 px apart, headlines 1.9 high
        reads.append(1)
        boxes, y = [], 0.0
        for kind, text in blocks:
            h = 38.0 if kind == "head" else 20.0
            if text:
                boxes.append(TextBox(0.0, y, 20.0 * len(text) * h / 20.0, y + h, text))
            y += h + 40.0
        return boxes

    cache = tmp_path / "cache"
    rows = page_images.ocr_pages("dev", 3, first_seed=0, read=read, cache=cache)
    assert len(rows) == 3 and len(reads) == 3 and len(list(cache.iterdir())) == 3
    assert all(len(r["gold"]) >= page_images.MIN_ARTICLES for r in rows)
    assert all(len(r["sizes"]) == len([x for x in r["text"].split("\n") if x]) for r in rows)
    again = page_images.ocr_pages("dev", 3, first_seed=0, read=read, cache=cache)
    assert again == rows and len(reads) == 3  # kept fragments: no second read
    rules = page_images.score_images(rows, SegmentConfig(method="rules"))
    # a perfect read of 15 articles: the rules recover most with their own headline
    assert rules["pages"] == 3 and rules["articles"] == 15 and rules["with_headline"] >= 0.6
