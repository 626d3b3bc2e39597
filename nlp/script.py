"""Chinese script: traditional characters (繁體) converted to simplified before every stage.

Every model, rule and lexicon here is simplified Chinese, so a reposted traditional page is
converted first (OpenCC's ``t2s``: phrase tables, then characters), and mixed pages convert
only what is traditional: simplified text passes through unchanged. The conversion keeps the
text's length and the position of every character (see :func:`to_simplified`), so what was
converted can be turned back for display with :class:`ScriptMap`, which finds each piece of an
article on the page itself and copies the original characters from there.

>>> to_simplified("據新華社北京電 國務院常務會議部署災後重建")
'据新华社北京电 国务院常务会议部署灾后重建'
>>> page = "頭髮與發展"
>>> ScriptMap(page, to_simplified(page)).restore("头发与发展")
'頭髮與發展'
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from nlp.text import is_han

__all__ = ["ScriptMap", "changed_share", "to_simplified"]


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _convert_chars(text: str) -> str:
    """Character by character, keeping any character whose conversion is not one character."""
    convert = _converter().convert
    out = []
    for ch in text:
        new = convert(ch) if ord(ch) > 0x2000 else ch
        out.append(new if len(new) == 1 else ch)
    return "".join(out)


def to_simplified(text: str) -> str:
    """``text`` with traditional characters made simplified, of the same length.

    Phrase-level conversion where it keeps every line's length (it nearly always does);
    a line where it would not is converted character by character.
    """
    if not text or text.isascii():
        return text
    convert = _converter().convert
    whole = convert(text)
    if len(whole) == len(text):
        return whole
    lines = []
    for line in text.split("\n"):
        new = convert(line)
        lines.append(new if len(new) == len(line) else _convert_chars(line))
    return "\n".join(lines)


def changed_share(original: str, simplified: str) -> float:
    """Share of the Han characters of ``original`` that the conversion changed."""
    han = [(a, b) for a, b in zip(original, simplified, strict=False) if is_han(a)]
    return sum(a != b for a, b in han) / len(han) if han else 0.0


def _han_neighbours(text: str) -> list[tuple[str, str]]:
    """For each character, the nearest Han characters before and after it (``""`` at ends)."""
    n = len(text)
    before, after = [""] * n, [""] * n
    last = ""
    for i, ch in enumerate(text):
        before[i] = last
        if is_han(ch):
            last = ch
    last = ""
    for i in range(n - 1, -1, -1):
        after[i] = last
        if is_han(text[i]):
            last = text[i]
    return list(zip(before, after, strict=True))


class ScriptMap:
    """Turns simplified fragments of a converted page back into the page's own characters.

    Built from the page as pasted and its :func:`to_simplified` conversion (same length).
    Cleaning and segmentation drop spaces and line breaks but never reorder Han characters, so
    each character is looked up by its Han neighbours on both sides, then on one side, then
    alone; a character the conversion never changed on this page comes back as it is.
    """

    def __init__(self, original: str, simplified: str):
        if len(original) != len(simplified):
            raise ValueError("the simplified text must have the original's length")
        self._tables: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
        self._changed: set[str] = set()
        for o, s in zip(original, simplified, strict=True):
            if o != s:
                self._changed.add(s)
        if not self._changed:
            return
        han = [(o, s) for o, s in zip(original, simplified, strict=True) if is_han(s)]
        self._han_original = "".join(o for o, _ in han)
        self._han_simplified = "".join(s for _, s in han)
        for (o, s), (b, a) in zip(
            zip(original, simplified, strict=True), _han_neighbours(simplified), strict=True
        ):
            if s in self._changed:
                for table, key in zip(self._tables, ((b, s, a), (b, s), (s, a), s), strict=True):
                    table.setdefault(key, Counter())[o] += 1

    @property
    def changed(self) -> bool:
        """Whether the conversion changed anything on the page."""
        return bool(self._changed)

    def restore(self, fragment: str) -> str:
        """``fragment`` (simplified, from this page) in the page's original characters.

        Each line, else each sentence, whose Han characters occur in that order on the page is
        copied from there; the rest is looked up character by character.
        """
        if not self._changed or not any(ch in self._changed for ch in fragment):
            return fragment
        return "\n".join(self._restore_line(line) for line in fragment.split("\n"))

    def _restore_line(self, line: str) -> str:
        placed = self._copy(line)
        if placed is not None:
            return placed
        pieces = re.split(r"(?<=[。！？；])", line)
        return "".join(self._copy(p) or self._lookup(p) for p in pieces)

    def _copy(self, piece: str) -> str | None:
        """``piece`` with its Han characters copied from where they occur on the page."""
        han = "".join(ch for ch in piece if is_han(ch))
        at = self._han_simplified.find(han) if len(han) >= 4 else -1
        if at < 0:
            return None
        originals = iter(self._han_original[at : at + len(han)])
        return "".join(next(originals) if is_han(ch) else self._lookup(ch) for ch in piece)

    def _lookup(self, fragment: str) -> str:
        out = []
        for ch, (b, a) in zip(fragment, _han_neighbours(fragment), strict=True):
            if ch not in self._changed:
                out.append(ch)
                continue
            for table, key in zip(self._tables, ((b, ch, a), (b, ch), (ch, a), ch), strict=True):
                counts = table.get(key)
                if counts:
                    out.append(counts.most_common(1)[0][0])
                    break
            else:
                out.append(ch)
        return "".join(out)
