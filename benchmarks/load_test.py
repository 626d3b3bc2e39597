"""Load test of the app: concurrent ``gradio_client`` callers against a local server.

Starts ``app.py`` on a free loopback port (real models when their artifacts are present,
else the test-only keyword models; ``--models`` forces either), then runs ``--callers``
threads, each with its own client, calling ``/analyze`` back to back for ``--seconds``.
Reports throughput, p50/p95/max latency and errors. Traffic goes to 127.0.0.1 only, and the
run is bounded in time (it stops by itself). Run from the repository root (it imports
``tests.appserver``); ``benchmarks/soak.py`` adds a batch job running alongside::

    python -m benchmarks.load_test --callers 20 --seconds 60
    python -m benchmarks.load_test --url http://127.0.0.1:7860/ --callers 5 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nlp import paths
from tests.appserver import AppProcess

ROOT = Path(__file__).resolve().parents[1]
SEED = paths.seed_page()


@dataclass
class LoadConfig:
    """Settings of one load test."""

    callers: int = 20  # concurrent clients
    seconds: float = 60.0  # how long callers keep sending
    models: str = "auto"  # auto | real | fake
    url: str = ""  # an already running app; empty starts one
    texts: int = 200  # distinct corpus articles to send
    page_share: float = 0.1  # share of requests that send the whole seed page
    request_timeout: float = 300.0
    startup_timeout: float = 900.0

    def __post_init__(self) -> None:
        if not 1 <= self.callers <= 200:
            raise ValueError(f"callers must be in 1..200, got {self.callers!r}")
        if not 0 < self.seconds <= 3600:
            raise ValueError(f"seconds must be in (0, 3600], got {self.seconds!r}")
        if self.models not in ("auto", "real", "fake"):
            raise ValueError(f"models must be auto, real or fake, got {self.models!r}")
        if self.url and not self.url.startswith(
            ("http://127.", "http://localhost", "http://[::1]")
        ):
            raise ValueError(f"url must be a loopback address, got {self.url!r}")


@dataclass
class LoadResult:
    models: str
    callers: int
    seconds: float
    requests: int = 0
    errors: int = 0
    throughput_rps: float = 0.0
    articles_per_s: float = 0.0
    p50_s: float = 0.0
    p95_s: float = 0.0
    max_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def real_models_available() -> bool:
    """True when the trained classifier and summariser artifacts are on disk."""
    return all(paths.model_dir(m).is_dir() for m in ("classifier", "summarizer"))


def load_texts(n: int) -> list[str]:
    """``n`` real articles from the corpus (headline + body), or the seed page's articles."""
    try:
        from training.corpus import item_text, iter_corpus

        texts = []
        for item in iter_corpus("xwlb.jsonl.gz"):
            texts.append(item_text(item))
            if len(texts) >= n:
                break
        if texts:
            return texts
    except (OSError, ImportError):
        pass
    from nlp.pipeline import split_articles

    return [a.text for a in split_articles(SEED.read_text(encoding="utf-8"))]


def write_records(texts: list[str], path: Path) -> Path:
    """``texts`` as a JSONL input of ``python -m nlp analyze`` (ids ``r0``, ``r1``, ...)."""
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": f"r{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def run_load(config: LoadConfig, url: str, texts: list[str], page: str | None) -> LoadResult:
    """``config.callers`` threads calling ``/analyze`` until ``config.seconds`` have passed."""
    from gradio_client import Client

    latencies: list[float] = []
    articles: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + config.seconds

    def caller(seed: int) -> None:
        rng = random.Random(seed)
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"connect: {exc}")
            return
        while time.monotonic() < deadline:
            use_page = page is not None and rng.random() < config.page_share
            text = page if use_page else rng.choice(texts)
            t0 = time.monotonic()
            try:
                job = client.submit(text, use_page, api_name="/analyze")
                status, _, _, results = job.result(timeout=config.request_timeout)
                ok = bool(results) and not str(status).startswith("⚠️")
                err = None if ok else f"no result: {str(status)[:80]}"
            except Exception as exc:  # noqa: BLE001
                results, err = [], f"{type(exc).__name__}: {str(exc)[:120]}"
            with lock:
                if err:
                    errors.append(err)
                else:
                    latencies.append(time.monotonic() - t0)
                    articles.append(len(results))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(config.callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(config.seconds + config.request_timeout + 60)
    elapsed = time.monotonic() - start
    return LoadResult(
        models=config.models,
        callers=config.callers,
        seconds=round(elapsed, 1),
        requests=len(latencies) + len(errors),
        errors=len(errors),
        throughput_rps=round(len(latencies) / elapsed, 3),
        articles_per_s=round(sum(articles) / elapsed, 3),
        p50_s=round(statistics.median(latencies), 3) if latencies else 0.0,
        p95_s=round(_percentile(latencies, 0.95), 3),
        max_s=round(max(latencies), 3) if latencies else 0.0,
        error_samples=sorted(set(errors))[:5],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--callers", type=int, default=20, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the load")
    parser.add_argument("--models", choices=("auto", "real", "fake"), default="auto")
    parser.add_argument("--url", default="", help="an already running app on loopback")
    parser.add_argument("--page-share", type=float, default=0.1, help="share of whole pages")
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    config = LoadConfig(
        callers=args.callers,
        seconds=args.seconds,
        models=args.models,
        url=args.url,
        page_share=args.page_share,
    )
    if config.models == "auto":
        config.models = "real" if real_models_available() else "fake"
    texts = load_texts(config.texts)
    page = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    if config.url:
        result = run_load(config, config.url, texts, page)
    else:
        print(f"starting app with {config.models} models ...", file=sys.stderr)
        with AppProcess(config.models == "fake", config.startup_timeout) as app:
            result = run_load(config, app.url, texts, page)
    print(
        f"models={result.models} callers={result.callers} seconds={result.seconds} "
        f"requests={result.requests} errors={result.errors} "
        f"throughput={result.throughput_rps} req/s ({result.articles_per_s} articles/s) "
        f"p50={result.p50_s}s p95={result.p95_s}s max={result.max_s}s"
    )
    for sample in result.error_samples:
        print(f"  error: {sample}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(asdict(result), ensure_ascii=False, indent=2), "utf-8")
    return 0 if result.requests and not result.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
