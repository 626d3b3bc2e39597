"""Render a page spec (article ids + layout choices) as an OCR'd newspaper page with gold.

A spec is plain JSON (see :mod:`training.pages` for how random ones are drawn and
``data/pages/hand/`` for hand-laid ones); the article text is looked up at run time in the
corpora, so no corpus text lives in the repo. Rendering is deterministic for a spec: the few
choices a spec leaves open (column breaks, subhead wording) come from ``random.Random(seed)``.

Example:
    >>> items = {"a": {"title": "小麦保险理赔会召开", "body": "会议召开。要求加快理赔。"}}
    >>> spec = {"seed": 1, "width": 12, "blocks": [{"type": "article", "id": "a"}]}
    >>> text, gold = render_page(spec, items)
    >>> gold["articles"][0]["title"], gold["articles"][0]["last_sentence"]
    ('小麦保险理赔会召开', '要求加快理赔。')
"""

from __future__ import annotations

import random
import re

from nlp.segment.config import SegmentConfig
from nlp.segment.lines import HEAD, line_kind
from nlp.segment.tagger import TAGS

_LINE_CFG = SegmentConfig()  # the segmenter's own line kinds label the generator's lines

LINE_TAGS = TAGS
"""Roles of a printed line (defined once, in :data:`nlp.segment.tagger.TAGS`): page
furniture, a column heading (简讯), the headline block (kicker, headline lines, ``——``
subtitle), a standalone byline, a photo caption, an article's first body line, other body
lines, an inner subhead, an end note or continuation note."""

_SENT_RE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」）)]*|[^。！？!?]+$")


def sentences(para: str) -> list[str]:
    """The sentences of one paragraph (a trailing fragment without an end mark counts)."""
    return [s for s in (m.group(0).strip() for m in _SENT_RE.finditer(para)) if s]


def body_paragraphs(item: dict, limit: int | None = None) -> list[str]:
    """An item's body paragraphs, without empty lines and ``（原标题：…）`` notes.

    A paragraph over 400 characters (some feeds run a whole story as one) is cut at sentence
    ends into paragraphs of about 200, as a paper would print it.
    """
    paras = [p.strip() for p in (item.get("body") or "").split("\n")]
    paras = [p for p in paras if len(p) >= 4 and not p.startswith(("（原标题", "(原标题"))]
    out: list[str] = []
    for para in paras:
        if len(para) <= 400:
            out.append(para)
            continue
        chunk = ""
        for sent in sentences(para):
            if chunk and len(chunk) + len(sent) > 200:
                out.append(chunk)
                chunk = ""
            chunk += sent
        out += [chunk] if chunk else []
    return out[:limit] if limit else out


# a line may not start with these: a typesetter hangs them at the end of the line before
_NO_LINE_START = set("，。、；：？！）》」』”’…%,.;:?!)")


def wrap(text: str, width: int) -> list[str]:
    """Set ``text`` in a column ``width`` ems wide, as a paper does: Latin letters and digits
    take half an em, and punctuation that may not open a line hangs at the end of the line
    before (so lines run from a little under to one character over the width).

    Example:
        >>> wrap("今年产量增长，达到2025年的新高。", 6)
        ['今年产量增长，', '达到2025年的', '新高。']
    """
    lines, line, used = [], "", 0.0
    for ch in text:
        cost = 0.5 if ch.isascii() and ch.isalnum() else 1.0
        if line and used + cost > width:
            if ch in _NO_LINE_START:
                lines.append(line + ch)
                line, used = "", 0.0
                continue
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += cost
    return lines + [line] if line or not lines else lines


def space_out(title: str, mode: str) -> str:
    """A headline as OCR prints it letter-spaced: ``all`` characters, or only ``digits`` runs.

    Example:
        >>> space_out("进出口25.47万亿元", "digits")
        '进出口2 5 . 4 7万亿元'
    """
    if mode == "all":
        return " ".join(title.replace(" ", ""))
    return re.sub(r"[0-9][0-9.]*[0-9]", lambda m: " ".join(m.group(0)), title)


