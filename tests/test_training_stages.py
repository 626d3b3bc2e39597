"""Smoke test of the training stages through their ``main()``: pack → train → export → load.

Marked slow: it reads the whole corpus and runs a few real training steps on the CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.corpus import REPO_ROOT

pytestmark = pytest.mark.slow
PAIRS = Path.home() / ".cache" / "newsdesk" / "summaries"


def test_stages_chain(tmp_path):
    if not (PAIRS / "train.jsonl").exists():
        pytest.skip("run python -m training.prepare_summaries first")
    from training import export, pack, train_classifier, train_summarizer

    rows = [
        json.loads(x)
        for x in (REPO_ROOT / "data/classifier/dataset.jsonl").read_text().splitlines()
    ]
    small = [r for r in rows if r["split"] == "train"][:40] + [
        r for r in rows if r["split"] == "dev"
    ][:24]
    (tmp_path / "ds.jsonl").write_text("\n".join(json.dumps(r) for r in small) + "\n")
    pk = pack.main(
        [
            "--out",
            str(tmp_path / "pack"),
            "--dataset",
            str(tmp_path / "ds.jsonl"),
            "--max-pairs",
            "64",
            "--dev-pairs",
            "8",
        ]
    )
    best = train_classifier.main(
        ["--pack", str(pk), "--out", str(tmp_path / "cls"), "--epochs", "2", "--batch-size", "8"]
    )
    assert 0.0 <= best["dev_macro_f1"] <= 1.0 and best["train_loss"] > 0
    best = train_summarizer.main(
        [
            "--pack",
            str(pk),
            "--out",
            str(tmp_path / "sum"),
            "--ckpt",
            str(tmp_path / "ck.pt"),
            "--batch-size",
            "8",
            "--max-minutes",
            "0.1",
            "--eval-pairs",
            "4",
        ]
    )
    assert best["rougeL"] >= 0.0 and (tmp_path / "ck.pt").exists()
    export.export_summarizer(tmp_path / "sum", pk, out=tmp_path / "models_sum")
    meta = json.loads((tmp_path / "models_sum/summarizer.json").read_text())
    assert meta["free_order"] and len(meta["dec_vocab"]) > 4

    from nlp.summarizer import Summarizer

    s = Summarizer(tmp_path / "models_sum")
    assert isinstance(s.headlines(["全市小麦保险理赔工作推进会召开。"])[0], str)
