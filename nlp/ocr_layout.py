"""Reading order and print sizes of recognised text boxes: pure functions of box geometry.

RapidOCR (:mod:`nlp.ocr`) returns one box per text line fragment in no useful order;
:func:`reading_order` puts them back in the order a reader takes on a newspaper page with a
recursive XY-cut: a region is cut at its widest empty band, vertical (a gutter between
columns: left column first) or horizontal (the space under a headline: top first), and cut
again until no band is wide enough; inside a block, fragments on the same line are joined left
to right and lines read top to bottom. Blocks are separated by a blank line, like paragraphs
of pasted text, so the page segmenter reads OCR output the same way. :func:`page_layout`
also marks paragraph indents and measures each line's print size for the segmenter.

Example::

    >>> boxes = [TextBox(10, 100, 200, 130, "正文一行。"), TextBox(10, 0, 300, 50, "标题")]
    >>> reading_order(boxes)
    '标题\\n\\n正文一行。'
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TextBox:
    """One recognised fragment: its axis-aligned bounds and text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float = 1.0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @classmethod
    def from_quad(cls, quad: Any, text: str, score: float = 1.0) -> TextBox:
        """From RapidOCR's four corner points ``[[x, y], ...]``."""
        pts = np.asarray(quad, dtype=float).reshape(-1, 2)
        return cls(
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
            text,
            float(score),
        )


def _widest_gap(
    intervals: list[tuple[float, float]], min_gap: float, heights: list[float] | None = None
) -> tuple[float, float]:
    """Widest empty band between merged intervals that is wide enough to cut at:
    ``(width, cut position)``; (0, 0) if none.

    Without ``heights`` a band must be ``min_gap`` wide. With them (one per interval: the
    height of a box, on the vertical axis) a band must also be ``min_gap`` times the height
    of the taller of the two boxes that border it, over the median height: the leading
    between two lines of a headline set in a larger font is wider than the page's median
    gap, and is not a cut.
    """
    best = (0.0, 0.0)
    order = sorted(range(len(intervals)), key=lambda i: intervals[i])
    first = order[0]
    reach, reach_h = intervals[first][1], heights[first] if heights else 0.0
    for i in order[1:]:
        lo, hi = intervals[i]
        if lo > reach and lo - reach > best[0]:
            need = min_gap * max(1.0, reach_h, heights[i]) if heights else min_gap
            if lo - reach >= need:
                best = (lo - reach, (lo + reach) / 2)
        if hi > reach:
            reach, reach_h = hi, heights[i] if heights else 0.0
    return best


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _join_fragments(left: str, right: str) -> str:
    """Join two pieces of one line: nothing between Chinese, a space between Latin words."""
    if left and right and _latin(left[-1]) and _latin(right[0]):
        return f"{left} {right}"
    return left + right


def _lines(boxes: list[TextBox]) -> list[str]:
    """Group the fragments of one block into lines (vertical overlap), top to bottom."""
    return [_line_text(line) for line in _line_boxes(boxes)]


def _line_boxes(boxes: list[TextBox]) -> list[list[TextBox]]:
    """The fragments of one block grouped into lines, top to bottom, each left to right."""
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        last = lines[-1] if lines else None
        if last is not None:
            ref = last[0]
            overlap = min(ref.y1, box.y1) - max(ref.y0, box.y0)
            if overlap > 0.5 * min(ref.height, box.height):
                last.append(box)
                continue
        lines.append([box])
    lines = [sorted(line, key=lambda b: b.x0) for line in lines]
    return [line for line in lines if _line_text(line)]


def _line_text(line: list[TextBox]) -> str:
    """The text of one line's fragments (left to right, as :func:`_line_boxes` orders them)."""
    text = ""
    for box in line:
        text = _join_fragments(text, box.text.strip())
    return text


