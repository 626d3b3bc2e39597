"""Extractive key sentences and salient text by centrality.

A sentence is central when it is similar to the rest of the article: its score is the mean of
(a) its mean cosine similarity to the other sentences and (b) its cosine similarity to the
document centroid. Sentence vectors are the encoder's embeddings when the caller has them,
else TF-IDF vectors of character 1–2-grams fitted on the article's own sentences.

Bounds: the sum of a row's cosines to all rows is its dot product with the sum of all
(normalised) rows, so :func:`centrality` never forms the ``n x n`` similarity matrix, and the
TF-IDF vectors stay sparse: time and memory grow linearly with the article's length, and the
scores are those of the dense formula. :func:`salient_text` calls its ``embed`` (a model)
only for articles of at most :data:`MAX_EMBEDDED_SENTENCES` sentences and uses TF-IDF beyond.

The summariser's extractive side is here too: :func:`lead_headline` compresses the lead to a
headline, :func:`fallback_summary` is what :mod:`nlp.summarizer` shows when no generated
summary passes :func:`passes_checks`.

Example:
    >>> key_sentences(["水利部部署防汛工作。", "今天天气晴。", "各地加强防汛值守。"], k=2)
    ['水利部部署防汛工作。', '各地加强防汛值守。']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

Embedder = Callable[[list[str]], np.ndarray]

# More sentences than this are ranked with TF-IDF in salient_text, not embedded: an embedder
# runs a model per sentence, and 200,000 characters of short sentences are ~20,000 of them.
MAX_EMBEDDED_SENTENCES = 512


def tfidf_vectors(sentences: Sequence[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF vectors of character 1–2-grams, fitted on ``sentences`` only.

    Whitespace is ignored; a list with no characters at all gives zero vectors.

    Returns:
        A sparse ``(len(sentences), n_features)`` matrix (dense would take
        ``sentences x features`` floats: gigabytes for a very long article).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["".join(s.split()) for s in sentences]
    if not any(docs):
        return sparse.csr_matrix((len(docs), 1))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    return vectorizer.fit_transform(docs).tocsr()


def _normalise(matrix):
    """Rows scaled to unit L2 norm (zero rows stay zero); dense or sparse in, same out."""
    if sparse.issparse(matrix):
        x = sparse.csr_matrix(matrix, dtype=float)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sparse.diags(scale) @ x
    x = np.asarray(matrix, dtype=float)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def centrality(vectors) -> np.ndarray:
    """Centrality score of each row of ``vectors`` (one row per sentence).

    ``0.5 * mean cosine to the other rows + 0.5 * cosine to the normalised centroid``; rows
    are L2-normalised first. A single row scores 1.0 when non-zero. Linear in the number of
    rows: ``sum_j cos(i, j) = x_i . sum_j x_j``.

    Args:
        vectors: ``(n, dim)`` array or scipy sparse matrix.

    Returns:
        ``(n,)`` scores.

    Example:
        >>> centrality(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])).round(2).tolist()
        [0.7, 0.7, 0.22]
    """
    x = _normalise(vectors)
    n = x.shape[0]
    if n == 0:
        return np.zeros(0)
    total = np.asarray(x.sum(axis=0)).ravel()
    self_sim = np.asarray(x.multiply(x).sum(axis=1) if sparse.issparse(x) else (x * x).sum(1))
    self_sim = self_sim.ravel()
    to_all = np.asarray(x @ total).ravel()
    to_others = (to_all - self_sim) / (n - 1) if n > 1 else self_sim
    norm = np.linalg.norm(total)
    to_centroid = to_all / norm if norm > 0 else np.zeros(n)
    return 0.5 * to_others + 0.5 * to_centroid


def rank_sentences(sentences: Sequence[str], embeddings: np.ndarray | None = None) -> list[int]:
    """Indices of ``sentences`` from most to least central (ties: earlier sentence first).

    Args:
        sentences: the article's sentences.
        embeddings: optional ``(len(sentences), dim)`` vectors; default TF-IDF.

    Returns:
        A permutation of ``range(len(sentences))``.

    Example:
        >>> rank_sentences(["甲。", "甲。"])
        [0, 1]
    """
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
    # Rounded so that scores equal but for float noise tie, and the earlier sentence wins.
    scores = np.round(centrality(vectors), 12)
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

    Returns:
        At most ``k`` of ``sentences``, in their original order.
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
    sentences in article order. A text that already fits is returned unchanged; a lead
    sentence longer than ``max_chars`` is itself truncated.

    Args:
        text: the article body.
        max_chars: character budget (> 0).
        embed: optional sentence embedder (``list[str] -> (n, dim)`` array), used for
            articles of at most :data:`MAX_EMBEDDED_SENTENCES` sentences; default TF-IDF.

    Returns:
        At most ``max_chars`` characters of ``text``.

    Example:
        >>> salient_text("水利部部署防汛工作。今天天气晴。各地加强防汛值守。", 20)
        '水利部部署防汛工作。各地加强防汛值守。'
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
    use_embed = embed is not None and 1 < len(sentences) <= MAX_EMBEDDED_SENTENCES
    embeddings = embed(sentences) if use_embed else None
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


# --------------------------------------------------------------------------- lead headline

_LEAD_NOISE = (
    # datelines and bylines: 本报南京6月23日电（记者姚雪青）, 本报讯（记者 王金伟）, 新华社北京6月1日电
    r"(?:据)?(?:本报|新华社|中新社|中新网|人民网|央视网|央视新闻|光明网|[\u4e00-\u9fff]{2,8}(?:日报|晚报|网|台|社))"
    r"[\u4e00-\u9fff]{0,10}(?:\d{1,2}月\d{1,2}日)?(?:电|讯|消息)\s*",
    r"本报讯\s*",
    r"[（(][^（）()]{0,30}(?:记者|通讯员|报道|摄)[^（）()]{0,30}[）)]\s*",
    r"(?:本报)?(?:记者|通讯员)\s*(?:[\u4e00-\u9fff]{2,4}\s+){1,4}",
    # time openers: 5月30日，  近日，  2024年3月，  日前，
    r"(?:\d{4}年)?(?:\d{1,2}月)?(?:\d{1,2}日)?(?:[至—\-~～－](?:\d{1,2}月)?\d{1,2}日)?"
    r"(?:[上下]午|晚间?|早上|凌晨)?[，,]\s*",
    r"(?:近日|日前|近期|目前|今年以来|今年|当天|昨天|今天|记者从[^，,]{2,30}获悉|据了解|据悉)[，,]\s*",
)
_LEAD_NOISE_RE = re.compile("^(?:" + "|".join(_LEAD_NOISE) + ")")
_PURPOSE_RE = re.compile(r"^(?:为了?|为进一步|为深入|为切实|为全面|为加快|为推动|为更好)")
_PURPOSE_CONT_RE = re.compile(
    r"^(?:营造|推动|促进|提升|进一步|切实|加强|助力|让|使|确保|不断|持续)"
)
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[，,；;：:])")


def _strip_lead_noise(text: str) -> str:
    while True:
        new = _LEAD_NOISE_RE.sub("", text, count=1).lstrip()
        if not new or new == text:  # nothing more to strip, or nothing would be left
            return text
        text = new


def _cut_words(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` at a word boundary (jieba)."""
    if len(text) <= max_chars:
        return text
    import jieba

    out = ""
    for word in jieba.cut(text):
        if len(out) + len(word) > max_chars:
            break
        out += word
    return out or text[:max_chars]


