"""Split a pasted newspaper page into articles.

A page as staff paste it runs articles together. Two layouts occur, often on one page:
headline first (headline, byline, body) and headline after (body, then its headline block
and byline, then the next article). A headline block may have a kicker line above the main
headline, a ``——`` subtitle below it, or a headline wrapped over two lines. Articles may
start with ``本报讯（记者 王金伟）`` (a byline inside the first paragraph) or a continuation
note ``（上接第一版）``; photo captions (``… 王琳 摄``) and section kickers (``…——``) sit
between paragraphs; inner subheads (``寻标对标 开阔了眼界``) must not start new articles.

How it works (all steps are linear in the page length):

1. Clean every line with :func:`nlp.text.clean_text` (``join_lines=False``) and classify it:
   body, headline-like (short, no sentence punctuation), ``——`` subtitle, byline, photo
   caption, continuation marker, section kicker.
2. Runs of headline-like lines that stand apart from the body (their own block, or after a
   sentence end, or clearly shorter than the column width) become *candidate headline
   groups*. A candidate is an article boundary when a strong cue says so (a byline or a
   ``——`` subtitle in it, the next paragraph opens with 本报讯 or （上接…）, it starts or ends
   the page); otherwise the text before and after it is compared (character-bigram cosine):
   the same topic on both sides makes it an inner subhead, a change of topic a boundary.
   A single column-wide line followed by an unindented line is held to a stricter test: it
   is usually a body line cut by a column break.
3. The layout (headline before or after its body) is chosen for the whole page by which
   neighbour the headlines' characters fit better (a Dirichlet-smoothed query likelihood,
   which corrects for body length).
4. Each headline group goes to its body in that direction. Where a group holds several
   stacked headlines and the bodies next to it are explicit articles without a headline of
   their own (continued articles separated only by （上接…）), the headlines are shared out in
   nesting order (nearest headline to nearest body), which the likelihood overrides only
   when it is decisive (:attr:`SegmentConfig.stack_override_margin`).

Example:
    >>> page = (
    ...     "小麦保险理赔会召开\\n\\n本报讯（记者 张三）全市小麦保险理赔工作推进会召开。\\n\\n"
    ...     "石梁河巡河调研\\n\\n李选才到石梁河开展巡河调研。"
    ... )
    >>> [(a.title, a.byline, a.body) for a in segment_page(page)]
    [('小麦保险理赔会召开', '记者 张三', '全市小麦保险理赔工作推进会召开。'), ('石梁河巡河调研', '', '李选才到石梁河开展巡河调研。')]
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nlp.text import (
    CJK_PUNCT_CLASS,
    HAN_CLASS,
    clean_text,
    ends_sentence,
    han_chars,
    is_byline,
    is_photo_credit_line,
    join_wrapped_lines,
)
from nlp.types import Article

# ---------------------------------------------------------------------------- config


@dataclass
class SegmentConfig:
    """Knobs of :func:`segment_page`; the defaults were set on the seed page and on pairs of
    consecutive 新闻联播 stories (see ``data/seeds/README.md``)."""

    max_headline_chars: int = 40
    """A headline line has at most this many characters."""
    min_headline_han: int = 4
    """... and at least this many Han characters."""
    full_line_ratio: float = 0.8
    """A line at least this share of the column width (the median length of wrapped lines) is
    a body line cut by a column break, not a subhead; a paragraph's first line is shorter
    than the column by its indent, hence well below 1."""
    in_block_ratio: float = 0.75
    """A headline-like line directly followed by body lines (no blank line between) is taken
    as a headline only if shorter than this share of the column width (a paragraph's first
    line is only an indent shorter than the column)."""
    max_headline_lines: int = 4
    """A block of more headline-like lines than this is body text."""
    continuity_window: int = 300
    """Characters of body text compared on each side of a candidate headline."""
    boundary_similarity: float = 0.08
    """Bigram cosine below which a one-line candidate (no other cue) starts a new article."""
    multi_line_boundary_similarity: float = 0.15
    """The same for a candidate of two or more headline lines (rarely a subhead)."""
    full_line_boundary_similarity: float = 0.02
    """The same for a single column-wide line followed by a block whose first line is not
    indented (usually a body line cut by a column break)."""
    min_context_chars: int = 40
    """With less body text than this on either side the topic test is not trusted: the
    candidate is treated as a headline."""
    dirichlet_mu: float = 200.0
    """Smoothing of the headline-to-body likelihood (in characters)."""
    max_stack: int = 4
    """At most this many stacked headlines / continued bodies are matched together."""
    stack_override_margin: float = 1.0
    """Stacked headlines follow the nesting order unless another assignment fits the bodies
    better by more than this (summed mean log-likelihood ratio; 95% of pairs of same-day
    新闻联播 stories are told apart by more than 1.0)."""

    def __post_init__(self) -> None:
        if self.max_headline_chars < 4:
            raise ValueError(f"max_headline_chars must be >= 4, got {self.max_headline_chars!r}")
        if not 0.0 < self.full_line_ratio <= 1.0:
            raise ValueError(f"full_line_ratio must be in (0, 1], got {self.full_line_ratio!r}")
        if self.continuity_window < 20:
            raise ValueError(f"continuity_window must be >= 20, got {self.continuity_window!r}")
        if self.dirichlet_mu <= 0:
            raise ValueError(f"dirichlet_mu must be > 0, got {self.dirichlet_mu!r}")
        if not 1 <= self.max_stack <= 6:
            raise ValueError(f"max_stack must be in 1..6, got {self.max_stack!r}")


# ---------------------------------------------------------------------------- patterns

_PAGE = r"第?\s*([0-9一二三四五六七八九十〇A-Za-z]{1,4})\s*版"
_CONT_START_RE = re.compile(rf"^[（(]\s*(?:上接|接上){_PAGE}\s*[）)]\s*")
_CONT_END_RE = re.compile(rf"\s*[（(]\s*(?:下转|转下|下接){_PAGE}\s*[）)]$")
_LEAD_RE = re.compile(r"^本报(?:讯|[^\s，。]{1,12}讯)\s*(?:[（(]([^（）()，。]{1,30})[）)])?\s*")
_AGENCY_RE = re.compile(r"^(?:新华社|中新社|中新网|人民网|新华网|央视网)[^，。]{0,20}[电讯]")
_CAPTION_START_RE = re.compile(r"^(?:图为|▲|△|图\s*[:：]|（图[^）]{0,10}）)")
_SEPARATOR_RE = re.compile(r"^[ \t]*(?:[-=*_~＊＝—－·•][ \t]*){3,}$|\f", re.MULTILINE)
_MULTI_BLANK_RE = re.compile(r"\n[^\S\n]*\n(?:[^\S\n]*\n)+")
_SINGLE_BLANK_RE = re.compile(r"\n[^\S\n]*\n")
_SENT_PUNCT_RE = re.compile(r"[。；;]")
_HAN_RE = re.compile(f"[{HAN_CLASS}]")
_WS_RE = re.compile(r"\s+")

BODY, HEAD, SUBTITLE, BYLINE, CAPTION, MARKER, KICKER, SUBHEAD = (
    "body",
    "head",
    "subtitle",
    "byline",
    "caption",
    "marker",
    "kicker",
    "subhead",
)
_HEADISH = {HEAD, SUBTITLE, BYLINE, CAPTION}


@dataclass
class _Line:
    text: str
    kind: str
    block: int  # paragraph block (blocks are separated by blank lines)
    lead: bool = False  # opens an article (本报讯…, （上接…）, agency dateline)


@dataclass
class SegmentedArticle:
    """An :class:`~nlp.types.Article` with what the segmenter noted about it.

    Attributes:
        article: the article.
        continued_from: page of a ``（上接第X版）`` note stripped from the body (``"一"``).
        continued_to: page of a ``（下转第X版）`` note stripped from the body.
        headline_position: ``"before"`` or ``"after"`` the body, ``""`` without headline.
    """

    article: Article
    continued_from: str = ""
    continued_to: str = ""
    headline_position: str = ""


# ---------------------------------------------------------------------------- line level


def _han_len(text: str) -> int:
    return len(_HAN_RE.findall(text))


def _is_headline_like(line: str, cfg: SegmentConfig, allow_comma: bool = False) -> bool:
    """Short, mostly Chinese, no sentence punctuation (one comma only if ``allow_comma``)."""
    if not 2 <= len(line) <= cfg.max_headline_chars or _han_len(line) < cfg.min_headline_han:
        return False
    commas = line.count("，") + line.count(",")
    if _SENT_PUNCT_RE.search(line) or commas > (1 if allow_comma else 0):
        return False
    if line[-1] in "，,：:、（(“‘《" or line.endswith("——"):
        return False
    return not (ends_sentence(line) and re.search(f"[{CJK_PUNCT_CLASS}].", line[:-1]))


def _classify(line: str, cfg: SegmentConfig, alone: bool = False) -> tuple[str, bool]:
    """Kind of one cleaned line and whether it opens an article (``alone``: the line is a
    block of its own, where a headline may hold one comma)."""
    if _CONT_START_RE.match(line):
        rest = _CONT_START_RE.sub("", line)
        return (MARKER, True) if not rest else (BODY, True)
    if _CONT_END_RE.fullmatch(line):
        return MARKER, False
    if _LEAD_RE.match(line) or _AGENCY_RE.match(line):
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


def _hard_chunks(text: str) -> list[str]:
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


def _lines(chunk: str, cfg: SegmentConfig) -> list[_Line]:
    """Cleaned, classified lines; headline-like lines merged into the body where they are
    evidently wrapped body lines."""
    blocks: list[list[str]] = [[]]
    for line in clean_text(chunk, join_lines=False).split("\n"):
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    width = _column_width(blocks)
    out: list[_Line] = []
    for b, block in enumerate(blocks):
        kinds = [_classify(line, cfg, alone=len(block) == 1) for line in block]
        if len(block) == 1 and kinds[0][0] == HEAD and "，" in block[0]:
            if _is_full_line(block[0], width, cfg):  # a comma'd column-wide line is body
                kinds = [(BODY, False)]
        if sum(k == HEAD for k, _ in kinds) > cfg.max_headline_lines:
            kinds = [(BODY, lead) if k == HEAD else (k, lead) for k, lead in kinds]
        body_lens = [len(line) for line, (k, _) in zip(block, kinds, strict=True) if k == BODY]
        ref = width or (max(body_lens) if body_lens else None)
        i = 0
        while i < len(block):
            kind, lead = kinds[i]
            if kind not in _HEADISH or kind == CAPTION:
                out.append(_Line(block[i], kind, b, lead))
                i += 1
                continue
            j = i
            while j < len(block) and kinds[j][0] in _HEADISH:
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
                out.append(_Line(block[k], kind_k, b))
            i = j
    return out


# ---------------------------------------------------------------------------- topic cues


def _bigrams(han: str) -> Counter:
    return Counter(map(str.__add__, han, han[1:]))


def _grams(text: str) -> Counter:
    """Han unigrams and bigrams of ``text``."""
    h = han_chars(text)
    grams = Counter(h)
    grams.update(_bigrams(h))
    return grams


def _bigram_cosine(a: str, b: str) -> float:
    ca, cb = _bigrams(han_chars(a)), _bigrams(han_chars(b))
    if not ca or not cb:
        return 0.0
    dot = sum(v * cb.get(k, 0) for k, v in ca.items())
    return dot / math.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


class _Likelihood:
    """How well a headline's characters fit a body: mean log-ratio of the Dirichlet-smoothed
    body model to the page model over the headline's Han unigrams and bigrams."""

    def __init__(self, page_text: str, mu: float) -> None:
        self.bg = _grams(page_text)
        self.total = max(1, sum(v for k, v in self.bg.items() if len(k) == 1))
        self.mu = mu

    def score(self, headline: str, body: Counter, body_len: int) -> float:
        terms = [g for g in _grams(headline).elements() if g in self.bg]
        if not terms:
            return 0.0
        total = 0.0
        for g in terms:
            p_bg = self.bg[g] / self.total
            total += math.log((body.get(g, 0) + self.mu * p_bg) / ((body_len + self.mu) * p_bg))
        return total / len(terms)


