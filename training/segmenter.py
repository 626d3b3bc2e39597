"""Train the learned page segmenter: the CRF line tagger and the headline pairing model.

Training pages are drawn by :func:`training.pages.random_spec` from the ``train`` split (CCTV
stories up to 2023 and the domestic ``other_outlets`` feeds up to 2026-07-19; ``outlet_share``
draws more of them); the pairing penalties are chosen on ``dev`` pages (CCTV 2024–2025) and,
with ``n_dev_outlets``, ``dev_outlets`` pages (the domestic feeds from 2026-07-20). Test pages (2026 foreign
and wire outlets, ``local_rare``), the hand-laid pages and the seed page are never used here.

Example::

    python -m training.segmenter --config training/configs/segmenter.json --out runs/segmenter
    python -m training.pages --split test --learned runs/segmenter   # then compare with rules

Ship by copying ``lines.crfsuite``, ``pairing.json``, ``titleness.npz`` (with ``--titleness``),
``dev.json`` and ``train_config.json`` to ``data/models/segmenter/`` when it wins on dev pages
(then the test benchmark once); for pages read off an image, to
``data/models/segmenter/image/`` when it wins on dev page images
(``python -m training.page_images``).
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from nlp.evaluation.pages import score_page, summarize
from nlp.segment import SegmentConfig
from nlp.segment.assemble import attach_orphans, mend_fragments
from nlp.segment.boundaries import Group
from nlp.segment.learned import (
    PAIRING_FEATURES,
    LearnedSegmenter,
    Pairing,
    pairing_features,
    units_from_tags,
)
from nlp.segment.tagger import (
    LineTagger,
    chunk_spans,
    line_features,
    page_lines,
    titleness_probs,
)
from nlp.segment.titleness import Titleness, training_texts
from training.config import parse_config, save_config
from training.pages import generated_pages, load_pool

log = logging.getLogger(__name__)


@dataclass
class SegmenterTrainConfig:
    """Settings of ``python -m training.segmenter``."""

    out: str = field(default="runs/segmenter", metadata={"help": "output folder"})
    n_train: int = field(default=1500, metadata={"help": "generated training pages"})
    n_dev: int = field(default=120, metadata={"help": "generated dev pages (choices only)"})
    first_seed: int = field(default=100000, metadata={"help": "seed of the first train page"})
    images: float = field(
        default=1 / 3, metadata={"help": "share of training pages set as read off an image"}
    )
    outlet_share: float = field(
        default=0.0,
        metadata={"help": "share of training articles drawn from the other_outlets items"},
    )
    n_dev_outlets: int = field(
        default=0, metadata={"help": "dev_outlets pages added to the dev pages (choices only)"}
    )
    titleness: bool = field(
        default=False,
        metadata={"help": "train a headline-register model on the train split as a CRF feature"},
    )
    titleness_c: float = field(default=1.0, metadata={"help": "its logistic regression's C"})
    c1: float = field(default=0.05, metadata={"help": "CRF L1 weight"})
    c2: float = field(default=0.01, metadata={"help": "CRF L2 weight"})
    max_iterations: int = field(default=150, metadata={"help": "CRF L-BFGS iterations"})
    penalties: str = field(
        default="4;1.5;0,0.005;0,0.5,1.5",
        metadata={"help": "conflict;untitled;split-threshold;stack-margin grids tried on dev"},
    )


_SIZES = {  # print size ranges against body text, as OCR boxes of a printed page give them
    "head": (1.4, 2.6),
    "kicker": (1.1, 1.4),
    "subtitle": (1.1, 1.5),
    "heading": (1.2, 1.8),
    "byline": (0.9, 1.1),
    "caption": (0.8, 1.0),
    "subhead": (1.0, 1.3),
    "furniture": (0.7, 1.0),
}


def synthetic_sizes(gold: dict, seed: int) -> list[float]:
    """Print sizes of a page's lines as OCR boxes of its image would give them: one headline
    size per article, the other kinds drawn from :data:`_SIZES`, body text 1.0 with a little
    noise."""
    rng = random.Random(seed * 31 + 7)
    head = {}
    out = []
    for tag, art in gold["lines"]:
        if tag == "head":
            size = head.setdefault(art, rng.uniform(*_SIZES["head"]))
        elif tag in _SIZES:
            size = rng.uniform(*_SIZES[tag])
        else:
            size = rng.gauss(1.0, 0.04)
        out.append(size)
    return out


_OCR_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def ocr_like(lines, tags: list[str], seed: int) -> None:
    """Change the lines of a page given print sizes the way OCR of its image reads them (in
    place): a subtitle's ``——`` is not read (text detection skips the rule), a byline's
    spaces are lost (``本报记者董全磊通讯员王东方``), Chinese quotes come back straight now and
    then. What the lines are stays the same; only the cues the rules and the tagger read off
    the text get weaker, so the tagger learns to use the print size as well."""
    rng = random.Random(seed * 17 + 3)
    for ln, tag in zip(lines, tags, strict=True):
        if tag == "subtitle" and ln.text.startswith("——") and rng.random() < 0.7:
            ln.text = ln.text.lstrip("—－- ") or ln.text
        elif tag == "byline" and rng.random() < 0.7:
            ln.text = "".join(ln.text.split())
        if rng.random() < 0.2:
            ln.text = ln.text.translate(_OCR_QUOTES)


def aligned(pages, sizes: bool = False) -> list[tuple[list, list[str], list[int], dict]]:
    """``(lines, tags, articles, gold)`` per page whose cleaned lines match its gold lines;
    with ``sizes``, pages set as read off an image (``print_sizes`` in the spec) get
    :func:`synthetic_sizes` and are read as OCR would (:func:`ocr_like`)."""
    out, skipped = [], 0
    for spec, text, gold in pages:
        seed = int(spec.get("seed", 0))
        page_sizes = synthetic_sizes(gold, seed) if sizes and spec.get("print_sizes") else None
        lines = page_lines(text, page_sizes)
        if len(lines) != len(gold["lines"]):
            skipped += 1
            continue
        if page_sizes is not None:
            ocr_like(lines, [t for t, _ in gold["lines"]], seed)
        out.append((lines, [t for t, _ in gold["lines"]], [a for _, a in gold["lines"]], gold))
    if skipped:
        log.warning("%d pages skipped: cleaned lines do not match the gold lines", skipped)
    return out


def group_directions(units, arts: list[int], gold: dict) -> list[str] | None:
    """The gold direction of each headline group of ``units`` (built from one chunk's gold
    tags): its first line's article's ``headline_position``; None when a group starts on a
    line of no article (a column heading read as a headline)."""
    firsts = [arts[u.lines[0].index] for u in units if isinstance(u, Group)]
    if any(a < 0 for a in firsts):
        return None
    return [gold["articles"][a]["headline_position"] for a in firsts]


def pairing_data(pages, cfg: SegmentConfig) -> tuple[list[list[float]], list[int]]:
    """Pairing features and labels (1 = headline before its body) from gold-tagged pages."""
    xs, ys = [], []
    for lines, tags, arts, gold in pages:
        for start, end in chunk_spans(lines):
            units = units_from_tags(lines[start:end], tags[start:end], cfg)
            dirs = group_directions(units, arts[start:end], gold)
            if dirs is None:
                continue
            xs += [[f[k] for k in PAIRING_FEATURES] for f in pairing_features(units, cfg)]
            ys += [d == "before" for d in dirs]
    return xs, ys


def _fold(item_id: str) -> int:
    return zlib.crc32(item_id.encode("utf-8")) % 2


def train_titleness(cfg: SegmenterTrainConfig, path: Path) -> tuple[Titleness, ...]:
    """The headline-register model of the train split's items (never dev or test ones),
    saved to ``path``, and two more, each of one half of the items (:func:`_fold` of the id),
    for the tagger's training pages: a line's feature there comes from the half that did
    not see its article, so that the CRF learns how far to trust the model on unseen text
    (the full model has seen every training headline and is surer of them than of any other)."""
    items = load_pool("train")
    fit = []
    for part in (None, 0, 1):
        rows = [it for i, it in items.items() if part is None or _fold(i) == part]
        titles, others = training_texts(rows, seed=cfg.first_seed)
        log.info("titleness (%s): %d headlines, %d body texts", part, len(titles), len(others))
        fit.append(Titleness.fit(titles, others, c=cfg.titleness_c))
    fit[0].save(path)
    return tuple(fit)


def crossfit_titles(page, halves: tuple[Titleness, Titleness]) -> list[tuple[float, float]]:
    """A training page's :func:`titleness_probs`, each line's from the half-model that did
    not see its article (lines of no article: the first half's)."""
    lines, _, arts, gold = page
    probs = [titleness_probs(lines, model) for model in halves]
    ids = [gold["articles"][a]["id"] if a >= 0 else "" for a in arts]
    return [probs[1 - _fold(i) if i else 0][k] for k, i in enumerate(ids)]


def train_tagger(
    pages,
    cfg: SegmenterTrainConfig,
    path: Path,
    seg_cfg: SegmentConfig,
    halves: tuple[Titleness, Titleness] | None = None,
) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for page in pages:
        lines, tags = page[0], page[1]
        titles = crossfit_titles(page, halves) if halves else None
        trainer.append(line_features(lines, seg_cfg, titles), tags)
    trainer.set_params(
        {"c1": cfg.c1, "c2": cfg.c2, "max_iterations": cfg.max_iterations}
        | {"feature.possible_transitions": True}
    )
    trainer.train(str(path))


def fit_pairing(xs, ys) -> Pairing:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000).fit(xs, ys)
    weights = dict(zip(PAIRING_FEATURES, map(float, model.coef_[0]), strict=True))
    return Pairing(weights=weights, bias=float(model.intercept_[0]))


