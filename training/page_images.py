"""Generated pages printed as page images, OCR'd, and segmented: the image path on pages to choose on.

The seed page image is evaluation only, and the training-split CCTV page of
``benchmarks/bench_ocr.py`` is one page; this stage prints ``n`` generated pages of a split
(:func:`training.pages.generated_pages`, at least four articles each) as a paper sets them
(:func:`training.page_image.page_blocks`, :func:`training.page_image.render_blocks`: six
columns, headlines in a larger font), reads each with the shipped OCR settings, and scores
the rules and one or more learned segmenter folders on the text with its line sizes, as the
app and ``python -m nlp segment page.png`` do. Headlines are compared in letters and digits
(``score_page(..., loose=True)``: OCR's quotes and dashes aside).

OCR is the slow part (about 10 s a page on 2 cores), so each page's recognised fragments are
kept under the cache folder (``$NEWSDESK_CACHE/page_images/``, keyed by split, seed, the OCR
settings and what was printed); a second run lays them out (:func:`nlp.ocr.page_layout`) and segments.

Example::

    python -m training.page_images --split dev --n 10 --learned data/models/segmenter/image,data/models/segmenter
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from nlp import paths
from nlp.evaluation.pages import score_page, summarize
from nlp.segment import SegmentConfig, segment_page
from training.pages import generated_pages

MIN_ARTICLES = 4


def ocr_pages(split: str, n: int, first_seed: int = 7000, read=None, cache: Path | None = None):
    """``n`` pages of ``split`` of at least :data:`MIN_ARTICLES` articles, printed and read:
    ``[{"page_id", "text", "sizes", "gold"}]``.

    Args:
        split, n, first_seed: the pages (:func:`training.pages.generated_pages`).
        read: image -> recognised fragments (default :func:`nlp.ocr.recognise` with the
            shipped settings). The fragments are kept (``cache``: their folder) and laid out
            by :func:`nlp.ocr.page_layout` on every run, so a change of the layout code is
            measured without reading the pages again.
    """
    from nlp.ocr import OcrConfig, TextBox, page_layout, recognise
    from training.page_image import page_blocks, render_blocks

    config = OcrConfig()
    key = hashlib.sha1(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:8]
    cache = cache or paths.cache_dir() / "page_images"
    read = read or (lambda image: recognise(image, config))
    out, seed = [], first_seed
    while len(out) < n:
        batch = generated_pages(split, 8, first_seed=seed)
        seed += 8
        for spec, text, gold in batch:
            if len(gold["articles"]) < MIN_ARTICLES or len(out) == n:
                continue
            blocks = page_blocks(text, gold)
            printed = hashlib.sha1(json.dumps(blocks, ensure_ascii=False).encode()).hexdigest()
            path = cache / f"{split}-{spec['seed']}-{key}-{printed[:8]}.json"
            if not path.is_file():
                boxes = [asdict(b) for b in read(render_blocks(blocks))]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(boxes, ensure_ascii=False), encoding="utf-8")
            boxes = [TextBox(**b) for b in json.loads(path.read_text(encoding="utf-8"))]
            page = page_layout(boxes, gap=config.gap)
            row = {"page_id": spec["page_id"], "text": page.text, "sizes": page.line_sizes}
            out.append(row | {"gold": gold["articles"]})
    return out


def score_images(rows: list[dict], config: SegmentConfig) -> dict:
    """:func:`nlp.evaluation.pages.summarize` of one segmenter over read pages (loose)."""
    scores = []
    for row in rows:
        arts = segment_page(row["text"], config=config, line_sizes=row["sizes"])
        scores.append(score_page(arts, row["gold"], loose=True))
    return summarize(scores)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="dev", choices=("train", "dev", "dev_outlets"))
    ap.add_argument("--n", type=int, default=10, help="pages")
    ap.add_argument("--seed", type=int, default=7000, help="first page seed")
    ap.add_argument(
        "--learned",
        default="",
        help="comma-separated segmenter folders (default: the shipped one); a folder with an "
        "image/ model uses that one on these pages, as the app does",
    )
    args = ap.parse_args(argv)
    rows = ocr_pages(args.split, args.n, args.seed)
    configs = {"rules": SegmentConfig(method="rules")}
    for folder in args.learned.split(",") if args.learned else [""]:
        configs[folder or "shipped"] = SegmentConfig(model_dir=folder)
    n_articles = sum(len(r["gold"]) for r in rows)
    print(f"{args.split}: {len(rows)} page images, {n_articles} articles")
    print(f"{'segmenter':>40} {'own headline':>12} {'exact count':>11} {'boundary F1':>11}")
    for name, config in configs.items():
        m = score_images(rows, config)
        print(f"{name:>40} {m['with_headline']:>12} {m['exact_count']:>11} {m['boundary_f1']:>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
