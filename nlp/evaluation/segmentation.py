"""Gold matching for page segmentation: a segmented page against ``*.gold.jsonl`` rows.

Example:
    >>> from nlp.types import Article
    >>> arts = [Article(title="标题 甲", body="第一句。最后一句。")]
    >>> rows = [{"title": "标题甲", "first_sentence": "第一句。", "last_sentence": "最后一句。"}]
    >>> compare_with_gold(arts, rows).all_ok
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp.types import Article

_WS_RE = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """``text`` without any whitespace: how headlines and sentences are compared with gold."""
    return _WS_RE.sub("", text or "")


@dataclass
class GoldCheck:
    """Comparison of a segmentation with gold rows (see :func:`compare_with_gold`)."""

    n_gold: int
    n_found: int
    title_matches: int
    first_sentence_found: int
    last_sentence_found: int
    byline_matches: int
    caption_matches: int
    in_page_order: bool
    problems: list[str] = field(default_factory=list)

    @property
    def all_ok(self) -> bool:
        return not self.problems and self.n_gold == self.n_found and self.in_page_order


def compare_with_gold(articles: list[Article], gold: list[dict]) -> GoldCheck:
    """Compare articles with gold rows (``*.gold.jsonl``, rows in page order).

    A gold row matches the article with the same title once all whitespace is removed; the
    row's ``first_sentence`` and ``last_sentence`` must occur in that article's body, its
    ``byline`` must equal the article's and, when the row has ``captions``, so must they
    (all compared without whitespace). Matched articles must come in the gold order.

    Args:
        articles: the segmenter's articles (``index`` in page order).
        gold: rows with ``title``, ``first_sentence``, ``last_sentence``, ``byline`` and
            optionally ``captions``.

    Returns:
        A :class:`GoldCheck` with the counts and one line per problem.
    """
    by_title = {squash(a.title): a for a in articles}
    titles = firsts = lasts = bylines = captions = 0
    problems = []
    order = []
    for row in gold:
        art = by_title.get(squash(row["title"]))
        if art is None:
            problems.append(f"no article titled {row['title']!r}")
            continue
        titles += 1
        order.append(art.index)
        body = squash(art.body)
        for key in ("first_sentence", "last_sentence"):
            if squash(row.get(key, "")) in body:
                firsts += key == "first_sentence"
                lasts += key == "last_sentence"
            else:
                problems.append(f"{row['title']!r}: {key} not in body")
        if squash(row.get("byline", "")) == squash(art.byline):
            bylines += 1
        else:
            problems.append(f"{row['title']!r}: byline {art.byline!r} != {row.get('byline')!r}")
        want = [squash(c) for c in row.get("captions", [])]
        if "captions" not in row or want == [squash(c) for c in art.captions]:
            captions += 1
        else:
            problems.append(f"{row['title']!r}: captions {art.captions!r} != {row['captions']!r}")
    return GoldCheck(
        len(gold),
        len(articles),
        titles,
        firsts,
        lasts,
        bylines,
        captions,
        order == sorted(order),
        problems,
    )


def load_gold(path: str | Path) -> list[dict]:
    """Rows of a ``*.gold.jsonl`` file.

    Args:
        path: the file (one JSON object a line; blank lines are skipped).

    Returns:
        The rows as dicts, in file order.
    """
    from nlp.io import read_jsonl

    return read_jsonl(path)
