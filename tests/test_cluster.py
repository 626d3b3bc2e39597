"""Batch runs on Ray (nlp.cluster) against a local cluster: the records of a local run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import paths

pytest.importorskip("ray")
# Once any Ray run on this machine has written ~/.ray/auth_token, a head started here
# requires token auth that the driver does not send ("InvalidAuthToken"): this private test
# cluster has auth off on both sides.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
RAY = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``ray start --head`` on 127.0.0.1 with two worker CPUs, stopped at the end."""
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, **RAY_ENV}
    start = [RAY, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={temp}"]  # fmt: skip
    done = subprocess.run(start, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"ray start failed: {done.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)


def _records(n: int) -> list[dict]:
    arts = [("派出所开展治安巡逻", "民警加强夜间巡逻，维护社会治安。"),
            ("水库安全度汛", "水利局检查水库防汛准备，河长巡河。"),
            ("残联举办招聘会", "残联为残疾人就业搭建平台。")]  # fmt: skip
    rows = []
    for i in range(n):
        if i % 37 == 5:
            rows.append({"id": f"r{i}", "text": "   "})
        elif i % 11 == 3:
            page = "派出所开展巡逻\n民警巡逻。\n\n水库安全度汛\n水利局检查水库。"
            rows.append({"id": f"r{i}", "text": page})
        else:
            title, body = arts[i % 3]
            rows.append({"id": f"r{i}", "title": title, "body": f"{body}第{i}号。"})
    return rows


def _analyze(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, paths.FAKE_MODELS_ENV: "1", **RAY_ENV}
    return subprocess.run([sys.executable, "-m", "nlp", "analyze", *args], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_a_ray_run_writes_the_records_of_a_local_run_and_resumes(cluster, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records(200)))
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert _analyze(str(src), "-o", str(local)).returncode == 1  # some records are empty
    run = _analyze(str(src), "-o", str(remote), "--ray", cluster, "--ray-workers", "2")
    assert run.returncode == 1, run.stderr[-3000:]
    assert "records=200" in run.stdout and "errors=6" in run.stdout
    assert "empty text" in run.stderr  # error rows are reported as in a local run
    assert remote.read_bytes() == local.read_bytes()
    # a run cut half-way resumes on the cluster to the same file
    data = local.read_bytes()
    remote.write_bytes(data[: len(data) * 11 // 20])
    run = _analyze(str(src), "-o", str(remote), "--ray", cluster, "--resume")
    assert "skipped=" in run.stdout and remote.read_bytes() == data, run.stderr[-3000:]


def test_a_bad_worker_count_is_a_usage_error(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "派出所民警巡逻。"}) + "\n")
    run = _analyze(
        str(src), "-o", str(tmp_path / "o.jsonl"), "--ray", "local", "--ray-workers", "0"
    )
    assert run.returncode == 2 and "workers" in run.stderr
