"""Ray scale-out: ``python -m nlp analyze --ray`` with 1 and with 2 workers of one core each,
against the local run (no Ray, all cores), on the same real articles in one run.

Writes the first ``--n`` CCTV stories (read through :mod:`training.corpus`, never copied into
the repo) to a temporary JSONL and runs the CLI on it, once locally and once per worker count
on a private Ray of this machine (``--ray local``; each actor reserves one CPU and runs one
torch thread). Wall time covers everything a user waits for: Ray's start, the model loads
of every actor, the run. The outputs must be the same records in the same order; the table
counts the rows whose fields differ from the local run's (actors take 16 records a call and
one thread, so batch shapes and sums differ; bf16 noise can change a score or a beam).

    python -m benchmarks.bench_ray                  # 2,000 articles: about 10 minutes on 2 cores
    python -m benchmarks.bench_ray --n 200 --workers 1 2
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

from benchmarks.load_test import load_texts, write_records
from tests.appserver import ROOT


def run_cli(records: Path, out: Path, extra: list[str]) -> float:
    """Seconds ``python -m nlp analyze records -o out [extra]`` took; raises when it failed."""
    t0 = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp",
            "analyze",
            str(records),
            "-o",
            str(out),
            "--no-progress",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - t0
    if done.returncode != 0:
        raise RuntimeError(f"analyze {' '.join(extra)} failed:\n{done.stderr[-3000:]}")
    return seconds


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def differences(rows: list[dict], reference: list[dict]) -> dict:
    """How ``rows`` differ from the local run's: same records (ids, order, errors, articles)
    and, per field, how many rows differ (float noise from other batch shapes and thread
    counts can change a label's last digits or a beam)."""
    key = [(r.get("id"), r.get("index"), r.get("error")) for r in rows]
    same_records = key == [(r.get("id"), r.get("index"), r.get("error")) for r in reference]
    fields: dict[str, int] = {}
    if same_records:
        for a, b in zip(rows, reference, strict=True):
            for name in a.keys() | b.keys():
                if a.get(name) != b.get(name):
                    fields[name] = fields.get(name, 0) + 1
    return {"same_records": same_records, "rows_differing_in": fields}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="CCTV stories")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    texts = load_texts(args.n)
    result: dict = {"articles": len(texts), "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        records = write_records(texts, Path(tmp) / "records.jsonl")
        runs = [("local", [])] + [
            (f"ray x{w}", ["--ray", "local", "--ray-workers", str(w)]) for w in args.workers
        ]
        reference = None
        for name, extra in runs:
            out = Path(tmp) / f"{name.replace(' ', '_')}.jsonl"
            print(f"running {name} ...", file=sys.stderr)
            seconds = run_cli(records, out, extra)
            rows = rows_of(out)
            reference = reference or rows
            result["runs"][name] = {
                "seconds": round(seconds, 1),
                "articles_per_s": round(len(rows) / seconds, 2),
                "rows": len(rows),
                **differences(rows, reference),
            }
    runs = result["runs"]
    one = runs.get("ray x1")
    print(f"{result['articles']} CCTV stories, analyze with summaries, {result['cpus']} CPUs")
    print("| run | wall (s) | articles/s | vs ray x1 | same records as local | rows differing |")
    print("|---|---:|---:|---:|---|---|")
    for name, r in runs.items():
        ratio = f"{one['seconds'] / r['seconds']:.2f}x" if one else "–"
        differing = ", ".join(f"{k} {v}" for k, v in sorted(r["rows_differing_in"].items()))
        print(
            f"| {name} | {r['seconds']} | {r['articles_per_s']} | {ratio} | "
            f"{'yes' if r['same_records'] else 'NO'} | {differing or 'none'} |"
        )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
