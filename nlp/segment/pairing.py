"""Pairing headlines with bodies: which way each headline group goes (the learned segmenter).

:class:`Pairing` gives each headline group the probability that it heads the body after it
(a logistic model over how well the headline's characters fit the body on each side, the rest
of the page's evidence, and where the group stands); :func:`decode_directions` chooses all
directions at once by dynamic programming, so that no body gets two headlines and few are left
without one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from nlp.segment.assemble import _head_text
from nlp.segment.boundaries import Body, Group, Likelihood, grams
from nlp.segment.config import SegmentConfig
from nlp.segment.lines import han_len

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
        data = json.dumps(asdict(self), ensure_ascii=False, indent=1)
        Path(path).write_text(data + "\n", "utf-8")

    def p_before(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _neighbour_body(units, k: int, step: int) -> Body | None:
    j = k + step
    return units[j] if 0 <= j < len(units) and isinstance(units[j], Body) else None


TitleFit = Callable[[Group, "Body | None"], float]


def title_fit(units: list[Body | Group], cfg: SegmentConfig) -> TitleFit:
    """``fit(group, body)``: how well the group's headline fits the body (the mean
    log-likelihood ratio of :class:`~nlp.segment.boundaries.Likelihood` against the chunk's
    bodies; 0 without a body or a title). Built once per chunk; groups may be joined after,
    the bodies must stay the same objects."""
    bodies = [u for u in units if isinstance(u, Body)]
    lik = Likelihood("\n".join(b.text() for b in bodies), cfg.dirichlet_mu)
    counts = {id(b): (grams(b.text()), han_len(b.text())) for b in bodies}

    def fit(group: Group, body: Body | None) -> float:
        title = _head_text(group.lines)
        return lik.score(title, *counts[id(body)]) if body is not None and title else 0.0

    return fit


def pairing_features(
    units: list[Body | Group], cfg: SegmentConfig, fit: TitleFit | None = None
) -> list[dict[str, float]]:
    """:data:`PAIRING_FEATURES` of every headline group of one chunk, in order (``fit``:
    the chunk's :func:`title_fit`, built here when not given)."""
    fit = fit or title_fit(units, cfg)
    raw = []
    for k, unit in enumerate(units):
        if not isinstance(unit, Group):
            continue
        prev, nxt = _neighbour_body(units, k, -1), _neighbour_body(units, k, 1)
        fit_prev, fit_next = fit(unit, prev), fit(unit, nxt)
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
