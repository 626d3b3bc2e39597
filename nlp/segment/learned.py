"""The learned segmenter: lines tagged by a CRF, headlines paired with bodies by a scored model.

1. :class:`~nlp.segment.tagger.LineTagger` gives every line its role (headline block, byline,
   caption, body start, body, subhead, note, furniture).
2. :func:`units_from_tags` turns the roles into bodies and headline groups (the same units
   the rules build), parsing what is deterministic as the rules do (本报讯 leads, （上接…）
   and （下转…） notes, end bylines).
3. :class:`Pairing` gives each headline group the probability that it heads the body after it
   (a logistic model over how well the headline's characters fit the body on each side, the
   rest of the page's evidence, and where the group stands), and :func:`decode_directions`
   chooses all directions at once by dynamic programming, so that no body gets two headlines
   and few are left without one.
4. :func:`nlp.segment.assemble.assemble` builds the articles with those directions.

The artifacts (``lines.crfsuite``, ``pairing.json``) are in ``data/models/segmenter`` and
are trained by ``python -m training.segmenter``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.segment.assemble import SegmentedArticle, _head_text, assemble
from nlp.segment.boundaries import (
    Body,
    Group,
    Likelihood,
    _add_note,
    _last_body,
    _strip_lead,
    grams,
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
    han_len,
    line_kind,
)
from nlp.segment.tagger import HEAD_TAGS, LineTagger, PageLine

PAIRING_FEATURES = (
    "fit_diff",
    "fit_prev",
    "fit_next",
    "no_prev",
    "no_next",
    "page_evidence",
    "first",
    "last",
    "next_marked",
    "prev_noted",
    "byline",
    "n_groups",
)


def units_from_tags(lines: list[PageLine], tags: list[str], cfg: SegmentConfig):
    """Bodies and headline groups of one chunk's tagged lines, in page order."""
    units: list[Body | Group] = []
    current = Body()
    group: list[Line] = []
    block = 0

    def close_group() -> None:
        if group:
            units.append(Group(list(group)))
            group.clear()

    def close_body() -> None:  # an empty body keeps what a （上接…） line said of it
        nonlocal current
        if current.lines or current.captions or current.lead_byline or current.notes or (
            current.end_byline
        ):
            units.append(current)
            current = Body()

    for i, (ln, tag) in enumerate(zip(lines, tags, strict=True)):
        block += ln.blank_before
        kind, lead = line_kind(ln.text, cfg)
        if tag in ("furniture", "heading"):
            continue
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
            if group and tag in ("kicker", "head") and ln.blank_before and _has_title(group):
                close_group()  # a new headline block: stacked headlines of two articles
            if not group:
                close_body()
            line_kind_ = {"subtitle": SUBTITLE, "byline": "byline", "caption": CAPTION}
            group.append(Line(ln.text, line_kind_.get(tag, HEAD), block, index=i))
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


def merge_stacked(units: list[Body | Group], cfg: SegmentConfig, margin: float):
    """Join headline groups that stand next to each other with no body between, unless the
    first fits the body before and the second the body after by more than ``margin`` (summed
    log-likelihood ratios): then they are the headlines of two articles (one closing the
    article above, one opening the next). Joined groups keep their title blocks, which
    :func:`~nlp.segment.assemble.assemble` shares out over continued bodies."""
    bodies = [u for u in units if isinstance(u, Body)]
    lik = Likelihood("\n".join(b.text() for b in bodies), cfg.dirichlet_mu)
    counts = {id(b): (grams(b.text()), han_len(b.text())) for b in bodies}

    def fit(group: Group, body: Body | None) -> float:
        title = _head_text(group.lines)
        return lik.score(title, *counts[id(body)]) if body is not None and title else 0.0

    out: list[Body | Group] = []
    for k, unit in enumerate(units):
        prev = out[-1] if out else None
        if isinstance(unit, Group) and isinstance(prev, Group):
            before = next((u for u in reversed(out) if isinstance(u, Body)), None)
            after = next((u for u in units[k + 1 :] if isinstance(u, Body)), None)
            evidence = fit(prev, before) - fit(prev, after) + fit(unit, after) - fit(unit, before)
            if before is None or after is None or evidence <= margin:
                out[-1] = Group(prev.lines + unit.lines)
                continue
        out.append(unit)
    return out


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


