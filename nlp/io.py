"""Reading inputs for every command (and the app's uploads): files, folders, ZIPs -> records.

Inputs: TXT files (one record per file), JSONL and CSV (one record per row: ``id`` optional,
``text`` or ``title`` + ``body``), page images (PNG, JPEG, WebP, BMP, TIFF: one record each,
whose text the runner reads by OCR), folders (recursively: all of these and .zip) and ZIP
archives of text files. Encodings: UTF-8 (with or without BOM), UTF-16/32 with BOM, GBK /
GB18030, and whatever charset-normalizer recognises as a fallback (:mod:`nlp.encoding`). A bad file or row does not
stop a run: it becomes a :class:`Record` with ``error`` set, which the caller reports and
skips.

Example:
    >>> from nlp.io import iter_records
    >>> for rec in iter_records(["pages/"]):  # doctest: +SKIP
    ...     if rec.error:
    ...         print(f"{rec.source}: {rec.error}")
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.encoding import (  # noqa: F401 - re-exported: the readers' public surface
    _SNIFF_BYTES,
    MAX_TEXT_BYTES,
    _mb,
    decode_bytes,
    detect_encoding,
    read_text_file,
)
from nlp.text import has_chinese
from nlp.types import InputError

RECORD_SUFFIXES = (".txt", ".jsonl", ".ndjson", ".csv", ".zip")
"""Text files picked up when a folder is given."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
"""Page images (one record each, read by OCR in the runner), also picked up in folders."""
MAX_IMAGE_BYTES = 50 * 1024 * 1024


@dataclass
class Record:
    """One text to process.

    Attributes:
        id: the row's ``id``, else ``<file stem>`` or ``<file stem>:<line>``.
        source: where it came from (``pages/a.txt``, ``batch.jsonl:12``, ``x.zip!a.txt``).
        title: headline, if the input had one.
        body: the text (without the title).
        error: why this record cannot be processed (empty for a good record).
        warning: something odd but processable (e.g. no Chinese characters).
        extra: the row's other fields (JSONL/CSV), e.g. ``{"label": "other"}``.
        image: the path of a page image whose text OCR will give (``body`` is empty until
            :func:`nlp.stages.read_image` fills it, with ``line_sizes``).
        line_sizes: print size of each non-blank line of an OCR'd page (for the segmenter).
    """

    id: str
    source: str
    title: str = ""
    body: str = ""
    error: str = ""
    warning: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    image: str = ""
    line_sizes: list[float] | None = None

    @property
    def text(self) -> str:
        """Title and body as one text (title on the first line)."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    @property
    def ok(self) -> bool:
        return not self.error


# ---------------------------------------------------------------------------- records


def check_record(rec: Record, max_chars: int = MAX_TEXT_BYTES) -> Record:
    """Set ``error`` for empty or oversized text and ``warning`` for text without Chinese."""
    if rec.error or (rec.image and not rec.body):
        return rec
    text = rec.text
    if not text.strip():
        rec.error = "empty text"
    elif len(text) > max_chars:
        rec.error = f"text too large ({len(text):,} characters; the limit is {max_chars:,})"
    elif not has_chinese(text):
        rec.warning = "no Chinese characters"
    return rec


class _BadField(ValueError):
    pass


def _str_field(row: dict, key: str) -> str:
    """A text field: a string (``None`` or missing: empty); anything else is refused, never
    printed into the text (``12345`` or ``["a", "公安"]`` is not an article)."""
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadField(f"field '{key}' must be a string, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)


def _id_field(row: dict, default_id: str) -> str:
    """The row's id: a string or an integer (``7`` → ``"7"``); anything else is refused."""
    value = row.get("id")
    if value is None or value == "":
        return default_id
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _BadField(f"field 'id' must be a string or an integer, got {_json_type(value)}")
    return str(value).strip() or default_id


