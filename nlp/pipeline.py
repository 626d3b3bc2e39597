"""Page → articles → domain and summary: the one entry point of the CLI, the app and the API.

:func:`analyze` cleans a pasted page, splits it into articles (:func:`nlp.segment.segment_page`),
classifies and summarises them in batches and returns one :class:`~nlp.types.ArticleResult`
per article. :func:`classify` and :func:`summarize` do one step for one article.

The models are injectable: every function takes ``classifier=`` and ``summarizer=`` objects
with ``predict(list[str]) -> list[Classification]`` and ``summarize(list[str]) -> list[Summary]``.
Left out, the real ones (:class:`nlp.classifier.DomainClassifier`, :class:`nlp.summarizer.Summarizer`)
are loaded once per process, lazily, under a lock (:func:`default_classifier`,
:func:`default_summarizer`: the one model cache), so concurrent first requests load them once.

Test-only switch: with the environment variable ``NEWSDESK_FAKE_MODELS=1`` the default models
are :class:`nlp.testing.KeywordClassifier` and :class:`nlp.testing.LeadSummarizer`, two small keyword/lead-sentence
stand-ins that need no weights. It exists so the browser tests, the batch kill-and-resume test
and the load test can start the app or CLI in a subprocess quickly. Outputs made that way say
so (:func:`models_are_fake`); never set it in production.

Example::

    from nlp import analyze
    for result in analyze(page_text):
        print(result.article.title, result.classification.label, result.summary.summary)
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from typing import Protocol

from nlp import paths
from nlp.types import (
    Article,
    ArticleResult,
    Classification,
    InputError,
    ModelUnavailable,
    Summary,
)

MAX_CHARS = 200_000  # a full newspaper page is ~20k characters; 10x that is surely a mistake
DEFAULT_BATCH_SIZE = 16


class Classifier(Protocol):
    """What :func:`analyze` needs of a domain classifier.

    ``predict`` may also take ``explain=True`` to fill ``Classification.evidence`` (it costs
    extra model calls); classifiers without that keyword are called without it.
    """

    def predict(self, texts: list[str]) -> list[Classification]: ...


class Summarizer(Protocol):
    """What :func:`analyze` needs of a summariser."""

    def summarize(self, texts: list[str]) -> list[Summary]: ...


# --------------------------------------------------------------------------- models


_model_lock = threading.Lock()
_models: dict[str, object] = {}


def models_are_fake() -> bool:
    """True when the test-only switch ``NEWSDESK_FAKE_MODELS=1`` is on (see :mod:`nlp.testing`)."""
    return paths.fake_models()


def _load(kind: str) -> object:
    """Create the default model of ``kind`` ("classifier" or "summarizer")."""
    if models_are_fake():
        from nlp.testing import KeywordClassifier, LeadSummarizer

        return KeywordClassifier() if kind == "classifier" else LeadSummarizer()
    if kind == "classifier":
        from nlp.classifier import DomainClassifier

        return DomainClassifier()
    from nlp.summarizer import Summarizer

    return Summarizer()


def _cached(kind: str) -> object:
    """The one model cache: each default model is loaded once per process, under a lock."""
    key = f"{kind}:{'fake' if models_are_fake() else 'real'}"
    model = _models.get(key)
    if model is None:
        with _model_lock:  # double-checked: the first callers wait, only one loads
            model = _models.get(key)
            if model is None:
                try:
                    model = _load(kind)
                except Exception as exc:  # noqa: BLE001 - re-raised with its cause
                    where = paths.model_dir(kind)
                    raise ModelUnavailable(f"cannot load the {kind} from {where}: {exc}") from exc
                _models[key] = model
    return model


def loaded_model(kind: str) -> object | None:
    """The default model of ``kind`` if it is loaded already, else ``None`` (never loads)."""
    return _models.get(f"{kind}:{'fake' if models_are_fake() else 'real'}")


def default_classifier() -> Classifier:
    """The shared classifier, loaded on first use (thread-safe)."""
    return _cached("classifier")  # type: ignore[return-value]


def default_summarizer() -> Summarizer:
    """The shared summariser, loaded on first use (thread-safe)."""
    return _cached("summarizer")  # type: ignore[return-value]


_WARM_UP_TEXT = (
    "全市小麦保险理赔工作推进会召开\n5月30日，全市小麦保险理赔工作推进会召开。"
    "各承保公司要及早行动，安排保险理赔员全部下沉一线。"
)


def warm_up() -> None:
    """Load both default models and run one small article through every stage (jieba's
    dictionary, the tokenizer, the first forward passes), e.g. before a server starts taking
    requests, so the first real request does not pay for them."""
    analyze(_WARM_UP_TEXT, segment=False)


# --------------------------------------------------------------------------- pipeline


def check_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """Return ``text`` if the pipeline can take it, else raise :class:`InputError`."""
    if text is None:
        raise InputError("no text", "empty")
    if not isinstance(text, str):
        raise InputError(
            f"text must be a string, got {type(text).__name__} (one article per call; "
            "use analyze_articles or the batch runner for many)",
            "not_text",
        )
    if not text.strip():
        raise InputError("no text", "empty")
    if len(text) > max_chars:
        raise InputError(f"{len(text)} characters, the limit is {max_chars}", "too_long")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if "\x00" in sample or controls > len(sample) * 0.05:
        raise InputError("the text looks like binary data", "binary")
    return text


def split_articles(
    text: str, segment: bool = True, source: str = "", line_sizes: list[float] | None = None
) -> list[Article]:
    """Cleaned articles of a page (``segment=True``) or the whole text as one article.

    As one article, a short first line without sentence-ending punctuation is its headline
    (the ``Article.text`` layout: headline, newline, body). ``line_sizes`` (from a page
    image's OCR) go to the segmenter.
    """
    from nlp.script import to_simplified

    simplified = to_simplified(text)
    if segment:
        from nlp.segment import segment_page

        arts = segment_page(simplified, source=source, line_sizes=line_sizes)
        articles = [a for a in arts if a.text.strip()]
    else:
        articles = [a for a in [_one_article(simplified, source)] if a.text.strip()]
    for i, article in enumerate(articles):
        article.index = i
        article.source = article.source or source
    if simplified != text:
        keep_original(articles, text, simplified)
    return articles


def keep_original(articles: Sequence[Article], original: str, simplified: str) -> None:
    """Set each article's ``original_title`` / ``original_body`` where the input's characters
    differ from the simplified ones the stages read (a traditional or mixed page)."""
    from nlp.script import ScriptMap

    script = ScriptMap(original, simplified)
    for article in articles:
        title, body = script.restore(article.title), script.restore(article.body)
        if title != article.title or body != article.body:
            article.original_title, article.original_body = title, body


def _one_article(text: str, source: str) -> Article:
    from nlp.text import clean_text, ends_sentence

    head, sep, rest = text.strip().partition("\n")
    title = clean_text(head).strip()
    if sep and rest.strip() and title and len(title) <= 60 and not ends_sentence(title):
        return Article(title=title, body=clean_text(rest), source=source)
    return Article(title="", body=clean_text(text), source=source)


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    size = max(1, int(size))
    return [items[i : i + size] for i in range(0, len(items), size)]


def predict_labels(classifier: Classifier, texts: list[str], explain: bool) -> list[Classification]:
    """``classifier.predict``, asking for evidence only from classifiers that take ``explain``."""
    try:
        takes_explain = "explain" in inspect.signature(classifier.predict).parameters
    except (TypeError, ValueError):
        takes_explain = False
    if takes_explain:
        return classifier.predict(texts, explain=explain)  # type: ignore[call-arg]
    return classifier.predict(texts)


def analyze_articles(
    articles: Sequence[Article],
    classifier: Classifier | None = None,
    summarizer: Summarizer | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    explain: bool = True,
) -> list[ArticleResult]:
    """Classify and summarise already-split articles, ``batch_size`` texts per model call.

    ``explain`` asks the classifier for evidence sentences (extra model calls; batch runs
    leave it off unless asked).
    """
    if not articles:
        return []
    classifier = classifier or default_classifier()
    summarizer = summarizer or default_summarizer()
    results: list[ArticleResult] = []
    for chunk in _chunks(list(articles), batch_size):
        texts = [a.text for a in chunk]
        classes = predict_labels(classifier, texts, explain)
        # The summariser was trained to write a headline from a body: it reads the body only.
        summaries = summarizer.summarize([a.body or a.text for a in chunk])
        if len(classes) != len(texts) or len(summaries) != len(texts):
            raise RuntimeError(
                f"model returned {len(classes)} labels and {len(summaries)} summaries "
                f"for {len(texts)} texts"
            )
        results.extend(
            ArticleResult(article=a, classification=c, summary=s)
            for a, c, s in zip(chunk, classes, summaries, strict=True)
        )
    return results


def analyze(
    text: str,
    segment: bool = True,
    classifier: Classifier | None = None,
    summarizer: Summarizer | None = None,
    *,
    source: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_chars: int = MAX_CHARS,
    explain: bool = True,
    line_sizes: list[float] | None = None,
) -> list[ArticleResult]:
    """Analyse a pasted page (or one article with ``segment=False``).

    Args:
        text: the page as pasted or OCR'd; OCR spaces and broken lines are fine.
        segment: split the page into articles first; ``False`` treats it as one article.
        classifier, summarizer: models to use; default to the shared real ones.
        source: a name carried into every :class:`~nlp.types.Article` (file name, URL).
        batch_size: texts per model call.
        max_chars: longer input raises :class:`InputError` (code ``too_long``).
        explain: fill each classification's ``evidence`` (the sentences behind the label).
        line_sizes: print sizes of the page's lines from an image's OCR
            (:attr:`nlp.ocr.OcrPage.line_sizes`), for the segmenter.

    Returns:
        One :class:`~nlp.types.ArticleResult` per article, in page order; ``[]`` if no article
        was found.

    Raises:
        InputError: empty, binary or over-long input.
    """
    text = check_text(text, max_chars)
    articles = split_articles(text, segment=segment, source=source, line_sizes=line_sizes)
    return analyze_articles(articles, classifier, summarizer, batch_size, explain)


def _one_article_text(text: str) -> str:
    from nlp.script import to_simplified
    from nlp.text import clean_text

    cleaned = clean_text(to_simplified(check_text(text)))
    if not cleaned.strip():
        raise InputError("no text after cleaning", "empty")
    return cleaned


def classify(
    text: str, classifier: Classifier | None = None, explain: bool = True
) -> Classification:
    """Domain of one article (headline and body as one text), with evidence sentences."""
    return predict_labels(classifier or default_classifier(), [_one_article_text(text)], explain)[0]


def summarize(text: str, summarizer: Summarizer | None = None) -> Summary:
    """Summary, key sentences and keywords of one article."""
    return (summarizer or default_summarizer()).summarize([_one_article_text(text)])[0]
