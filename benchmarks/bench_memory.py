"""Resident memory and start-up of the app and of a CLI ``analyze`` run, against a baseline
commit measured in the same run.

For the baseline (``--ref``, checked out into a temporary git worktree, same committed models)
and for this checkout, in turn:

1. the app (``app.py`` on a free loopback port, real models): seconds from the process start
   to the page being served, the first paste's seconds after that, resident memory (``VmRSS``)
   once served, after ``--requests`` pastes (one caller, back to back; every tenth the whole
   seed page) and at its peak (``VmHWM``);
2. ``python -m nlp analyze`` on ``--records`` CCTV stories: its peak resident memory (the
   child's ``ru_maxrss``) and wall time.

Run from the repository root::

    python -m benchmarks.bench_memory --ref f05d9cf            # about 10 minutes
    python -m benchmarks.bench_memory --ref f05d9cf --requests 20 --records 100

Prints a table with the ratio current / baseline per row, and writes it as JSON with
``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load_test import SEED, load_texts, write_records
from tests.appserver import ROOT, AppProcess


def _status_mb(pid: int, key: str) -> float:
    """``VmRSS`` / ``VmHWM`` of a process in MB, from ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _env(tree: Path) -> dict[str, str]:
    """The child's environment: ``tree``'s code first on the path, the shared data as here."""
    from nlp import paths

    return {"PYTHONPATH": str(tree), paths.SHARED_ENV: str(paths.shared_dir())}


def measure_app(tree: Path, requests: int, texts: list[str], page: str | None) -> dict:
    """Start-up, first paste and resident memory of ``tree``'s app under ``requests`` pastes."""
    from gradio_client import Client

    with AppProcess(fake=False, timeout=900, env=_env(tree), root=tree) as app:
        pid = app.proc.pid
        out = {"served_s": round(app.ready_s, 1), "rss_served_mb": _status_mb(pid, "VmRSS")}
        client = Client(app.url, verbose=False)
        latencies = []
        for i in range(requests):
            use_page = page is not None and i % 10 == 9
            t0 = time.monotonic()
            status, *_ = client.predict(
                page if use_page else texts[i % len(texts)], use_page, api_name="/analyze"
            )
            latencies.append(time.monotonic() - t0)
            if str(status).startswith("⚠️"):
                raise RuntimeError(f"paste {i} failed: {status}")
        out.update(
            first_paste_s=round(latencies[0], 2),
            rss_after_mb=_status_mb(pid, "VmRSS"),
            rss_peak_mb=_status_mb(pid, "VmHWM"),
            requests=requests,
        )
    return out


def measure_cli(tree: Path, records: Path) -> dict:
    """Peak resident memory and wall time of ``python -m nlp analyze`` run by ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "nlp", "analyze", str(records), "-o", f"{tmp}/out.jsonl"],
            cwd=tree,
            env={**os.environ, **_env(tree)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"analyze failed in {tree}:\n{err[-2000:]}")
        rows = sum(1 for _ in open(f"{tmp}/out.jsonl", encoding="utf-8"))
    return {"cli_peak_mb": usage.ru_maxrss / 1024, "cli_wall_s": round(wall, 1), "cli_rows": rows}


ROWS = (
    ("served_s", "app: page served after start (s)"),
    ("first_paste_s", "app: first paste after that (s)"),
    ("rss_served_mb", "app: resident once served (MB)"),
    ("rss_after_mb", "app: resident after the pastes (MB)"),
    ("rss_peak_mb", "app: peak resident (MB)"),
    ("cli_peak_mb", "CLI analyze: peak resident (MB)"),
    ("cli_wall_s", "CLI analyze: wall time (s)"),
)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="baseline commit (a git ref)")
    ap.add_argument("--requests", type=int, default=100, help="pastes sent to each app")
    ap.add_argument("--records", type=int, default=300, help="CCTV stories for the CLI run")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    texts = load_texts(max(args.records, 50))
    page = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    with tempfile.TemporaryDirectory() as tmp:
        records = write_records(texts[: args.records], Path(tmp) / "records.jsonl")
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.ref], cwd=ROOT, check=True
        )
        try:
            result = {}
            for name, tree in (("baseline", base), ("current", ROOT)):
                print(f"measuring {name} ({tree}) ...", file=sys.stderr)
                result[name] = {
                    **measure_app(tree, args.requests, texts, page),
                    **measure_cli(tree, records),
                }
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"baseline {args.ref}, current {head} (+ working tree); {args.requests} pastes, "
        f"CLI analyze of {args.records} CCTV stories; {os.cpu_count()} CPUs"
    )
    print("| | baseline | current | current / baseline |")
    print("|---|---:|---:|---:|")
    for key, label in ROWS:
        b, c = result["baseline"][key], result["current"][key]
        print(f"| {label} | {b:,.1f} | {c:,.1f} | {c / b:.2f} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