def score(segmenter: LearnedSegmenter, pages, seg_cfg: SegmentConfig) -> dict:
    scores = []
    for _, text, gold in pages:
        segs = mend_fragments(segmenter.segment(page_lines(text), seg_cfg), seg_cfg.mend)
        arts = [s.article for s in attach_orphans(segs)]
        scores.append(score_page(arts, gold["articles"]))
    return summarize(scores)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = parse_config(SegmenterTrainConfig, argv, description=__doc__.split("\n")[0])
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    seg_cfg = SegmentConfig()
    t0 = time.time()
    train_pages = generated_pages(
        "train",
        cfg.n_train,
        first_seed=cfg.first_seed,
        variants=True,
        images=cfg.images,
        outlet_share=cfg.outlet_share,
    )
    train = aligned(train_pages, sizes=True)
    dev_pages = generated_pages("dev", cfg.n_dev, variants=True)
    if cfg.n_dev_outlets:
        dev_pages += generated_pages("dev_outlets", cfg.n_dev_outlets, variants=True)
    log.info("%d train pages, %d dev pages (%.0f s)", len(train), len(dev_pages), time.time() - t0)
    halves = None
    if cfg.titleness:
        halves = train_titleness(cfg, out / Titleness.FILE)[1:]
    elif (out / Titleness.FILE).exists():
        (out / Titleness.FILE).unlink()  # a stale one would be read by the new tagger
    train_tagger(train, cfg, out / LineTagger.FILE, seg_cfg, halves)
    log.info("CRF trained (%.0f s)", time.time() - t0)
    pairing = fit_pairing(*pairing_data(train, seg_cfg))
    pairing.save(out / Pairing.FILE)
    grids = [list(map(float, g.split(","))) for g in cfg.penalties.split(";")]
    segmenter = LearnedSegmenter(out)
    results = []
    for c, u, t, s in itertools.product(*grids):
        p = segmenter.pairing
        p.conflict_penalty, p.untitled_penalty, p.split_threshold, p.stack_margin = c, u, t, s
        m = score(segmenter, dev_pages, seg_cfg)
        results.append((m["with_headline"], m["exact_count"], c, u, t, s))
        log.info("dev conflict=%s untitled=%s split=%s stack=%s: %s", c, u, t, s, m)
    best = max(results)
    p = pairing
    p.conflict_penalty, p.untitled_penalty, p.split_threshold, p.stack_margin = best[2:]
    pairing.save(out / Pairing.FILE)
    save_config(cfg, out)
    keys = ("with_headline", "exact_count", "conflict", "untitled", "split", "stack_margin")
    report = {"dev": [dict(zip(keys, r, strict=True)) for r in results], "chosen": best[2:]}
    (out / "dev.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    log.info("chosen penalties %s (%.0f s)", best[2:], time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
