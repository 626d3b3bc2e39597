"""Batch runs on a Ray cluster: the stages of :mod:`nlp.batch`, spread over Ray actors.

``python -m nlp analyze INPUT... -o OUT --ray [ADDRESS]`` reads the inputs on the driver with
the same reader as a local run (:func:`nlp.io.iter_records`: every format, the same ids and
error rows), skips what ``--resume`` finds done, and hands the records to Ray Data
(``from_items`` → ``map_batches`` with a pool of :class:`StageWorker` actors, each loading the
models once, on a GPU when the cluster has one). The actors run
:func:`nlp.batch.records_rows`, the local run's own code; the driver writes their rows, in
input order, through the same :class:`~nlp.output.OutputFile` (lock, whole-record appends,
resume). So a Ray run writes the records a local run writes.

Addresses: ``auto`` (the default of a bare ``--ray``) joins the cluster this machine belongs
to (``ray start``); ``HOST:PORT`` joins that head node; ``local`` starts a private Ray on this
machine for the run. Every node needs this package installed (``pip install -e ".[cluster]"``)
and the models (``NEWSDESK_MODELS``); the driver's ``NEWSDESK_*`` settings are passed on.

The driver holds the inputs' records while the run goes (about the size of their text); give
a run of millions of articles as several runs of a few hundred thousand.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

from nlp.batch import (
    BatchConfig,
    BatchStats,
    ErrorFn,
    ProgressFn,
    records_rows,
    todo_records,
)
from nlp.cpu import set_ceiling
from nlp.io import Record
from nlp.output import OutputFile, check_output_path
from nlp.stages import STAGES

FORWARDED_ENV = ("NEWSDESK_", "OMP_", "HF_")


@dataclass
class RayConfig:
    """Where and how wide a Ray run goes.

    Attributes:
        address: ``auto``, ``HOST:PORT`` or ``local`` (see the module docs).
        workers: actors (each loads the models once); ``None``: one per ``cpus_per_worker``
            CPUs of the cluster.
        cpus_per_worker: CPUs each actor reserves (its torch threads).
        gpus_per_worker: GPUs each actor reserves; ``None``: 1 when the cluster has GPUs.
        records_per_call: records per actor call.
    """

    address: str = "auto"
    workers: int | None = None
    cpus_per_worker: float = 1.0
    gpus_per_worker: float | None = None
    records_per_call: int = 16

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers!r}")
        if self.cpus_per_worker <= 0:
            raise ValueError(f"cpus_per_worker must be positive, got {self.cpus_per_worker!r}")


class StageWorker:
    """A Ray actor: one stage with its models, loaded once, run on batches of records."""

    def __init__(self, config: dict, threads: int):
        try:
            import torch

            torch.set_num_threads(max(1, threads))
            set_ceiling(threads)  # the models adapt their threads within this
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
        self.config = BatchConfig(**config)
        self.stage = STAGES[self.config.task](self.config)
        self.stage.load()

    def __call__(self, batch: dict) -> dict:
        items = [
            (str(rid), Record(**json.loads(rec)))
            for rid, rec in zip(batch["rid"], batch["record"], strict=True)
        ]
        rows = records_rows(self.stage, items, self.config.batch_size)
        return {"rows": [json.dumps(r, ensure_ascii=False) for r in rows]}


def _rows_in_order(ds):
    for row in ds.iter_rows():
        yield json.loads(row["rows"])


def _last_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError(
            'Ray is not installed: pip install -e ".[cluster]" (ray[data])'
        ) from None
    return ray


def connect(address: str) -> None:
    """Join (or, for ``local``, start) the Ray cluster, passing on the ``NEWSDESK_*`` settings."""
    ray = _ray()
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}
    ray.init(
        address=None if address == "local" else address,
        runtime_env={"env_vars": env},
        log_to_driver=False,
        ignore_reinit_error=True,
        include_dashboard=False,
    )


def run_batch_ray(
    config: BatchConfig,
    ray_config: RayConfig | None = None,
    progress: ProgressFn | None = None,
    on_error: ErrorFn | None = None,
    on_warning: ErrorFn | None = None,
) -> BatchStats:
    """:func:`nlp.batch.run_batch` on a Ray cluster (same arguments, same rows, same stats)."""
    ray_config = ray_config or RayConfig()
    check_output_path(config.output, config.inputs)
    ray = _ray()
    connect(ray_config.address)
    resources = ray.cluster_resources()
    workers = ray_config.workers or max(
        1, int(resources.get("CPU", 1) // ray_config.cpus_per_worker)
    )
    gpus = ray_config.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if resources.get("GPU", 0) >= 1 else 0.0
    stage = STAGES[config.task](config)
    start = time.perf_counter()
    stats = BatchStats()
    with OutputFile(config.output, config.format, stage.fields, config.resume) as out:
        items = []
        for rid, record in todo_records(config, out.done, stats):
            if record.warning and not record.error and on_warning is not None:
                on_warning(record.source, record.warning)
            items.append({"rid": rid, "record": json.dumps(asdict(record), ensure_ascii=False)})
        total = len(items)
        if items:
            ctx = ray.data.DataContext.get_current()
            ctx.execution_options.preserve_order = True
            ctx.enable_progress_bars = False
            worker_config = {
                "inputs": ["-"], "output": None, "task": config.task, "format": "jsonl",
                "segment": config.segment, "batch_size": config.batch_size,
                "explain": config.explain, "beams": config.beams,
                "source_tokens": config.source_tokens,
            }  # fmt: skip
            ds = ray.data.from_items(
                items, override_num_blocks=max(1, min(len(items), 4 * workers))
            )
            ds = ds.map_batches(
                StageWorker,
                fn_constructor_kwargs={
                    "config": worker_config,
                    "threads": max(1, int(ray_config.cpus_per_worker)),
                },
                batch_size=ray_config.records_per_call,
                concurrency=workers,
                num_cpus=ray_config.cpus_per_worker,
                num_gpus=gpus,
                batch_format="default",
            )
            try:
                for rows in _rows_in_order(ds):  # written as they come: a cut run resumes
                    out.write_record(rows)
                    stats.count(rows, on_error)
                    stats.seconds = time.perf_counter() - start
                    if progress is not None:
                        progress(stats.records, total, stats)
            except ray.exceptions.RayError as exc:
                raise RuntimeError(f"the Ray run failed: {_last_line(exc)}") from exc
    stats.seconds = time.perf_counter() - start
    return stats