def _two_lines(title: str) -> list[str]:
    if " " in title.strip():
        head, _, tail = title.strip().partition(" ")
        return [head, tail.strip()]
    mid = len(title) // 2
    return [title[:mid], title[mid:]]


def byline_parts(byline: dict | None) -> tuple[str, str, str, list[str]]:
    """(lead prefix, standalone line, end line, names) for a spec's ``byline`` entry.

    Forms: ``lead`` 本报讯（记者 …）, ``staff`` 本报记者 … 通讯员 …, ``reporter`` 记者 …,
    ``xinhua`` 据新华社…电, ``report`` （… 报道） after the body, ``none``.
    """
    if not byline or byline.get("form", "none") == "none":
        return "", "", "", []
    form, names = byline["form"], list(byline.get("names", []))
    first = names[0] if names else ""
    helpers = " ".join(names[1:])
    if form == "lead":
        inner = f"记者 {first}" if byline.get("role", True) else first
        inner += f" 通讯员 {helpers}" if helpers else ""
        return f"本报讯（{inner}）", "", "", names
    if form == "staff":
        return "", f"本报记者 {first}" + (f" 通讯员 {helpers}" if helpers else ""), "", names
    if form == "reporter":
        return "", "记者 " + " ".join(names), "", names
    if form == "xinhua":
        lead = f"据新华社{byline.get('place', '北京')}{byline.get('when', '6月3日')}电"
        lead += f"（记者 {' '.join(names)}）" if names else ""
        return lead, "", "", names or ["新华社"]
    if form == "report":
        return "", "", f"（{' '.join(names)} 报道）", names
    raise ValueError(f"unknown byline form {form!r}")


def _lead_byline(lead: str) -> str:
    if lead.startswith("本报讯（"):
        return lead[4:-1]
    return lead.removeprefix("据")


def _headline_lines(block: dict, title: str) -> tuple[list[tuple[str, str]], str]:
    """The headline block's ``(tag, line)`` and the gold title (kicker, title, subtitle)."""
    main = title
    spaced = block.get("spaced", "")
    if spaced:
        main = space_out(title, spaced)
    lines = [
        ("head", ln) for ln in (_two_lines(main) if block.get("wrap") and not spaced else [main])
    ]
    gold = [title]
    if block.get("kicker"):
        lines.insert(0, ("kicker", block["kicker"]))
        gold.insert(0, block["kicker"])
    if block.get("subtitle"):
        lines.append(("subtitle", block["subtitle"]))
        gold.append(block["subtitle"])
    if block.get("head_gaps"):  # OCR put a blank line between the headline's lines
        lines = [x for line in lines for x in (("", ""), line)][1:]
    return lines, " ".join(gold)


def _phenomena(block: dict, byline: dict | None) -> list[str]:
    out = ["headline_" + block.get("headline", "before")]
    for key in ("kicker", "subtitle", "wrap", "spaced"):
        if block.get(key):
            out.append(key if key != "spaced" else f"spaced_{block['spaced']}")
    out.append("byline_" + (byline or {}).get("form", "none"))
    if block.get("captions"):
        out.append("caption")
    if block.get("top_note"):
        out.append("note_continued_from")
    for note in block.get("end_notes", []):
        kind = "下转" if "下转" in note else "相关报道" if "相关报道" in note else "end_note"
        out.append({"下转": "note_continued_on", "相关报道": "note_related"}.get(kind, kind))
    if block.get("subheads"):
        out.append("subheads")
    return out