@dataclass
class Pairing:
    """Logistic weights over :data:`PAIRING_FEATURES`: P(a headline group heads the next body)."""

    weights: dict[str, float]
    bias: float
    conflict_penalty: float = 4.0
    """Log-score cost of giving one body two headline groups."""
    untitled_penalty: float = 1.5
    """Log-score cost of a body left without a headline."""
    split_threshold: float = 0.05
    """A body claimed by two headline groups is split where the CRF's probability of an
    article start is highest, if above this."""
    stack_margin: float = 0.5
    """Adjacent headline blocks are one group unless they fit the bodies on either side
    better than this (see :func:`merge_stacked`)."""

    FILE = "pairing.json"

    @classmethod
    def load(cls, path: Path | str) -> Pairing:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**data)

    def save(self, path: Path | str) -> None:
        data = {"weights": self.weights, "bias": self.bias}
        data |= {"conflict_penalty": self.conflict_penalty}
        data |= {"untitled_penalty": self.untitled_penalty}
        data |= {"split_threshold": self.split_threshold, "stack_margin": self.stack_margin}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")

    def p_before(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _neighbour_body(units, k: int, step: int) -> Body | None:
    j = k + step
    return units[j] if 0 <= j < len(units) and isinstance(units[j], Body) else None


def pairing_features(units: list[Body | Group], cfg: SegmentConfig) -> list[dict[str, float]]:
    """:data:`PAIRING_FEATURES` of every headline group of one chunk, in order."""
    bodies = [u for u in units if isinstance(u, Body)]
    lik = Likelihood("\n".join(b.text() for b in bodies), cfg.dirichlet_mu)
    counts = {id(b): (grams(b.text()), han_len(b.text())) for b in bodies}
    raw = []
    for k, unit in enumerate(units):
        if not isinstance(unit, Group):
            continue
        title = _head_text(unit.lines)
        prev, nxt = _neighbour_body(units, k, -1), _neighbour_body(units, k, 1)
        fit_prev = lik.score(title, *counts[id(prev)]) if prev is not None and title else 0.0
        fit_next = lik.score(title, *counts[id(nxt)]) if nxt is not None and title else 0.0
        raw.append(
            {
                "fit_diff": fit_next - fit_prev,
                "fit_prev": fit_prev,
                "fit_next": fit_next,
                "no_prev": float(prev is None),
                "no_next": float(nxt is None),
                "first": float(k == 0),
                "last": float(k == len(units) - 1),
                "next_marked": float(nxt is not None and nxt.marked),
                "prev_noted": float(prev is not None and bool(prev.notes or prev.end_byline)),
                "byline": float(any(ln.kind == "byline" for ln in unit.lines)),
                "n_groups": 0.0,
            }
        )
    total = sum(math.tanh(r["fit_diff"]) for r in raw if not (r["no_prev"] or r["no_next"]))
    for r in raw:
        own = math.tanh(r["fit_diff"]) if not (r["no_prev"] or r["no_next"]) else 0.0
        r["page_evidence"] = total - own
        r["n_groups"] = math.log1p(len(raw))
    return raw


def decode_directions(units: list[Body | Group], p_before: list[float], pairing: Pairing):
    """The best ``"before"``/``"after"`` for every group: sum of log-probabilities, minus the
    penalties for a body with two headlines or none (a Viterbi pass over the groups)."""
    groups = [k for k, u in enumerate(units) if isinstance(u, Group)]
    if not groups:
        return []

    def bodies_between(a: int, b: int) -> int:
        return sum(isinstance(u, Body) for u in units[a + 1 : b])

    def cost(n_bodies: int, left_claims: bool, right_claims: bool) -> float:
        claims = left_claims + right_claims
        if n_bodies == 0:
            return 0.0
        if n_bodies == 1 and claims == 2:
            return -pairing.conflict_penalty
        return -pairing.untitled_penalty * max(0, n_bodies - claims)

    def emit(i: int, d: int) -> float:  # d: 1 = before (claims the next body), 0 = after
        k = groups[i]
        if _neighbour_body(units, k, 1 if d else -1) is None:
            other = _neighbour_body(units, k, -1 if d else 1)
            return -50.0 if other is not None else 0.0
        p = min(max(p_before[i], 1e-6), 1 - 1e-6)
        return math.log(p if d else 1 - p)

    score = [emit(0, d) + cost(bodies_between(-1, groups[0]), False, not d) for d in (0, 1)]
    back: list[list[int]] = []
    for i in range(1, len(groups)):
        n = bodies_between(groups[i - 1], groups[i])
        new, ptr = [], []
        for d in (0, 1):
            options = [score[e] + cost(n, bool(e), not d) for e in (0, 1)]
            best = max((0, 1), key=lambda e, o=options: o[e])
            new.append(options[best] + emit(i, d))
            ptr.append(best)
        score, back = new, back + [ptr]
    n_tail = bodies_between(groups[-1], len(units))
    score = [score[d] + cost(n_tail, bool(d), False) for d in (0, 1)]
    d = max((0, 1), key=lambda e: score[e])
    out = [d]
    for ptr in reversed(back):
        d = ptr[d]
        out.append(d)
    return ["before" if d else "after" for d in reversed(out)]


class LearnedSegmenter:
    """The line tagger and the pairing model of one model folder."""

    def __init__(self, folder: Path | str) -> None:
        folder = Path(folder)
        self.tagger = LineTagger(folder / LineTagger.FILE)
        self.pairing = Pairing.load(folder / Pairing.FILE)

    def segment(self, lines: list[PageLine], cfg: SegmentConfig) -> list[SegmentedArticle]:
        """Articles of a page's lines (chunks kept apart), orphans not yet attached."""
        tags = self.tagger.tag(lines, cfg)
        p_start = self.tagger.marginals_of("start", len(lines))
        out: list[SegmentedArticle] = []
        start = 0
        for end in range(1, len(lines) + 1):
            if end < len(lines) and lines[end].chunk == lines[start].chunk:
                continue
            units = units_from_tags(lines[start:end], tags[start:end], cfg)
            units = merge_stacked(units, cfg, self.pairing.stack_margin)
            probs = [self.pairing.p_before(f) for f in pairing_features(units, cfg)]
            dirs = decode_directions(units, probs, self.pairing)
            units, dirs = split_claimed(units, dirs, p_start, self.pairing.split_threshold)
            out.extend(assemble(units, cfg, dirs))
            start = end
        return out


@lru_cache(maxsize=4)
def load_segmenter(folder: str) -> LearnedSegmenter:
    """The :class:`LearnedSegmenter` of ``folder``, loaded once per process."""
    return LearnedSegmenter(folder)