# ---------------------------------------------------------------------------- units


@dataclass
class _Body:
    lines: list[_Line] = field(default_factory=list)
    lead_byline: str = ""
    continued_from: str = ""
    continued_to: str = ""
    captions: list[str] = field(default_factory=list)
    marked: bool = False  # opened by 本报讯, an agency dateline or （上接…）

    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines if ln.kind in (BODY, SUBHEAD, KICKER))


@dataclass
class _Group:
    lines: list[_Line]

    def sub_blocks(self) -> list[list[_Line]]:
        """Lines split where the block changes (stacked headlines are separate blocks)."""
        out: list[list[_Line]] = []
        for ln in self.lines:
            if out and out[-1][-1].block == ln.block:
                out[-1].append(ln)
            else:
                out.append([ln])
        return out


def _next_is_indented(lines: list[_Line], j: int) -> bool:
    """Whether the paragraph block starting at ``lines[j]`` opens with an indented line
    (shorter than the line under it): OCR drops the indent but not the shorter line, so a
    block whose first line is full width continues a sentence cut by a column break."""
    if j + 1 >= len(lines) or lines[j].kind != BODY or lines[j + 1].kind != BODY:
        return False
    if lines[j + 1].block != lines[j].block:
        return False
    return len(lines[j].text) < len(lines[j + 1].text)


