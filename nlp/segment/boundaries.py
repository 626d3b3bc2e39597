"""Units of a page: bodies and candidate headline groups, the boundary decisions between
them, and the topic cues those decisions use (bigram cosine, headline-to-body likelihood)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

from nlp.segment.config import SegmentConfig
from nlp.segment.lines import (
    BODY,
    BYLINE,
    CAPTION,
    CONT_END_RE,
    CONT_START_RE,
    END_BYLINE_RE,
    HEAD,
    HEADISH,
    KICKER,
    LEAD_RE,
    MARKER,
    NOTE,
    SUBHEAD,
    SUBTITLE,
    Line,
    han_len,
    is_full_line,
)
from nlp.text import han_chars


def _bigrams(han: str) -> Counter:
    return Counter(map(str.__add__, han, han[1:]))


def grams(text: str) -> Counter:
    """Han unigrams and bigrams of ``text``."""
    h = han_chars(text)
    out = Counter(h)
    out.update(_bigrams(h))
    return out


def bigram_cosine(a: str, b: str) -> float:
    ca, cb = _bigrams(han_chars(a)), _bigrams(han_chars(b))
    if not ca or not cb:
        return 0.0
    dot = sum(v * cb.get(k, 0) for k, v in ca.items())
    return dot / math.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


class Likelihood:
    """How well a headline's characters fit a body: mean log-ratio of the Dirichlet-smoothed
    body model to the page model over the headline's Han unigrams and bigrams."""

    def __init__(self, page_text: str, mu: float) -> None:
        self.bg = grams(page_text)
        self.total = max(1, sum(v for k, v in self.bg.items() if len(k) == 1))
        self.mu = mu

    def score(self, headline: str, body: Counter, body_len: int) -> float:
        terms = [g for g in grams(headline).elements() if g in self.bg]
        if not terms:
            return 0.0
        total = 0.0
        for g in terms:
            p_bg = self.bg[g] / self.total
            total += math.log((body.get(g, 0) + self.mu * p_bg) / ((body_len + self.mu) * p_bg))
        return total / len(terms)


@dataclass
class Body:
    """The body of one article as it is collected, with what its opening line said."""

    lines: list[Line] = field(default_factory=list)
    lead_byline: str = ""
    continued_from: str = ""
    continued_to: str = ""
    captions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # end notes and cross-references
    end_byline: str = ""  # （… 报道） under the body
    marked: bool = False  # opened by 本报讯, an agency dateline or （上接…）

    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines if ln.kind in (BODY, SUBHEAD, KICKER))


@dataclass
class Group:
    """A candidate headline group found to be an article boundary."""

    lines: list[Line]
    kicker: bool = False  # only a kicker line: it goes with the headline under it

    def sub_blocks(self) -> list[list[Line]]:
        """Lines split where the block changes (stacked headlines are separate blocks)."""
        out: list[list[Line]] = []
        for ln in self.lines:
            if out and out[-1][-1].block == ln.block:
                out[-1].append(ln)
            else:
                out.append([ln])
        return out


def _next_is_indented(lines: list[Line], j: int) -> bool:
    """Whether the paragraph block starting at ``lines[j]`` opens with an indented line
    (shorter than the line under it): OCR drops the indent but not the shorter line, so a
    block whose first line is full width continues a sentence cut by a column break."""
    if j + 1 >= len(lines) or lines[j].kind != BODY or lines[j + 1].kind != BODY:
        return False
    if lines[j + 1].block != lines[j].block:
        return False
    return len(lines[j].text) < len(lines[j + 1].text)