def _units(text: str) -> float:
    """Printed width of ``text`` in ems: a Han character or Chinese punctuation mark is one,
    a Latin letter, digit or ASCII mark half of one."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text if not ch.isspace())


PITCH_MIN_UNITS = 3.0  # fewer ems than this and a line's size is read from its height


def _pitch(line: list[TextBox]) -> float | None:
    """Character pitch of a line (box width per em), None for a line too short to tell."""
    units = sum(_units(b.text) for b in line)
    if units < PITCH_MIN_UNITS:
        return None
    return sum(b.x1 - b.x0 for b in line) / units


# A gutter is cut before a band across the region unless the band is this much wider: the
# space under a headline in one column can line up with the empty foot of a short column
# beside it, and a band through both would read the two columns' lower parts before the rest.
GUTTER_PREFERENCE = 1.5


def _xy_cut(boxes: list[TextBox], min_gap: float, median_h: float) -> list[list[TextBox]]:
    """Recursive XY-cut into blocks in reading order: a vertical band (gutter) must be
    ``min_gap`` wide, a horizontal one as wide against the taller line beside it."""
    if len(boxes) <= 1:
        return [boxes] if boxes else []
    x_gap, x_cut = _widest_gap([(b.x0, b.x1) for b in boxes], min_gap)
    y_gap, y_cut = _widest_gap(
        [(b.y0, b.y1) for b in boxes], min_gap, [b.height / median_h for b in boxes]
    )
    if max(x_gap, y_gap) <= 0:
        return [boxes]
    if x_gap * GUTTER_PREFERENCE >= y_gap:  # a gutter: columns, left first
        first = [b for b in boxes if (b.x0 + b.x1) / 2 < x_cut]
        second = [b for b in boxes if (b.x0 + b.x1) / 2 >= x_cut]
    else:  # a band across the region: top first
        first = [b for b in boxes if b.cy < y_cut]
        second = [b for b in boxes if b.cy >= y_cut]
    if not first or not second:
        return [boxes]
    return _xy_cut(first, min_gap, median_h) + _xy_cut(second, min_gap, median_h)


def _blocks(boxes: list[TextBox], gap: float) -> tuple[list[list[TextBox]], float]:
    """The XY-cut blocks of the boxes with text, in reading order, and the median box height."""
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return [], 1.0
    median_h = statistics.median(b.height for b in boxes) or 1.0
    return _xy_cut(boxes, gap * median_h, median_h), median_h


def reading_order(boxes: list[TextBox], gap: float = 0.8) -> str:
    """Text of ``boxes`` in reading order: lines joined by ``\\n``, blocks by a blank line."""
    blocks, _ = _blocks(boxes, gap)
    return "\n\n".join("\n".join(_lines(block)) for block in blocks if block).strip()


@dataclass(frozen=True)
class OcrPage:
    """A page image's text in reading order and what the boxes tell of each line.

    Attributes:
        text: lines joined by ``\\n``; a blank line between blocks and before an indented
            line (a paragraph's first line), as pasted text separates paragraphs.
        line_sizes: for each non-blank line of ``text``, its print size against the body
            text (a headline is well above 1), for the page segmenter: the line's character
            pitch (box width per em) over the page's median pitch, or for a line of under
            three ems its height over the median box height.
    """

    text: str
    line_sizes: list[float]


def page_layout(boxes: list[TextBox], gap: float = 0.8, indent: float = 1.2) -> OcrPage:
    """:class:`OcrPage` of ``boxes``: XY-cut blocks, lines, paragraph indents and line sizes.

    Args:
        boxes: recognised fragments.
        gap: as in :func:`reading_order`.
        indent: a line starting this many median line heights right of its block's left edge
            opens a paragraph.
    """
    blocks, median_h = _blocks(boxes, gap)
    block_lines = [[(line, _pitch(line)) for line in _line_boxes(block)] for block in blocks]
    pitches = [p for lines in block_lines for _, p in lines if p]
    median_pitch = statistics.median(pitches) if pitches else 0.0
    parts, sizes = [], []
    for lines in block_lines:
        if not lines:
            continue
        left = min(line[0].x0 for line, _ in lines)
        chunk: list[str] = []
        for k, (line, pitch) in enumerate(lines):
            if k and line[0].x0 - left > indent * median_h:
                chunk.append("")
            chunk.append(_line_text(line))
            if pitch and median_pitch:
                sizes.append(round(pitch / median_pitch, 3))
            else:
                sizes.append(round(max(b.height for b in line) / median_h, 3))
        parts.append("\n".join(chunk))
    return OcrPage("\n\n".join(parts), sizes)