def _group_is_boundary(
    group: list[_Line],
    before: str,
    after: str,
    nxt: _Line | None,
    cfg: SegmentConfig,
    width,
    indented: bool = False,
) -> bool:
    """Whether a candidate headline group separates two articles."""
    kinds = {ln.kind for ln in group}
    if BYLINE in kinds or SUBTITLE in kinds or (nxt is not None and nxt.lead):
        return True
    if nxt is None or not before.strip():
        return True
    heads = [ln for ln in group if ln.kind == HEAD]
    if not heads:
        return False
    if _han_len(before) < cfg.min_context_chars or _han_len(after) < cfg.min_context_chars:
        return True
    sim = _bigram_cosine(before[-cfg.continuity_window :], after[: cfg.continuity_window])
    if len(heads) >= 2:
        return sim < cfg.multi_line_boundary_similarity
    if _is_full_line(heads[0].text, width, cfg) and not indented:
        return sim < cfg.full_line_boundary_similarity
    return sim < cfg.boundary_similarity


def _text_after(lines: list[_Line], start: int, limit: int) -> str:
    """Body text from ``lines[start]`` on, up to ``limit`` characters or the next candidate."""
    parts, size = [], 0
    for ln in itertools.islice(lines, start, None):
        if ln.kind in _HEADISH - {CAPTION} or ln.kind == MARKER or (ln.lead and parts):
            break
        if ln.kind == BODY:
            parts.append(ln.text)
            size += len(ln.text)
            if size >= limit:
                break
    return "".join(parts)