def _record_from_row(row: Any, default_id: str, source: str) -> Record:
    """A record from one JSON object or CSV row (``id``, ``text`` or ``title``/``body``)."""
    if not isinstance(row, dict):
        return Record(default_id, source, error=f"row is {_json_type(row)}, not an object")
    row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    extra = {k: v for k, v in row.items() if k not in ("id", "text", "title", "body")}
    try:
        rid = default_id
        rid = _id_field(row, default_id)
        if "text" in row:
            return Record(rid, source, body=_str_field(row, "text"), extra=extra)
        if "body" in row or "title" in row:
            title, body = _str_field(row, "title").strip(), _str_field(row, "body")
            return Record(rid, source, title=title, body=body, extra=extra)
    except _BadField as err:
        return Record(rid, source, error=str(err), extra=extra)
    return Record(rid, source, error="no 'text', 'title' or 'body' field", extra=extra)


def _parse_jsonl_line(line: str, n: int, stem: str, name: str) -> Record:
    source = f"{name}:{n}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return Record(f"{stem}:{n}", source, error=f"invalid JSON ({err.msg}, column {err.colno})")
    return _record_from_row(row, f"{stem}:{n}", source)


def _iter_jsonl_lines(lines: Iterable[str], stem: str, name: str) -> Iterator[Record]:
    for n, line in enumerate(lines, 1):
        if line.strip():
            yield _parse_jsonl_line(line, n, stem, name)


