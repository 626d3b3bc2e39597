"""Soak test of the app: pasted pages while a 1,000-record batch runs through the batch tab.

Starts ``app.py`` in a child process (:class:`tests.appserver.AppProcess`; the real models by
default, ``--fake`` for the test doubles), then in one run:

1. baseline: ``--callers`` threads paste articles (a share of them the whole seed page) back
   to back through ``/analyze`` for ``--seconds``, nothing else running;
2. soak: the same load again while ``/batch`` analyses ``--records`` CCTV stories (the first
   ones of ``xwlb.jsonl.gz`` in :func:`nlp.paths.corpora_dir`, written to a temporary JSONL).

It prints paste p50/p95/max and errors of both phases, how far the batch got, and the app's
resident memory (``VmRSS`` of the child) sampled every ``--rss-every`` seconds. Traffic goes to
127.0.0.1 only. Run from the repository root::

    python -m benchmarks.soak                 # real models: a few minutes
    python -m benchmarks.soak --fake          # test doubles: about 2.5 minutes
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nlp import paths
from tests.appserver import AppProcess

TARGET_P95_S = 3.0


@dataclass
class Phase:
    """Paste latencies and errors of one phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))] if lat else 0.0
        p50 = statistics.median(lat) if lat else 0.0
        return (
            f"{self.name:<9} pastes={len(lat)} errors={len(self.errors)} "
            f"p50={p50:.2f}s p95={p95:.2f}s max={max(lat, default=0.0):.2f}s "
            f"({len(lat) / max(self.seconds, 1e-9):.2f}/s over {self.seconds:.0f}s)"
        )

    @property
    def p95(self) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))] if lat else float("inf")


def corpus_items(n: int) -> list[dict]:
    """The first ``n`` stories of the CCTV corpus with a title and a body."""
    items = []
    with gzip.open(paths.corpora_dir() / "xwlb.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("title") and row.get("body"):
                items.append({"id": row["id"], "title": row["title"], "body": row["body"]})
                if len(items) >= n:
                    break
    return items


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (``VmRSS`` of ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def paste_load(url: str, phase: Phase, args, texts: list[str], page: str | None) -> Phase:
    """``args.callers`` threads pasting back to back until ``args.seconds`` have passed."""
    from gradio_client import Client

    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def caller(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(url, verbose=False)
        while time.monotonic() < deadline:
            use_page = page is not None and rng.random() < args.page_share
            text = page if use_page else rng.choice(texts)
            t0 = time.monotonic()
            try:
                status, _, _, results = client.predict(text, use_page, api_name="/analyze")
                err = None if results else f"no result: {str(status)[:80]}"
            except Exception as exc:  # noqa: BLE001 - counted and reported
                err = f"{type(exc).__name__}: {str(exc)[:120]}"
            with lock:
                (phase.errors.append(err) if err else phase.latencies.append(time.monotonic() - t0))

    start = time.monotonic()
    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(args.callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 600)
    phase.seconds = time.monotonic() - start
    return phase


def batch_progress(job) -> str:
    """What the batch tab's progress bar shows now, e.g. ``已分析 120 篇文章 120/1000``."""
    if job.done():
        return "finished"
    try:
        units = job.status().progress_data or []
    except Exception:  # noqa: BLE001 - the job may be finishing
        return "?"
    if not units:
        return "queued or starting"
    u = units[-1]
    return f"{u.desc or ''} {u.index}/{u.length}".strip() if u.length else str(u.desc or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fake", action="store_true", help="test-double models")
    parser.add_argument("--callers", type=int, default=20, help="concurrent pasting clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--records", type=int, default=1000, help="records in the batch")
    parser.add_argument("--page-share", type=float, default=0.1, help="share of whole pages")
    parser.add_argument("--rss-every", type=float, default=5.0, help="seconds between samples")
    args = parser.parse_args(argv)
    from gradio_client import Client, handle_file

    items = corpus_items(max(args.records, 200))
    texts = [f"{it['title']}\n{it['body']}" for it in items[-200:]]
    seed = paths.seed_page()
    page = seed.read_text(encoding="utf-8") if seed.exists() else None
    with tempfile.TemporaryDirectory(prefix="newsdesk-soak-") as tmp:
        upload = Path(tmp) / "xwlb_soak.jsonl"
        upload.write_text(
            "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items[: args.records]),
            "utf-8",
        )
        models = "fake" if args.fake else "real"
        print(f"models={models} callers={args.callers} seconds={args.seconds:.0f} "
              f"batch={args.records} records; starting the app ...", flush=True)  # fmt: skip
        with AppProcess(fake=args.fake, timeout=900) as app:
            pid, t0 = app.proc.pid, time.monotonic()
            samples: list[tuple[float, float, str]] = []
            state = {"job": None, "stop": False}

            def sample() -> None:
                while not state["stop"]:
                    job = state["job"]
                    where = batch_progress(job) if job is not None else "no batch"
                    samples.append((time.monotonic() - t0, rss_mb(pid), where))
                    time.sleep(args.rss_every)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            base = paste_load(app.url, Phase("baseline"), args, texts, page)
            print(base.line(), flush=True)
            batch_start = time.monotonic()
            state["job"] = Client(app.url, verbose=False).submit(
                handle_file(str(upload)), False, api_name="/batch"
            )
            time.sleep(2.0)  # the batch has read its file and started
            soak = paste_load(app.url, Phase("soak"), args, texts, page)
            print(soak.line(), flush=True)
            job = state["job"]
            done = job.done()
            result = job.result(timeout=1) if done else None
            print(f"batch after {time.monotonic() - batch_start:.0f}s: "
                  + (str(result[0]) if done else f"running, {batch_progress(job)}"))  # fmt: skip
            state["stop"] = True
            sampler.join(args.rss_every + 5)
    print("rss over time (s since start, MB, batch progress):")
    for at, mb, where in samples:
        print(f"  {at:6.0f}s {mb:8.0f} MB  {where}")
    peak = max((mb for _, mb, _ in samples), default=0.0)
    ok = soak.p95 <= TARGET_P95_S and not soak.errors and not base.errors
    print(f"peak rss={peak:.0f} MB; target paste p95 <= {TARGET_P95_S:.0f}s with 0 errors: "
          + ("met" if ok else "NOT met"))  # fmt: skip
    for err in sorted(set(base.errors + soak.errors))[:5]:
        print(f"  error: {err}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