_ENTOURAGE_RE = re.compile(
    r"(?:带领|率领|陪同|会同)[^，,。]{2,40}?(?:负责同志|负责人|工作人员|干部|一行|人员)"
)
_TITLE_CHAIN_RE = re.compile(r"^(?:[^、，,]{1,14}、)+")


def _shorten_clause(clause: str, max_chars: int) -> str:
    """A clause over ``max_chars``: without its entourage (``带领…负责同志``) and a leading
    chain of titles (``市级河湖长、市委常委、``), else cut at a word boundary."""
    if len(clause) > max_chars:
        clause = _ENTOURAGE_RE.sub("", clause)
    if len(clause) > max_chars and "、" in clause[:20]:
        clause = _TITLE_CHAIN_RE.sub("", clause)
    return _cut_words(clause, max_chars)


def lead_headline(text: str, max_chars: int = 30, min_chars: int = 8) -> str:
    """A short, clean, headline-like compression of an article's lead: the summariser's
    fallback when no generated summary passes its checks.

    The first sentence loses its dateline and byline (``本报南京6月23日电（记者姚雪青）``,
    ``新华社…电``), a time opener (``5月30日，``, ``近日，``) and a purpose opener
    (``为进一步…，营造…，``); its first clause is the headline, with the next one when it is
    shorter than 12 characters and both fit in ``max_chars``; a clause that is too long loses
    its entourage and leading titles, else is cut at a word boundary. Never empty for a text
    with any character in it.

    Example:
        >>> lead_headline("本报南京6月23日电 （记者姚雪青）6月22日，江苏省水利厅召开防汛工作会议，部署全省防汛工作。")
        '江苏省水利厅召开防汛工作会议'
        >>> lead_headline("为进一步落实关爱举措，营造关爱儿童成长的良好氛围，5月31日，东城区开展关爱留守儿童活动。")
        '东城区开展关爱留守儿童活动'
    """
    from nlp.text import split_sentences

    sentences = [s.strip() for s in split_sentences(text or "") if s.strip()]
    if not sentences:
        return _cut_words("".join((text or "").split()), max_chars)
    lead = _strip_lead_noise(" ".join(sentences[0].split()))
    clauses = [c for c in _CLAUSE_SPLIT_RE.split(lead) if c.strip(" ，,；;：:")]
    if len(clauses) > 1 and _PURPOSE_RE.match(clauses[0]):
        clauses = clauses[1:]
        while len(clauses) > 1 and _PURPOSE_CONT_RE.match(clauses[0]):
            clauses = clauses[1:]
        rest = _strip_lead_noise("".join(clauses))
        clauses = [c for c in _CLAUSE_SPLIT_RE.split(rest) if c.strip(" ，,；;：:")]
    pieces = [c.strip().rstrip("，,；;：:。！？!? ") for c in clauses]
    pieces = [p for p in pieces if p]
    if not pieces:
        return _cut_words("".join(sentences[0].split()), max_chars)
    out = _shorten_clause(pieces[0], max_chars)
    if len(out) < 12 and len(pieces) > 1 and len(out) + 1 + len(pieces[1]) <= max_chars:
        out = f"{out}，{pieces[1]}"
    more = pieces[2:] + [s.rstrip("。！？!?") for s in sentences[1:3]]
    while len(out) < min_chars and more:  # too short for a headline: the next clauses
        piece = more.pop(0)
        if len(out) + 1 + len(piece) > max_chars:
            break
        out = f"{out}，{piece}" if out else piece
    return out.strip("，,；;：: ") or _cut_words("".join(sentences[0].split()), max_chars)