def _iter_jsonl_file(path: Path, max_bytes: int) -> Iterator[Record]:
    """Stream a JSONL file line by line (a batch file may be far larger than one text)."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            enc = detect_encoding(f.read(_SNIFF_BYTES))
            if enc is None:
                yield Record(path.stem, name, error="not a text file (binary or unknown encoding)")
                return
            f.seek(0)
            reader = io.TextIOWrapper(f, encoding=enc, errors="strict", newline="")
            n = 0
            while True:
                n += 1
                try:
                    line = reader.readline(max_bytes + 1)
                    if len(line) > max_bytes:
                        while line and not line.endswith("\n"):  # skip the rest of it
                            line = reader.readline(max_bytes + 1)
                        yield Record(
                            f"{path.stem}:{n}",
                            f"{name}:{n}",
                            error=f"line longer than {_mb(max_bytes)}",
                        )
                        continue
                except UnicodeDecodeError:
                    yield Record(f"{path.stem}:{n}", f"{name}:{n}", error=f"cannot decode as {enc}")
                    return
                if not line:
                    return
                if line.strip():
                    yield _parse_jsonl_line(line, n, path.stem, name)
    except OSError as err:
        yield Record(path.stem, name, error=f"cannot read ({err.strerror or err})")


def _iter_csv_text(text: str, stem: str, name: str) -> Iterator[Record]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if not {"text", "body", "title"} & set(fields):
            yield Record(stem, name, error="CSV has no 'text', 'title' or 'body' column")
            return
        for n, row in enumerate(reader, 2):  # line 1 is the header
            overflow = row.pop(None, None)
            rec = _record_from_row(row, f"{stem}:{n}", f"{name}:{n}")
            if overflow:
                rec.warning = "row has more cells than the header"
            yield rec
    except csv.Error as err:
        yield Record(stem, name, error=f"bad CSV ({err})")


def _records_from_bytes(data: bytes, name: str, suffix: str, stem: str) -> Iterator[Record]:
    """Records of one file given as bytes (a ZIP member or a small file)."""
    try:
        text = decode_bytes(data, name)
    except InputError as err:
        yield Record(stem, name, error=str(err).removeprefix(f"{name}: "))
        return
    if suffix in (".jsonl", ".ndjson"):
        yield from _iter_jsonl_lines(text.split("\n"), stem, name)
    elif suffix == ".csv":
        yield from _iter_csv_text(text, stem, name)
    else:
        yield Record(stem, name, body=text)


def _iter_zip(path: Path, max_bytes: int) -> Iterator[Record]:
    name = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                m
                for m in zf.infolist()
                if not m.is_dir()
                and Path(m.filename).suffix.lower() in RECORD_SUFFIXES[:-1]
                and not Path(m.filename).name.startswith((".", "__MACOSX"))
                and "__MACOSX" not in m.filename
            ]
            if not members:
                yield Record(path.stem, name, error="ZIP holds no .txt, .jsonl or .csv files")
                return
            for m in sorted(members, key=lambda m: m.filename):
                member = f"{name}!{m.filename}"
                stem = Path(m.filename).stem
                if m.file_size > max_bytes:
                    yield Record(
                        stem,
                        member,
                        error=f"too large ({_mb(m.file_size)}; the limit is {_mb(max_bytes)})",
                    )
                    continue
                try:
                    data = zf.read(m)
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
                    yield Record(stem, member, error=f"cannot extract ({err})")
                    continue
                yield from _records_from_bytes(data, member, Path(m.filename).suffix.lower(), stem)
    except (zipfile.BadZipFile, OSError) as err:
        yield Record(path.stem, name, error=f"not a readable ZIP file ({err})")


def _iter_path(path: Path, max_bytes: int) -> Iterator[Record]:
    name = str(path)
    if not path.exists():
        yield Record(path.stem or name, name, error="no such file")
        return
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in RECORD_SUFFIXES + IMAGE_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            yield Record(
                path.name, name, error="folder holds no .txt, .jsonl, .csv, .zip or image files"
            )
        for p in files:
            yield from _iter_path(p, max_bytes)
        return
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _iter_jsonl_file(path, max_bytes)
    elif suffix == ".zip":
        yield from _iter_zip(path, max_bytes)
    elif suffix in IMAGE_SUFFIXES:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            limit = _mb(MAX_IMAGE_BYTES)
            yield Record(
                path.stem, name, error=f"image too large ({_mb(size)}; the limit is {limit})"
            )
        else:
            yield Record(path.stem, name, image=str(path))
    else:
        try:
            text = read_text_file(path, max_bytes)
        except InputError as err:
            yield Record(path.stem, name, error=str(err).removeprefix(f"{name}: "))
            return
        if suffix == ".csv":
            yield from _iter_csv_text(text, path.stem, name)
        else:
            yield Record(path.stem, name, body=text)


def iter_records(
    paths: Iterable[str | Path],
    max_bytes: int = MAX_TEXT_BYTES,
    extra_fields: Iterable[str] | None = None,
) -> Iterator[Record]:
    """Every record of the given files and folders, in order; bad ones carry ``error``.

    Args:
        paths: TXT, JSONL, CSV or ZIP files and folders (searched recursively).
        max_bytes: the largest text accepted (a TXT file, a ZIP member, one JSONL line).
        extra_fields: row fields to keep in ``Record.extra`` (lower-case names); None keeps
            every field other than id/text/title/body.

    Yields:
        :class:`Record` objects, checked by :func:`check_record` (empty text is an error,
        text without Chinese a warning).
    """
    keep = None if extra_fields is None else {f.lower() for f in extra_fields}
    for p in paths:
        for rec in _iter_path(Path(p), max_bytes):
            if keep is not None:
                rec.extra = {k: v for k, v in rec.extra.items() if k in keep}
            yield check_record(rec, max_bytes)


# ---------------------------------------------------------------------------- plain JSONL


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """The objects of a JSONL file of ours or of the corpora (``.jsonl`` or ``.jsonl.gz``),
    streamed, blank lines skipped. Raises ``ValueError`` naming the line for a line that is
    not a JSON object."""
    import gzip

    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: invalid JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{n}: not a JSON object")
            yield row


def read_jsonl(path: str | Path) -> list[dict]:
    """All objects of a JSONL file (:func:`iter_jsonl`) as a list."""
    return list(iter_jsonl(path))


def write_jsonl(rows: Iterable[Any], path: str | Path) -> int:
    """Write dicts (or objects with ``to_dict()``) as JSONL through a temporary file renamed
    into place (a reader never sees half a file); returns the number of rows written."""
    from nlp.output import replace_file

    lines = [json.dumps(r.to_dict() if hasattr(r, "to_dict") else r, ensure_ascii=False) + "\n"
             for r in rows]  # fmt: skip
    replace_file(path, "".join(lines).encode("utf-8"))
    return len(lines)
