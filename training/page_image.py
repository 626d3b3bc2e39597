"""Print a page as an image, the way a paper sets it, to measure OCR + segmentation end to end.

Black text on white in six columns with a rule between them; headlines in a larger font, kickers and ``——`` subtitles
in a middle size, bylines and captions in a smaller one; a paragraph's first line indented by
two characters; space above and below each headline block. Text flows down a column and on
into the next, as on paper.

A page is a list of blocks ``(kind, text)`` with kind ``head``, ``sub`` (kicker, subtitle),
``body`` (a paragraph), ``small`` (byline, caption, note), and ``break`` (no text: the end of a
headline group, between two headlines stacked one above the other). Consecutive ``head`` and
``sub`` blocks are set as one headline. :func:`seed_blocks` reads them off the seed page with
its gold headlines.

Example::

    from training.page_image import render_blocks, seed_blocks
    image = render_blocks(seed_blocks())          # a PIL image, about 3,500 x 4,000 px
    image.save("seed.png")
"""

from __future__ import annotations

from pathlib import Path

from nlp import paths
from nlp.evaluation.segmentation import load_gold, squash
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import line_kind
from nlp.text import clean_text, ends_sentence, join_wrapped_lines
from training.page_render import wrap

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
SCALE = {"head": 1.9, "sub": 1.3, "body": 1.0, "small": 0.85}
HEADS = ("head", "sub")


def cjk_font() -> str | None:
    """A font file with Chinese glyphs, or None."""
    return next((f for f in FONT_CANDIDATES if Path(f).is_file()), None)


def seed_blocks(text: str | None = None, gold: list[dict] | None = None) -> list[tuple[str, str]]:
    """The seed page as blocks, line by line: a line that belongs to a gold title is a
    headline (a ``——`` line a subtitle), a byline or caption line small print, and runs of
    the other lines paragraphs (wrapped lines joined). A headline and its byline often share
    one blank-separated block of the page, so a block is not taken as a whole."""
    text = text if text is not None else paths.seed_page().read_text(encoding="utf-8")
    gold = gold if gold is not None else load_gold(paths.seed_gold())
    titles = [squash(r["title"]) for r in gold]
    cfg = SegmentConfig()
    out: list[tuple[str, str]] = []
    title_of = None
    for block in clean_text(text, join_lines=False).split("\n\n"):
        run: list[str] = []
        for ln in (ln for ln in block.split("\n") if ln.strip()):
            # a line of a gold title (four characters at least: a body line's short tail
            # such as 工作 can occur in a title too)
            key = squash(ln)
            owner = next((k for k, t in enumerate(titles) if len(key) >= 4 and key in t), None)
            if owner is not None:
                kind = "sub" if ln.startswith("——") else "head"
                if out and out[-1][0] in HEADS and owner != title_of:
                    out.append(("break", ""))  # two headlines stacked: set apart
                title_of = owner
            elif line_kind(ln, cfg)[0] in ("byline", "caption"):
                kind = "small"
            else:
                run.append(ln)
                continue
            out += [("body", p) for p in join_wrapped_lines(run)] if run else []
            run = []
            out.append((kind, ln))
        out += [("body", p) for p in join_wrapped_lines(run)] if run else []
    return out


