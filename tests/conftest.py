"""Shared fixtures: the seed newspaper page and its gold (loaded once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("NEWSDESK_SHARED", REPO_ROOT.parent / "shared"))
SEED_PAGE = SHARED_DIR / "seeds" / "000_cd28cbcedefb48dc.txt"
SEED_GOLD = REPO_ROOT / "data" / "seeds" / "000_cd28cbcedefb48dc.gold.jsonl"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """Path of the seed page (tests using it are skipped where the shared folder is absent)."""
    if not SEED_PAGE.exists():
        pytest.skip(f"seed page not found at {SEED_PAGE}")
    return SEED_PAGE


@pytest.fixture(scope="session")
def seed_text(seed_path: Path) -> str:
    """The seed newspaper page as pasted (OCR spaces, broken lines)."""
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> list[dict]:
    """Gold rows for the seed page, in page order."""
    from nlp.segment import load_gold

    return load_gold(SEED_GOLD)
