"""The labelled seed page as classification data: segmented pages matched to gold articles.

Each ``*.gold.jsonl`` of ``data/seeds`` names a page of :func:`nlp.paths.seeds_dir`; the page
goes through the segmenter, and every gold article is matched to the article it became. A gold
article the segmenter did not recover gets the text ``None``, which the evaluators score as
the prediction :data:`nlp.evaluation.metrics.MISSED` (always wrong), so segmentation errors
lower the score instead of being classified as an empty text.

Example::

    from nlp.evaluation.gold import load_seed_page
    seed = load_seed_page()            # 9 articles, labels from the gold file
"""

from __future__ import annotations

from pathlib import Path

from nlp import paths
from nlp.evaluation.data import LabelledSet
from nlp.evaluation.segmentation import load_gold, squash
from nlp.types import Article


def match_gold(gold: dict, articles: list[Article]) -> Article | None:
    """The article that a gold row describes, or ``None``.

    An article matches when its title equals the gold title once whitespace is removed, or
    its body contains the first 15 characters of the gold ``first_sentence`` (so a headline
    the segmenter got slightly wrong still finds its article).

    Example:
        >>> arts = [Article(title="防汛 会议", body="各地部署防汛。")]
        >>> match_gold({"title": "防汛会议"}, arts).body
        '各地部署防汛。'
        >>> match_gold({"title": "别的", "first_sentence": "没有这句"}, arts) is None
        True
    """
    first = squash(gold.get("first_sentence", ""))[:15]
    for art in articles:
        if squash(art.title) == squash(gold["title"]) or (first and first in squash(art.body)):
            return art
    return None


def page_set(
    page_text: str, gold: list[dict], name: str = "seed_page", source: str = "page"
) -> LabelledSet:
    """One page's gold articles as a :class:`LabelledSet` (text ``None`` where missed).

    Args:
        page_text: the page as pasted (OCR text).
        gold: the page's gold rows (``title``, ``first_sentence``, ``label``, ...).
        name: the set's name in reports.
        source: the page's name, the first part of every id (``<source>:<title[:20]>``).
    """
    from nlp.segment import segment_page

    articles = segment_page(page_text, source=source)
    texts: list[str | None] = []
    for row in gold:
        art = match_gold(row, articles)
        texts.append(art.text if art is not None else None)
    ids = [f"{source}:{row['title'][:20]}" for row in gold]
    return LabelledSet(name, texts, [row["label"] for row in gold], ids)


def load_seed_page(
    gold_dir: str | Path | None = None, pages_dir: str | Path | None = None
) -> LabelledSet:
    """Every gold-labelled seed page, segmented and matched, as one set named ``seed_page``.

    Args:
        gold_dir: folder of ``*.gold.jsonl`` files (default ``data/seeds``).
        pages_dir: folder of the pages (default :func:`nlp.paths.seeds_dir`).

    Raises:
        FileNotFoundError: no gold file, or a gold file whose page is missing.
    """
    from nlp.io import read_text_file

    gold_dir = Path(gold_dir) if gold_dir else paths.seed_gold().parent
    pages_dir = Path(pages_dir) if pages_dir else paths.seeds_dir()
    gold_files = sorted(gold_dir.glob("*.gold.jsonl"))
    if not gold_files:
        raise FileNotFoundError(f"no *.gold.jsonl in {gold_dir}")
    texts, labels, ids = [], [], []
    for gold_file in gold_files:
        page = pages_dir / gold_file.name.replace(".gold.jsonl", ".txt")
        if not page.is_file():
            raise FileNotFoundError(f"seed page {page} not found (set NEWSDESK_SEEDS?)")
        one = page_set(read_text_file(page), load_gold(gold_file), source=page.stem)
        texts += one.texts
        labels += one.labels
        ids += one.ids
    return LabelledSet("seed_page", texts, labels, ids)