def passes_checks(summary: str, source: str) -> bool:
    """Whether a generated summary may be shown: no defect of
    :func:`nlp.evaluation.defects.summary_defects`, the checks the evaluation counts (every
    name and number occurs in the source, which is also what
    :func:`nlp.evaluation.entities.faithfulness` checks; scope words agree with it; no
    repeated piece; not empty; 8–30 characters; no dateline or byline)."""
    from nlp.evaluation.defects import summary_defects

    return not any(summary_defects(summary, source).values())


def fallback_summary(source: str, limit: int) -> str:
    """The summary used when no generated one passes: the lead's compression
    (:func:`nlp.extractive.lead_headline`) within ``limit`` and the checks' 30 characters.

    When that compression itself fails a check of :func:`passes_checks` (a dateline the lead
    cleaning does not know, a first clause too short to stand alone), the first that passes
    of: the same with its datelines and bylines taken out, then the compression of the text
    from the second, third or fourth sentence on; if none passes, the lead's compression.

    Example:
        >>> lead = "他说。市体育局昨天在市体育中心隆重举办第十五届全民健身运动会开幕式暨群众体育展示活动。"
        >>> fallback_summary(lead, 40)  # the lead's compression alone: '他说', too short
        '市体育局昨天在市体育中心隆重举办第十五届全民健身运动会开幕式'
    """
    from nlp.evaluation.defects import MAX_CHARS, dateline_or_byline
    from nlp.text import split_sentences

    cap = min(limit, MAX_CHARS)
    first = lead_headline(source, cap)
    if passes_checks(first, source):
        return first
    cleaned = first
    for found in dateline_or_byline(first):
        cleaned = cleaned.replace(found, "")
    candidates = [cleaned.strip(" ，,；;：:")]
    sentences = [s for s in split_sentences(source or "") if s.strip()]
    candidates += [
        lead_headline("".join(sentences[k:]), cap) for k in range(1, min(4, len(sentences)))
    ]
    return next((c for c in candidates if c and passes_checks(c, source)), first)
