"""The learned segmenter: lines tagged by a CRF, headlines paired with bodies by a scored model.

1. :class:`~nlp.segment.tagger.LineTagger` gives every line its role (headline block, byline,
   caption, body start, body, subhead, note, furniture).
2. :func:`units_from_tags` turns the roles into bodies and headline groups (the same units
   the rules build), parsing what is deterministic as the rules do (本报讯 leads, （上接…）
   and （下转…） notes, end bylines).
3. :class:`~nlp.segment.pairing.Pairing` gives each headline group the probability that it heads the body after it
   (a logistic model over how well the headline's characters fit the body on each side, the
   rest of the page's evidence, and where the group stands), and :func:`decode_directions`
   chooses all directions at once by dynamic programming, so that no body gets two headlines
   and few are left without one.
4. :func:`nlp.segment.assemble.assemble` builds the articles with those directions.

The artifacts (``lines.crfsuite``, ``pairing.json``) are in ``data/models/segmenter`` and
are trained by ``python -m training.segmenter``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nlp.segment.assemble import SegmentedArticle, assemble
from nlp.segment.boundaries import (
    Body,
    Group,
    _add_note,
    _last_body,
    _strip_lead,
)
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import (
    BODY,
    CAPTION,
    CONT_END_RE,
    CONT_START_RE,
    HEAD,
    MARKER,
    SUBHEAD,
    SUBTITLE,
    Line,
    is_column_heading,
    is_furniture,
    line_kind,
)
from nlp.segment.pairing import (  # noqa: F401 - re-exported: the segmenter's surface
    PAIRING_FEATURES,
    Pairing,
    TitleFit,
    decode_directions,
    pairing_features,
    title_fit,
)
from nlp.segment.tagger import (
    HEAD_TAGS,
    LineTagger,
    PageLine,
    chunk_spans,
    column_width,
    lines_text,
)
from nlp.text import ends_sentence


def units_from_tags(lines: list[PageLine], tags: list[str], cfg: SegmentConfig):
    """Bodies and headline groups of one chunk's tagged lines, in page order."""
    units: list[Body | Group] = []
    current = Body()
    group: list[Line] = []
    group_tags: list[str] = []
    block = 0

    def close_group() -> None:
        if group:
            units.append(Group(list(group), kicker=all(t == "kicker" for t in group_tags)))
            group.clear()
            group_tags.clear()

    def close_body() -> None:  # an empty body keeps what a （上接…） line said of it
        nonlocal current
        content = (current.lines, current.captions, current.notes)
        if any(content) or current.lead_byline or current.end_byline:
            units.append(current)
            current = Body()

    width = column_width(lines)
    for i, (ln, tag) in enumerate(zip(lines, tags, strict=True)):
        block += ln.blank_before
        kind, lead = line_kind(ln.text, cfg)
        if tag == "subhead" and _column_wide(ln.text, width, cfg):
            tag = "body"  # a body line cut off by a column break, not an inner subhead
        if tag in ("furniture", "heading"):  # dropped only when the form agrees: no text lost
            if is_furniture(ln.text) or is_column_heading(ln.text):
                continue
            tag = "head" if tag == "heading" else "body"
        if tag in HEAD_TAGS and kind == "byline":  # a byline's form is not a headline's
            tag = "byline"
        if tag in ("start", "body") and kind == CAPTION and ln.size > 0:
            tag = "caption"  # read off an image, a photo credit's form (… 王琳 摄) is a caption
        if kind == MARKER:
            close_group()
            m = CONT_START_RE.match(ln.text)
            if m:
                close_body()
                current.continued_from, current.marked = m.group(1), True
            else:
                current.continued_to = CONT_END_RE.search(ln.text).group(1)
            continue
        if tag in HEAD_TAGS or (tag in ("byline", "caption") and group):
            new_block = ln.blank_before and not _same_print(lines, i, width)
            if group and tag in ("kicker", "head") and new_block and _has_title(group):
                close_group()  # a new headline block: stacked headlines of two articles
            if not group:
                close_body()
            line_kind_ = {"subtitle": SUBTITLE, "byline": "byline", "caption": CAPTION}
            group.append(Line(ln.text, line_kind_.get(tag, HEAD), block, index=i))
            group_tags.append(tag)
            continue
        if tag == "byline":  # a byline with no headline next to it: the body's own
            target = current if current.lines else _last_body(units, current)
            target.end_byline = " ".join(b for b in (target.end_byline, ln.text) if b)
            continue
        close_group()
        if tag == "caption":
            current.captions.append(ln.text)
        elif tag == "note":
            _add_note(ln.text, current if current.lines else _last_body(units, current))
        else:
            if tag == "start" or (lead and current.lines):
                close_body()
            text = ln.text
            if tag == "start" or lead:
                current.marked = current.marked or lead
                text = _strip_lead(text, current)
            m = CONT_END_RE.search(text)
            if m:
                current.continued_to = m.group(1)
                text = text[: m.start()]
            if text:
                kind = SUBHEAD if tag == "subhead" else BODY
                current.lines.append(Line(text, kind, block, index=i))
    close_group()
    close_body()
    return units


