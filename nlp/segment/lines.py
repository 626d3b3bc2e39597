"""Line level of the segmenter: hard chunks, cleaned and classified lines, the column width.

A line is one of the kinds below; runs of headline-like lines directly followed by body lines
are turned back into body lines where they are evidently wrapped body text.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from nlp.segment.config import SegmentConfig
from nlp.text import (
    CJK_PUNCT_CLASS,
    HAN_CLASS,
    clean_text,
    ends_sentence,
    is_byline,
    is_photo_credit_line,
)

_PAGE = r"第?\s*([0-9一二三四五六七八九十〇A-Za-z]{1,4})\s*版"
CONT_START_RE = re.compile(rf"^[（(]\s*(?:上接|接上){_PAGE}\s*[）)]\s*")
CONT_END_RE = re.compile(rf"\s*[（(]\s*(?:下转|转下|下接){_PAGE}\s*[）)]$")
LEAD_RE = re.compile(
    r"^本报(?:讯|(?!记者|通讯员)[^\s，。]{1,12}讯(?!员))\s*(?:[（(]([^（）()，。]{1,30})[）)])?\s*"
)
_AGENCIES = r"(?:新华社|中新社|中新网|人民网|新华网|央视网)"
_AGENCY_RE = re.compile(rf"^据?{_AGENCIES}[^，。]{{0,20}}[电讯]")
# a wire dateline with its date, then optionally its reporters: 据新华社北京6月3日电（记者 …）
WIRE_LEAD_RE = re.compile(
    rf"^据?\s*({_AGENCIES}\s*[^\s\d，。（）()]{{0,10}}?\s*(?:\d\s?\d?\s*月\s*)?\d\s?\d?\s*日\s*电"
    r"(?:\s*[（(][^（）()，。]{1,30}[）)])?)\s*"
)
# end notes and cross-references printed under an article: they belong to the article before
NOTE_RE = re.compile(
    r"^[（(]\s*(?:[^（）()]{1,40}参与采写|(?:本文)?来源\s*[:：][^（）()]{1,40}"
    r"|作者(?:单位|系|为)\s*[:：]?[^（）()]{1,40}|(?:相关|更多)?(?:报道|新闻|评论)?(?:详?见|请看)"
    rf"{_PAGE}[^（）()]{{0,8}})\s*[）)]$"
)
# a reporters' credit after the body: （张明远 李晓红 报道）
END_BYLINE_RE = re.compile(rf"^[（(]\s*((?:[{HAN_CLASS}·]{{2,4}}[\s、]*){{1,4}}报道)\s*[）)]$")
_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_FURNITURE_RES = (
    # date line of a page header: 2026年6月3日 星期三 (a 版次 or 农历 date may follow)
    re.compile(
        rf"^(?:[{HAN_CLASS}]{{2,8}}\s+)?{_DATE}(?:\s*星期[一二三四五六日天])?"
        rf"(?:\s*(?:农历[{HAN_CLASS}]{{2,8}}|{_PAGE}))*$"
    ),
    # 版次 line: 第1版 要闻
    re.compile(rf"^{_PAGE}(?:(?:\s*[:：]\s*|\s+)[{HAN_CLASS}]{{1,6}})?$"),
    # editors' line: 责任编辑 王建国 美编 冯雪梅 / 本版责编：… 校对：…
    re.compile(
        rf"^(?:(?:本版)?(?:责任编辑|责编|美编|校对|版式设计|版式|值班编辑|编辑|制图|排版)"
        rf"\s*[:：]?\s*[{HAN_CLASS}·]{{2,4}}(?:[\s、]+[{HAN_CLASS}·]{{2,4}})*\s*){{1,6}}$"
    ),
)
_CAPTION_START_RE = re.compile(r"^(?:图为|▲|△|图\s*[:：]|（图[^）]{0,10}）)")
_SEPARATOR_RE = re.compile(r"^[ \t]*(?:[-=*_~＊＝—－·•][ \t]*){3,}$|\f", re.MULTILINE)
_MULTI_BLANK_RE = re.compile(r"\n[^\S\n]*\n(?:[^\S\n]*\n)+")
_SINGLE_BLANK_RE = re.compile(r"\n[^\S\n]*\n")
_SENT_PUNCT_RE = re.compile(r"[。；;]")
_HAN_RE = re.compile(f"[{HAN_CLASS}]")

BODY, HEAD, SUBTITLE, BYLINE, CAPTION, MARKER, KICKER, SUBHEAD, NOTE = (
    "body",
    "head",
    "subtitle",
    "byline",
    "caption",
    "marker",
    "kicker",
    "subhead",
    "note",
)
HEADISH = {HEAD, SUBTITLE, BYLINE, CAPTION}


@dataclass
class Line:
    """One cleaned line of a chunk and its kind (``BODY``, ``HEAD``, ...)."""

    text: str
    kind: str
    block: int  # paragraph block (blocks are separated by blank lines)
    lead: bool = False  # opens an article (本报讯…, （上接…）, agency dateline)
    index: int = -1  # the line's place on the page (the learned segmenter's lines only)


def han_len(text: str) -> int:
    """Number of Han characters in ``text``."""
    return len(_HAN_RE.findall(text))


def _is_headline_like(line: str, cfg: SegmentConfig, allow_comma: bool = False) -> bool:
    """Short, mostly Chinese, no sentence punctuation (one comma only if ``allow_comma``)."""
    if not 2 <= len(line) <= cfg.max_headline_chars or han_len(line) < cfg.min_headline_han:
        return False
    commas = line.count("，") + line.count(",")
    if _SENT_PUNCT_RE.search(line) or commas > (1 if allow_comma else 0):
        return False
    if line[-1] in "，,：:、（(“‘《" or line.endswith("——"):
        return False
    return not (ends_sentence(line) and re.search(f"[{CJK_PUNCT_CLASS}].", line[:-1]))


def line_kind(line: str, cfg: SegmentConfig, alone: bool = False) -> tuple[str, bool]:
    """Kind of one cleaned line and whether it opens an article (``alone``: the line is a
    block of its own, where a headline may hold one comma)."""
    if CONT_START_RE.match(line):
        rest = CONT_START_RE.sub("", line)
        return (MARKER, True) if not rest else (BODY, True)
    if CONT_END_RE.fullmatch(line):
        return MARKER, False
    if NOTE_RE.match(line) or END_BYLINE_RE.match(line):
        return NOTE, False
    if LEAD_RE.match(line) or _AGENCY_RE.match(line):
        return BODY, True
    if is_byline(line):
        return BYLINE, False
    if is_photo_credit_line(line) or (_CAPTION_START_RE.match(line) and len(line) <= 120):
        return CAPTION, False
    if line.startswith("——") and _is_headline_like(line[2:], cfg):
        return SUBTITLE, False
    if line.endswith("——") and 4 <= len(line) <= 30 and not _SENT_PUNCT_RE.search(line):
        return KICKER, False
    if _is_headline_like(line, cfg, allow_comma=alone):
        return HEAD, False
    return BODY, False


_COLUMN_HEADING_RE = re.compile(rf"^[{HAN_CLASS}]{{0,6}}(?:简讯|快讯|短讯|速递|简报|速览|一览)$")


def is_column_heading(line: str) -> bool:
    """True for the heading of a briefs column (``简讯``, ``本地快讯``): not an article title.

    Example:
        >>> is_column_heading("本地快讯"), is_column_heading("小麦保险理赔快讯发布会召开")
        (True, False)
    """
    return bool(_COLUMN_HEADING_RE.match(line.strip()))


def is_furniture(line: str) -> bool:
    """True for a page-furniture line: a header date (``2026年6月3日 星期三``), a 版次 line
    (``第1版 要闻``) or the editors' line (``责任编辑 王建国 美编 冯雪梅``).

    Example:
        >>> is_furniture("本版责编：王建国 校对：冯雪梅"), is_furniture("第1版开出新局")
        (True, False)
    """
    line = line.strip()
    return len(line) <= 60 and any(r.match(line) for r in _FURNITURE_RES)


def hard_chunks(text: str) -> list[str]:
    """Split on separator lines (``-----``, ``***``), form feeds and, where the text also uses
    single blank lines, on two or more blank lines."""
    parts = _SEPARATOR_RE.split(text)
    out = []
    for part in parts:
        if _SINGLE_BLANK_RE.search(_MULTI_BLANK_RE.sub("\n", part)):
            out.extend(_MULTI_BLANK_RE.split(part))
        else:
            out.append(part)
    return [p for p in out if p.strip()]


def _column_width(blocks: list[list[str]]) -> float | None:
    """Median length of wrapped body lines (lines that continue on the next line)."""
    widths = [
        len(line)
        for block in blocks
        for line, nxt in zip(block, block[1:], strict=False)
        if not ends_sentence(line) and len(line) > 6 and len(nxt) > 0
    ]
    return statistics.median(widths) if len(widths) >= 5 else None


def classified_lines(chunk: str, cfg: SegmentConfig) -> list[Line]:
    """Cleaned, classified lines; headline-like lines merged into the body where they are
    evidently wrapped body lines."""
    blocks: list[list[str]] = [[]]
    for line in clean_text(chunk, join_lines=False).split("\n"):
        if line and is_furniture(line):
            continue  # dropped, and it neither splits nor joins blocks
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    width = _column_width(blocks)
    out: list[Line] = []
    for b, block in enumerate(blocks):
        kinds = [line_kind(line, cfg, alone=len(block) == 1) for line in block]
        if len(block) == 1 and kinds[0][0] == HEAD and "，" in block[0]:
            if is_full_line(block[0], width, cfg):  # a comma'd column-wide line is body
                kinds = [(BODY, False)]
        if sum(k == HEAD for k, _ in kinds) > cfg.max_headline_lines:
            kinds = [(BODY, lead) if k == HEAD else (k, lead) for k, lead in kinds]
        body_lens = [len(line) for line, (k, _) in zip(block, kinds, strict=True) if k == BODY]
        ref = width or (max(body_lens) if body_lens else None)
        i = 0
        while i < len(block):
            kind, lead = kinds[i]
            if kind not in HEADISH or kind == CAPTION:
                out.append(Line(block[i], kind, b, lead))
                i += 1
                continue
            j = i
            while j < len(block) and kinds[j][0] in HEADISH:
                j += 1
            run = range(i, j)
            after_break = i == 0 or ends_sentence(block[i - 1]) or kinds[i - 1][0] != BODY
            strong = any(kinds[k][0] in (BYLINE, SUBTITLE) for k in run)
            short = ref is None or all(
                len(block[k]) < cfg.in_block_ratio * ref for k in run if kinds[k][0] == HEAD
            )
            free = strong or (after_break and (j == len(block) or short))
            for k in run:
                kind_k = kinds[k][0] if free or kinds[k][0] == CAPTION else BODY
                out.append(Line(block[k], kind_k, b))
            i = j
    return out


def is_full_line(text: str, width, cfg: SegmentConfig) -> bool:
    """A line as long as the column (not longer: headlines often run wider), without the
    space that separates the two halves of a headline or subhead."""
    if not width or " " in text:
        return False
    return cfg.full_line_ratio * width <= len(text) <= 1.15 * width


def column_width_from_lines(lines: list[Line]) -> float | None:
    """:func:`_column_width` of the paragraph blocks of ``lines``."""
    blocks: dict[int, list[str]] = {}
    for ln in lines:
        blocks.setdefault(ln.block, []).append(ln.text)
    return _column_width(list(blocks.values()))
