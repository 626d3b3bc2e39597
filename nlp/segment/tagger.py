"""The learned line tagger: every line of a page gets a role, by a linear-chain CRF.

Roles (:data:`TAGS`, the generator's :data:`training.page_render.LINE_TAGS`): page
``furniture``, a column ``heading`` (简讯), the headline block (``kicker``, ``head``,
``subtitle``), a standalone ``byline``, a photo ``caption``, an article's first body line
(``start``), other ``body`` lines, an inner ``subhead`` and a ``note`` (end notes,
cross-references, ``（… 报道）``). The CRF (CRFsuite, through ``python-crfsuite``) sees layout
and form features of each line and of its neighbours, never the words themselves, so it does
not learn the generator's article texts; Viterbi decoding gives the most likely sequence.

Features (:func:`line_features`) are what a page shows of a line: its length against the
column width, Han share, punctuation at its end and inside, whether a blank line stands before
or after it, the rules' kind of it (:func:`nlp.segment.lines.line_kind`: byline, caption,
note, lead such as 本报讯…), spaces inside it (letter-spaced headlines), and how the body text
before it and after it differ in topic (character-bigram cosine).

Example:
    >>> lines = page_lines("标题一二三四五\\n\\n正文第一句。正文第二句。")
    >>> [ln.text for ln in lines], [ln.blank_before for ln in lines]
    (['标题一二三四五', '正文第一句。正文第二句。'], [True, True])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from nlp.segment.boundaries import _bigrams
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import _column_width, hard_chunks, is_furniture, line_kind
from nlp.segment.titleness import Titleness
from nlp.text import clean_text, ends_sentence, han_chars

TAGS = (
    "furniture",
    "heading",
    "kicker",
    "head",
    "subtitle",
    "byline",
    "caption",
    "start",
    "body",
    "subhead",
    "note",
)
HEAD_TAGS = frozenset(("kicker", "head", "subtitle"))
_TOPIC_WINDOW = 160
_TITLE_LINE, _TITLE_BLOCK = 40, 60  # longest line and block given a titleness feature
_SPACED_RE = re.compile(r"\S \S \S")
# how news leads open: a time or place of the event, the reporter, the agency
_LEAD_OPENING_RE = re.compile(
    r"^(?:当地时间|记者|本报|据|新华社|中新社|近日|日前|今天|昨天|今年|去年|截至|\d{2,4}\s*年"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*日|[（(]?\s*上接)"
)


@dataclass
class PageLine:
    """One non-blank cleaned line of a page, with where it stands."""

    text: str
    chunk: int  # hard chunk (``-----`` rules, form feeds, several blank lines)
    blank_before: bool
    blank_after: bool
    size: float = 0.0  # print size against body text (from an image's OCR boxes), 0: unknown


def page_lines(text: str, sizes: list[float] | None = None) -> list[PageLine]:
    """The page's non-blank cleaned lines in order (one per non-blank input line).

    Args:
        text: the page.
        sizes: optionally, the print size of each non-blank line of ``text`` relative to the
            body text (what OCR of a page image knows: box heights); ignored unless there is
            one per line.
    """
    out: list[PageLine] = []
    for c, chunk in enumerate(hard_chunks(text)):
        raw = clean_text(chunk, join_lines=False).split("\n")
        for i, line in enumerate(raw):
            if not line:
                continue
            before = i == 0 or not raw[i - 1]
            after = i + 1 == len(raw) or not raw[i + 1]
            out.append(PageLine(line, c, before, after))
    if sizes is not None and len(sizes) == len(out):
        for ln, size in zip(out, sizes, strict=True):
            ln.size = float(size)
    return out


def column_width(lines: list[PageLine]) -> float | None:
    """Median length of lines that run on into the next one (the column width); None when
    the page has too few such lines (text pasted from the web: a paragraph per line). The
    rules' measure (:func:`nlp.segment.lines._column_width`) over the page's blocks."""
    width = _column_width([[ln.text for ln in lines[a : b + 1]] for a, b in _block_spans(lines)])
    return None if width is None else float(width)


def chunk_spans(lines: list[PageLine]) -> list[tuple[int, int]]:
    """``(start, end)`` of each hard chunk's lines (``lines[start:end]``), in order."""
    out, start = [], 0
    for end in range(1, len(lines) + 1):
        if end == len(lines) or lines[end].chunk != lines[start].chunk:
            out.append((start, end))
            start = end
    return out


def lines_text(lines: list[PageLine]) -> str:
    """The text the lines were read from, as the segmenters read it: blank lines where there
    were blank lines, a ``-----`` rule between chunks."""
    parts = []
    for i, ln in enumerate(lines):
        if i and ln.chunk != lines[i - 1].chunk:
            parts.append("-----")
        parts.append(("\n" if i and ln.blank_before else "") + ln.text)
    return "\n".join(parts)


