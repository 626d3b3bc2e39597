"""OCR + segmentation of a page printed as an image: time, recognition accuracy, articles.

Two pages are printed in six columns with headlines in a larger font
(:mod:`training.page_image`): a page of CCTV stories from 2019 (training split), on which the
OCR settings were chosen, and the seed page, which is evaluation only. Each OCR setting reads
both, the learned segmenter splits the text (with the line sizes the boxes give) and the
result is compared with the page's gold (the 2019 page: each story's headline and its first
and last printed sentence). The first setting is the old default and every ratio is against
it, measured in the same run.

    python benchmarks/bench_ocr.py [--settings 4000,4000,48,1,6 2800,1800,32,0,2 ...]

A setting is ``max_side,det_side,rec_height,angle_classifier,rec_batch[,spin]``
(:class:`OcrConfig`; the old default spun, ``4000,4000,48,1,6,1``). ``--busy`` runs a
CPU-bound neighbour process through the whole benchmark (one core taken).
Printed per page and setting: OCR seconds, segmentation seconds, character accuracy
(1 - edit distance / length, against the printed text), the articles found, articles with
their own headline (compared in letters and digits: ``score_page(..., loose=True)``), gold
headlines found with punctuation and spaces ignored (``loose``) and fragments (articles that
match no gold article).
"""

from __future__ import annotations

import argparse
import difflib
import time

from nlp import paths
from nlp.evaluation.pages import loose_norm, norm, score_page
from nlp.evaluation.segmentation import load_gold
from nlp.ocr import OcrConfig, ocr_page
from nlp.segment import segment_page
from training.page_image import render_blocks, seed_blocks

DEFAULT_SETTINGS = (
    "4000,4000,48,1,6,1",
    "2800,2800,48,0,2,1",
    "2800,1800,32,0,2,1",
    "2800,1800,32,0,2,0",
    "2800,1400,32,0,2,0",
)
CHOICE_DATES = ("2019",)  # the CCTV stories of the page the settings were chosen on


def char_accuracy(found: str, printed: str) -> float:
    """1 - (edit operations / printed length), from difflib's matching blocks, no spaces."""
    a, b = norm(found), norm(printed)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(m.size for m in matcher.get_matching_blocks())
    return round(matched / max(1, len(b)) - max(0, len(a) - matched) / max(1, len(b)), 4)


def loose_headlines(articles, gold) -> int:
    """Gold headlines that some article's title equals, punctuation aside."""
    titles = {loose_norm(a.title) for a in articles}
    return sum(loose_norm(r["title"]) in titles for r in gold)


def fragments(articles, gold) -> int:
    """Articles whose body holds no gold first sentence and whose title is no gold title."""
    firsts = [norm(r["first_sentence"]) for r in gold]
    titles = {norm(r["title"]) for r in gold}
    return sum(
        1
        for a in articles
        if norm(a.title) not in titles and not any(f and f in norm(a.body) for f in firsts)
    )


def choice_page(corpora_dir=None, n: int = 14) -> tuple[list[tuple[str, str]], list[dict]]:
    """A page of CCTV stories broadcast in 2019 (training split): headline, then up to four
    paragraphs each; and its gold rows (title, first and last printed sentence)."""
    import gzip
    import json

    from training.page_render import sentences

    folder = corpora_dir or paths.corpora_dir()
    blocks: list[tuple[str, str]] = []
    gold: list[dict] = []
    with gzip.open(folder / "xwlb.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if not row["date"].startswith(CHOICE_DATES) or not 300 < len(row["body"]) < 900:
                continue
            paras = [p.strip() for p in row["body"].split("\n") if p.strip()][:4]
            title = row["title"][:30]
            blocks += [("head", title)] + [("body", p) for p in paras]
            first, last = sentences(paras[0])[0], sentences(paras[-1])[-1]
            gold.append({"title": title, "first_sentence": first, "last_sentence": last})
            if len(gold) == n:
                break
    return blocks, gold


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS))
    ap.add_argument("--save", default="", help="also write the rendered seed page here")
    ap.add_argument("--busy", action="store_true", help="with a CPU-bound neighbour process")
    args = ap.parse_args(argv)
    if args.busy:
        import subprocess
        import sys

        neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            return _run(args)
        finally:
            neighbour.kill()
    return _run(args)


def _run(args) -> int:
    choice_blocks, choice_gold = choice_page()
    pages = [
        ("cctv-2019", choice_blocks, choice_gold),
        ("seed", seed_blocks(), load_gold(paths.seed_gold())),
    ]
    head = f"{'page':>9} {'setting':>18} {'ocr s':>6} {'vs first':>8} {'seg s':>5} {'char acc':>8}"
    print(head + f" {'articles':>8} {'own headline':>12} {'loose':>6} {'fragments':>9}")
    for name, blocks, gold in pages:
        image = render_blocks(blocks)
        if args.save and name == "seed":
            image.save(args.save)
        printed = "".join(text for _, text in blocks)
        print(f"{name}: {image.size[0]} x {image.size[1]} px, {len(norm(printed))} characters")
        base = None
        for setting in args.settings:
            side, det, height, cls, batch, *spin = map(int, setting.split(","))
            cfg = OcrConfig(
                max_side=side,
                det_side=det,
                rec_height=height,
                angle_classifier=bool(cls),
                rec_batch=batch,
                spin=bool(spin and spin[0]),
            )
            ocr_page(image.resize((64, 64)), cfg)  # load the engine outside the timing
            t0 = time.perf_counter()
            page = ocr_page(image, cfg)
            t1 = time.perf_counter()
            arts = segment_page(page.text, line_sizes=page.line_sizes)
            t2 = time.perf_counter()
            base = base or (t1 - t0)
            line = (
                f"{name:>9} {setting:>18} {t1 - t0:6.1f} {(t1 - t0) / base:8.2f} {t2 - t1:5.2f}"
                f" {char_accuracy(page.text, printed):8.4f}"
            )
            own = score_page(arts, gold, loose=True)["with_headline"]
            n = len(gold)
            line += (
                f" {len(arts):8d} {own:>9d}/{n:<2d} {loose_headlines(arts, gold):>3d}/{n:<2d}"
                f" {fragments(arts, gold):9d}"
            )
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
