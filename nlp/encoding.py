"""Turning bytes into text: encoding detection (UTF-8/16/32 with BOM, GBK / GB18030, then
charset-normalizer), binary detection and size limits, each failure one clear line.

Example:
    >>> decode_bytes("公安局".encode("gb18030"))
    '公安局'
"""

from __future__ import annotations

import codecs
from pathlib import Path

from nlp.types import InputError

MAX_TEXT_BYTES = 20 * 1024 * 1024
"""Largest text (one TXT file, one row's text) accepted; bigger inputs get a clear error."""

_SNIFF_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


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
