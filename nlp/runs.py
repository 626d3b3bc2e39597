"""Run folders of the app's jobs (batch outputs, evaluation reports), removed on a schedule.

Every job writes into a fresh folder under one root, ``$TMPDIR/newsdesk-app/``
(:func:`runs_root`). Before a new folder is made, folders there older than ``max_age``
seconds (default :data:`DEFAULT_MAX_AGE`, 6 hours) are deleted, whichever process made them;
at shutdown a process deletes the folders it made itself (:func:`clean_own_runs`). Files a
user still downloads are not affected: Gradio serves copies from its own cache, which the
app cleans with ``gr.Blocks(delete_cache=...)`` on the same schedule.

Example::

    out_dir = new_run_dir("batch")          # /tmp/newsdesk-app/batch-k3j2x1
    ...
    clean_own_runs()                        # at shutdown
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from nlp import paths

DEFAULT_MAX_AGE = 6 * 3600.0

_own: set[Path] = set()
_own_lock = threading.Lock()


def runs_root() -> Path:
    """The folder that holds every run folder (:func:`nlp.paths.app_runs_dir`)."""
    return paths.app_runs_dir()


def clean_runs(
    max_age: float = DEFAULT_MAX_AGE, root: Path | None = None, now: float | None = None
) -> int:
    """Delete run folders not modified for ``max_age`` seconds.

    Args:
        max_age: age in seconds (by modification time) above which a folder goes.
        root: the runs root; default :func:`runs_root`.
        now: the current time (``time.time()``), for tests.

    Returns:
        The number of folders deleted.

    Example:
        >>> clean_runs(root=Path("/nonexistent"))
        0
    """
    root = root or runs_root()
    now = time.time() if now is None else now
    removed = 0
    for folder in root.glob("*-*") if root.is_dir() else ():
        try:
            old = folder.is_dir() and now - folder.stat().st_mtime > max_age
        except OSError:  # removed meanwhile by another process
            continue
        if old:
            shutil.rmtree(folder, ignore_errors=True)
            removed += not folder.exists()
    return removed


def new_run_dir(kind: str, max_age: float = DEFAULT_MAX_AGE, root: Path | None = None) -> Path:
    """A fresh folder ``<root>/<kind>-XXXX`` for one job, after removing expired ones.

    Args:
        kind: a short name for the job (``batch``, ``eval``).
        max_age: see :func:`clean_runs`.
        root: the runs root; default :func:`runs_root`.

    Returns:
        The new, empty folder (remembered for :func:`clean_own_runs`).
    """
    root = root or runs_root()
    clean_runs(max_age, root)
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=root))
    with _own_lock:
        _own.add(folder)
    return folder


def clean_own_runs() -> int:
    """Delete every run folder this process made (at shutdown); returns how many."""
    with _own_lock:
        folders = list(_own)
        _own.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return sum(not f.exists() for f in folders)