def render_blocks(
    blocks: list[tuple[str, str]],
    columns: int = 6,
    chars: int = 17,
    font_px: int = 30,
    margin: int = 80,
    font_path: str | None = None,
):
    """A PIL image of ``blocks`` set in ``columns`` columns of ``chars`` characters.

    Raises:
        FileNotFoundError: no font with Chinese glyphs is installed.
    """
    from PIL import Image, ImageDraw, ImageFont

    font_path = font_path or cjk_font()
    if font_path is None:
        raise FileNotFoundError("no CJK font found (install fonts-wqy-zenhei)")
    fonts = {k: ImageFont.truetype(font_path, round(font_px * v)) for k, v in SCALE.items()}
    col_w = chars * font_px
    gutter = 3 * font_px  # with a column rule in its middle, as papers print it
    placed = []  # (column, y, kind, x offset, text)
    col, y = 0, 0.0
    lines_per_block = []
    for kind, text in blocks:
        if kind == "break":
            lines_per_block.append((kind, 0.0, []))
            continue
        size = font_px * SCALE[kind]
        width = max(1, int(col_w // size))
        if kind == "body":
            rows = wrap(text, width - 2)[:1]
            rest = text[len(rows[0]) :] if rows else ""
            rows = [("indent", rows[0])] + [("", r) for r in wrap(rest, width) if r and rest]
        else:
            rows = [("", r) for r in wrap(text, width)]
        lines_per_block.append((kind, size, rows))
    column_height = _balanced_height(lines_per_block, columns)
    heads = HEADS
    for k, (kind, size, rows) in enumerate(lines_per_block):
        # a headline group (consecutive headline and subtitle blocks) is set as one: space
        # above its first line and below its last, ordinary leading inside
        before = kind in heads and (k == 0 or lines_per_block[k - 1][0] not in heads)
        after = kind in heads and (
            k + 1 == len(lines_per_block) or lines_per_block[k + 1][0] not in heads
        )
        y += size * 0.8 if before and y else 0.0
        for flag, row in rows:
            if y + size * 1.5 > column_height and y > 0:
                col, y = col + 1, 0.0
            indent = 2 * size if flag == "indent" else 0.0
            placed.append((col, y, kind, indent, row))
            y += size * 1.5
        y += size * 0.8 if after else 0.0
    n_cols = max(columns, col + 1)
    width = margin * 2 + n_cols * col_w + (n_cols - 1) * gutter
    height = int(margin * 2 + column_height + font_px * 3)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for c, yy, kind, indent, row in placed:
        x = margin + c * (col_w + gutter) + indent
        draw.text((x, margin + yy), row, fill="black", font=fonts[kind])
    for c in range(1, n_cols):
        x = margin + c * (col_w + gutter) - gutter // 2
        draw.line([(x, margin), (x, margin + column_height)], fill=(90, 90, 90), width=2)
    return img


def _balanced_height(blocks, columns: int) -> float:
    """The column height that spreads the blocks over ``columns`` columns."""
    total = 0.0
    for kind, size, rows in blocks:
        total += len(rows) * size * 1.5 + (size * 1.6 if kind in ("head", "sub") else 0.0)
    return total / columns * 1.04


_BLOCK_KIND = {"head": "head", "kicker": "sub", "subtitle": "sub", "heading": "sub"}
_BLOCK_KIND |= dict.fromkeys(("byline", "caption", "note"), "small")


def page_blocks(text: str, gold: dict) -> list[tuple[str, str]]:
    """A generated page (:func:`training.page_render.render_page`'s text and gold) as blocks
    to print: each article's headline lines as one headline (kicker and subtitle in the
    middle size), bylines, captions and notes in small print, paragraphs with their wrapped
    lines joined, across a column break too (an inner subhead as a paragraph), page furniture
    left out; a ``break`` between two articles' headlines stacked one above the other."""
    rows: list[tuple[str, int, str, bool]] = []  # (tag, article, line, blank before)
    tags = iter(gold["lines"])
    blank = True
    for ln in text.split("\n"):
        if not ln.strip():
            blank = True
            continue
        tag, art = next(tags)
        rows.append((tag, art, ln.strip(), blank))
        blank = False
    out: list[tuple[str, str]] = []
    run: list[str] = []
    for k, (tag, art, ln, blank) in enumerate(rows):
        kind = _BLOCK_KIND.get(tag, "body")
        if tag == "furniture":
            continue
        if kind == "body":
            # a blank line after a line that ends no sentence is a column break inside the
            # paragraph: in print the text runs on at the next column's top, unindented
            if blank and run and ends_sentence(run[-1]):
                out += [("body", p) for p in join_wrapped_lines(run)]
                run = []
            run.append(ln)
            continue
        if run:
            out += [("body", p) for p in join_wrapped_lines(run)]
            run = []
        prev = rows[k - 1] if k else None
        same_head = prev is not None and prev[0] == tag and prev[1] == art and kind != "small"
        if same_head and out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + ln)  # a headline wrapped over lines: one headline
            continue
        if kind in HEADS and out and out[-1][0] in HEADS and prev is not None and prev[1] != art:
            out.append(("break", ""))
        out.append((kind, ln))
    out += [("body", p) for p in join_wrapped_lines(run)] if run else []
    return out