def _units(lines: list[_Line], cfg: SegmentConfig, width) -> list[_Body | _Group]:
    """Bodies and headline groups in page order."""
    units: list[_Body | _Group] = []
    current = _Body()
    before_parts: list[str] = []  # body text of the current article so far (tail kept short)
    i = 0
    n = len(lines)

    def close_body() -> None:
        nonlocal current
        if current.lines or current.captions or current.lead_byline:
            units.append(current)
        current = _Body()
        before_parts.clear()

    while i < n:
        ln = lines[i]
        if ln.kind in (HEAD, SUBTITLE, BYLINE):
            j = i
            while j < n and lines[j].kind in _HEADISH:
                j += 1
            group = lines[i:j]
            nxt = lines[j] if j < n else None
            before = "".join(before_parts)
            after = _text_after(lines, j, cfg.continuity_window)
            indented = _next_is_indented(lines, j)
            if _group_is_boundary(group, before, after, nxt, cfg, width, indented):
                close_body()
                units.append(_Group(group))
            else:
                for g in group:
                    if g.kind == CAPTION:
                        current.captions.append(g.text)
                    else:
                        kind = BODY if _is_full_line(g.text, width, cfg) else SUBHEAD
                        current.lines.append(_Line(g.text, kind, g.block))
                        before_parts.append(g.text)
            i = j
            continue
        if ln.kind == MARKER:
            m = _CONT_START_RE.match(ln.text)
            if m:
                close_body()
                current.continued_from = m.group(1)
                current.marked = True
            else:
                current.continued_to = _CONT_END_RE.search(ln.text).group(1)
        elif ln.kind == CAPTION:
            current.captions.append(ln.text)
        else:
            if ln.lead and (current.lines or current.lead_byline):
                close_body()
            text = ln.text
            if ln.lead:
                current.marked = True
                text = _strip_lead(text, current)
            m = _CONT_END_RE.search(text)
            if m and ln.kind == BODY:
                current.continued_to = m.group(1)
                text = text[: m.start()]
            if text:
                current.lines.append(_Line(text, ln.kind, ln.block))
                before_parts.append(text)
                if len(before_parts) > 64:  # keep the window cheap: only the tail matters
                    del before_parts[:32]
        i += 1
    close_body()
    return units


