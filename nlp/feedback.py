"""Users' label corrections ("标注有误"): an append-only record, the best training data we get.

The app shows each article's label; a user who disagrees picks the right label (and may add
a note). :func:`record_correction` appends one JSON line to ``corrections.jsonl`` in the
feedback folder (:func:`nlp.paths.feedback_dir`, ``$NEWSDESK_FEEDBACK``), with the article's
text hash, the model version and its prediction, and the time. Lines are written whole, with
one ``write`` on an append-only descriptor under an exclusive lock, so concurrent users and a
crash can never tear or interleave them; nothing is ever rewritten.

The article's headline and body are kept with the record while the app still holds them
(:class:`RecentArticles`, the articles it showed lately, by hash), so the correction can be
trained on; :mod:`training.feedback` reviews the records into ``data/labels/feedback.jsonl``.

Example::

    recent = RecentArticles()
    key = recent.add(title, body, classification)        # when the card is shown
    record_correction(key, "water_management", note="讲的是防汛", recent=recent)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nlp import paths
from nlp.labels import LABELS

FILE_NAME = "corrections.jsonl"
MAX_NOTE = 500


def text_hash(title: str, body: str) -> str:
    """SHA-256 of an article as the classifier reads it (headline, newline, body)."""
    text = f"{title}\n{body}" if title else body
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class RecentArticles:
    """The articles the app showed lately, by text hash (bounded; the oldest go first)."""

    capacity: int = 5000
    _items: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, title: str, body: str, prediction: dict, model_version: str = "") -> str:
        """Remember an article and the model's prediction for it; return its hash."""
        key = text_hash(title, body)
        with self._lock:
            self._items[key] = {
                "title": title,
                "body": body,
                "predicted": prediction.get("label"),
                "confidence": prediction.get("confidence"),
                "scores": prediction.get("scores"),
                "model_version": model_version,
            }
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> dict | None:
        with self._lock:
            item = self._items.get(key)
            return dict(item) if item is not None else None


def record_correction(
    key: str,
    label: str,
    note: str = "",
    *,
    recent: RecentArticles | None = None,
    folder: str | Path | None = None,
    model_version: str = "",
    source: str = "app",
) -> dict:
    """Append one correction and return the record written.

    Args:
        key: the article's :func:`text_hash` (what the card carries).
        label: the label the user says is right (one of :data:`~nlp.labels.LABELS`).
        note: the user's optional note (cut to 500 characters).
        recent: where the app keeps the articles it showed; with it, the record holds the
            article's headline, body and the model's prediction.
        folder: the feedback folder (default :func:`nlp.paths.feedback_dir`).
        model_version: the classifier's version when ``recent`` does not know it.

    Raises:
        ValueError: an unknown label or a key that is not a SHA-256 hex digest.
        OSError: the folder cannot be written (the caller tells the user).
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; one of {', '.join(LABELS)}")
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("the article key must be its SHA-256 text hash")
    known = recent.get(key) if recent is not None else None
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "text_sha256": key,
        "label": label,
        "note": str(note or "").strip()[:MAX_NOTE],
        "predicted": known["predicted"] if known else None,
        "confidence": known["confidence"] if known else None,
        "model_version": (known or {}).get("model_version") or model_version,
        "source": source,
        "title": known["title"] if known else None,
        "body": known["body"] if known else None,
    }
    append_line(Path(folder) if folder else paths.feedback_dir(), record)
    return record


def append_line(folder: Path, record: dict) -> Path:
    """Append ``record`` as one JSON line to ``folder/corrections.jsonl`` (locked, one write)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return path


def read_corrections(folder: str | Path | None = None) -> list[dict]:
    """Every correction recorded, oldest first (a line that does not parse is skipped)."""
    path = Path(folder or paths.feedback_dir()) / FILE_NAME
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and row.get("label") in LABELS and row.get("text_sha256"):
            rows.append(row)
    return rows
