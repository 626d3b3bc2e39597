"""Offline OCR of a photographed or scanned page, text returned in reading order.

Recognition is RapidOCR (PP-OCRv4 Chinese detection + recognition ONNX models shipped inside
the ``rapidocr-onnxruntime`` wheel; nothing is downloaded). RapidOCR returns one box per text
line fragment in no useful order; :func:`reading_order` puts them back in the order a reader
takes on a newspaper page with a recursive XY-cut: a region is cut at its widest empty band,
vertical (a gutter between columns: left column first) or horizontal (the space under a
headline: top first), and cut again until no band is wide enough; inside a block, fragments on
the same line are joined left to right and lines read top to bottom. Blocks are separated by a
blank line, like paragraphs of pasted text, so the page segmenter reads OCR output the same way.

Offline means offline: onnxruntime's built-in telemetry (1DS: lookups of
``mobile.events.data.microsoft.com`` and a persistent ``deviceid`` under
``~/.cache/Microsoft/``) is turned off by :func:`disable_telemetry`, which importing this module
calls; it only takes full effect when it runs before onnxruntime is first imported.

Example::

    from nlp.ocr import ocr_image
    text = ocr_image("page.jpg")   # also a PIL image, an RGB numpy array or bytes
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class OcrConfig:
    """Settings of :func:`ocr_image`.

    Attributes:
        min_score: fragments recognised with lower confidence are dropped.
        gap: a band must be at least ``gap`` × the median line height wide to cut there.
        max_side: longer images are scaled down to this side first (RapidOCR's own limit
            otherwise shrinks big scans until small print is unreadable).
        angle_classifier: run RapidOCR's 0/180-degree classifier on every line (only useful
            for pages photographed upside down).
        rec_batch: lines recognised per model call.
    """

    min_score: float = 0.5
    gap: float = 0.8
    max_side: int = 4000
    angle_classifier: bool = True
    rec_batch: int = 6

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {self.min_score!r}")
        if self.gap <= 0:
            raise ValueError(f"gap must be positive, got {self.gap!r}")
        if self.max_side < 64:
            raise ValueError(f"max_side must be at least 64, got {self.max_side!r}")
        if self.rec_batch < 1:
            raise ValueError(f"rec_batch must be at least 1, got {self.rec_batch!r}")


# --------------------------------------------------------------------------- reading order


def _widest_gap(intervals: list[tuple[float, float]]) -> tuple[float, float]:
    """Widest empty band between merged intervals: ``(width, cut position)``; (0, 0) if none."""
    best = (0.0, 0.0)
    intervals = sorted(intervals)
    reach = intervals[0][1]
    for lo, hi in intervals[1:]:
        if lo > reach and lo - reach > best[0]:
            best = (lo - reach, (lo + reach) / 2)
        reach = max(reach, hi)
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
    return [text for text, _, _ in _measured_lines(boxes)]


def _measured_lines(boxes: list[TextBox]) -> list[tuple[str, float, float]]:
    """Lines of one block, top to bottom, as ``(text, left edge, height)``."""
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
    out = []
    for line in lines:
        text = ""
        for box in sorted(line, key=lambda b: b.x0):
            text = _join_fragments(text, box.text.strip())
        if text:
            out.append((text, min(b.x0 for b in line), max(b.height for b in line)))
    return out


def _xy_cut(boxes: list[TextBox], min_gap: float) -> list[list[TextBox]]:
    """Recursive XY-cut into blocks in reading order."""
    if len(boxes) <= 1:
        return [boxes] if boxes else []
    x_gap, x_cut = _widest_gap([(b.x0, b.x1) for b in boxes])
    y_gap, y_cut = _widest_gap([(b.y0, b.y1) for b in boxes])
    if max(x_gap, y_gap) < min_gap:
        return [boxes]
    if x_gap >= y_gap:  # a gutter: columns, left first
        first = [b for b in boxes if (b.x0 + b.x1) / 2 < x_cut]
        second = [b for b in boxes if (b.x0 + b.x1) / 2 >= x_cut]
    else:  # a band across the region: top first
        first = [b for b in boxes if b.cy < y_cut]
        second = [b for b in boxes if b.cy >= y_cut]
    if not first or not second:
        return [boxes]
    return _xy_cut(first, min_gap) + _xy_cut(second, min_gap)


def _blocks(boxes: list[TextBox], gap: float) -> tuple[list[list[TextBox]], float]:
    """The XY-cut blocks of the boxes with text, in reading order, and the median box height."""
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return [], 1.0
    median_h = statistics.median(b.height for b in boxes) or 1.0
    return _xy_cut(boxes, gap * median_h), median_h


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
        line_sizes: for each non-blank line of ``text``, its height against the page's
            median line height (a headline is well above 1), for the page segmenter.
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
    parts, sizes = [], []
    for block in blocks:
        lines = _measured_lines(block)
        if not lines:
            continue
        left = min(x for _, x, _ in lines)
        chunk: list[str] = []
        for k, (text, x0, height) in enumerate(lines):
            if k and x0 - left > indent * median_h:
                chunk.append("")
            chunk.append(text)
            sizes.append(round(height / median_h, 3))
        parts.append("\n".join(chunk))
    return OcrPage("\n\n".join(parts), sizes)


# --------------------------------------------------------------------------- recognition

ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"  # read by onnxruntime when it initialises


def disable_telemetry() -> None:
    """Turn onnxruntime's telemetry off for this process (and its children).

    Sets ``ORT_DISABLE_TELEMETRY=1``, which onnxruntime reads when it loads: no uploader, no
    events, no device id. If onnxruntime is already loaded, its non-essential events are
    switched off too (``onnxruntime.disable_telemetry_events()``).
    """
    os.environ[ORT_TELEMETRY_ENV] = "1"
    ort = sys.modules.get("onnxruntime")
    if ort is not None and hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()


disable_telemetry()

_engines: dict[tuple, Any] = {}
_engine_lock = threading.Lock()


def _get_engine(config: OcrConfig):
    """The RapidOCR engine for ``config``, created once (loading its models takes a second)."""
    key = (config.max_side, config.angle_classifier, config.rec_batch)
    engine = _engines.get(key)
    if engine is None:
        with _engine_lock:
            engine = _engines.get(key)
            if engine is None:
                disable_telemetry()
                from rapidocr_onnxruntime import RapidOCR

                engine = _engines[key] = RapidOCR(
                    max_side_len=config.max_side,
                    use_cls=config.angle_classifier,
                    rec_batch_num=config.rec_batch,
                )
    return engine


def load_image(image: Any):
    """A PIL RGB image from a path, bytes, a PIL image or an RGB/grey numpy array.

    Raises:
        ValueError: the input is not an image that PIL can read.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        if isinstance(image, Image.Image):
            img = image
        elif isinstance(image, np.ndarray):
            img = Image.fromarray(image.astype(np.uint8) if image.dtype != np.uint8 else image)
        elif isinstance(image, bytes | bytearray):
            img = Image.open(io.BytesIO(image))
        elif isinstance(image, str | Path):
            img = Image.open(image)
        else:
            raise ValueError(f"not an image: {type(image).__name__}")
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot read the image: {exc}") from exc
    return img.convert("RGB")


def recognise(image: Any, config: OcrConfig | None = None) -> list[TextBox]:
    """Recognised fragments of an image (any input :func:`load_image` takes)."""
    config = config or OcrConfig()
    img = load_image(image)
    result, _ = _get_engine(config)(img)
    boxes = []
    for quad, text, score in result or []:
        if float(score) >= config.min_score and str(text).strip():
            boxes.append(TextBox.from_quad(quad, str(text), float(score)))
    return boxes


def ocr_page(image: Any, config: OcrConfig | None = None) -> OcrPage:
    """Text and line sizes of a page image (:func:`page_layout` of :func:`recognise`).

    Raises:
        ValueError: the input cannot be read as an image.
    """
    config = config or OcrConfig()
    return page_layout(recognise(image, config), gap=config.gap)


def ocr_image(image: Any, config: OcrConfig | None = None) -> str:
    """Text of a page image in reading order; ``""`` when no text is found.

    Args:
        image: a path, bytes, a PIL image or an RGB numpy array (what ``gr.Image`` gives).
        config: thresholds, see :class:`OcrConfig`.

    Raises:
        ValueError: the input cannot be read as an image.
    """
    config = config or OcrConfig()
    return reading_order(recognise(image, config), gap=config.gap)
