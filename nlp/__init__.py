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
import sys
from types import ModuleType  # not ``import types``: nlp.types would shadow it
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "analyze": "nlp.pipeline",
    "classify": "nlp.pipeline",
    "summarize": "nlp.pipeline",
    "InputError": "nlp.pipeline",
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
    from nlp.pipeline import InputError, analyze, classify, summarize
    from nlp.types import Article, ArticleResult, Classification, Summary


# ``classify`` and ``summarize`` name both a pipeline function and a submodule
# (nlp/classify.py, nlp/summarize.py). Python binds a submodule onto its package when it is
# imported, which would silently replace the function. Instead the submodule itself is made
# callable as the function, so ``nlp.classify`` stays the real module (``import nlp.classify as
# m`` and ``mock.patch("nlp.classify.x")`` work) and ``from nlp import classify;
# classify(text)`` works whichever was imported first.
_DUAL = ("classify", "summarize")


class _CallableModule(ModuleType):
    """A submodule that, called, runs the same-named function of :mod:`nlp.pipeline`."""

    def __call__(self, *args, **kwargs):
        pipeline = importlib.import_module("nlp.pipeline")
        return getattr(pipeline, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if name in _DUAL and isinstance(value, ModuleType):
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    if name in _DUAL:
        try:  # importing the submodule binds it here (callable, see above)
            return importlib.import_module(f"nlp.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nlp.{name}":
                raise
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
