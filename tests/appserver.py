"""Run ``app.py`` in a child process on a free loopback port (browser tests, load test).

    with AppProcess(fake=True) as app:
        requests.get(app.url)

The child's output goes to a log file whose tail is shown when the app fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from nlp.paths import FAKE_MODELS_ENV

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """``app.py`` served on 127.0.0.1 by a child process.

    Args:
        fake: serve the test-double models (``NEWSDESK_FAKE_MODELS=1``) instead of the real ones.
        timeout: seconds to wait for the first HTTP 200 (real models load before serving).
        env: extra environment for the child.
        root: the checkout whose ``app.py`` runs (default this one; a benchmark's baseline
            runs another commit's worktree).
    """

    def __init__(
        self,
        fake: bool,
        timeout: float = 300.0,
        env: dict[str, str] | None = None,
        root: Path = ROOT,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"newsdesk-app-{self.port}.log"
        child_env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            **(env or {}),
        }
        if fake:
            child_env[FAKE_MODELS_ENV] = "1"
        else:
            child_env.pop(FAKE_MODELS_ENV, None)
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(root) / "app.py")],
                cwd=root,
                env=child_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started = time.monotonic()
        try:
            self._wait(timeout)
            self.ready_s = time.monotonic() - self.started  # until the page was served
        except BaseException:
            self.stop()
            raise

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}:\n{self._tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"app did not answer on {self.url} within {timeout}s:\n{self._tail()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
