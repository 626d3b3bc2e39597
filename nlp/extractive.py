"""Extractive key sentences and salient text by centrality.

A sentence is central when it is similar to the rest of the article: its score is the mean of
(a) its mean cosine similarity to the other sentences and (b) its cosine similarity to the
document centroid. Sentence vectors are the encoder's embeddings when the caller has them,
else TF-IDF vectors of character 1–2-grams fitted on the article's own sentences.

Example:
    >>> key_sentences(["水利部部署防汛工作。", "今天天气晴。", "各地加强防汛值守。"], k=2)
    ['水利部部署防汛工作。', '各地加强防汛值守。']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embedder = Callable[[list[str]], np.ndarray]


def tfidf_vectors(sentences: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF vectors of character 1–2-grams, fitted on ``sentences`` only.

    Whitespace is ignored; a list with no characters at all gives zero vectors.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["".join(s.split()) for s in sentences]
    if not any(docs):
        return np.zeros((len(docs), 1))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    return vectorizer.fit_transform(docs).toarray()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=float), where=norms > 0)


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Centrality score of each row of ``vectors`` (one row per sentence).

    ``0.5 * mean cosine to the other rows + 0.5 * cosine to the normalised centroid``; rows
    are L2-normalised first. A single row scores 1.0 when non-zero.
    """
    x = _normalise(np.asarray(vectors, dtype=float))
    n = len(x)
    if n == 0:
        return np.zeros(0)
    sims = x @ x.T
    to_others = (sims.sum(axis=1) - np.diag(sims)) / (n - 1) if n > 1 else np.diag(sims)
    centroid = x.mean(axis=0)
    norm = np.linalg.norm(centroid)
    to_centroid = x @ (centroid / norm) if norm > 0 else np.zeros(n)
    return 0.5 * to_others + 0.5 * to_centroid


def rank_sentences(sentences: Sequence[str], embeddings: np.ndarray | None = None) -> list[int]:
    """Indices of ``sentences`` from most to least central (ties: earlier sentence first)."""
    sentences = list(sentences)
    if not sentences:
        return []
    if embeddings is None:
        vectors = tfidf_vectors(sentences)
    else:
        vectors = np.asarray(embeddings, dtype=float)
        if vectors.ndim != 2 or len(vectors) != len(sentences):
            raise ValueError(
                f"embeddings of shape {vectors.shape} do not match {len(sentences)} sentences"
            )
    scores = centrality(vectors)
    return sorted(range(len(sentences)), key=lambda i: (-scores[i], i))


def key_sentences(
    sentences: Sequence[str], embeddings: np.ndarray | None = None, k: int = 3
) -> list[str]:
    """The ``k`` most central sentences, returned in article order.

    Args:
        sentences: the article's sentences (e.g. from :func:`nlp.text.split_sentences`).
        embeddings: optional ``(len(sentences), dim)`` sentence embeddings (for example
            :func:`nlp.encoder.embed`); without them TF-IDF on character 1–2-grams is used.
        k: how many sentences to return; all of them when there are at most ``k``.
    """
    if k <= 0:
        return []
    sentences = list(sentences)
    chosen = sorted(rank_sentences(sentences, embeddings)[:k])
    return [sentences[i] for i in chosen]


def salient_text(text: str, max_chars: int, embed: Embedder | None = None) -> str:
    """``text`` cut down to at most ``max_chars`` characters by keeping salient sentences.

    For articles longer than the encoder's window: instead of silently truncating, keep the
    lead sentence (news puts the key facts first), then add the other sentences in order of
    centrality (:func:`rank_sentences`) until the next one does not fit, and join the kept
    sentences in article order. A text that already fits is returned unchanged; a lead sentence longer
    than ``max_chars`` is itself truncated.

    Args:
        text: the article body.
        max_chars: character budget (> 0).
        embed: optional sentence embedder (``list[str] -> (n, dim)`` array); default TF-IDF.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars!r}")
    text = text.strip()
    if len(text) <= max_chars:
        return text
    from nlp.text import split_sentences

    sentences = [s.strip() for s in split_sentences(text) if s.strip()]
    if not sentences:
        return text[:max_chars]
    lead = sentences[0]
    if len(lead) >= max_chars:
        return lead[:max_chars]
    embeddings = embed(sentences) if embed is not None and len(sentences) > 1 else None
    kept = {0}
    used = len(lead)
    for i in rank_sentences(sentences, embeddings):
        if i in kept:
            continue
        if used + len(sentences[i]) > max_chars:
            break  # what is left is less central than what did not fit
        kept.add(i)
        used += len(sentences[i])
    return "".join(sentences[i] for i in sorted(kept))
