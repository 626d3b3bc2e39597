"""Chinese news-desk NLP: split a newspaper page into articles, label each article's domain,
summarise it.

The public surface, imported lazily so ``import nlp`` stays fast (no torch until a model is
needed)::

    from nlp import analyze, classify, summarize
    results = analyze(page_text)          # list[ArticleResult], one per article
    results[0].classification.label       # e.g. "public_security"
    results[0].summary.summary

``Article``, ``Classification``, ``Summary`` and ``ArticleResult`` are the result dataclasses;
``LABELS`` and ``DISPLAY_NAMES`` the six domain ids and their Chinese names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "analyze": "nlp.pipeline",
    "classify": "nlp.pipeline",
    "summarize": "nlp.pipeline",
    "InputError": "nlp.types",
    "Article": "nlp.types",
    "Classification": "nlp.types",
    "Summary": "nlp.types",
    "ArticleResult": "nlp.types",
    "LABELS": "nlp.labels",
    "DISPLAY_NAMES": "nlp.labels",
}

__all__ = [
    "DISPLAY_NAMES",
    "LABELS",
    "Article",
    "ArticleResult",
    "Classification",
    "InputError",
    "Summary",
    "analyze",
    "classify",
    "summarize",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from nlp.labels import DISPLAY_NAMES, LABELS
    from nlp.pipeline import analyze, classify, summarize
    from nlp.types import Article, ArticleResult, Classification, InputError, Summary


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