def _article(block: dict, item: dict, rng: random.Random, brief: bool = False):
    """(units, gold row). A unit is a list of ``(tag, line)``; the body unit is ``("body",
    [(kind, paragraph)])`` with kind ``para``, ``subhead``, ``caption`` or ``note``."""
    paras = body_paragraphs(item, 1 if brief else block.get("paras"))
    lead, standalone, end_line, names = byline_parts(block.get("byline"))
    first = sentences(paras[0])[0]
    last = sentences(paras[-1])[-1]
    printed = [("para", p) for p in paras]
    top = block.get("top_note", "")
    printed[0] = ("para", ("" if block.get("top_note_line") else top) + lead + paras[0])
    subheads = []
    for _ in range(block.get("subheads", 0) if len(printed) >= 3 else 0):
        at = rng.randrange(1, len(printed))
        src = re.sub(r"[^\u4e00-\u9fff]", "", printed[at][1])
        if len(src) >= 10 and printed[at][0] == "para":
            sub = f"{src[:4]} {src[4:9]}"
            subheads.append(sub)
            printed.insert(at, ("subhead", sub))
    captions = [f"{c['text']} {c['name']} 摄" for c in block.get("captions", [])]
    over_head = []  # a one-paragraph body puts its photo under the headline
    for cap, c in zip(captions, block.get("captions", []), strict=True):
        if c.get("where") == "in_body" and len(printed) > 1:
            printed.insert(rng.randrange(1, len(printed)), ("caption", cap))
        else:
            over_head.append([("caption", cap)])
    if top and block.get("top_note_line"):  # （上接第一版） on a line of its own
        printed.insert(0, ("note", top))
    printed += [("note", n) for n in block.get("end_notes", [])]
    if end_line:
        printed.append(("note", end_line))
    title = (item.get("title") or "").strip()
    head, gold_title = _headline_lines(block, title)
    head_unit = [head] + ([[("byline", standalone)]] if standalone else []) + over_head
    body_unit = ("body", printed)
    after = block.get("headline") == "after"
    units = [body_unit, *head_unit] if after else [*head_unit, body_unit]
    row = {
        "id": item.get("id", block.get("id", "")),
        "title": gold_title,
        "byline": standalone or _lead_byline(lead) or end_line[1:-1],
        "byline_names": names,
        "first_sentence": first,
        "last_sentence": last,
        "captions": captions,
        "subheads": subheads,
        "continued_from": block.get("top_note", ""),
        "headline_position": "after" if after else "before",
        "phenomena": ["brief"] if brief else _phenomena(block, block.get("byline")),
    }
    return units, row


def _print_body(
    paras, width: int, rng: random.Random, breaks: float, out: list, gap: bool = True
) -> int:
    n_breaks = 0
    first = next((p for p, (kind, _) in enumerate(paras) if kind == "para"), 0)
    for p, (kind, para) in enumerate(paras):
        if kind != "para":  # a line of its own: subhead, caption, note
            out += [("", ""), (kind, para)] if gap else [(kind, para)]
            continue
        lines = wrap(para, width)
        if gap or p == 0:
            out.append(("", ""))
        for i, line in enumerate(lines):
            if 0 < i < len(lines) and rng.random() < breaks / max(1, len(lines)):
                out.append(("", ""))  # a column break in mid-paragraph
                n_breaks += 1
            tag = "start" if p == first and i == 0 else "body"
            if tag == "body" and len(lines) == 1 and _intertitle(para):
                tag = "subhead"  # the article's own intertitle: a subhead, not body text
            out.append((tag, line))
    return n_breaks


def _intertitle(para: str) -> bool:
    """A one-line paragraph of the source that reads as a subhead (short, no sentence end)."""
    return len(para) <= 30 and line_kind(para.strip(), _LINE_CFG, alone=True)[0] == HEAD


# print size of headline lines against body text on a page image (as training.page_image
# sets them): a column of 17 body characters holds 8 of a headline
PRINT_SCALE = {"head": 1.9, "kicker": 1.3, "subtitle": 1.3}


