"""Pure text functions for Chinese news text: cleaning OCR output, sentences, paragraphs.

Everything here is a small pure function of strings, tested with literal Chinese inputs.

Example:
    >>> clean_text("工 作 推 进 会 召 开")
    '工作推进会召开'
    >>> split_sentences("他说：“好。”然后走了。")
    ['他说：“好。”', '然后走了。']
"""

from __future__ import annotations

import re

# Han ideographs (CJK unified, extension A, compatibility, supplementary planes) and 〇.
HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{HAN_CLASS}]")
_HAN_RUN_RE = re.compile(f"[{HAN_CLASS}]+")

# Chinese / full-width punctuation: spaces next to these are OCR noise.
CJK_PUNCT_CLASS = (
    "\u3001-\u3003\u3008-\u3011\u3014-\u301f\u30fb"  # 、。〃 〈〉《》「」『』【】 〔〕…
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"  # full-width ！（），：；？…
    "\u2014\u2015\u2018-\u201f\u2025\u2026\u00b7"  # — ― ‘’“” ‥ … ·
    "\ufe30-\ufe4f\ufe50-\ufe6b"  # vertical and small forms
)
_CJK_PUNCT_RE = re.compile(f"[{CJK_PUNCT_CLASS}]")

# A sentence ends with one of these, optionally followed by closing quotes or brackets.
SENTENCE_END = "。！？!?…"
CLOSERS = "”’）)」』》】〕]〉"
OPENERS = "“‘（(「『《【〔[〈"
_SENT_FINAL_LINE_RE = re.compile(
    f"(?:[{re.escape(SENTENCE_END)}]|(?<=[A-Za-z0-9)\"'])\\.)[{re.escape(CLOSERS)}]*$"
)

_SPACE_RUN_RE = re.compile(r"[^\S\n]+")  # any horizontal whitespace run
# Unicode categories Cc and Cf (Unicode 14) except \n and \t, as one character class.
_CONTROL_RE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_NEWLINES_RE = re.compile(r"\r\n?")
_FULLWIDTH_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},
    **{0xFF21 + i: 0x41 + i for i in range(26)},
    **{0xFF41 + i: 0x61 + i for i in range(26)},
}

# Lines after which clean_text never joins, and lines it never joins onto.
BYLINE_ROLE = (
    r"(?:本报记者|本报通讯员|本报特约记者|特约记者|见习记者|实习记者|记者|通讯员|实习生|特约通讯员)"
)
_NAME = f"[{HAN_CLASS}·]{{2,4}}"
BYLINE_RE = re.compile(
    rf"^[□■●◎◇◆]?\s*(?:(?:文|图|文图|文/图|文／图)\s*[/／:：]?\s*)?{BYLINE_ROLE}\s*{_NAME}"
    rf"(?:(?:[\s、]+|(?={BYLINE_ROLE}))(?:{BYLINE_ROLE}\s*)?{_NAME})*$"
)
CAPTION_END_RE = re.compile(rf"(?:^|[\s{CJK_PUNCT_CLASS}]){_NAME}\s?(?:摄|供图)$")
_CREDIT_ONLY_RE = re.compile(rf"{_NAME}\s?(?:摄|供图)")
_NO_JOIN_NEXT_RE = re.compile(r"^(?:——|本报讯|本报\S{0,12}讯|[（(]\s*[上下]接)")


def is_han(char: str) -> bool:
    """True for one Han ideograph (``is_han("中")``); punctuation and kana are not Han."""
    return bool(_HAN_RE.fullmatch(char))


