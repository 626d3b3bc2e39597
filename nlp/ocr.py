"""Offline OCR of a photographed or scanned page, text returned in reading order.

Recognition is RapidOCR (PP-OCRv4 Chinese detection + recognition ONNX models shipped inside
the ``rapidocr-onnxruntime`` wheel; nothing is downloaded). Lines are found on the page scaled
down and read from it at a larger size (:class:`OcrConfig`); the boxes are put in reading order
and measured by :mod:`nlp.ocr_layout` (re-exported here: :class:`TextBox`,
:func:`reading_order`, :class:`OcrPage`, :func:`page_layout`).

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
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.ocr_layout import OcrPage, TextBox, page_layout, reading_order

__all__ = [
    "OcrConfig",
    "OcrPage",
    "TextBox",
    "load_image",
    "ocr_image",
    "ocr_page",
    "page_layout",
    "reading_order",
    "recognise",
]


@dataclass(frozen=True)
class OcrConfig:
    """Settings of :func:`ocr_image`.

    Attributes:
        min_score: fragments recognised with lower confidence are dropped.
        gap: a band must be at least ``gap`` × the median line height wide to cut there.
        max_side: longer images are scaled down to this side first; lines are cut out of
            the image at this size for recognition (RapidOCR's own limit otherwise shrinks
            big scans until small print is unreadable).
        det_side: text detection runs on the image scaled down to this side (at most
            ``max_side``) and its boxes are scaled back up: finding lines needs less detail
            than reading them, and detection time grows with the area.
        rec_height: the height a line is scaled to for recognition (RapidOCR: 48); 32 reads
            print as well at two thirds of the cost (chosen on a page of CCTV training
            stories printed by :mod:`training.page_image`, see ``benchmarks/bench_ocr.py``).
        angle_classifier: run RapidOCR's 0/180-degree classifier on every line (only useful
            for pages photographed upside down).
        rec_batch: lines recognised per model call (on 2 cores, 2 is faster than 6).
        spin: let onnxruntime's worker threads busy-wait for work between operators (its
            default). Off, a CPU-bound neighbour process costs far less (the recogniser ran
            40 ms a line instead of 64 with one busy core, the same on an idle machine).
    """

    min_score: float = 0.5
    gap: float = 0.8
    max_side: int = 2800
    det_side: int = 1800
    rec_height: int = 32
    angle_classifier: bool = False
    rec_batch: int = 2
    spin: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {self.min_score!r}")
        if self.gap <= 0:
            raise ValueError(f"gap must be positive, got {self.gap!r}")
        if self.max_side < 64 or self.det_side < 64:
            raise ValueError(
                f"max_side and det_side must be at least 64, got {self.max_side!r},"
                f" {self.det_side!r}"
            )
        if self.rec_batch < 1:
            raise ValueError(f"rec_batch must be at least 1, got {self.rec_batch!r}")
        if not 16 <= self.rec_height <= 96:
            raise ValueError(f"rec_height must be in [16, 96], got {self.rec_height!r}")


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
    key = (config.angle_classifier, config.rec_batch, config.rec_height, config.spin)
    engine = _engines.get(key)
    if engine is None:
        with _engine_lock:
            engine = _engines.get(key)
            if engine is None:
                disable_telemetry()
                from rapidocr_onnxruntime import RapidOCR
                from rapidocr_onnxruntime.utils import OrtInferSession

                make_opts = OrtInferSession._init_sess_opts

                def session_options(cfg):  # RapidOCR's options, spinning as configured
                    opts = make_opts(cfg)
                    spin = "1" if config.spin else "0"
                    opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
                    return opts

                OrtInferSession._init_sess_opts = staticmethod(session_options)
                try:
                    engine = RapidOCR(
                        max_side_len=10**6,  # images come scaled by recognise()
                        use_cls=config.angle_classifier,
                        rec_batch_num=config.rec_batch,
                    )
                finally:
                    OrtInferSession._init_sess_opts = staticmethod(make_opts)
                engine.text_rec.rec_image_shape = [3, config.rec_height, 320]
                _engines[key] = engine
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


def _scaled(img, side: int):
    """``img`` (PIL) scaled down so that its longer side is at most ``side``, and the scale."""
    from PIL import Image

    scale = min(1.0, side / max(img.size))
    if scale == 1.0:
        return img, 1.0
    size = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
    return img.resize(size, Image.Resampling.LANCZOS), scale


def recognise(image: Any, config: OcrConfig | None = None) -> list[TextBox]:
    """Recognised fragments of an image (any input :func:`load_image` takes), in the image's
    own coordinates.

    Lines are found on the image scaled to ``det_side`` and read from it scaled to
    ``max_side`` (see :class:`OcrConfig`)."""
    config = config or OcrConfig()
    engine = _get_engine(config)
    work, scale = _scaled(load_image(image), config.max_side)
    det, det_scale = _scaled(work, min(config.det_side, config.max_side))
    found, _ = engine(np.asarray(det)[:, :, ::-1].copy(), use_cls=False, use_rec=False)
    if not found:
        return []
    quads = [np.asarray(q, dtype=np.float32) / det_scale for q in found]
    crops = engine.get_crop_img_list(np.asarray(work)[:, :, ::-1].copy(), quads)
    if config.angle_classifier:
        crops, _, _ = engine.text_cls(crops)
    texts, _ = engine.text_rec(crops)
    boxes = []
    for quad, (text, score, *_) in zip(quads, texts, strict=True):
        if float(score) >= config.min_score and str(text).strip():
            boxes.append(TextBox.from_quad(quad / scale, str(text), float(score)))
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
