"""The shape of the code, checked: arrows point down, modules stay readable, faults fail tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NLP_MODULES = sorted((ROOT / "nlp").rglob("*.py"))
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_library_never_imports_training_or_the_app():
    bad = {
        str(p.relative_to(ROOT)): sorted(
            n for n in _imports(p) if n.split(".")[0] in {"training", "app", "tests"}
        )
        for p in NLP_MODULES
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_no_library_module_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in NLP_MODULES
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_test_skips_when_the_projects_own_code_breaks():
    """``importorskip`` on our own modules turns an import fault into skips, not failures."""
    pattern = re.compile(r"importorskip\(\s*['\"](nlp|training|app)\b")
    hits = [
        f"{p.name}:{i}"
        for p in (ROOT / "tests").glob("*.py")
        for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []
