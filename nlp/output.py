"""The output file of a batch run: row encoding (JSONL, CSV), safety checks, locking and resume.

Guarantees, whatever the command (``segment``, ``classify``, ``summarize``, ``analyze``):

* **Never among the inputs.** An output that is one of the input files, or lies inside an
  input folder, is refused before anything is opened (:func:`check_output_path`): writing it
  would empty the input or read the output back as input until the disk fills.
* **One writer.** The run holds an exclusive lock (``.<name>.lock`` beside the output) from
  before the output is touched until it ends; a second run on the same output is refused.
* **Whole records.** All rows of one input record are written with a single ``os.write`` on an
  append-only descriptor, so the file only grows by whole records; a kill can at worst cut
  the very last write short.
* **Resume.** Every row carries ``record_id`` and ``n_articles``; on resume a record counts as
  done only when all its rows are there and parse. A torn tail, an incomplete record or a
  corrupt row anywhere is dropped (only that record is redone) and the file is rewritten to a
  temporary file renamed into place.
* **Excel.** An ``.xlsx`` output cannot grow by appending, so the run writes its rows to a
  hidden JSONL beside it (``.<name>.rows.jsonl``, with the guarantees above) and turns them
  into the workbook when the run ends; the JSONL is then removed. A run that was cut short
  leaves the JSONL, and ``--resume`` continues from it (or from the finished workbook).
* **One-line errors.** A write that fails (full disk, lost permission) raises
  :class:`OutputError` naming the file; the command exits 2 and what was written stays.

Example::

    with OutputFile("out.jsonl", "jsonl", fields, resume=True) as out:
        done = out.done          # record ids already complete
        out.write_record(rows)   # all rows of one record
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from nlp.rows import (  # noqa: F401 - re-exported: the output's public surface
    FORMATS,
    KEY_FIELDS,
    complete_rows,
    csv_columns,
    encode_rows,
    encode_xlsx,
    format_for,
    label_counts,
    parse_csv,
    parse_jsonl,
    parse_rows,
    read_output,
)


class OutputError(Exception):
    """The output cannot be used or written; ``str(err)`` is one line naming the file."""


# --------------------------------------------------------------------------- safety checks


def _source_path(text: str | Path) -> Path:
    return Path(str(text)).expanduser().resolve()


def check_output_path(output: str | Path | None, inputs: Sequence[str | Path]) -> None:
    """Refuse an output that is an input file or lies inside an input folder.

    Raises:
        OutputError: naming both paths.
    """
    if output in (None, "-"):
        return
    out = _source_path(output)
    if out.is_dir():
        raise OutputError(f"{output}: is a folder; give a file name for the output")
    for given in inputs:
        src = _source_path(given)
        same = out == src or (out.exists() and src.exists() and os.path.samefile(out, src))
        if same:
            raise OutputError(
                f"output {output} is also an input ({given}); writing it would destroy the input"
            )
        if src.is_dir() and src in out.parents:
            raise OutputError(
                f"output {output} is inside the input folder {given}; "
                "it would be read back as input: write it outside the inputs"
            )


def replace_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed into place (never torn)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from None
    return path


def xlsx_rows_path(workbook: str | Path) -> Path:
    """The hidden JSONL a run writes an ``.xlsx`` output's rows to until it ends."""
    workbook = Path(workbook)
    return workbook.with_name(f".{workbook.name}.rows.jsonl")


def jsonl_to_xlsx(src: str | Path, dst: str | Path, fields: Sequence[str]) -> Path:
    """Write the rows of a JSONL output as an Excel workbook, atomically."""
    return replace_file(dst, encode_xlsx(read_output(src, "jsonl"), fields))


def jsonl_to_csv(src: str | Path, dst: str | Path, fields: Sequence[str]) -> Path:
    """Write the rows of a JSONL output as CSV (with a header), atomically."""
    return replace_file(dst, encode_rows(read_output(src, "jsonl"), "csv", fields, header=True))


# --------------------------------------------------------------------------- the output file


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_stdout(data: bytes) -> None:
    """Standard output, whatever it is (a pipe, a terminal, a test's capture buffer)."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8"))
        stream.flush()


class OutputFile:
    """The output of one run, locked for the run, written a whole record at a time.

    Args:
        path: the file, or ``None`` / ``"-"`` for standard output (no lock, no resume).
        fmt: ``"jsonl"``, ``"csv"`` or ``"xlsx"`` (rows kept in a hidden JSONL until the end).
        fields: the task's row fields (CSV columns; the first three are :data:`KEY_FIELDS`).
        resume: keep the complete records already in ``path`` (their ids in :attr:`done`).

    Raises:
        OutputError: the output is locked by another run, cannot be created or written.
    """

    def __init__(self, path: str | Path | None, fmt: str, fields: Sequence[str], resume=False):
        self.path = None if path in (None, "-") else Path(path)
        self.fmt, self.fields, self.resume = fmt, tuple(fields), resume
        self.workbook: Path | None = None
        if fmt == "xlsx":
            if self.path is None:
                raise OutputError("an .xlsx output needs an output file (-o OUT.xlsx)")
            self.workbook, self.path = self.path, xlsx_rows_path(self.path)
            self.fmt = "jsonl"
        self.done: set[str] = set()
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._lock_path: Path | None = None

    def __enter__(self) -> OutputFile:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        try:
            if exc_type is None and self.workbook is not None:
                self._write_workbook()
        finally:
            self.close()

    def _write_workbook(self) -> None:
        """The rows written (and kept on resume) as the ``.xlsx``; the hidden JSONL goes."""
        rows = parse_jsonl(self.path.read_bytes())
        replace_file(self.workbook, encode_xlsx(rows, self.fields))
        self.path.unlink(missing_ok=True)

    def _fail(self, err: OSError, what: str = "cannot write") -> OutputError:
        return OutputError(f"{self.path or 'stdout'}: {what} ({err.strerror or err})")

    def _open(self) -> None:
        if self.path is None:
            if self.resume:
                raise OutputError("--resume needs an output file (-o), not standard output")
            if self.fmt == "csv":
                self._write(encode_rows([], "csv", self.fields, header=True))
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self._fail(err, "cannot create its folder") from None
        regular = not self.path.exists() or stat.S_ISREG(self.path.stat().st_mode)
        if regular:
            self._acquire_lock()
            self.done = self._prepare()
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as err:
            raise self._fail(err) from None
        if self.fmt == "csv" and (not regular or os.fstat(self._fd).st_size == 0):
            self._write(encode_rows([], "csv", self.fields, header=True))

    def _acquire_lock(self) -> None:
        lock = self.path.with_name(f".{self.path.name}.lock")
        for _ in range(3):  # the lock file may be replaced under us by a run that just ended
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise self._fail(err, "cannot create its lock file") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno in (errno.EAGAIN, errno.EACCES):
                    raise OutputError(
                        f"{self.path}: another run is writing this output (lock {lock}); "
                        "wait for it to end or choose another output"
                    ) from None
                raise self._fail(err, "cannot lock") from None
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_fd, self._lock_path = fd, lock
                return
            os.close(fd)
        raise OutputError(f"{self.path}: cannot lock (lock file {lock} keeps changing)")

    def _prepare(self) -> set[str]:
        """Empty the file, or on resume keep its complete records; return their ids."""
        if self.resume and self.workbook is not None and not self.path.exists():
            if self.workbook.exists():  # resuming a finished workbook: its rows come first
                rows = parse_rows(self.workbook.read_bytes(), "xlsx")
                replace_file(self.path, encode_rows(rows, "jsonl", self.fields))
        if not self.resume or not self.path.exists():
            try:
                with open(self.path, "wb"):
                    pass
            except OSError as err:
                raise self._fail(err) from None
            return set()
        data = self.path.read_bytes()
        rows = parse_rows(data, self.fmt)
        kept, done = complete_rows(rows)
        # CSV rows come back as cells (strings, score_<label> columns): encoded as they are.
        clean = encode_rows(kept, self.fmt, self.fields, header=self.fmt == "csv")
        if clean != data:
            replace_file(self.path, clean)
        return done

    def _write(self, data: bytes) -> None:
        try:
            if self.path is None:
                _write_stdout(data)
            else:
                _write_all(self._fd, data)
        except BrokenPipeError:
            raise  # a closed pipe (`| head`) ends the run quietly, see nlp.cli
        except OSError as err:
            raise self._fail(err) from None

    def write_record(self, rows: Sequence[dict]) -> None:
        """Append all rows of one record with one write."""
        self._write(encode_rows(rows, self.fmt, self.fields))

    def close(self) -> None:
        if self._fd is not None and self.path is not None:
            os.close(self._fd)
        self._fd = None
        if self._lock_fd is not None:
            try:
                self._lock_path.unlink(missing_ok=True)  # under the lock: see _acquire_lock
            finally:
                os.close(self._lock_fd)
                self._lock_fd = None
