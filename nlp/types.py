"""Result types shared by the CLI, the app and the HTTP API.

Plain dataclasses whose ``to_dict()`` gives exactly the JSONL fields the CLI contracts name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Article:
    """One article found on a page (``python -m nlp segment`` writes these)."""

    title: str
    body: str
    byline: str = ""
    captions: list[str] = field(default_factory=list)
    source: str = ""
    index: int = 0
    # The headline and body in the characters the input used, when they differ from the
    # simplified ones every stage reads (a traditional page, :mod:`nlp.script`); else "".
    original_title: str = ""
    original_body: str = ""

    @property
    def text(self) -> str:
        """Headline and body as the classifier and summariser read them."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "index": self.index,
            "title": self.title,
            "byline": self.byline,
            "body": self.body,
            "captions": list(self.captions),
            "original_title": self.original_title,
            "original_body": self.original_body,
        }


@dataclass
class Classification:
    """Domain of one article: the label, a probability for every label, and a flag."""

    label: str
    scores: dict[str, float]
    confidence: float
    low_confidence: bool
    evidence: list[str] = field(default_factory=list)  # sentences that drove the label
    tokens_read: int = 0
    """Tokens of the text the model read (0: not counted, e.g. a test double)."""
    tokens_total: int = 0
    """Tokens of the whole text; above ``tokens_read`` when a long text was read in part."""
    secondary: str = ""
    """A second domain the article is also about (``""``: none), when its probability passes
    the model's ``secondary_threshold``; the scored label stays ``label``."""
    secondary_score: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Summary:
    """Abstractive one-line summary plus extractive key sentences and keywords."""

    summary: str
    key_sentences: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    fallback: bool = False
    """True when no generated summary passed the checks and ``summary`` is the lead's
    compression (:func:`nlp.extractive.lead_headline`) instead."""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ArticleResult:
    """Everything the service says about one article."""

    article: Article
    classification: Classification
    summary: Summary

    def to_dict(self) -> dict:
        out = self.article.to_dict()
        out.update(self.classification.to_dict())
        out.update(self.summary.to_dict())
        return out


class InputError(ValueError):
    """Input that cannot be used; ``str(err)`` is one line naming the problem.

    ``code`` is machine-readable for the faces: ``empty`` (nothing but whitespace),
    ``too_long`` (over the size limit), ``binary`` (not text), ``not_text`` (a value that
    is not a string), ``unreadable`` (a file that cannot be read) or ``invalid``.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class ModelUnavailable(RuntimeError):
    """A default model could not be loaded (missing or broken artifacts); the cause is chained."""
