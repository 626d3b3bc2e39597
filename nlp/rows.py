"""Output rows as bytes and back: JSONL, CSV (one ``score_<label>`` column per label, lists
as JSON in their cell, a BOM for Excel) and Excel ``.xlsx`` (the CSV's columns, written whole
at the end of a run: see :class:`nlp.output.OutputFile`), read back robustly for resume.

Example:
    >>> rows = [{"record_id": "a", "id": "a#0", "n_articles": 1, "label": "other"}]
    >>> parse_csv(encode_rows(rows, "csv", ["record_id", "id", "n_articles", "label"], True))
    [{'record_id': 'a', 'id': 'a#0', 'n_articles': '1', 'label': 'other'}]
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from nlp.labels import LABELS

FORMATS = ("jsonl", "csv", "xlsx")
SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
XLSX_CELL_LIMIT = 32_767  # Excel's most characters in one cell
XLSX_CUT_NOTE = "…［超出 Excel 单元格上限，已截断，完整内容见 JSONL］"
# The first three columns of every task's rows, in this order (resume relies on them).
KEY_FIELDS = ("record_id", "id", "n_articles")


def format_for(path: str | Path | None, fmt: str | None = None) -> str:
    """``fmt`` if given, else ``csv`` / ``xlsx`` for such a name and ``jsonl`` otherwise."""
    if fmt is None:
        suffix = Path(path).suffix.lower() if path not in (None, "-") else ""
        fmt = SUFFIX_FORMATS.get(suffix, "jsonl")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    return fmt


def csv_columns(fields: Sequence[str]) -> list[str]:
    """CSV columns of a task's fields: ``scores`` becomes one ``score_<label>`` per label."""
    cols: list[str] = []
    for name in fields:
        cols.extend(f"score_{lb}" for lb in LABELS) if name == "scores" else cols.append(name)
    return cols


def to_csv_row(row: dict, columns: Sequence[str]) -> dict:
    """Flatten a row for CSV: lists and dicts as JSON, scores as ``score_<label>`` cells."""
    out = {}
    for name in columns:
        if name.startswith("score_") and "scores" in row:
            value = (row.get("scores") or {}).get(name[len("score_") :])
        else:
            value = row.get(name)
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        out[name] = "" if value is None else value
    return out


def encode_rows(
    rows: Sequence[dict], fmt: str, fields: Sequence[str], header: bool = False
) -> bytes:
    """Rows as the bytes appended to an output file (CSV: with the header if ``header``)."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    columns = csv_columns(fields)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if header:
        buf.write("\ufeff")  # a BOM, so that Excel reads the file as UTF-8
        writer.writeheader()
    for r in rows:
        writer.writerow(to_csv_row(r, columns))
    return buf.getvalue().encode("utf-8")


def encode_xlsx(rows: Sequence[dict], fields: Sequence[str], sheet: str = "分析结果") -> bytes:
    """Rows as an Excel workbook: the CSV's columns, numbers as numbers, a frozen bold header
    with filters. A cell over Excel's limit is cut (with a note saying so); characters
    Excel cannot hold (control characters) are dropped."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = csv_columns(fields)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for value in to_csv_row(row, columns).values():
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if len(value) > XLSX_CELL_LIMIT:
                    value = value[: XLSX_CELL_LIMIT - len(XLSX_CUT_NOTE)] + XLSX_CUT_NOTE
            values.append(value)
        ws.append(values)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    widths = {"title": 36, "summary": 40, "body": 60, "keywords": 24, "label_name": 10}
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 14)
        if name in ("title", "summary", "body"):
            for cell in ws[get_column_letter(i)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading back


def parse_jsonl(data: bytes) -> list[dict]:
    """The rows of JSONL bytes; a line that does not parse (a torn write) is left out."""
    rows = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


# A row of our CSV starts a line with its three quoted key cells: "rid","rid#k","n", (or "rid","rid","n",)
_ROW_START = re.compile(r'^"((?:[^"\n]|"")*)","\1(?:#\d+)?","\d+",', re.MULTILINE)


def parse_csv(data: bytes) -> list[dict]:
    """The rows of one of our CSV outputs (cells as strings), header first.

    Each row is parsed on its own, from one row start (its three key cells) to the next, so a
    corrupt or torn row loses only itself, never the rows after it.
    """
    text = data.decode("utf-8-sig", errors="replace")
    head_end = text.find("\n")
    if head_end < 0:
        return []
    header = next(csv.reader([text[:head_end]]))
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    starts = [m.start() for m in _ROW_START.finditer(text, head_end + 1)]
    rows = []
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        chunk = text[a:b]
        if not chunk.endswith("\n"):
            continue  # the last write was cut short
        try:
            cells = list(csv.reader(io.StringIO(chunk, newline=""), strict=True))
        except csv.Error:
            continue
        if len(cells) == 1 and len(cells[0]) == len(header):
            rows.append(dict(zip(header, cells[0], strict=True)))
    return rows


def parse_xlsx(data: bytes) -> list[dict]:
    """The rows of one of our ``.xlsx`` outputs (empty cells as ``""``); ``[]`` if it is not
    a workbook."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return []
    rows_iter = wb.active.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if not header:
        return []
    return [
        {h: "" if v is None else v for h, v in zip(header, values, strict=False)}
        for values in rows_iter
        if any(v is not None for v in values)
    ]


def parse_rows(data: bytes, fmt: str) -> list[dict]:
    """The rows of output bytes in ``fmt``."""
    return {"csv": parse_csv, "xlsx": parse_xlsx}.get(fmt, parse_jsonl)(data)


def read_output(path: str | Path, fmt: str | None = None) -> list[dict]:
    """Rows of an output file (CSV cells come back as strings); ``[]`` if it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    return parse_rows(path.read_bytes(), format_for(path, fmt))


def complete_rows(rows: Iterable[dict]) -> tuple[list[dict], set[str]]:
    """Rows of the records that are complete (all ``n_articles`` rows present), and their ids.

    A repeated article id is kept once.
    """
    seen: set[str] = set()
    by_record: dict[str, list[dict]] = {}
    for row in rows:
        rid, aid = row.get("record_id"), row.get("id")
        if not rid or not aid or aid in seen:
            continue
        try:
            int(row.get("n_articles"))
        except (TypeError, ValueError):
            continue
        seen.add(aid)
        by_record.setdefault(str(rid), []).append(row)
    kept: list[dict] = []
    done: set[str] = set()
    for rid, group in by_record.items():
        if len(group) == max(1, int(group[0]["n_articles"])):
            kept.extend(group)
            done.add(rid)
    return kept, done


def label_counts(rows: Iterable[dict]) -> dict[str, int]:
    """Articles per label, in :data:`~nlp.labels.LABELS` order (error rows left out)."""
    counts = Counter(r.get("label") for r in rows if not r.get("error") and r.get("label"))
    return {label: counts.get(label, 0) for label in LABELS}