def _column_wide(text: str, width: float | None, cfg: SegmentConfig) -> bool:
    """A line as wide as the column (:attr:`SegmentConfig.full_line_ratio`) that does not end
    a sentence: the text runs on, as an inner subhead (shorter, set apart) does not."""
    return bool(width) and len(text) >= cfg.full_line_ratio * width and not ends_sentence(text)


def merge_stacked(
    units: list[Body | Group], cfg: SegmentConfig, margin: float, fit: TitleFit | None = None
):
    """Join headline groups that stand next to each other with no body between, unless the
    first fits the body before and the second the body after by more than ``margin`` (summed
    log-likelihood ratios): then they are the headlines of two articles (one closing the
    article above, one opening the next). A group of only a kicker always joins the next.
    Joined groups keep their title blocks, which :func:`~nlp.segment.assemble.assemble` shares out over continued bodies (``fit``: the
    chunk's :func:`~nlp.segment.pairing.title_fit`, built here when not given)."""
    fit = fit or title_fit(units, cfg)
    out: list[Body | Group] = []
    for k, unit in enumerate(units):
        prev = out[-1] if out else None
        if isinstance(unit, Group) and isinstance(prev, Group):
            before = next((u for u in reversed(out) if isinstance(u, Body)), None)
            after = next((u for u in units[k + 1 :] if isinstance(u, Body)), None)
            evidence = fit(prev, before) - fit(prev, after) + fit(unit, after) - fit(unit, before)
            if prev.kicker or before is None or after is None or evidence <= margin:
                out[-1] = Group(prev.lines + unit.lines, kicker=unit.kicker)
                continue
        out.append(unit)
    return out


def orphan_tags(lines: list[PageLine], tags: list[str], cfg: SegmentConfig) -> list[str]:
    """Tags with every chunk (text between ``-----`` rules, form feeds, several blank lines)
    that holds only bylines and captions tagged so: such a chunk is a byline or photo credit
    standing apart, which goes to the article before it (not a body of its own)."""
    out = list(tags)
    for start, end in chunk_spans(lines):
        kinds = [line_kind(ln.text, cfg)[0] for ln in lines[start:end]]
        if all(k in ("byline", CAPTION) for k in kinds):
            out[start:end] = ["byline" if k == "byline" else "caption" for k in kinds]
    return out


_FILLS_COLUMN = 0.7  # chosen on dev page images (training.page_images): 0.5-0.8 all helped


def _same_print(lines: list[PageLine], i: int, width: float | None = None) -> bool:
    """Line ``i`` runs on a headline of the line before it: both are set in the same headline
    type (sizes known from an image, both well above body text and within a quarter of each
    other) and the line before filled the column (its length times its size at least
    :data:`_FILLS_COLUMN` of the ``width`` of body lines, when known). One headline over
    several lines, though OCR put each line in a block of its own; a headline that stops short
    of the column's edge has ended, and a second one of the same size is another article's."""
    if i == 0:
        return False
    prev, a, b = lines[i - 1], lines[i - 1].size, lines[i].size
    if not (a >= 1.3 and b >= 1.3 and abs(a - b) <= 0.25 * max(a, b)):
        return False
    return width is None or len(prev.text.replace(" ", "")) * a >= _FILLS_COLUMN * width