def has_chinese(text: str) -> bool:
    """True if ``text`` contains at least one Han character."""
    return _HAN_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of Han characters among the non-whitespace characters (0.0 for empty text).

    >>> cjk_ratio("中文 ab")
    0.5
    """
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _HAN_RE.match(c)) / len(chars)


def han_chars(text: str) -> str:
    """The Han characters of ``text`` in order (used to check cleaning drops none)."""
    return "".join(_HAN_RE.findall(text))


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    return _NEWLINES_RE.sub("\n", text)


def remove_control_chars(text: str) -> str:
    """Drop control and format characters (Unicode Cc and Cf: zero-width spaces, BOM, soft
    hyphens, bidi marks). Newlines are kept; tabs become spaces."""
    return _CONTROL_RE.sub("", text.replace("\t", " "))


def normalize_width(text: str) -> str:
    """Full-width ASCII letters and digits become half-width; the ideographic space a space.

    Chinese punctuation (，。：；（）“”) is kept as it is.

    >>> normalize_width("ＣＯＶＩＤ－１９，２０２３年")
    'COVID－19，2023年'
    """
    return text.translate(_FULLWIDTH_ALNUM).replace("\u3000", " ")


def _char_class(ch: str) -> str:
    """H (Han), P (Chinese punctuation), D (ASCII digit) or O (anything else)."""
    if _HAN_RE.match(ch):
        return "H"
    if _CJK_PUNCT_RE.match(ch):
        return "P"
    if "0" <= ch <= "9":
        return "D"
    return "O"


def _han_run_len_left(line: str, end: int) -> tuple[int, int]:
    """Length of the Han run ending at ``line[end - 1]`` and the index where it starts."""
    start = end
    while start > 0 and _HAN_RE.match(line[start - 1]):
        start -= 1
    return end - start, start


def _han_run_len_right(line: str, start: int) -> tuple[int, int]:
    """Length of the Han run starting at ``line[start]`` and the index just after it."""
    end = start
    while end < len(line) and _HAN_RE.match(line[end]):
        end += 1
    return end - start, end


def _space_is_noise(line: str, s: int, e: int) -> bool:
    """Decide whether the space run ``line[s:e]`` (inside a line) is OCR noise.

    Spaces next to Chinese punctuation, and between a digit and a Han character, are
    noise. Between two Han characters the space is noise when it is letter-spacing: a
    single character on either side that is itself spaced on its other side (``工 作 推``),
    while a space between two words (``互学互鉴再提升 强基固本谋发展``, ``本报记者 张辉``,
    ``王琳 摄``) is kept. Latin words and numbers keep their spaces (``COVID 19``).
    """
    a, b = _char_class(line[s - 1]), _char_class(line[e])
    if a == "P" or b == "P":
        return a in "HPD" and b in "HPD"
    if {a, b} == {"H", "D"}:
        return True
    if a == b == "H":
        left, lstart = _han_run_len_left(line, s)
        right, rend = _han_run_len_right(line, e)
        if left == 1 and right == 1:
            return True
        if left == 1 and lstart > 0 and line[lstart - 1] == " ":
            return True
        if right == 1 and rend < len(line) and line[rend] == " ":
            return True
    return False


def clean_line_spaces(line: str) -> str:
    """Collapse whitespace in one line and remove the spaces OCR put between Chinese characters.

    >>> clean_line_spaces("“ 思 路 理 清 ，收 获 满 满 。”")
    '“思路理清，收获满满。”'
    >>> clean_line_spaces("5 月 17 日 COVID 19 New York")
    '5月17日 COVID 19 New York'
    """
    line = _SPACE_RUN_RE.sub(" ", line).strip()
    if " " not in line:
        return line
    out = []
    prev = 0
    for m in re.finditer(" ", line):
        s, e = m.start(), m.end()
        out.append(line[prev:s])
        if not _space_is_noise(line, s, e):
            out.append(" ")
        prev = e
    out.append(line[prev:])
    return "".join(out)


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with sentence-final punctuation (closing quotes allowed after it)."""
    return _SENT_FINAL_LINE_RE.search(line) is not None


def is_byline(line: str) -> bool:
    """True for a byline line such as ``本报记者 董全磊 通讯员 王东方``."""
    return len(line) <= 60 and BYLINE_RE.match(line.strip()) is not None


def is_photo_credit_line(line: str) -> bool:
    """True for a line ending with a photo credit such as ``合影留念。 王琳 摄``."""
    line = line.strip()
    if len(line) > 120 or not line.endswith(("摄", "供图")):
        return False
    return CAPTION_END_RE.search(line) is not None


def _keeps_break(line: str, nxt: str) -> bool:
    """True if the line break between ``line`` and the non-blank ``nxt`` is a real break.

    Each reason still holds between the joined lines, so a second :func:`clean_text` keeps
    every break the first one kept: a credit alone on its line (``王琳 摄``) is not joined onto
    the line before, where it would stop reading as a credit, and a credit at the end of a
    line counts at any line length (joining may take it past ``is_photo_credit_line``'s 120).
    """
    if ends_sentence(line) or line.endswith("——"):
        return True
    if is_byline(line) or is_byline(nxt):
        return True
    if line.endswith(("摄", "供图")) and CAPTION_END_RE.search(line):
        return True
    return _CREDIT_ONLY_RE.fullmatch(nxt) is not None or _NO_JOIN_NEXT_RE.match(nxt) is not None


