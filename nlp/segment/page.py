"""The segmenter's entry points: :func:`segment_page` and :func:`segment_page_detailed`."""

from __future__ import annotations

import logging
from pathlib import Path

from nlp import paths
from nlp.segment.assemble import SegmentedArticle, assemble, attach_orphans, mend_fragments
from nlp.segment.boundaries import split_units
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import classified_lines, column_width_from_lines, hard_chunks
from nlp.types import Article

log = logging.getLogger(__name__)
_warned: set[str] = set()


IMAGE_SUBDIR = "image"
"""A segmenter folder's subfolder with the model for pages read off an image (with line
sizes), when one was chosen apart on dev page images; otherwise the folder's own serves."""


def _learned(cfg: SegmentConfig, image: bool = False):
    """The learned segmenter of ``cfg.model_dir`` (its :data:`IMAGE_SUBDIR` model for a page
    read off an image, when it has one), or None (logged once) when it is missing."""
    from nlp.segment.learned import load_segmenter

    folder = Path(cfg.model_dir or paths.model_dir("segmenter"))
    if image and (folder / IMAGE_SUBDIR).is_dir():
        folder = folder / IMAGE_SUBDIR
    folder = str(folder)
    try:
        return load_segmenter(folder)
    except (FileNotFoundError, OSError, ValueError) as exc:
        if folder not in _warned:
            _warned.add(folder)
            log.warning("learned segmenter unavailable (%s); using the rules", exc)
        return None


def segment_page_detailed(
    text: str,
    source: str = "",
    config: SegmentConfig | None = None,
    line_sizes: list[float] | None = None,
) -> list[SegmentedArticle]:
    """Like :func:`segment_page`, keeping the continuation notes and headline position.

    Args:
        text: the page as pasted.
        source: copied into every article's ``source``.
        config: optional :class:`SegmentConfig`.
        line_sizes: print size of each non-blank line against body text, when the page comes
            from an image (:func:`nlp.ocr.ocr_page`); the learned segmenter uses it.

    Returns:
        One :class:`SegmentedArticle` per article, in page order.

    Example:
        >>> [(s.article.body, s.continued_from) for s in segment_page_detailed(
        ...     "（上接第一版）会议强调，要加快推进国家安全体系和能力现代化。")]
        [('会议强调，要加快推进国家安全体系和能力现代化。', '一')]
    """
    cfg = config or SegmentConfig()
    learned = _learned(cfg, image=line_sizes is not None) if cfg.method == "learned" else None
    if learned is not None:
        from nlp.segment.tagger import page_lines

        lines = page_lines(text, line_sizes)
        if len(lines) >= cfg.rules_below_lines:
            small = lambda chunk: _rules(chunk, cfg)  # noqa: E731
            segs = learned.segment(lines, cfg, small=small)
            return _finish(mend_fragments(segs, cfg.mend), source)
    return _finish(_rules(text, cfg), source)


def _rules(text: str, cfg: SegmentConfig) -> list[SegmentedArticle]:
    """The rules segmenter's articles of ``text``, orphans not yet attached."""
    out: list[SegmentedArticle] = []
    for chunk in hard_chunks(text):
        lines = classified_lines(chunk, cfg)
        if not lines:
            continue
        width = column_width_from_lines(lines)
        out.extend(assemble(split_units(lines, cfg, width), cfg))
    return out


def _finish(segs: list[SegmentedArticle], source: str) -> list[SegmentedArticle]:
    out = attach_orphans(segs)
    for i, seg in enumerate(out):
        seg.article.index = i
        seg.article.source = source
    return out


def segment_page(
    text: str,
    source: str = "",
    config: SegmentConfig | None = None,
    line_sizes: list[float] | None = None,
) -> list[Article]:
    """Split a pasted page into articles (title, byline, body, captions, source, index).

    Args:
        text: the page as pasted (OCR spaces and broken lines are fine).
        source: copied into every article's ``source``.
        config: optional :class:`SegmentConfig`.
        line_sizes: optional print sizes of the non-blank lines (a page image's OCR).

    Returns:
        The articles in page order (``index`` from 0). Empty text gives ``[]``; a text
        without any headline gives one article with an empty title. Nothing of the text is
        lost but the ``本报…讯`` of a lead and ``（上接/下转第X版）`` notes: a byline or caption
        standing alone (after a ``-----`` rule, a form feed, blank lines) goes to the article
        before it (or the first one).

    Example:
        >>> [(a.title, a.captions) for a in segment_page(
        ...     "石梁河巡河调研\\n\\n李选才到石梁河开展巡河调研。\\f图为巡河现场 王琳 摄")]
        [('石梁河巡河调研', ['图为巡河现场 王琳 摄'])]
    """
    return [s.article for s in segment_page_detailed(text, source, config, line_sizes)]
