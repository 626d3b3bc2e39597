"""Settings of the page segmenter (:class:`SegmentConfig`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SegmentConfig:
    """Knobs of :func:`segment_page`; the rules' defaults were set on the seed page and on pairs
    of consecutive 新闻联播 stories (see ``data/seeds/README.md``)."""

    method: str = "learned"
    """``learned`` (the CRF line tagger and pairing model of :mod:`nlp.segment.learned`) or
    ``rules`` (the hand-set rules below, the baseline)."""
    model_dir: str = ""
    """The learned segmenter's folder; empty means ``data/models/segmenter``."""
    rules_below_lines: int = 5
    """Texts of fewer non-blank lines than this (a headline and a paragraph or two) go to the
    rules even with ``method="learned"``: on such dev pages the rules got every article
    (83 pages of at most 4 lines: 1.000 vs 0.988 for the tagger, which learns from layout
    that a few lines do not have)."""

    max_headline_chars: int = 40
    """A headline line has at most this many characters."""
    min_headline_han: int = 4
    """... and at least this many Han characters."""
    full_line_ratio: float = 0.8
    """A line at least this share of the column width (the median length of wrapped lines) is
    a body line cut by a column break, not a subhead; a paragraph's first line is shorter
    than the column by its indent, hence well below 1."""
    in_block_ratio: float = 0.75
    """A headline-like line directly followed by body lines (no blank line between) is taken
    as a headline only if shorter than this share of the column width (a paragraph's first
    line is only an indent shorter than the column)."""
    max_headline_lines: int = 4
    """A block of more headline-like lines than this is body text."""
    continuity_window: int = 300
    """Characters of body text compared on each side of a candidate headline."""
    boundary_similarity: float = 0.08
    """Bigram cosine below which a one-line candidate (no other cue) starts a new article."""
    multi_line_boundary_similarity: float = 0.15
    """The same for a candidate of two or more headline lines (rarely a subhead)."""
    full_line_boundary_similarity: float = 0.02
    """The same for a single column-wide line followed by a block whose first line is not
    indented (usually a body line cut by a column break)."""
    min_context_chars: int = 40
    """With less body text than this on either side the topic test is not trusted: the
    candidate is treated as a headline."""
    dirichlet_mu: float = 200.0
    """Smoothing of the headline-to-body likelihood (in characters)."""
    max_stack: int = 4
    """At most this many stacked headlines / continued bodies are matched together."""
    stack_override_margin: float = 1.0
    """Stacked headlines follow the nesting order unless another assignment fits the bodies
    better by more than this (summed mean log-likelihood ratio; 95% of pairs of same-day
    新闻联播 stories are told apart by more than 1.0)."""

    tail_headline_lines: int = 3
    """An article left without a headline whose body ends, after a finished sentence, in a new
    paragraph block of up to this many headline-like lines (no sentence punctuation) takes
    them as its headline printed after it (a body never ends unpunctuated; 0: off)."""
    mend: str = "untitled,bodiless"
    """Repairs of the learned segmenter's output (comma-separated, empty for none):
    ``untitled`` joins an article without headline, continuation note or byline to the one
    before it (a body cut in two); ``bodiless`` gives a headline with no body after an article
    whose headline stands before it to that article, its first "headline" going back to the
    body (a body's first line taken for a headline). See
    :func:`nlp.segment.assemble.mend_fragments`."""

    def __post_init__(self) -> None:
        if self.method not in ("learned", "rules"):
            raise ValueError(f"method must be 'learned' or 'rules', got {self.method!r}")
        if self.max_headline_chars < 4:
            raise ValueError(f"max_headline_chars must be >= 4, got {self.max_headline_chars!r}")
        if not 0.0 < self.full_line_ratio <= 1.0:
            raise ValueError(f"full_line_ratio must be in (0, 1], got {self.full_line_ratio!r}")
        if self.continuity_window < 20:
            raise ValueError(f"continuity_window must be >= 20, got {self.continuity_window!r}")
        if self.dirichlet_mu <= 0:
            raise ValueError(f"dirichlet_mu must be > 0, got {self.dirichlet_mu!r}")
        unknown = {m for m in self.mend.split(",") if m} - {"untitled", "bodiless"}
        if unknown:
            raise ValueError(f"mend takes untitled and bodiless, got {sorted(unknown)!r}")
        if not 1 <= self.max_stack <= 6:
            raise ValueError(f"max_stack must be in 1..6, got {self.max_stack!r}")
