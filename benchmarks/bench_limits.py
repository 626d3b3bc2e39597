"""Time and peak memory of one worst-case article through the extractive and keyword stages.

Each case runs in its own subprocess: it warms up on a normal article (jieba, scikit-learn
and, with ``--models``, both models loaded), then times the stages on the case's text while a
thread samples the process's RSS. One line per case: seconds, peak RSS increase over the
warmed-up process, and both as ratios to the baseline case (a normal ~2,000-character article)
measured in the same run. Cases (``--chars`` sets their size, default 200,000):

- ``baseline``: a normal article of about 2,000 characters;
- ``prose``: ordinary news prose cut into many short sentences;
- ``one_sentence``: the same prose with every punctuation mark and line break removed;
- ``rare_8000`` / ``rare``: 8,000 / ``--chars`` times ``挸`` (outside jieba's HMM tables);
- ``latin``: Latin words, digits and symbols.

Without models the stages are those of :meth:`nlp.summarizer.Summarizer.summarize` and
``_source_ids`` that need no model: ``split_sentences`` + ``key_sentences``, ``keywords`` and
``salient_text``. With ``--models`` the whole ``nlp.pipeline.analyze(text, segment=False)``
runs with the real models (evidence sentences included); each case then loads the models
(~3 GB) first, which is not counted. The machine is shared, so timings are rough.

    python benchmarks/bench_limits.py [--chars 200000] [--cases prose rare] [--models]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import random
import re
import resource
import subprocess
import sys
import threading
import time

CASES = ("baseline", "prose", "one_sentence", "rare_8000", "rare", "latin")
SALIENT_CHARS = 600  # SummarizerConfig.salient_chars (not imported: it would load torch)
_FALLBACK = (
    "水利部今天召开防汛会商会，部署长江流域防汛抗旱工作。会议要求各地水库严格执行汛限水位，"
    "加强堤防巡查，确保三峡水库安全度汛。今年入汛以来，长江流域降雨偏多2成，12条河流发生超警洪水。"
    "记者从农业农村部了解到，今年农业保险保费规模达到1200亿元，为1.6亿户次农户提供风险保障。"
    "许昌市公安局开展派出所建设工作现场观摩交流活动，社区民警走访群众，化解矛盾纠纷。"
)


def _bodies() -> list[str]:
    """Real article bodies from the shared corpus when present, else a built-in paragraph."""
    from nlp import paths

    path = paths.corpora_dir() / "other_outlets.jsonl.gz"
    if not path.exists():
        return [_FALLBACK]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["body"] for line in f]


def case_text(case: str, chars: int) -> str:
    """The text of one benchmark case (deterministic for a given corpus)."""
    if case.startswith("rare"):
        return "挸" * (8000 if case == "rare_8000" else chars)
    if case == "latin":
        rng = random.Random(0)
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        words = ("".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(chars))
        seps = (rng.choice(" -._,;:/") for _ in range(chars))
        return "".join(w + s for w, s in zip(words, seps, strict=False))[:chars]
    bodies = _bodies()
    if case == "baseline":
        body = next((b for b in bodies if 1800 <= len(b) <= 2500), None)
        return body or (_FALLBACK * (2000 // len(_FALLBACK) + 1))[:2000]
    rng = random.Random(0)
    parts, total = [], 0
    while total < chars:
        body = rng.choice(bodies)
        parts.append(body)
        total += len(body)
    text = "\n".join(parts)[:chars]
    if case == "prose":
        return re.sub("[，、；：,;:]", "。", text)
    return re.sub(r"[\W_]", "", text)  # one_sentence


class PeakRSS:
    """Samples this process's RSS every few milliseconds while in a ``with`` block."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.start = self._rss()
        self._maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.peak = self.start
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if maxrss > self._maxrss0:  # a new lifetime peak was set inside the block
            self.peak = max(self.peak, maxrss)
        self.increase_mb = (self.peak - self.start) / 2**20


def _stages(text: str) -> dict[str, float]:
    from nlp.extractive import key_sentences, salient_text
    from nlp.keywords import keywords
    from nlp.text import split_sentences

    times = {}
    t = time.perf_counter()
    key_sentences(split_sentences(text), k=3)
    times["key"] = time.perf_counter() - t
    t = time.perf_counter()
    keywords(text, k=8)
    times["kw"] = time.perf_counter() - t
    t = time.perf_counter()
    salient_text(text, SALIENT_CHARS)
    times["salient"] = time.perf_counter() - t
    return times


def _analyze(text: str) -> dict[str, float]:
    from nlp.pipeline import analyze

    t = time.perf_counter()
    analyze(text, segment=False)
    return {"analyze": time.perf_counter() - t}


def child(case: str, chars: int, models: bool) -> None:
    """Warm up, run one case, print one JSON line."""
    run = _analyze if models else _stages
    run(case_text("baseline", chars))
    text = case_text(case, chars)
    with PeakRSS() as rss:
        start = time.perf_counter()
        stages = run(text)
        seconds = time.perf_counter() - start
    print(json.dumps({"chars": len(text), "seconds": seconds, "mb": rss.increase_mb, **stages}))


def run_case(case: str, args: argparse.Namespace) -> dict | str:
    """One case in a subprocess: its JSON result, or why there is none."""
    cmd = [sys.executable, __file__, "--child", case, "--chars", str(args.chars)]
    cmd += ["--models"] if args.models else []
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {args.timeout} s"
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        return f"failed, exit {done.returncode} {tail[0][:120]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=200_000, help="size of the big cases")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--models", action="store_true", help="analyze() with the real models")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per case")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.chars, args.models)
        return 0

    mode = "analyze(segment=False), real models" if args.models else "key+keywords+salient"
    print(f"# {mode}; peak RSS increase over the warmed-up process; ratios vs baseline")
    base = run_case("baseline", args)
    if isinstance(base, str):
        print(f"baseline {base}")
        return 1
    for case in ["baseline", *(c for c in args.cases if c != "baseline")]:
        res = base if case == "baseline" else run_case(case, args)
        if isinstance(res, str):
            print(f"{case:<13}  {res}")
            continue
        stages = " ".join(
            f"{k}={v:.2f}" for k, v in res.items() if k not in ("chars", "seconds", "mb")
        )
        print(
            f"{case:<13} {res['chars']:>8,} chars {res['seconds']:8.2f} s {res['mb']:8.1f} MB"
            f"  time x{res['seconds'] / max(base['seconds'], 1e-3):7.1f}"
            f"  mem x{res['mb'] / max(base['mb'], 1.0):6.1f}  ({stages})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
