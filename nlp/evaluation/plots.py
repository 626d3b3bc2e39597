"""Plots of evaluation results (matplotlib, headless): confusion matrices with Chinese label
names when a CJK font is installed."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Family name of an installed CJK font that matplotlib can use, or ``None``.

    Asks fontconfig (``fc-list :lang=zh file``) and registers the first file that matplotlib
    can load. No ``fc-list``, an ``fc-list`` that fails or hangs, or no loadable CJK font gives
    ``None`` (the plot then uses label ids); any other error is a bug and is raised.
    """
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    from matplotlib import font_manager

    for line in out.splitlines():
        path = line.split(":")[0].strip()
        if not path:
            continue
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font: try the next
            continue
    return None


def plot_confusion(
    cm, labels: Sequence[str], path: str | Path, title: str = "", font: str | None = "auto"
) -> Path:
    """Write the confusion matrix ``cm`` (rows = true) as a PNG and return its path.

    Tick labels are the Chinese display names of :mod:`nlp.labels` when a CJK font is
    available (``font="auto"`` looks one up with :func:`cjk_font`; pass a family name or
    ``None`` to force), else the label ids. Cells show counts; colour is the row share.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nlp.labels import DISPLAY_NAMES

    cm = np.asarray(cm, dtype=int)
    labels = list(labels)
    if cm.shape != (len(labels), len(labels)):
        raise ValueError(f"confusion matrix of shape {cm.shape} does not fit {len(labels)} labels")
    # findfont warns about weights a CJK .ttc lacks; the nearest weight is fine
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    family = cjk_font() if font == "auto" else font
    names = [DISPLAY_NAMES.get(lb, lb) for lb in labels] if family else labels
    rc = {"font.sans-serif": [family, "DejaVu Sans"]} if family else {}
    row = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, row, out=np.zeros(cm.shape), where=row > 0)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(rc):
        size = 1.0 + 0.9 * len(labels)
        fig, ax = plt.subplots(figsize=(size + 1.5, size))
        im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        if title:
            ax.set_title(title)
        for i in range(len(labels)):
            for j in range(len(labels)):
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=colour)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of row")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return path


def plot_reliability(table: Sequence[dict], path: str | Path, title: str = "") -> Path:
    """Write a reliability diagram of :func:`nlp.evaluation.metrics.reliability_table` rows
    as a PNG: accuracy per confidence bin against the diagonal, bin sizes below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if r["count"]]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax, ax_n) = plt.subplots(
        2, 1, figsize=(4.8, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    width = table[0]["upper"] - table[0]["lower"] if table else 0.1
    ax.bar([r["lower"] for r in rows], [r["accuracy"] for r in rows], width=width, align="edge",
           edgecolor="black", color="#60a5fa", label="accuracy")  # fmt: skip
    ax.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], "o", color="#1d4ed8",
            markersize=4, label="mean confidence")  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    ax_n.bar([r["lower"] for r in rows], [r["count"] for r in rows], width=width, align="edge",
             color="#9ca3af", edgecolor="black")  # fmt: skip
    ax_n.set_xlabel("confidence")
    ax_n.set_ylabel("articles")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