def _is_full_line(text: str, width, cfg: SegmentConfig) -> bool:
    """A line as long as the column (not longer: headlines often run wider), without the
    space that separates the two halves of a headline or subhead."""
    if not width or " " in text:
        return False
    return cfg.full_line_ratio * width <= len(text) <= 1.15 * width


def _strip_lead(text: str, body: _Body) -> str:
    """Remove ``（上接第一版）`` and ``本报讯（记者 X）`` from an article's first line."""
    m = _CONT_START_RE.match(text)
    if m:
        body.continued_from = m.group(1)
        text = text[m.end() :]
    m = _LEAD_RE.match(text)
    if m:
        if m.group(1):
            body.lead_byline = m.group(1).strip()
        text = text[m.end() :]
    return text


# ---------------------------------------------------------------------------- assembly


def _body_text(body: _Body) -> str:
    """Paragraphs of a body, one per line: wrapped lines joined, also across column breaks
    (blank lines inside a sentence); subheads and kickers stay paragraphs of their own."""
    paragraphs: list[str] = []
    run: list[str] = []
    for ln in body.lines:
        if ln.kind in (SUBHEAD, KICKER):
            paragraphs.extend(join_wrapped_lines(run))
            paragraphs.append(ln.text)
            run = []
        else:
            run.append(ln.text)
    paragraphs.extend(join_wrapped_lines(run))
    return "\n".join(p for p in paragraphs if p)


def _head_text(lines: list[_Line]) -> str:
    return " ".join(ln.text for ln in lines if ln.kind in (HEAD, SUBTITLE))


def _choose_direction(units: list[_Body | _Group], lik: _Likelihood, counts) -> str:
    """``"after"`` if headlines fit the body before them better than the body after them."""
    evidence = 0.0
    for k, unit in enumerate(units):
        if not isinstance(unit, _Group):
            continue
        title = _head_text(unit.lines)
        prev = units[k - 1] if k > 0 and isinstance(units[k - 1], _Body) else None
        nxt = units[k + 1] if k + 1 < len(units) and isinstance(units[k + 1], _Body) else None
        if title and prev is not None and nxt is not None:
            evidence += lik.score(title, *counts[id(prev)]) - lik.score(title, *counts[id(nxt)])
    if evidence > 0:
        return "after"
    if evidence < 0:
        return "before"
    if units and isinstance(units[-1], _Group) and not isinstance(units[0], _Group):
        return "after"
    return "before"