def rules_marks(lines: list[PageLine], cfg: SegmentConfig) -> list[tuple[bool, bool]]:
    """What the rules segmenter made of each line: (part of a headline, opens a body).

    The rules run on the page's lines; a line is in a headline when its text is part of a
    rules article's title, and opens a body when a rules article's body begins with it.
    """
    from nlp.segment.page import segment_page

    arts = segment_page(lines_text(lines), config=replace(cfg, method="rules"))
    titles = [re.sub(r"\s+", "", a.title) for a in arts if a.title]
    starts = {re.sub(r"\s+", "", a.body)[:8] for a in arts if a.body}
    out = []
    for ln in lines:
        t = re.sub(r"\s+", "", ln.text)
        in_title = len(t) >= 2 and any(t in title for title in titles)
        # the body's opening, at the line's start or after a lead the rules took off
        # (本报讯（记者 …）); a short opening only at the start (a body "展" is in many lines)
        opens = bool(t) and any(
            s and (t.startswith(s) or (len(s) >= 6 and 0 < t.find(s) < 30)) for s in starts
        )
        out.append((in_title, opens))
    return out


def _bucket(x: float, step: float, top: float) -> str:
    return str(round(min(x, top) / step))


def _char_class(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return "han"
    if ch.isdigit():
        return "digit"
    if ch.isascii() and ch.isalpha():
        return "latin"
    return ch if ch in "。！？；，、：”“）（——…》《·" else "other"


class _TopicShift:
    """Bigram cosine of the text just before line ``i`` and the text from line ``i + skip``;
    each window's bigram counts are built once (a line's "after" window is the next line's
    "from" window)."""

    def __init__(self, lines: list[PageLine]) -> None:
        self.lines = lines
        self._before: dict[int, tuple] = {}
        self._after: dict[int, tuple] = {}

    def _window(self, cache: dict, key: int, text: str) -> tuple:
        if key not in cache:
            han = han_chars(text)
            grams = _bigrams(han)
            norm = math.sqrt(sum(v * v for v in grams.values()))
            cache[key] = (len(han), grams, norm)
        return cache[key]

    def __call__(self, i: int, skip: int = 1) -> float:
        lines = self.lines
        if i not in self._before:
            before, j = "", i - 1
            while j >= 0 and len(before) < _TOPIC_WINDOW:
                before = lines[j].text + before
                j -= 1
            self._window(self._before, i, before[-_TOPIC_WINDOW:] if before else "")
        start = i + skip
        if start not in self._after:
            after, j = "", start
            while j < len(lines) and len(after) < _TOPIC_WINDOW:
                after += lines[j].text
                j += 1
            self._window(self._after, start, after[:_TOPIC_WINDOW])
        (nb, gb, normb), (na, ga, norma) = self._before[i], self._after[start]
        if nb < 20 or na < 20:
            return -1.0
        if not gb or not ga:
            return 0.0
        return sum(gb[k] * ga[k] for k in gb.keys() & ga.keys()) / (normb * norma)


def _own(line: PageLine, width: float | None, cfg: SegmentConfig) -> dict[str, float | str]:
    t = line.text
    n = len(t)
    han = len(han_chars(t))
    kind, lead = line_kind(t, cfg, alone=line.blank_before and line.blank_after)
    return {
        "kind": kind,
        "lead": float(lead),
        "furn": float(is_furniture(t)),
        "len": _bucket(n, 2, 40),
        "ratio": _bucket(n / width, 0.1, 1.6) if width else "unknown",
        "full": float(bool(width) and 0.85 * width <= n <= 1.15 * width),
        "han": _bucket(han / max(1, n), 0.2, 1.0),
        "end": _char_class(t[-1]),
        "first": _char_class(t[0]),
        "ends_sent": float(ends_sentence(t)),
        "sent_inside": float(bool(re.search(r"[。！？；]", t[:-1]))),
        "commas": _bucket(t.count("，") + t.count(","), 1, 3),
        "space": float(" " in t.strip()),
        "spaced": float(bool(_SPACED_RE.search(t))),
        "dash": float(t.startswith("——") or t.startswith("--")),
        "paren": float(t[0] in "（(" and t[-1] in "）)"),
        "photo": float(t.endswith("摄")),
        "blank_b": float(line.blank_before),
        "blank_a": float(line.blank_after),
        "opening": float(bool(_LEAD_OPENING_RE.match(t))),
        "size": _size_class(line.size),
    }


def titleness_probs(lines: list[PageLine], model: Titleness) -> list[tuple[float, float]]:
    """Per line, P(headline) of the line itself and of its paragraph block (``-1`` where the
    line or block is too long to be a headline), in one model call for the page."""
    spans = _block_spans(lines)
    blocks = ["".join(ln.text for ln in lines[a : b + 1]) for a, b in spans]
    line_ix = [i for i, ln in enumerate(lines) if len(ln.text) <= _TITLE_LINE]
    block_ix = [k for k, text in enumerate(blocks) if len(text) <= _TITLE_BLOCK]
    probs = model.proba([lines[i].text for i in line_ix] + [blocks[k] for k in block_ix])
    out = [[-1.0, -1.0] for _ in lines]
    for i, p in zip(line_ix, probs[: len(line_ix)], strict=True):
        out[i][0] = p
    for k, p in zip(block_ix, probs[len(line_ix) :], strict=True):
        a, b = spans[k]
        for i in range(a, b + 1):
            out[i][1] = p
    return [(a, b) for a, b in out]


def _size_class(size: float) -> str:
    if size <= 0:
        return "unknown"
    return "small" if size < 0.9 else "text" if size < 1.15 else "mid" if size < 1.4 else "big"


def _block_spans(lines: list[PageLine]) -> list[tuple[int, int]]:
    """(first, last) line index of each paragraph block, in order."""
    out, start = [], 0
    for i, ln in enumerate(lines):
        if ln.blank_after or i + 1 == len(lines) or lines[i + 1].chunk != ln.chunk:
            out.append((start, i))
            start = i + 1
    return out


def line_features(
    lines: list[PageLine],
    cfg: SegmentConfig | None = None,
    titles: list[tuple[float, float]] | None = None,
) -> list[dict]:
    """CRFsuite feature dicts (name → value or weight) for each line, neighbours included;
    with ``titles`` (:func:`titleness_probs`), also how much the line and its paragraph
    block read like a headline (:mod:`nlp.segment.titleness`)."""
    cfg = cfg or SegmentConfig()
    width = column_width(lines)
    own = [_own(ln, width, cfg) for ln in lines]
    for o, (p_line, p_block) in zip(own, titles, strict=True) if titles is not None else ():
        if p_line >= 0:
            o["title_ln"] = _bucket(p_line, 0.2, 1.0)
        if p_block >= 0:
            o["title_blk"] = _bucket(p_block, 0.2, 1.0)
    for o, ln, (in_title, opens) in zip(own, lines, rules_marks(lines, cfg), strict=True):
        # the rules read text read off an image less well (headlines wrapped at their own
        # size, bylines run together): their marks there are weighed apart
        at = "@img" if ln.size > 0 else ""
        o["rules_title" + at], o["rules_start" + at] = float(in_title), float(opens)
    blocks = [span for span in _block_spans(lines) for _ in range(span[1] - span[0] + 1)]
    shift = _TopicShift(lines)
    for i, (a, b) in enumerate(blocks):
        own[i]["block_n"] = str(min(b - a + 1, 4))
        own[i]["block_pos"] = (
            "only" if a == b else "first" if i == a else "last" if i == b else "mid"
        )
        own[i]["block_head"] = float(all(own[j]["kind"] == "head" for j in range(a, b + 1)))
        own[i]["block_end_sent"] = float(ends_sentence(lines[b].text))
        nxt = b + 1 < len(lines) and lines[b + 1].chunk == lines[b].chunk
        own[i]["next_block"] = str(own[b + 1]["kind"]) if nxt else "none"
        own[i]["next_block_lead"] = float(nxt and bool(own[b + 1]["lead"]))
        own[i]["prev_block_end_sent"] = float(a == 0 or ends_sentence(lines[a - 1].text))
    named = [  # each line's features as (name, value), formatted once
        [(f"{k}={v}", 1.0) if isinstance(v, str) else (k, v) for k, v in o.items() if v]
        for o in own
    ]
    out = []
    for i, ln in enumerate(lines):
        feats: dict[str, float] = {"bias": 1.0}
        for off in (-2, -1, 0, 1, 2):
            j = i + off
            if not 0 <= j < len(lines):
                feats[f"{off}:none"] = 1.0
                continue
            for name, v in named[j]:
                feats[f"{off}:{name}"] = v
            if off and lines[j].chunk != ln.chunk:
                feats[f"{off}:other_chunk"] = 1.0
        if ln.blank_before or ln.blank_after or own[i]["kind"] != "body":
            for name, skip in (("shift", 1), ("shift_in", 0)):
                x = shift(i, skip)
                feats[f"{name}=" + ("none" if x < 0 else _bucket(x, 0.05, 0.4))] = 1.0
        pos = i / max(1, len(lines) - 1)
        feats["pos=" + ("first" if i == 0 else "last" if i == len(lines) - 1 else "mid")] = 1.0
        feats["page_pos=" + _bucket(pos, 0.25, 1.0)] = 1.0
        out.append(feats)
    return out


class LineTagger:
    """A trained CRF over :func:`line_features` (``lines.crfsuite`` in a model folder, with
    the folder's ``titleness.npz`` when it has one)."""

    FILE = "lines.crfsuite"

    def __init__(self, path: Path | str) -> None:
        import pycrfsuite

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no line tagger at {self.path}")
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))
        title_path = self.path.with_name(Titleness.FILE)
        self.titleness = Titleness.load(title_path) if title_path.is_file() else None

    def tag(self, lines: list[PageLine], cfg: SegmentConfig | None = None) -> list[str]:
        """The Viterbi tag sequence of a page's lines."""
        if not lines:
            return []
        titles = titleness_probs(lines, self.titleness) if self.titleness else None
        return list(self._tagger.tag(line_features(lines, cfg, titles)))

    def marginals_of(self, tag: str, n: int) -> list[float]:
        """The marginal probability of ``tag`` at each of the ``n`` lines of the page last
        given to :meth:`tag`."""
        return [self._tagger.marginal(tag, i) for i in range(n)]