def _has_title(group: list[Line]) -> bool:
    return any(ln.kind in (HEAD, SUBTITLE) for ln in group)


def split_claimed(units, directions: list[str], p_start: list[float], threshold: float):
    """Split each body claimed by two headline groups (the one before heads it, the one after
    closes it) at its likeliest article start (the CRF's marginal of ``start`` on its
    paragraph-opening lines), when that likelihood passes ``threshold``.

    Returns the units and directions (unchanged where nothing was split).
    """
    out, dirs, g = [], [], 0
    for k, unit in enumerate(units):
        if isinstance(unit, Group):
            out.append(unit)
            dirs.append(directions[g])
            g += 1
            continue
        prev_claims = k > 0 and isinstance(units[k - 1], Group) and directions[g - 1] == "before"
        next_claims = (
            k + 1 < len(units) and isinstance(units[k + 1], Group) and directions[g] == "after"
        )
        cut = _best_cut(unit, p_start, threshold) if prev_claims and next_claims else None
        if cut is None:
            out.append(unit)
            continue
        first = Body(lines=unit.lines[:cut], lead_byline=unit.lead_byline)
        first.continued_from, first.marked = unit.continued_from, unit.marked
        first.captions = unit.captions
        second = Body(continued_to=unit.continued_to, notes=unit.notes)
        second.end_byline = unit.end_byline
        head = unit.lines[cut]
        text = _strip_lead(head.text, second)
        second.lines = [Line(text, head.kind, head.block, index=head.index)] if text else []
        second.lines += unit.lines[cut + 1 :]
        out += [first, second]
    return out, dirs


def _best_cut(body: Body, p_start: list[float], threshold: float) -> int | None:
    best, best_p = None, threshold
    for j in range(1, len(body.lines)):
        ln, before = body.lines[j], body.lines[j - 1]
        if ln.block == before.block or ln.index < 0:
            continue
        if p_start[ln.index] > best_p:
            best, best_p = j, p_start[ln.index]
    return best


class LearnedSegmenter:
    """The line tagger and the pairing model of one model folder."""

    def __init__(self, folder: Path | str) -> None:
        folder = Path(folder)
        self.tagger = LineTagger(folder / LineTagger.FILE)
        self.pairing = Pairing.load(folder / Pairing.FILE)

    def segment(
        self, lines: list[PageLine], cfg: SegmentConfig, small=None
    ) -> list[SegmentedArticle]:
        """Articles of a page's lines (chunks kept apart), orphans not yet attached.

        ``small(text)``, if given, segments the chunks of fewer than
        :attr:`SegmentConfig.rules_below_lines` lines (the rules do that better)."""
        tags = orphan_tags(lines, self.tagger.tag(lines, cfg), cfg)
        p_start = self.tagger.marginals_of("start", len(lines))
        out: list[SegmentedArticle] = []
        for start, end in chunk_spans(lines):
            if small is not None and end - start < cfg.rules_below_lines:
                out.extend(small(lines_text(lines[start:end])))
                continue
            units = units_from_tags(lines[start:end], tags[start:end], cfg)
            fit = title_fit(units, cfg)  # joining groups keeps the bodies: one fit serves both
            units = merge_stacked(units, cfg, self.pairing.stack_margin, fit)
            probs = [self.pairing.p_before(f) for f in pairing_features(units, cfg, fit)]
            dirs = decode_directions(units, probs, self.pairing)
            units, dirs = split_claimed(units, dirs, p_start, self.pairing.split_threshold)
            out.extend(assemble(units, cfg, dirs))
        return out


@lru_cache(maxsize=4)
def load_segmenter(folder: str) -> LearnedSegmenter:
    """The :class:`LearnedSegmenter` of ``folder``, loaded once per process."""
    return LearnedSegmenter(folder)