def _assign_stack(
    titles: list[list[_Line]],
    chain: list[_Body],
    lik: _Likelihood,
    counts,
    step: int,
    margin: float,
) -> list[int]:
    """Index into ``chain`` for each stacked title block (titles in page order).

    Every body of ``chain`` gets at least one title and the titles of one body are adjacent.
    The prior is nesting: the headline nearest the bodies belongs to the nearest body, the
    next one to the body beyond it (``B1 B2 H2 H1`` when headlines follow their bodies).
    The headline-to-body likelihood picks among nested assignments, and overrides the
    nesting only when another assignment fits better by more than ``margin``.
    """
    chain = chain[: len(titles)]
    m = len(chain)
    if m <= 1:
        return [0] * len(titles)
    # page order of the titles, nearest to the bodies first
    order = list(range(len(titles))) if step == -1 else list(range(len(titles)))[::-1]
    best_any: tuple[float, list[int]] | None = None
    best_nested: tuple[float, list[int]] | None = None
    for assign in itertools.product(range(m), repeat=len(titles)):
        if len(set(assign)) < m or any(
            assign[j] != assign[j - 1] and assign[j] in assign[: j - 1]
            for j in range(1, len(assign))
        ):
            continue
        score = sum(
            lik.score(_head_text(t), *counts[id(chain[a])])
            for t, a in zip(titles, assign, strict=True)
        )
        nested = all(assign[order[i]] <= assign[order[i + 1]] for i in range(len(order) - 1))
        if best_any is None or score > best_any[0]:
            best_any = (score, list(assign))
        if nested and (best_nested is None or score > best_nested[0]):
            best_nested = (score, list(assign))
    if best_nested is None or best_any is None:
        return [0] * len(titles)
    return best_any[1] if best_any[0] - best_nested[0] > margin else best_nested[1]


def _assemble(units: list[_Body | _Group], cfg: SegmentConfig) -> list[SegmentedArticle]:
    bodies = [u for u in units if isinstance(u, _Body)]
    page_text = "\n".join(b.text() for b in bodies)
    lik = _Likelihood(page_text, cfg.dirichlet_mu)
    counts = {}
    for b in bodies:
        t = b.text()
        counts[id(b)] = (_grams(t), _han_len(t))
    direction = _choose_direction(units, lik, counts)

    titles: dict[int, list[list[_Line]]] = {}
    extras: dict[int, list[_Line]] = {}  # bylines and captions that came with a headline
    position: dict[int, str] = {}
    headline_only: set[int] = set()
    for k, unit in enumerate(units):
        if not isinstance(unit, _Group):
            continue
        step = -1 if direction == "after" else 1
        chain = _chain(units, k, step, cfg.max_stack)
        if not chain or id(chain[0]) in titles:  # no body that way, or it has its headline
            step = -step
            chain = _chain(units, k, step, cfg.max_stack)
        if not chain:
            headline_only.add(id(unit))
            continue
        blocks = unit.sub_blocks()
        title_blocks = [b for b in blocks if any(ln.kind in (HEAD, SUBTITLE) for ln in b)]
        if len(title_blocks) >= 2 and len(chain) >= 2:
            assign = _assign_stack(
                title_blocks[: cfg.max_stack], chain, lik, counts, step, cfg.stack_override_margin
            )
            assign += [assign[-1]] * (len(title_blocks) - len(assign))
        else:
            assign = [0] * len(title_blocks)
        owner = {id(tb): a for tb, a in zip(title_blocks, assign, strict=True)}
        current = assign[0] if assign else 0  # bylines/captions before any title go with it
        for blk in blocks:
            if id(blk) in owner:
                current = owner[id(blk)]
                titles.setdefault(id(chain[current]), []).append(blk)
                position[id(chain[current])] = "after" if step == -1 else "before"
                others = [ln for ln in blk if ln.kind in (BYLINE, CAPTION)]
                extras.setdefault(id(chain[current]), []).extend(others)
            else:
                extras.setdefault(id(chain[current]), []).extend(blk)

    out: list[SegmentedArticle] = []
    for unit in units:
        if isinstance(unit, _Group):
            if id(unit) in headline_only:
                out.append(_headline_only(unit))
            continue
        blocks = titles.get(id(unit), [])
        title = " ".join(_head_text(b) for b in blocks)
        extra = extras.get(id(unit), [])
        bylines = [ln.text for ln in extra if ln.kind == BYLINE]
        if unit.lead_byline:
            bylines.append(unit.lead_byline)
        captions = [ln.text for ln in extra if ln.kind == CAPTION] + unit.captions
        body = _body_text(unit)
        if not (title or body):
            continue
        art = Article(title=title, body=body, byline=" ".join(bylines), captions=captions)
        out.append(
            SegmentedArticle(
                art, unit.continued_from, unit.continued_to, position.get(id(unit), "")
            )
        )
    return out