def _join_pair(left: str, right: str) -> str:
    """Glue a wrapped line onto the next: a space only between two ASCII characters (Latin
    words, numbers, English punctuation), none after a hyphen."""
    if left and right and left[-1].isascii() and right[0].isascii() and left[-1] != "-":
        return left + " " + right
    return left + right


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Join lines broken inside a sentence; keep breaks after sentence-final punctuation.

    ``lines`` must contain no blank lines (a blank line is a paragraph break the caller
    keeps). A line continues onto the next unless it ends a sentence (。！？…, closing
    quotes allowed), ends with ``——``, is a byline or ends with a photo credit, or the next
    line is a byline, a credit alone (``王琳 摄``), a ``——`` subtitle or starts an article
    (本报讯, （上接第一版）).

    >>> join_wrapped_lines(["许昌市公安局开", "展观摩活动。", "5月26日，该局"])
    ['许昌市公安局开展观摩活动。', '5月26日，该局']
    """
    out: list[str] = []
    parts: list[str] = []
    for i, line in enumerate(lines):
        parts.append(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or _keeps_break(line, nxt):
            joined = parts[0]
            for part in parts[1:]:
                joined = _join_pair(joined, part)
            out.append(joined)
            parts = []
    return out


def clean_text(text: str, join_lines: bool = True) -> str:
    """Clean OCR'd or pasted Chinese text; idempotent and never drops or reorders a Han character.

    Steps: normalise newlines, drop control characters, full-width letters and digits to
    half-width, collapse whitespace, remove OCR spaces between Chinese characters, digits and
    Chinese punctuation (keeping spaces between words, Latin words and numbers), collapse
    blank lines to one and, with ``join_lines``, join lines broken inside a sentence
    (see :func:`join_wrapped_lines`). Blank lines are kept as paragraph breaks.

    Args:
        text: raw text.
        join_lines: False keeps every line as it is (``segment_page`` joins lines itself,
            once it knows which lines are headlines).

    Returns:
        The cleaned text, without leading or trailing blank lines.

    >>> clean_text("工 作 推 进 会 召 开\\n\\n5 月 17 日—19 日，许昌市公安局开\\n展活动。")
    '工作推进会召开\\n\\n5月17日—19日，许昌市公安局开展活动。'
    """
    text = normalize_width(remove_control_chars(normalize_newlines(text)))
    lines = [clean_line_spaces(line) for line in text.split("\n")]
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    blocks = []
    for para in paragraphs:
        if para:
            blocks.append("\n".join(join_wrapped_lines(para) if join_lines else para))
    return "\n\n".join(blocks)


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of ``text``, stripped (run :func:`clean_text` first on raw OCR text).

    >>> split_paragraphs("第一段。\\n\\n 第二段。\\n第三段。")
    ['第一段。', '第二段。', '第三段。']
    """
    return [p.strip() for p in text.split("\n") if p.strip()]


_TERMINATORS = set(SENTENCE_END) | {"；", ";"}


def _split_line(line: str, respect_quotes: bool) -> list[str]:
    """Sentences of one line; a terminator inside quotes/brackets only ends the sentence
    when closing marks right after it take the nesting back to zero."""
    sentences = []
    start = 0
    depth = 0
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if respect_quotes and ch in OPENERS:
            depth += 1
        elif respect_quotes and ch in CLOSERS:
            depth = max(0, depth - 1)
        elif ch in _TERMINATORS:
            j = i + 1
            d = depth
            while j < n and (line[j] in _TERMINATORS or line[j] in CLOSERS):
                if line[j] in CLOSERS:
                    if respect_quotes and d == 0:
                        break
                    d = max(0, d - 1)
                j += 1
            if d == 0 or not respect_quotes:
                sentences.append(line[start:j])
                start = j
                depth = 0
            i = j
            continue
        i += 1
    sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]


def split_sentences(text: str, max_len: int = 300) -> list[str]:
    """Split Chinese text into sentences on 。！？；… and newlines.

    Closing quotes and brackets stay with their sentence (``他说：“好。”然后`` splits after
    ``”``), and nothing splits inside quotes or brackets (``（…。…）`` stays whole). A
    sentence longer than ``max_len`` characters (unbalanced quotes from OCR) is split again
    ignoring quotes.

    >>> split_sentences("（注：甲。乙）丙。丁！")
    ['（注：甲。乙）丙。', '丁！']
    """
    out: list[str] = []
    for line in text.split("\n"):
        for sentence in _split_line(line, respect_quotes=True):
            if len(sentence) > max_len:
                out.extend(_split_line(sentence, respect_quotes=False))
            else:
                out.append(sentence)
    return out
