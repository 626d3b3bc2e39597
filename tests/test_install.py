"""The package works as a normal (non-editable) install: models found where pip put them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_non_editable_install_finds_its_models_and_runs(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", str(ROOT)], check=True,
                   timeout=600)  # fmt: skip
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = "import nlp, nlp.paths as p; print(nlp.__file__); print(p.models_dir()); print(p.repo_root())"
    where, models, repo = subprocess.run(
        [py, "-c", code], cwd=work, check=True, capture_output=True, text=True
    ).stdout.split()
    assert str(venv) in where and repo == "None"
    assert Path(models) == venv / "share" / "newsdesk" / "models"
    for name in ("classifier", "summarizer"):
        shipped = paths.model_dir(name) / f"{name}.json"
        assert (Path(models) / name / f"{name}.json").read_bytes() == shipped.read_bytes()
    page = work / "page.txt"
    page.write_text(
        "全市小麦保险理赔工作推进会召开\n5月30日，全市小麦保险理赔工作推进会召开。", "utf-8"
    )
    out = subprocess.run([py, "-m", "nlp", "segment", str(page), "--no-progress"], cwd=work,
                         check=True, capture_output=True, text=True)  # fmt: skip
    [row] = [json.loads(x) for x in out.stdout.splitlines()]
    assert row["title"] == "全市小麦保险理赔工作推进会召开"
