"""Shared fixtures: the seed page and its gold (once per session), the test-double models."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import paths

SEED_PAGE = paths.seed_page()
SEED_GOLD = paths.seed_gold()


@pytest.fixture
def fake_models(monkeypatch):
    """The default models are the test doubles of :mod:`nlp.testing` (``NEWSDESK_FAKE_MODELS=1``)
    with an empty model cache, for this test only."""
    from nlp import pipeline

    monkeypatch.setenv(paths.FAKE_MODELS_ENV, "1")
    monkeypatch.setattr(pipeline, "_models", {})


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
    from nlp.evaluation.segmentation import load_gold

    return load_gold(SEED_GOLD)
