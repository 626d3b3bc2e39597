"""Stage: whole-article reading for a trained classifier, by a learned attention over windows.

The shipped classifier reads a long article as head + tail (its first and last tokens, one
window). This stage keeps that model's encoder (LoRA merged) and head, encodes *every* window
of each training article (consecutive windows of ``max_length`` tokens, at most
``max_chunks`` spread evenly over the article: :func:`nlp.windows.windows`, ``attention``),
and trains the model's attention scorer (:meth:`nlp.classifier.DomainModel.combine`: one
score per window, softmax over the article's windows) on those vectors, with the head kept,
or with ``--train-head`` trained as well from where it was. A one-window article reads
exactly as before; only articles longer than one window change.

Only the ``train`` split is read for training (class-balanced cross-entropy over its
articles of two or more windows). The result is a classifier folder with
``long_strategy: attention``; ``training.export`` then fits its calibration and blend on dev as
for any run, and ``training.evaluate --dev --model-dir`` compares it with the shipped model.

Window vectors are cached per split under ``<out>/cache/`` (one file per split), so a cut
run resumes without encoding again.

Example::

    python -m training.train_attention --out runs/cls-attn
    python -m training.export classifier runs/cls-attn --out runs/cls-attn-x \\
        --config training/configs/export-classifier.json
    python -m training.evaluate --dev --no-baselines --model-dir runs/cls-attn-x
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nlp import paths
from nlp.classifier import ARTIFACT, DomainClassifier
from nlp.labels import LABEL2ID, LABELS
from nlp.lora import load_small, save_small
from training.config import parse_config, save_config

log = logging.getLogger(__name__)


@dataclass
class AttentionConfig:
    """Settings of ``python -m training.train_attention`` (saved with the model)."""

    init: str = field(default="", metadata={"help": "classifier folder (default: shipped)"})
    out: str = field(default="runs/cls-attn", metadata={"help": "output classifier folder"})
    max_chunks: int = field(default=16, metadata={"help": "windows read per article"})
    train_head: bool = field(default=False, metadata={"help": "train the head too"})
    epochs: int = field(default=200, metadata={"help": "full-batch passes"})
    lr: float = field(default=0.01, metadata={"help": "Adam learning rate"})
    weight_decay: float = field(default=0.01, metadata={"help": "L2 on the trained weights"})
    seed: int = field(default=13, metadata={"help": "random seed"})

    def __post_init__(self) -> None:
        if self.max_chunks < 2 or self.epochs < 1:
            raise ValueError(f"bad max_chunks/epochs: {self.max_chunks}, {self.epochs}")


def cached_vectors(clf, split: str, texts: list[str], cache: Path, max_chunks: int):
    """:meth:`DomainClassifier.window_vectors` of a split, cached in ``cache/<split>.npz``."""
    path = cache / f"{split}.npz"
    if path.is_file():
        z = np.load(path)
        if int(z["n"]) == len(texts):
            return z["vecs"], z["owners"]
    t0 = time.time()
    vecs, owners = clf.window_vectors(texts, max_chunks)
    log.info("%s: %d windows encoded (%.0f s)", split, len(owners), time.time() - t0)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, vecs=vecs, owners=owners, n=len(texts))
    return vecs, owners


def train(model, vecs: np.ndarray, owners: np.ndarray, y: np.ndarray, cfg: AttentionConfig):
    """Fit the attention scorer (and with ``train_head`` the head) on the articles of two or
    more windows; returns the final training loss."""
    counts = np.bincount(owners, minlength=len(y))
    keep = counts >= 2
    remap = -np.ones(len(y), dtype=np.int64)
    remap[keep] = np.arange(int(keep.sum()))
    sel = keep[owners]
    v = torch.tensor(vecs[sel])
    o = torch.tensor(remap[owners[sel]])
    yy = torch.tensor(y[keep])
    n = int(keep.sum())
    freq = np.bincount(y[keep], minlength=len(LABELS)).astype(float)
    weight = torch.tensor(np.where(freq > 0, n / (len(LABELS) * np.maximum(freq, 1)), 0.0)).float()
    params = list(model.attn.parameters()) + (
        list(model.head.parameters()) if cfg.train_head else []
    )
    for p in model.parameters():
        p.requires_grad = False
    for p in params:
        p.requires_grad = True
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    model.eval()  # no dropout: the vectors are fixed
    loss = torch.tensor(0.0)
    for epoch in range(cfg.epochs):
        opt.zero_grad()
        loss = loss_fn(model.classify(model.combine(v, o, n)).float(), yy)
        loss.backward()
        opt.step()
        if epoch % 50 == 0 or epoch == cfg.epochs - 1:
            log.info("epoch %d loss %.4f (%d articles of 2+ windows)", epoch, loss.item(), n)
    return float(loss.item()), n


def main(argv: list[str] | None = None) -> dict:
    from nlp.evaluation.data import load_split

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = parse_config(AttentionConfig, argv, description=__doc__.split("\n")[0])
    torch.manual_seed(cfg.seed)
    init = Path(cfg.init) if cfg.init else paths.model_dir(ARTIFACT)
    out = Path(cfg.out)
    clf = DomainClassifier(init, precision="bf16_weights")
    data = load_split("train")
    y = np.array([LABEL2ID[v] for v in data.labels])
    vecs, owners = cached_vectors(clf, "train", data.texts, out / "cache", cfg.max_chunks)
    model = clf.model.float()
    t0 = time.time()
    loss, n_long = train(model, vecs, owners, y, cfg)
    # the saved weights: the init's (adapters, head) with the new scorer (and head)
    state, meta = load_small(init, ARTIFACT)
    state["attn.weight"], state["attn.bias"] = model.attn.weight.detach(), model.attn.bias.detach()
    if cfg.train_head:
        state["head.weight"], state["head.bias"] = (
            model.head.weight.detach(),
            model.head.bias.detach(),
        )
    meta["config"].update(long_strategy="attention", max_chunks=cfg.max_chunks)
    meta["attention"] = {
        "init": cfg.init or "data/models/classifier",
        "train_articles": len(y),
        "train_articles_long": n_long,
        "train_windows": int(len(owners)),
        "final_loss": round(loss, 4),
        "seconds": round(time.time() - t0, 1),
    }
    save_small(state, meta, out, ARTIFACT)  # its own weight_files replace the init's
    if (init / "train_log.jsonl").is_file():
        shutil.copyfile(init / "train_log.jsonl", out / "train_log.jsonl")
    save_config(cfg, out, "attention_config.json")
    print(json.dumps(meta["attention"]))
    return meta["attention"]


if __name__ == "__main__":
    main()
