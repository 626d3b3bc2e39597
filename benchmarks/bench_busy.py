"""A busy neighbour: in-process ``analyze(seed page)`` seconds with 0 and with 1 CPU-bound
neighbour process, per torch thread setting (fixed at N, or adaptive: :mod:`nlp.cpu`, the
shipped behaviour), in one run.

The neighbour is a child Python spinning on one core (what a second job, a browser or a
virus scan does to a 2-core machine). Each cell is the median of ``--repeats`` runs after one
warm-up. Run: ``python -m benchmarks.bench_busy [--threads 2 1] [--repeats 3]``; the
adaptive row runs with the first ``--threads`` as its ceiling.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

from nlp.cpu import set_ceiling

SPIN = "import time\nend = time.time() + 3600\nwhile time.time() < end:\n    pass\n"


def seconds(fn, repeats: int) -> float:
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads(), 1])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from nlp import paths, pipeline

    page = paths.seed_page().read_text(encoding="utf-8")
    pipeline.warm_up()
    result = {}
    settings = [(str(n), n, False) for n in args.threads] + [
        (f"adaptive (≤ {args.threads[0]})", args.threads[0], True)
    ]
    for name, threads, adaptive in settings:
        set_ceiling(threads, adaptive=adaptive)
        for busy in (0, 1):
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
            try:
                time.sleep(1.5)  # the load sampler catches up with the change
                result[(name, busy)] = seconds(lambda: pipeline.analyze(page), args.repeats)
            finally:
                for p in spinners:
                    p.kill()
                    p.wait()
    print("| torch threads | seed page, idle machine (s) | one busy neighbour (s) | ratio |")
    print("|---:|---:|---:|---:|")
    for name, _, _ in settings:
        idle, busy = result[(name, 0)], result[(name, 1)]
        print(f"| {name} | {idle:.2f} | {busy:.2f} | {busy / idle:.1f}x |")
    return result


if __name__ == "__main__":
    main()