def _group_is_boundary(
    group: list[Line],
    before: str,
    after: str,
    nxt: Line | None,
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
    if han_len(before) < cfg.min_context_chars or han_len(after) < cfg.min_context_chars:
        return True
    sim = bigram_cosine(before[-cfg.continuity_window :], after[: cfg.continuity_window])
    if len(heads) >= 2:
        return sim < cfg.multi_line_boundary_similarity
    if is_full_line(heads[0].text, width, cfg) and not indented:
        return sim < cfg.full_line_boundary_similarity
    return sim < cfg.boundary_similarity


def _text_after(lines: list[Line], start: int, limit: int) -> str:
    """Body text from ``lines[start]`` on, up to ``limit`` characters or the next candidate."""
    parts, size = [], 0
    for ln in itertools.islice(lines, start, None):
        if ln.kind in HEADISH - {CAPTION} or ln.kind == MARKER or (ln.lead and parts):
            break
        if ln.kind == BODY:
            parts.append(ln.text)
            size += len(ln.text)
            if size >= limit:
                break
    return "".join(parts)


def split_units(lines: list[Line], cfg: SegmentConfig, width) -> list[Body | Group]:
    """Bodies and headline groups in page order."""
    units: list[Body | Group] = []
    current = Body()
    before_parts: list[str] = []  # body text of the current article so far (tail kept short)
    i = 0
    n = len(lines)

    def close_body() -> None:
        nonlocal current
        if current.lines or current.captions or current.lead_byline or current.notes:
            units.append(current)
        current = Body()
        before_parts.clear()

    while i < n:
        ln = lines[i]
        if ln.kind in (HEAD, SUBTITLE, BYLINE):
            j = i
            while j < n and lines[j].kind in HEADISH:
                j += 1
            group = lines[i:j]
            nxt = lines[j] if j < n else None
            before = "".join(before_parts)
            after = _text_after(lines, j, cfg.continuity_window)
            indented = _next_is_indented(lines, j)
            if _group_is_boundary(group, before, after, nxt, cfg, width, indented):
                close_body()
                units.append(Group(group))
            else:
                for g in group:
                    if g.kind == CAPTION:
                        current.captions.append(g.text)
                    else:
                        kind = BODY if is_full_line(g.text, width, cfg) else SUBHEAD
                        current.lines.append(Line(g.text, kind, g.block))
                        before_parts.append(g.text)
            i = j
            continue
        if ln.kind == NOTE:
            _add_note(ln.text, current if current.lines else _last_body(units, current))
        elif ln.kind == MARKER:
            m = CONT_START_RE.match(ln.text)
            if m:
                close_body()
                current.continued_from = m.group(1)
                current.marked = True
            else:
                current.continued_to = CONT_END_RE.search(ln.text).group(1)
        elif ln.kind == CAPTION:
            current.captions.append(ln.text)
        else:
            if ln.lead and (current.lines or current.lead_byline):
                close_body()
            text = ln.text
            if ln.lead:
                current.marked = True
                text = _strip_lead(text, current)
            m = CONT_END_RE.search(text)
            if m and ln.kind == BODY:
                current.continued_to = m.group(1)
                text = text[: m.start()]
            if text:
                current.lines.append(Line(text, ln.kind, ln.block))
                before_parts.append(text)
                if len(before_parts) > 64:  # keep the window cheap: only the tail matters
                    del before_parts[:32]
        i += 1
    close_body()
    return units


def _last_body(units: list[Body | Group], current: Body) -> Body:
    """The body an end note after ``current`` belongs to: the last one collected, unless a
    headline group came after it (then the note opens ``current``)."""
    if units and isinstance(units[-1], Body):
        return units[-1]
    return current


def _add_note(text: str, body: Body) -> None:
    m = END_BYLINE_RE.match(text)
    if m:
        body.end_byline = " ".join(b for b in (body.end_byline, m.group(1)) if b)
    else:
        body.notes.append(text)


def _strip_lead(text: str, body: Body) -> str:
    """Remove ``（上接第一版）`` and ``本报讯（记者 X）`` from an article's first line."""
    m = CONT_START_RE.match(text)
    if m:
        body.continued_from = m.group(1)
        text = text[m.end() :]
    m = LEAD_RE.match(text)
    if m:
        if m.group(1):
            body.lead_byline = m.group(1).strip()
        text = text[m.end() :]
    return text
