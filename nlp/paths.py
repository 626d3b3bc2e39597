"""Every folder the project reads or writes, and every environment variable it honours.

Nothing else in the project reads ``os.environ`` for a path or a switch: it calls one of the
functions here, which read the environment at call time (so a test can ``monkeypatch.setenv``).

========================  =====================================  ===============================
variable                  what                                   default
========================  =====================================  ===============================
``NEWSDESK_SHARED``       the shared folder (corpora, seeds)     ``<repo>/../shared``
``NEWSDESK_CORPORA``      the text corpora                       ``$NEWSDESK_SHARED/corpora``
``NEWSDESK_SEEDS``        the seed newspaper pages               ``$NEWSDESK_SHARED/seeds``
``NEWSDESK_CACHE``        rebuilt base encoder, summary pairs    ``~/.cache/newsdesk``
``NEWSDESK_MODELS``       the model folders (classifier, ...)    ``<repo>/data/models``, else the
                                                                 copy installed with the package
``NEWSDESK_PRECISION``    force a model precision (``fp32``...)  per machine (nlp.precision)
``NEWSDESK_APP_RUNS``     the app's run folders (uploads, results) ``$TMPDIR/newsdesk-app``
``NEWSDESK_FEEDBACK``     the app users' label corrections       ``~/.local/share/newsdesk/feedback``
``NEWSDESK_FAKE_MODELS``  ``1``: test doubles instead of models  off (tests only)
``NEWSDESK_FAKE_DELAY``   seconds per text for the test doubles  ``0``
========================  =====================================  ===============================

Example::

    from nlp import paths
    paths.models_dir() / "classifier"      # PosixPath('.../data/models/classifier')
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SHARED_ENV = "NEWSDESK_SHARED"
CORPORA_ENV = "NEWSDESK_CORPORA"
SEEDS_ENV = "NEWSDESK_SEEDS"
CACHE_ENV = "NEWSDESK_CACHE"
MODELS_ENV = "NEWSDESK_MODELS"
APP_RUNS_ENV = "NEWSDESK_APP_RUNS"
FEEDBACK_ENV = "NEWSDESK_FEEDBACK"
PRECISION_ENV = "NEWSDESK_PRECISION"
FAKE_MODELS_ENV = "NEWSDESK_FAKE_MODELS"
FAKE_DELAY_ENV = "NEWSDESK_FAKE_DELAY"

SEED_PAGE_NAME = "000_cd28cbcedefb48dc.txt"
_PACKAGE_DIR = Path(__file__).resolve().parent
# Where ``pip install .`` puts the committed models (pyproject's data-files).
_INSTALLED_MODELS = Path(sys.prefix) / "share" / "newsdesk" / "models"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def repo_root() -> Path | None:
    """The source checkout this package runs from, or ``None`` for an installed package."""
    root = _PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "data").is_dir() else None


def _repo_or_cwd() -> Path:
    return repo_root() or Path.cwd()


def data_dir() -> Path:
    """The checkout's ``data/`` (labels, seed gold, datasets); the working folder's otherwise."""
    return _repo_or_cwd() / "data"


def reports_dir() -> Path:
    """The checkout's ``reports/`` (committed evaluation reports)."""
    return _repo_or_cwd() / "reports"


def shared_dir() -> Path:
    """The shared folder beside the checkout (``$NEWSDESK_SHARED``)."""
    return _env_path(SHARED_ENV) or _repo_or_cwd().parent / "shared"


def corpora_dir() -> Path:
    """The text corpora (``$NEWSDESK_CORPORA``)."""
    return _env_path(CORPORA_ENV) or shared_dir() / "corpora"


def seeds_dir() -> Path:
    """The seed newspaper pages (``$NEWSDESK_SEEDS``)."""
    return _env_path(SEEDS_ENV) or shared_dir() / "seeds"


def seed_page() -> Path:
    """The labelled seed page (evaluation data only, never trained on)."""
    return seeds_dir() / SEED_PAGE_NAME


def seed_gold() -> Path:
    """The gold articles of the seed page (headlines, bylines, labels)."""
    return data_dir() / "seeds" / SEED_PAGE_NAME.replace(".txt", ".gold.jsonl")


def cache_dir() -> Path:
    """Rebuildable files: the base encoder, summary pairs, packs (``$NEWSDESK_CACHE``)."""
    return _env_path(CACHE_ENV) or Path.home() / ".cache" / "newsdesk"


def models_dir() -> Path:
    """The folder holding ``classifier/`` and ``summarizer/`` (``$NEWSDESK_MODELS``).

    A checkout uses its ``data/models``; an installed package the copy that ``pip install``
    put under ``<prefix>/share/newsdesk/models``.
    """
    given = _env_path(MODELS_ENV)
    if given is not None:
        return given
    root = repo_root()
    if root is not None and (root / "data" / "models").is_dir():
        return root / "data" / "models"
    return _INSTALLED_MODELS


def model_dir(name: str) -> Path:
    """One model's folder, e.g. ``model_dir("classifier")``."""
    return models_dir() / name


def feedback_dir() -> Path:
    """Where the app appends its users' label corrections (``$NEWSDESK_FEEDBACK``): kept, not
    a cache; :mod:`training.feedback` turns them into labels after review."""
    return _env_path(FEEDBACK_ENV) or Path.home() / ".local" / "share" / "newsdesk" / "feedback"


def app_runs_dir() -> Path:
    """Where the app keeps each run's uploads and results, cleaned on a schedule
    (``$NEWSDESK_APP_RUNS``; default ``newsdesk-app`` in the system's temporary folder)."""
    import tempfile

    return _env_path(APP_RUNS_ENV) or Path(tempfile.gettempdir()) / "newsdesk-app"


def forced_precision() -> str:
    """A model precision forced for this machine (``$NEWSDESK_PRECISION``), or ``""``."""
    return os.environ.get(PRECISION_ENV, "").strip()


def fake_models() -> bool:
    """True when the test-only switch ``NEWSDESK_FAKE_MODELS=1`` is on."""
    return os.environ.get(FAKE_MODELS_ENV, "") == "1"


def fake_delay() -> float:
    """Seconds per text the test doubles sleep (``$NEWSDESK_FAKE_DELAY``)."""
    try:
        return float(os.environ.get(FAKE_DELAY_ENV, "0") or 0)
    except ValueError:
        return 0.0