def _chain(units: list[_Body | _Group], k: int, step: int, max_stack: int) -> list[_Body]:
    """Bodies a headline group at ``k`` may belong to, going ``step``: its neighbour, then
    further bodies joined to it without a headline group in between, as long as each is an
    explicit article (opened by 本报讯 or （上接…）) and so needs a headline of its own."""
    chain: list[_Body] = []
    j = k + step
    while 0 <= j < len(units) and isinstance(units[j], _Body) and len(chain) < max_stack:
        if chain and not (units[j].marked if step == -1 else True):
            break
        chain.append(units[j])
        j += step
    return chain


def _headline_only(group: _Group) -> SegmentedArticle:
    """A headline group with no body on its page (a headline-only item)."""
    bylines = [ln.text for ln in group.lines if ln.kind == BYLINE]
    captions = [ln.text for ln in group.lines if ln.kind == CAPTION]
    art = Article(
        title=_head_text(group.lines), body="", byline=" ".join(bylines), captions=captions
    )
    return SegmentedArticle(art, headline_position="before")


# ---------------------------------------------------------------------------- public API


def segment_page_detailed(
    text: str, source: str = "", config: SegmentConfig | None = None
) -> list[SegmentedArticle]:
    """Like :func:`segment_page`, keeping the continuation notes and headline position."""
    cfg = config or SegmentConfig()
    out: list[SegmentedArticle] = []
    for chunk in _hard_chunks(text):
        lines = _lines(chunk, cfg)
        if not lines:
            continue
        width = _column_width_from_lines(lines)
        out.extend(_assemble(_units(lines, cfg, width), cfg))
    for i, seg in enumerate(out):
        seg.article.index = i
        seg.article.source = source
    return out


def _column_width_from_lines(lines: list[_Line]) -> float | None:
    blocks: dict[int, list[str]] = {}
    for ln in lines:
        blocks.setdefault(ln.block, []).append(ln.text)
    return _column_width(list(blocks.values()))


def segment_page(text: str, source: str = "", config: SegmentConfig | None = None) -> list[Article]:
    """Split a pasted page into articles (title, byline, body, captions, source, index).

    Args:
        text: the page as pasted (OCR spaces and broken lines are fine).
        source: copied into every article's ``source``.
        config: optional :class:`SegmentConfig`.

    Returns:
        The articles in page order (``index`` from 0). Empty text gives ``[]``; a text
        without any headline gives one article with an empty title.
    """
    return [s.article for s in segment_page_detailed(text, source, config)]


# ---------------------------------------------------------------------------- gold


def _squash(text: str) -> str:
    return _WS_RE.sub("", text)


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
    """
    by_title = {_squash(a.title): a for a in articles}
    titles = firsts = lasts = bylines = captions = 0
    problems = []
    order = []
    for row in gold:
        art = by_title.get(_squash(row["title"]))
        if art is None:
            problems.append(f"no article titled {row['title']!r}")
            continue
        titles += 1
        order.append(art.index)
        body = _squash(art.body)
        for key in ("first_sentence", "last_sentence"):
            if _squash(row.get(key, "")) in body:
                firsts += key == "first_sentence"
                lasts += key == "last_sentence"
            else:
                problems.append(f"{row['title']!r}: {key} not in body")
        if _squash(row.get("byline", "")) == _squash(art.byline):
            bylines += 1
        else:
            problems.append(f"{row['title']!r}: byline {art.byline!r} != {row.get('byline')!r}")
        want = [_squash(c) for c in row.get("captions", [])]
        if "captions" not in row or want == [_squash(c) for c in art.captions]:
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
    """Rows of a ``*.gold.jsonl`` file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
