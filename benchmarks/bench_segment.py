"""Time clean_text + segment_page: one seed page, then 0.5, 1, 2 and 5 MB built by repeating it.

For the rules and the learned segmenter (the default) in the same run: seconds for one page
(the target is 0.2 s) and its ratio to the rules; then, per size, seconds, MB/s and the time
per MB relative to the smallest size: a ratio near 1.0 at every size means the work grows
linearly with the input (nothing quadratic).

    python benchmarks/bench_segment.py [--seed PATH] [--sizes 0.5 1 2 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nlp.segment import SegmentConfig, segment_page
from nlp.text import clean_text

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_cd28cbcedefb48dc.txt"
MB = 1024 * 1024
METHODS = ("rules", "learned")


def build_text(seed: str, megabytes: float) -> str:
    """The seed page repeated (blank line between copies) to at least ``megabytes`` of UTF-8."""
    unit = seed.strip() + "\n\n"
    unit_bytes = len(unit.encode("utf-8"))
    copies = max(1, round(megabytes * MB / unit_bytes))
    return unit * copies


def time_once(text: str, method: str = "learned") -> tuple[float, int]:
    """Seconds for clean_text + segment_page, and the number of articles found."""
    cfg = SegmentConfig(method=method)
    start = time.perf_counter()
    clean_text(text)
    articles = segment_page(text, config=cfg)
    return time.perf_counter() - start, len(articles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED, help="page to repeat")
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 5], help="MB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is kept)")
    args = parser.parse_args(argv)

    seed = args.seed.read_text(encoding="utf-8")
    segment_page(seed)  # load the learned model outside the timing
    one = {m: min(time_once(seed, m) for _ in range(max(5, args.repeat))) for m in METHODS}
    print(f"{'one page':>10} {'seconds':>8} {'vs rules':>8} {'articles':>9}")
    for m in METHODS:
        print(f"{m:>10} {one[m][0]:8.4f} {one[m][0] / one['rules'][0]:8.2f} {one[m][1]:9d}")
    print()
    print(
        f"{'method':>8} {'MB':>6} {'seconds':>8} {'MB/s':>6} {'s/MB vs smallest':>17} {'articles':>9}"
    )
    for m in METHODS:
        base = None
        for size in args.sizes:
            text = build_text(seed, size)
            mb = len(text.encode("utf-8")) / MB
            best, n = min(time_once(text, m) for _ in range(args.repeat))
            per_mb = best / mb
            base = base or per_mb
            print(f"{m:>8} {mb:6.2f} {best:8.3f} {mb / best:6.2f} {per_mb / base:17.2f} {n:9d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
