"""Reading inputs and writing outputs for every CLI (and the app's uploads).

Inputs: TXT files (one record per file), JSONL and CSV (one record per row: ``id`` optional,
``text`` or ``title`` + ``body``), folders (recursively: .txt, .jsonl, .csv, .zip) and ZIP
archives of such files. Encodings: UTF-8 (with or without BOM), UTF-16/32 with BOM, GBK /
GB18030, and whatever charset-normalizer recognises as a fallback. A bad file or row does not
stop a run: it becomes a :class:`Record` with ``error`` set, which the caller reports and
skips.

Example:
    >>> from nlp.io import iter_records
    >>> for rec in iter_records(["pages/"]):  # doctest: +SKIP
    ...     if rec.error:
    ...         print(f"{rec.source}: {rec.error}")
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from nlp.text import has_chinese
from nlp.types import InputError

MAX_TEXT_BYTES = 20 * 1024 * 1024
"""Largest text (one TXT file, one row's text) accepted; bigger inputs get a clear error."""

RECORD_SUFFIXES = (".txt", ".jsonl", ".ndjson", ".csv", ".zip")
"""Files picked up when a folder is given."""

_SNIFF_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


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
    """

    id: str
    source: str
    title: str = ""
    body: str = ""
    error: str = ""
    warning: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Title and body as one text (title on the first line)."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "body": self.body,
            "error": self.error,
            "warning": self.warning,
        }


# ---------------------------------------------------------------------------- decoding


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _looks_binary(text: str) -> bool:
    """Too many control characters (other than newlines/tabs/form feeds) for a text file."""
    if not text:
        return False
    sample = text[:_SNIFF_BYTES]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t\f") or c == "\x7f")
    return bad > max(2, len(sample) // 200)


def _looks_like_gb_text(text: str) -> bool:
    """GB18030 decodes almost anything; accept it only if the result is mostly common
    characters (CJK unified ideographs, ASCII, CJK and full-width punctuation)."""
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return True
    common = sum(
        1
        for c in sample
        if c.isascii()
        or "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
        or "\u2010" <= c <= "\u2027"
    )
    return common / len(sample) >= 0.95 and not _looks_binary(sample)


def detect_encoding(data: bytes) -> str | None:
    """Encoding of ``data`` (a whole file or its first bytes), or None if it is not text.

    Order: BOM, UTF-8, GB18030 (if the result looks like Chinese text), UTF-16 without BOM
    (if NUL bytes sit at every other position), then charset-normalizer.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        # a sample cut inside a multi-byte character is still UTF-8
        if err.start >= len(data) - 3 and err.reason == "unexpected end of data":
            return "utf-8"
    if b"\x00" in data:
        for enc, offset in (("utf-16-le", 1), ("utf-16-be", 0)):
            if data[offset::2].count(0) > len(data) // 4:
                try:
                    text = data[: len(data) // 2 * 2].decode(enc)
                except UnicodeDecodeError:
                    continue
                if not _looks_binary(text):
                    return enc
        return None
    try:
        if _looks_like_gb_text(data.decode("gb18030")):
            return "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SNIFF_BYTES]).best()
    if best is None:
        return None
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if _looks_binary(text) else best.encoding


def decode_bytes(data: bytes, name: str = "<bytes>") -> str:
    """Decode a whole file's bytes to text (newlines normalised), or raise :class:`InputError`."""
    enc = detect_encoding(data)
    if enc is None:
        raise InputError(f"{name}: not a text file (binary or unknown encoding)")
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: cannot decode as {enc} at byte {err.start}") from None
    if _looks_binary(text):
        raise InputError(f"{name}: not a text file (control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_file(path: str | Path, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read a text file whatever its encoding.

    Raises:
        InputError: missing, a folder, larger than ``max_bytes``, binary or undecodable; the
            message is one line naming the file and the problem.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{p}: too large ({_mb(size)}; the limit is {_mb(max_bytes)})")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror or err})") from None
    return decode_bytes(data, str(p))


# ---------------------------------------------------------------------------- records


def check_record(rec: Record, max_chars: int = MAX_TEXT_BYTES) -> Record:
    """Set ``error`` for empty or oversized text and ``warning`` for text without Chinese."""
    if rec.error:
        return rec
    text = rec.text
    if not text.strip():
        rec.error = "empty text"
    elif len(text) > max_chars:
        rec.error = f"text too large ({len(text):,} characters; the limit is {max_chars:,})"
    elif not has_chinese(text):
        rec.warning = "no Chinese characters"
    return rec


def _str_field(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _record_from_row(row: Any, default_id: str, source: str) -> Record:
    """A record from one JSON object or CSV row (``id``, ``text`` or ``title``/``body``)."""
    if not isinstance(row, dict):
        return Record(default_id, source, error=f"row is a {type(row).__name__}, not an object")
    row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    rid = _str_field(row, "id").strip() or default_id
    extra = {k: v for k, v in row.items() if k not in ("id", "text", "title", "body")}
    if "text" in row:
        return Record(rid, source, body=_str_field(row, "text"), extra=extra)
    if "body" in row or "title" in row:
        title, body = _str_field(row, "title").strip(), _str_field(row, "body")
        return Record(rid, source, title=title, body=body, extra=extra)
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
            and p.suffix.lower() in RECORD_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            yield Record(path.name, name, error="folder holds no .txt, .jsonl, .csv or .zip files")
        for p in files:
            yield from _iter_path(p, max_bytes)
        return
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _iter_jsonl_file(path, max_bytes)
    elif suffix == ".zip":
        yield from _iter_zip(path, max_bytes)
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


# ---------------------------------------------------------------------------- writing


def _as_dict(obj: Any) -> dict:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"cannot write a {type(obj).__name__} as a JSON object")


class JsonlWriter:
    """Write one JSON object per line, flushed after each line so a killed batch run leaves
    a valid file that a rerun can resume from (see :func:`read_done_ids`).

    ``path`` ``None`` or ``"-"`` writes to stdout.

    Example:
        >>> with JsonlWriter("out.jsonl") as w:  # doctest: +SKIP
        ...     w.write({"id": "a", "label": "other"})
    """

    def __init__(self, path: str | Path | None = None, append: bool = False) -> None:
        self.path = None if path in (None, "-") else Path(path)
        if self.path is None:
            self._f: IO[str] = sys.stdout
        else:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "a" if append else "w", encoding="utf-8", newline="\n")
        self.count = 0

    def write(self, obj: Any) -> None:
        self._f.write(json.dumps(_as_dict(obj), ensure_ascii=False) + "\n")
        self._f.flush()
        self.count += 1

    def close(self) -> None:
        if self.path is not None and not self._f.closed:
            self._f.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_jsonl(records: Iterable[Any], path: str | Path | None, append: bool = False) -> int:
    """Write dicts (or objects with ``to_dict()``) as JSONL; returns the number written."""
    with JsonlWriter(path, append=append) as w:
        for rec in records:
            w.write(rec)
        return w.count


def read_done_ids(path: str | Path, key: str = "id") -> set[str]:
    """Ids already present in an output JSONL file (to resume an interrupted run).

    A last line cut off by a crash is ignored.
    """
    p = Path(path)
    done: set[str] = set()
    if not p.exists():
        return done
    with open(p, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and key in row:
                done.add(str(row[key]))
    return done


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


class CsvWriter:
    """Write rows as CSV (UTF-8 with BOM so spreadsheet programs show Chinese correctly).

    Lists and dicts are written as JSON in their cell. Columns are ``fieldnames`` or the
    keys of the first row; each row is flushed.
    """

    def __init__(self, path: str | Path | None, fieldnames: list[str] | None = None) -> None:
        self.path = None if path in (None, "-") else Path(path)
        if self.path is None:
            self._f: IO[str] = sys.stdout
        else:
            self._f = open(self.path, "w", encoding="utf-8-sig", newline="")
        self.fieldnames = fieldnames
        self._writer: csv.DictWriter | None = None
        self.count = 0

    def write(self, obj: Any) -> None:
        row = _as_dict(obj)
        if self._writer is None:
            self.fieldnames = self.fieldnames or list(row)
            self._writer = csv.DictWriter(
                self._f, fieldnames=self.fieldnames, extrasaction="ignore"
            )
            self._writer.writeheader()
        self._writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        self._f.flush()
        self.count += 1

    def close(self) -> None:
        if self.path is not None and not self._f.closed:
            self._f.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_csv(
    rows: Iterable[Any], path: str | Path | None, fieldnames: list[str] | None = None
) -> int:
    """Write dicts (or objects with ``to_dict()``) as CSV; returns the number written."""
    with CsvWriter(path, fieldnames) as w:
        for row in rows:
            w.write(row)
        return w.count
