"""Character n-gram TF-IDF + logistic regression: a small lexical model over the six labels.

Used two ways: as a baseline in the evaluation harness, and blended with the fine-tuned
encoder in :class:`nlp.classifier.DomainClassifier` (log-linear, weight chosen on dev by
``training.export``). Exact surface words (机构名, 政策名) are what it sees well, where the
encoder reads 256 tokens of meaning; the two make different mistakes.

Saved as one ``.npz`` (vocabulary, idf, coefficients): no pickles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.labels import LABEL2ID, LABELS

NGRAMS = (1, 3)


def _vectorizer(vocabulary=None, max_features: int | None = 200_000):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        min_df=2,
        sublinear_tf=True,
        max_features=None if vocabulary is not None else max_features,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


@dataclass
class LexicalModel:
    """A fitted char-TF-IDF + multinomial logistic regression over :data:`LABELS`."""

    vectorizer: object
    coef: np.ndarray  # (6, n_features)
    intercept: np.ndarray  # (6,)

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], c: float = 4.0) -> LexicalModel:
        from sklearn.linear_model import LogisticRegression

        vec = _vectorizer()
        x = vec.fit_transform(texts)
        clf = LogisticRegression(max_iter=3000, C=c, class_weight="balanced")
        clf.fit(x, [LABEL2ID[v] for v in labels])
        coef = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
        intercept = np.full(len(LABELS), -1e4, dtype=np.float32)  # labels absent in training
        coef[clf.classes_] = clf.coef_
        intercept[clf.classes_] = clf.intercept_
        return cls(vec, coef, intercept)

    def log_proba(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), 6)`` log-probabilities."""
        from scipy.special import log_softmax

        z = np.asarray(self.vectorizer.transform(texts) @ self.coef.T) + self.intercept
        return log_softmax(z, axis=1)

    def proba(self, texts: list[str]) -> np.ndarray:
        return np.exp(self.log_proba(texts))

    def save(self, path: str | Path) -> None:
        vocab = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        np.savez_compressed(
            path,
            vocabulary=np.array(vocab),
            idf=self.vectorizer.idf_.astype(np.float32),
            coef=self.coef.astype(np.float16),
            intercept=self.intercept,
        )

    @classmethod
    def load(cls, path: str | Path) -> LexicalModel:
        with np.load(path) as f:
            vocab = {str(t): i for i, t in enumerate(f["vocabulary"])}
            vec = _vectorizer(vocabulary=vocab)
            vec.idf_ = f["idf"].astype(np.float64)
            return cls(vec, f["coef"].astype(np.float32), f["intercept"])
