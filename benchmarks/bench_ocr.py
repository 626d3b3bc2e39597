"""OCR + segmentation of the seed page printed as an image: time, recognition accuracy, articles.

The seed page is set in six columns with headlines in a larger font
(:mod:`training.page_image`); each OCR setting reads it, the learned segmenter splits the text
(with the line sizes the boxes give), and the result is compared with the seed page's gold.
The first setting is the old default and every ratio is against it, measured in the same run.

    python benchmarks/bench_ocr.py [--settings 4000,1,6 3000,0,16 ...] [--save seed.png]

A setting is ``max_side,angle_classifier,rec_batch``. Printed per setting: OCR seconds,
segmentation seconds, character accuracy (1 - edit distance / length, against the printed
text), articles found, articles with their own headline (of 9), gold headlines found with
punctuation and spaces ignored (``loose``) and fragments (articles that match no gold
article).
"""

from __future__ import annotations

import argparse
import difflib
import re
import time
import unicodedata

from nlp import paths
from nlp.evaluation.pages import norm, score_page
from nlp.evaluation.segmentation import load_gold
from nlp.ocr import OcrConfig, ocr_page
from nlp.segment import segment_page
from training.page_image import render_blocks, seed_blocks

DEFAULT_SETTINGS = ("4000,1,6", "4000,0,6", "2800,0,6")


def char_accuracy(found: str, printed: str) -> float:
    """1 - (edit operations / printed length), from difflib's matching blocks, no spaces."""
    a, b = norm(found), norm(printed)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(m.size for m in matcher.get_matching_blocks())
    return round(matched / max(1, len(b)) - max(0, len(a) - matched) / max(1, len(b)), 4)


def loose(text: str) -> str:
    """NFKC, letters and digits only: a headline compared without the punctuation and spaces
    that OCR gets wrong (`—` read as `一` is still a miss)."""
    return re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", text or ""))


def loose_headlines(articles, gold) -> int:
    """Gold headlines that some article's title equals, punctuation aside."""
    titles = {loose(a.title) for a in articles}
    return sum(loose(r["title"]) in titles for r in gold)


def fragments(articles, gold) -> int:
    """Articles whose body holds no gold first sentence and whose title is no gold title."""
    firsts = [norm(r["first_sentence"]) for r in gold]
    titles = {norm(r["title"]) for r in gold}
    return sum(
        1
        for a in articles
        if norm(a.title) not in titles and not any(f and f in norm(a.body) for f in firsts)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS))
    ap.add_argument("--save", default="", help="also write the rendered page here")
    args = ap.parse_args(argv)
    gold = load_gold(paths.seed_gold())
    blocks = seed_blocks()
    image = render_blocks(blocks)
    if args.save:
        image.save(args.save)
    printed = "".join(text for _, text in blocks)
    print(f"seed page image {image.size[0]} x {image.size[1]} px, {len(norm(printed))} characters")
    head = f"{'setting':>12} {'ocr s':>7} {'vs first':>8} {'seg s':>6} {'char acc':>8}"
    print(head + f" {'articles':>8} {'own headline':>12} {'loose':>6} {'fragments':>9}")
    base = None
    for setting in args.settings:
        side, cls, batch = setting.split(",")
        cfg = OcrConfig(max_side=int(side), angle_classifier=cls == "1", rec_batch=int(batch))
        ocr_page(image.resize((64, 64)), cfg)  # load the engine outside the timing
        t0 = time.perf_counter()
        page = ocr_page(image, cfg)
        t1 = time.perf_counter()
        arts = segment_page(page.text, line_sizes=page.line_sizes)
        t2 = time.perf_counter()
        base = base or (t1 - t0)
        own = score_page(arts, gold)["with_headline"]
        print(
            f"{setting:>12} {t1 - t0:7.1f} {(t1 - t0) / base:8.2f} {t2 - t1:6.2f}"
            f" {char_accuracy(page.text, printed):8.4f} {len(arts):8d} {own:>10d}/9"
            f" {loose_headlines(arts, gold):>4d}/9 {fragments(arts, gold):9d}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
