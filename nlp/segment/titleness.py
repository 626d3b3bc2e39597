"""How much a short text reads like an article's headline rather than a line of its body.

The line tagger sees a page's layout, which cannot tell a headline from a short paragraph
inside an article (web articles' intertitles such as ``本质是一道数学题``, credit lines
``出品 | 虎嗅科技组``, ``以下是这次对话内容的精选：``): both are short, unpunctuated, set
apart. Headlines have a register of their own, so a small lexical model of it, character
1–3-grams hashed into a fixed space and a logistic regression, trained on the headlines and
short body paragraphs of the segmenter's training split only (``training.segmenter``), gives
the tagger one more feature (:func:`nlp.segment.tagger.line_features`). It learns what
headlines look like, not which articles are on a page.

Saved as ``titleness.npz`` in the segmenter's folder (coefficients and intercept, no
pickles); a folder without it gives the tagger no such feature.

Example:
    >>> model = Titleness(np.zeros(2**N_BITS, dtype=np.float32), 0.0)
    >>> [round(p, 2) for p in model.proba(["标题", "正文。"])]
    [0.5, 0.5]
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_BITS = 18
NGRAMS = (1, 3)


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        n_features=2**N_BITS,
        alternate_sign=False,
        norm="l2",
        dtype=np.float32,
    )


def _form(text: str) -> str:
    """The text as the model reads it: no whitespace (letter-spaced headlines, OCR gaps),
    digits as one class (a headline's figures are not its register), and edge marks so that
    how it opens and ends count as n-grams of their own."""
    return "^" + re.sub(r"\d", "0", re.sub(r"\s+", "", text)) + "$"


@dataclass
class Titleness:
    """A fitted hashed char-n-gram logistic regression: P(headline) of a short text."""

    coef: np.ndarray  # (2**N_BITS,)
    intercept: float
    FILE = "titleness.npz"

    @classmethod
    def fit(cls, titles: list[str], others: list[str], c: float = 1.0) -> Titleness:
        """Fit on headlines (positives) and body texts (negatives), classes balanced."""
        from sklearn.linear_model import LogisticRegression

        x = _vectorizer().transform([_form(t) for t in titles + others])
        y = [1] * len(titles) + [0] * len(others)
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)
        return cls(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]))

    def proba(self, texts: list[str]) -> list[float]:
        """P(headline) of each text."""
        if not texts:
            return []
        z = _vectorizer().transform([_form(t) for t in texts]) @ self.coef + self.intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-np.asarray(z)))]

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, coef=self.coef.astype(np.float16), intercept=self.intercept)

    @classmethod
    def load(cls, path: str | Path) -> Titleness:
        with np.load(path) as z:
            return cls(z["coef"].astype(np.float32), float(z["intercept"]))


def training_texts(
    items: list[dict], seed: int = 0, max_paragraph: int = 40
) -> tuple[list[str], list[str]]:
    """Headlines and body texts of corpus items, for :meth:`Titleness.fit`.

    Negatives are what a body shows that could pass for a headline: every paragraph of at
    most ``max_paragraph`` characters (intertitles, credit lines, short sentences), and of
    each longer paragraph its opening cut at a random length of 8–30 characters (the first
    line of a paragraph set in a column).

    Args:
        items: corpus items with ``title`` and ``body`` (paragraphs one per line).
        seed: seed of the cut lengths.
        max_paragraph: longest paragraph taken whole.

    Returns:
        ``(titles, others)``.
    """
    rng = random.Random(seed)
    titles, others = [], []
    for item in items:
        title = (item.get("title") or "").strip()
        if title:
            titles.append(title)
        paras = [p.strip() for p in (item.get("body") or "").split("\n") if p.strip()]
        for para in paras:
            if len(para) <= max_paragraph:
                others.append(para)
            else:
                others.append(para[: rng.randint(8, 30)])
    return list(dict.fromkeys(titles)), list(dict.fromkeys(others))
