"""Assembly: each headline group goes to its body (or stacked headlines to a chain of
continued bodies), and every body becomes a :class:`SegmentedArticle`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from nlp.segment.boundaries import Body, Group, Likelihood, grams
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import (
    BODY,
    BYLINE,
    CAPTION,
    HEAD,
    KICKER,
    SUBHEAD,
    SUBTITLE,
    WIRE_LEAD_RE,
    Line,
    _is_headline_like,
    han_len,
)
from nlp.text import ends_sentence, join_wrapped_lines
from nlp.types import Article


@dataclass
class SegmentedArticle:
    """An :class:`~nlp.types.Article` with what the segmenter noted about it.

    Attributes:
        article: the article.
        continued_from: page of a ``（上接第X版）`` note stripped from the body (``"一"``).
        continued_to: page of a ``（下转第X版）`` note stripped from the body.
        headline_position: ``"before"`` or ``"after"`` the body, ``""`` without headline.
    """

    article: Article
    continued_from: str = ""
    continued_to: str = ""
    headline_position: str = ""


def _body_text(body: Body) -> str:
    """Paragraphs of a body, one per line: wrapped lines joined, also across column breaks
    (blank lines inside a sentence); subheads and kickers stay paragraphs of their own."""
    paragraphs: list[str] = []
    run: list[str] = []
    for ln in body.lines:
        if ln.kind in (SUBHEAD, KICKER):
            paragraphs.extend(join_wrapped_lines(run))
            paragraphs.append(ln.text)
            run = []
        else:
            run.append(ln.text)
    paragraphs.extend(join_wrapped_lines(run))
    return "\n".join(p for p in paragraphs if p)


def tail_headline(body: Body, cfg: SegmentConfig) -> int:
    """How many of ``body``'s last lines are a headline printed under it: a run of at most
    :attr:`SegmentConfig.tail_headline_lines` headline-like body lines that starts a new
    paragraph block right after a line ending a sentence, with body text left before it
    (headline-like: at most :attr:`SegmentConfig.max_headline_chars` characters, no sentence
    punctuation, one comma at most); 0 for none.
    (For a body that got no headline: a paragraph never ends without punctuation, so an
    unpunctuated end is a headline the tagger read as body text.)"""
    lines, most = body.lines, cfg.tail_headline_lines
    k = 0
    while k < min(most, len(lines) - 1):
        ln = lines[-1 - k]
        if ln.kind != BODY or not _is_headline_like(ln.text, cfg, allow_comma=True):
            break
        k += 1
    for n in range(k, 0, -1):
        first, before = lines[-n], lines[-n - 1]
        if first.block != before.block and ends_sentence(before.text):
            return n
    return 0


def _head_text(lines: list[Line]) -> str:
    return " ".join(ln.text for ln in lines if ln.kind in (HEAD, SUBTITLE))


def _choose_direction(units: list[Body | Group], lik: Likelihood, counts) -> str:
    """``"after"`` if headlines fit the body before them better than the body after them."""
    evidence = 0.0
    for k, unit in enumerate(units):
        if not isinstance(unit, Group):
            continue
        title = _head_text(unit.lines)
        prev = units[k - 1] if k > 0 and isinstance(units[k - 1], Body) else None
        nxt = units[k + 1] if k + 1 < len(units) and isinstance(units[k + 1], Body) else None
        if title and prev is not None and nxt is not None:
            evidence += lik.score(title, *counts[id(prev)]) - lik.score(title, *counts[id(nxt)])
    if evidence > 0:
        return "after"
    if evidence < 0:
        return "before"
    if units and isinstance(units[-1], Group) and not isinstance(units[0], Group):
        return "after"
    return "before"


def _assign_stack(
    titles: list[list[Line]],
    chain: list[Body],
    lik: Likelihood,
    counts,
    step: int,
    margin: float,
) -> list[int]:
    """Index into ``chain`` for each stacked title block (titles in page order).

    Every body of ``chain`` gets at least one title and the titles of one body are adjacent.
    The prior is nesting: the headline nearest the bodies belongs to the nearest body, the
    next one to the body beyond it (``B1 B2 H2 H1`` when headlines follow their bodies).
    The headline-to-body likelihood picks among nested assignments, and overrides the
    nesting only when another assignment fits better by more than ``margin``.
    """
    chain = chain[: len(titles)]
    m = len(chain)
    if m <= 1:
        return [0] * len(titles)
    # page order of the titles, nearest to the bodies first
    order = list(range(len(titles))) if step == -1 else list(range(len(titles)))[::-1]
    best_any: tuple[float, list[int]] | None = None
    best_nested: tuple[float, list[int]] | None = None
    for assign in itertools.product(range(m), repeat=len(titles)):
        if len(set(assign)) < m or any(
            assign[j] != assign[j - 1] and assign[j] in assign[: j - 1]
            for j in range(1, len(assign))
        ):
            continue
        score = sum(
            lik.score(_head_text(t), *counts[id(chain[a])])
            for t, a in zip(titles, assign, strict=True)
        )
        nested = all(assign[order[i]] <= assign[order[i + 1]] for i in range(len(order) - 1))
        if best_any is None or score > best_any[0]:
            best_any = (score, list(assign))
        if nested and (best_nested is None or score > best_nested[0]):
            best_nested = (score, list(assign))
    if best_nested is None or best_any is None:
        return [0] * len(titles)
    return best_any[1] if best_any[0] - best_nested[0] > margin else best_nested[1]


def assemble(
    units: list[Body | Group], cfg: SegmentConfig, directions: list[str] | None = None
) -> list[SegmentedArticle]:
    """Articles of one chunk: the layout is chosen, every headline group goes to its body (or
    its stacked headlines to a chain of bodies), bylines and captions go with their headline.
    A body or group holding only bylines or captions is kept as an article without title and
    body (:func:`attach_orphans` gives it to a neighbour).

    ``directions`` (``"before"``/``"after"``, one per :class:`Group` in order) overrides the
    page-wide layout, as the learned pairing (:mod:`nlp.segment.learned`) decides it."""
    bodies = [u for u in units if isinstance(u, Body)]
    page_text = "\n".join(b.text() for b in bodies)
    lik = Likelihood(page_text, cfg.dirichlet_mu)
    counts = {}
    for b in bodies:
        t = b.text()
        counts[id(b)] = (grams(t), han_len(t))
    groups = [id(u) for u in units if isinstance(u, Group)]
    if directions is None:
        directions = [_choose_direction(units, lik, counts)] * len(groups)
    direction_of = dict(zip(groups, directions, strict=True))

    titles: dict[int, list[list[Line]]] = {}
    extras: dict[int, list[Line]] = {}  # bylines and captions that came with a headline
    position: dict[int, str] = {}
    headline_only: set[int] = set()
    for k, unit in enumerate(units):
        if not isinstance(unit, Group):
            continue
        step = -1 if direction_of[id(unit)] == "after" else 1
        chain = _chain(units, k, step, cfg.max_stack)
        if not chain or id(chain[0]) in titles:  # no body that way, or it has its headline
            step = -step
            chain = _chain(units, k, step, cfg.max_stack)
        if not chain:
            headline_only.add(id(unit))
            continue
        blocks = unit.sub_blocks()
        title_blocks = [b for b in blocks if any(ln.kind in (HEAD, SUBTITLE) for ln in b)]
        if len(title_blocks) >= 2 and len(chain) >= 2:
            assign = _assign_stack(
                title_blocks[: cfg.max_stack], chain, lik, counts, step, cfg.stack_override_margin
            )
            assign += [assign[-1]] * (len(title_blocks) - len(assign))
        else:
            assign = [0] * len(title_blocks)
        owner = {id(tb): a for tb, a in zip(title_blocks, assign, strict=True)}
        current = assign[0] if assign else 0  # bylines/captions before any title go with it
        for blk in blocks:
            if id(blk) in owner:
                current = owner[id(blk)]
                titles.setdefault(id(chain[current]), []).append(blk)
                position[id(chain[current])] = "after" if step == -1 else "before"
                others = [ln for ln in blk if ln.kind in (BYLINE, CAPTION)]
                extras.setdefault(id(chain[current]), []).extend(others)
            else:
                extras.setdefault(id(chain[current]), []).extend(blk)

    out: list[SegmentedArticle] = []
    for unit in units:
        if isinstance(unit, Group):
            if id(unit) in headline_only:
                out.append(_headline_only(unit))
            continue
        key = id(unit)
        blocks = titles.get(key, [])
        title = " ".join(_head_text(b) for b in blocks)
        if not title and (n := tail_headline(unit, cfg)):
            title = " ".join(ln.text for ln in unit.lines[-n:])
            unit = replace(unit, lines=unit.lines[:-n])
            position[key] = "after"
        extra = extras.get(key, [])
        bylines = [ln.text for ln in extra if ln.kind == BYLINE]
        body = _body_text(unit)
        wire = WIRE_LEAD_RE.match(body)  # matched once joined: the dateline may wrap
        if wire and not unit.lead_byline:
            unit.lead_byline = wire.group(1).strip()
            body = body[wire.end() :]
        if unit.lead_byline:
            bylines.append(unit.lead_byline)
        if unit.end_byline:
            bylines.append(unit.end_byline)
        captions = [ln.text for ln in extra if ln.kind == CAPTION] + unit.captions
        body = "\n".join(p for p in [body, *unit.notes] if p)
        if not (title or body or bylines or captions):
            continue
        art = Article(title=title, body=body, byline=" ".join(bylines), captions=captions)
        out.append(
            SegmentedArticle(art, unit.continued_from, unit.continued_to, position.get(key, ""))
        )
    return out


def _chain(units: list[Body | Group], k: int, step: int, max_stack: int) -> list[Body]:
    """Bodies a headline group at ``k`` may belong to, going ``step``: its neighbour, then
    further bodies joined to it without a headline group in between, as long as each is an
    explicit article (opened by 本报讯 or （上接…）) and so needs a headline of its own."""
    chain: list[Body] = []
    j = k + step
    while 0 <= j < len(units) and isinstance(units[j], Body) and len(chain) < max_stack:
        if chain and not (units[j].marked if step == -1 else True):
            break
        chain.append(units[j])
        j += step
    return chain


def _headline_only(group: Group) -> SegmentedArticle:
    """A headline group with no body on its page (a headline-only item)."""
    bylines = [ln.text for ln in group.lines if ln.kind == BYLINE]
    captions = [ln.text for ln in group.lines if ln.kind == CAPTION]
    art = Article(
        title=_head_text(group.lines), body="", byline=" ".join(bylines), captions=captions
    )
    return SegmentedArticle(art, headline_position="before")


def mend_fragments(segs: list[SegmentedArticle], mend: str) -> list[SegmentedArticle]:
    """Repair the two fragments a line tagger leaves when it takes a body line for a headline
    (``mend``: the repairs to make, see :attr:`SegmentConfig.mend`).

    - ``untitled``: an article with a body but no headline, no ``（上接…）`` note and no byline,
      after another article, is the rest of that article's body (cut where a line looked
      like a headline): it is joined to it.
    - ``bodiless``: a headline with no body, after an article whose headline stands before
      its body, is that article's headline set after it; what was taken for its headline
      was the body's first line.

    Example:
        >>> a = SegmentedArticle(Article(title="国务院印发《推动大规模", body="设备更新行动方案》。"),
        ...                      headline_position="before")
        >>> b = SegmentedArticle(Article(title="国务院印发设备更新方案", body=""), headline_position="after")
        >>> [(s.article.title, s.article.body) for s in mend_fragments([a, b], "bodiless")]
        [('国务院印发设备更新方案', '国务院印发《推动大规模设备更新行动方案》。')]
    """
    todo = {m for m in mend.split(",") if m}
    out: list[SegmentedArticle] = []
    for seg in segs:
        art = seg.article
        prev = out[-1] if out else None
        if (
            "untitled" in todo
            and prev is not None
            and not art.title
            and art.body
            and not art.byline
            and not seg.continued_from
            and (prev.article.title or prev.article.body)
        ):
            p = prev.article
            p.body = "\n".join(x for x in (p.body, art.body) if x)
            p.captions = p.captions + art.captions
            prev.continued_to = prev.continued_to or seg.continued_to
            continue
        if (
            "bodiless" in todo
            and prev is not None
            and art.title
            and not art.body
            and prev.headline_position == "before"
            and prev.article.title
            and prev.article.body
        ):
            p = prev.article
            p.body = join_wrapped_lines([p.title.replace(" ", ""), p.body.split("\n")[0]])[0] + (
                "\n" + p.body.split("\n", 1)[1] if "\n" in p.body else ""
            )
            p.title = art.title
            p.byline = " ".join(x for x in (p.byline, art.byline) if x)
            p.captions = p.captions + art.captions
            prev.headline_position = "after"
            prev.continued_to = prev.continued_to or seg.continued_to
            continue
        out.append(seg)
    return out


def attach_orphans(segs: list[SegmentedArticle]) -> list[SegmentedArticle]:
    """Give bylines and captions that stand without a title or body (alone after a form feed,
    a ``-----`` rule or several blank lines) to the article before them, or to the first
    article when they open the page; a page of nothing else keeps them as one article.

    Args:
        segs: the articles of a page in order, orphans included.

    Returns:
        The articles with a title or a body, in order, holding the orphans' bylines and
        captions (``[]`` stays ``[]``).

    Example:
        >>> a = SegmentedArticle(Article(title="标题一二三四", body="正文。"))
        >>> b = SegmentedArticle(Article(title="", body="", captions=["图为现场 王琳 摄"]))
        >>> [s.article.captions for s in attach_orphans([a, b])]
        [['图为现场 王琳 摄']]
    """
    out: list[SegmentedArticle] = []
    leading: list[Article] = []
    for seg in segs:
        if seg.article.title or seg.article.body:
            out.append(seg)
        elif out:
            _take_extras(out[-1].article, seg.article)
        else:
            leading.append(seg.article)
    if not out:
        if not leading:
            return []
        out.append(SegmentedArticle(Article(title="", body="")))
    first = out[0].article
    for orphan in reversed(leading):  # orphans before the first article come before its own
        _take_extras(first, orphan, front=True)
    return out


def _take_extras(target: Article, orphan: Article, front: bool = False) -> None:
    bylines = [orphan.byline, target.byline] if front else [target.byline, orphan.byline]
    target.byline = " ".join(b for b in bylines if b)
    target.captions = (
        orphan.captions + target.captions if front else target.captions + orphan.captions
    )