def render_page(spec: dict, items: dict[str, dict]) -> tuple[str, dict]:
    """Lay out one page spec as OCR text, with its gold.

    Args:
        spec: ``seed``, ``width`` (10–22; a large width leaves paragraphs unwrapped),
            ``paragraph_gap`` (default true: a blank line between paragraphs), optional
            ``header``/``footer`` furniture lines,
            ``column_breaks`` (chance of a mid-paragraph column break per paragraph),
            ``print_sizes`` (the page is read off an image where headlines are set larger:
            kicker, headline and subtitle lines wrap at the column width over their print
            size, :data:`PRINT_SCALE`) and
            ``blocks``: ``{"type": "article", "id": …, layout choices}`` or
            ``{"type": "briefs", "heading": …, "items": [article blocks]}``.
        items: corpus items by id (``title``, ``body``).

    Returns:
        ``(text, gold)``; gold has ``page_id``, ``phenomena`` (page level), ``articles``
        (rows in the segmenter's gold format plus ``phenomena``, ``byline_names`` and
        ``headline_position``) and ``lines``: for every non-blank line of ``text``, in
        order, ``[tag, article]`` with tag one of :data:`LINE_TAGS` and the article's row
        index (-1 for page furniture and column headings).
    """
    rng = random.Random(spec.get("seed", 0))
    width = int(spec.get("width", 16))
    breaks = float(spec.get("column_breaks", 0.0))
    gap = bool(spec.get("paragraph_gap", True))
    out: list[tuple[str, str, int]] = [("furniture", h, -1) for h in spec.get("header", [])]
    rows, n_breaks, heads = [], 0, set()

    printed = bool(spec.get("print_sizes"))

    def emit(units, brk: float) -> int:
        lines: list[tuple[str, str]] = []
        n = sum(_emit(unit, width, rng, brk, lines, gap, printed) for unit in units)
        out.extend((tag, line, len(rows) - 1) for tag, line in lines)
        return n

    for block in spec["blocks"]:
        if block["type"] == "briefs":
            out += [("", "", -1), ("heading", block.get("heading", "简讯"), -1)]
            for sub in block["items"]:
                units, row = _article(sub, items[sub["id"]], rng, brief=True)
                rows.append(row)
                n_breaks += emit(units, 0.0)
            continue
        units, row = _article(block, items[block["id"]], rng)
        heads.add(block.get("headline", "before"))
        rows.append(row)
        n_breaks += emit(units, breaks)
    out += [("", "", -1)] + [("furniture", f, -1) for f in spec.get("footer", [])]
    n = len(rows)
    phen = [f"articles_{'1' if n == 1 else '2-4' if n <= 4 else '5-8' if n <= 8 else '9-12'}"]
    phen.append(f"width_{'10-13' if width <= 13 else '14-17' if width <= 17 else '18-22'}")
    phen += ["mixed_layout"] if len(heads) == 2 else []
    phen += ["furniture"] if spec.get("header") or spec.get("footer") else []
    phen += ["column_break"] if n_breaks else []
    phen += ["briefs"] if any(b["type"] == "briefs" for b in spec["blocks"]) else []
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line for _, line, _ in out)).strip() + "\n"
    tags = [[tag, art if tag not in ("furniture", "heading") else -1] for tag, line, art in out]
    tags = [t for t, (_, line, _) in zip(tags, out, strict=True) if line.strip()]
    gold = {"page_id": spec.get("page_id", ""), "phenomena": phen, "articles": rows}
    return text, gold | {"lines": tags}


def _emit(
    unit, width: int, rng: random.Random, breaks: float, out: list, gap: bool, printed: bool
) -> int:
    if isinstance(unit, tuple):
        return _print_body(unit[1], width, rng, breaks, out, gap)
    out.append(("", ""))
    for tag, line in unit:
        if printed and tag in PRINT_SCALE and line.strip():
            out += [(tag, ln) for ln in wrap(line, max(4, int(width / PRINT_SCALE[tag])))]
        else:
            out.append((tag, line))
    return 0
