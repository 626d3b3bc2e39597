"""Fine-tune the domain classifier (LoRA on the e5 encoder + linear head) from a pack.

Class imbalance: cross-entropy with class weights ∝ 1/sqrt(frequency) plus oversampling of
the two rare domains. The best epoch by dev macro-F1 is saved (adapters + head, float16).
A JSON line per epoch goes to ``<out>/train_log.jsonl``.

Run: ``python -m training.train_classifier --config training/configs/classifier.json``
(the shipped run; flags override the preset). The resolved settings go to
``<out>/train_config.json`` and into the saved model's JSON.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nlp.classifier import ClassifierConfig, build_model, collate, save_model, windows
from nlp.labels import LABEL2ID, LABELS, RARE_LABELS
from nlp.precision import training_autocast
from training.config import parse_config, resolved, save_config
from training.pack import length_batches, open_pack, unragged
from training.splits import OUTLET_PREFIXES


@dataclass
class TrainConfig:
    """Training settings (saved with the model)."""

    pack: str = field(default=".pack", metadata={"help": "pack folder (training.pack)"})
    out: str = field(default="runs/classifier", metadata={"help": "output folder"})
    epochs: int = field(default=6, metadata={"help": "passes over the training split"})
    batch_size: int = field(default=32, metadata={"help": "windows per step"})
    lr: float = field(default=4e-4, metadata={"help": "peak learning rate (LoRA + head)"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    warmup: float = field(default=0.06, metadata={"help": "share of steps warming up"})
    rare_oversample: int = field(default=4, metadata={"help": "copies of rare-domain examples"})
    outlet_oversample: int = field(
        default=1,
        metadata={
            "help": "copies of the other outlets' training rows (ids cnnewshub-/eventmonitor-; "
            "the larger of this and rare_oversample for a rare row of theirs)"
        },
    )
    seed: int = field(default=13, metadata={"help": "random seed"})
    max_minutes: float = field(default=4.0, metadata={"help": "stop after this long"})
    limit: int = field(default=0, metadata={"help": "use only N training rows (smoke tests)"})
    max_tokens: int = field(
        default=0,
        metadata={
            "help": "re-cut training windows to head+tail of this many tokens (0: as packed)"
        },
    )
    init: str = field(
        default="",
        metadata={
            "help": "start from the adapters + head saved in this folder (continue training)"
        },
    )
    head_init: str = field(
        default="",
        metadata={
            "help": "start the head from this .npz (weight, bias: a linear probe on the frozen "
            "encoder, training.wise) and the adapters from zero: LP-FT, Kumar et al. 2022"
        },
    )
    max_other: int = field(
        default=0, metadata={"help": "keep at most N random `other` training rows (0: all)"}
    )
    long_strategy: str = field(
        default="head_tail",
        metadata={
            "help": "how the model reads a long article, in training and as saved: head_tail, "
            "or attention (its windows' vectors pooled by a learned attention)"
        },
    )
    train_chunks: int = field(
        default=4, metadata={"help": "attention: windows per training article (spread evenly)"}
    )
    max_chunks: int = field(
        default=16, metadata={"help": "attention: windows read per article at inference"}
    )

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}"
            )
        if not 0 < self.lr < 1:
            raise ValueError(f"lr must be in (0, 1), got {self.lr!r}")
        if self.long_strategy not in ("head_tail", "attention"):
            raise ValueError(
                f"long_strategy must be head_tail or attention, got {self.long_strategy!r}"
            )


def macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, labels=list(range(len(LABELS))), average="macro", zero_division=0))


def predict_logits(model, wins, special, device, batch_size=128, pooled=False) -> np.ndarray:
    """Logits of items read as one window each, or (``wins[i]`` a list of windows) as
    several combined by the model's attention; with ``pooled``, the pooled encoder vectors
    of one-window items instead of their logits (``(n, hidden)``, as ``training.wise``
    probes them)."""
    model.eval()
    if pooled and wins and isinstance(wins[0][0], list):
        raise ValueError("pooled vectors are of one-window items only")
    if wins and isinstance(wins[0][0], list):
        out = np.zeros((len(wins), len(LABELS)), dtype=np.float32)
        order = sorted(range(len(wins)), key=lambda i: sum(map(len, wins[i])))
        with torch.inference_mode(), training_autocast(device):
            for s in range(0, len(order), max(1, batch_size // 4)):
                idx = order[s : s + max(1, batch_size // 4)]
                out[idx] = article_logits(model, [wins[i] for i in idx], special, device)
        model.train()
        return out
    order = sorted(range(len(wins)), key=lambda i: len(wins[i]))
    forward = model.encode if pooled else model
    width = model.head.in_features if pooled else len(LABELS)
    out = np.zeros((len(wins), width), dtype=np.float32)
    with torch.inference_mode(), training_autocast(device):
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            b = {k: v.to(device) for k, v in collate([wins[i] for i in idx], *special).items()}
            out[idx] = forward(**b).float().cpu().numpy()
    model.train()
    return out


def article_logits(model, articles: list[list[list[int]]], special, device):
    """Logits of articles given as lists of windows: every window encoded in one batch, the
    vectors combined per article by the model's attention (a tensor in training, numpy in
    :func:`predict_logits`)."""
    flat = [w for art in articles for w in art]
    owners = torch.tensor([k for k, art in enumerate(articles) for _ in art], device=device)
    b = {k: v.to(device) for k, v in collate(flat, *special).items()}
    z = model.classify(model.combine(model.encode(**b), owners, len(articles)))
    return z if torch.is_grad_enabled() else z.float().cpu().numpy()


def oversampled_index(
    labels: np.ndarray, outlet: np.ndarray, rare_copies: int, outlet_copies: int
) -> list[int]:
    """The training rows of one epoch: each row ``rare_copies`` times if its label is a rare
    domain, ``outlet_copies`` times if it is another outlet's, the larger of the two if both.

    Example:
        >>> from nlp.labels import LABEL2ID
        >>> y = np.array([LABEL2ID["other"], LABEL2ID["agri_insurance"], LABEL2ID["other"]])
        >>> oversampled_index(y, np.array([False, True, True]), 3, 2)
        [0, 1, 1, 1, 2, 2]
    """
    rare = {LABEL2ID[x] for x in RARE_LABELS}
    return [
        i
        for i, y in enumerate(labels)
        for _ in range(max(rare_copies if y in rare else 1, outlet_copies if outlet[i] else 1))
    ]


def train(cfg: TrainConfig, ccfg: ClassifierConfig | None = None) -> dict:
    ccfg = ccfg or ClassifierConfig()
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    base, keep, z, special = open_pack(cfg.pack, device)

    def split(name):
        wins = [keep[w].tolist() for w in unragged(z[f"cls_{name}_ids"], z[f"cls_{name}_off"])]
        y = np.array([LABEL2ID[str(lab)] for lab in z[f"cls_{name}_labels"]])
        return wins, y

    train_w, train_y = split("train")
    n_train = len(train_y)
    # where each training row is from (packs written before the item ids: all CCTV)
    items = z["cls_train_items"] if "cls_train_items" in z else np.array([""] * n_train)
    train_outlet = np.array([str(x).startswith(OUTLET_PREFIXES) for x in items])
    dev_w, dev_y = split("dev")
    attention = cfg.long_strategy == "attention"
    ccfg.long_strategy = cfg.long_strategy
    if attention:
        ccfg.max_chunks = cfg.max_chunks

        def whole(name: str, chunks: int) -> list[list[list[int]]]:
            full = unragged(z[f"cls_{name}_full"], z[f"cls_{name}_foff"])
            read = ClassifierConfig(max_length=ccfg.max_length, max_chunks=chunks)
            return [windows(keep[f].tolist(), read, "attention") for f in full]

        train_w, dev_w = whole("train", cfg.train_chunks), whole("dev", cfg.max_chunks)
    if cfg.limit:
        train_w, train_y = train_w[: cfg.limit], train_y[: cfg.limit]
        train_outlet = train_outlet[: cfg.limit]
    if cfg.max_other:
        other = [i for i, y in enumerate(train_y) if y == LABEL2ID["other"]]
        drop = set(other) - set(
            random.Random(cfg.seed).sample(other, min(cfg.max_other, len(other)))
        )
        keep_rows = [i for i in range(len(train_y)) if i not in drop]
        train_w, train_y = [train_w[i] for i in keep_rows], train_y[keep_rows]
        train_outlet = train_outlet[keep_rows]
    if cfg.max_tokens and not attention:
        short = ClassifierConfig(
            max_length=cfg.max_tokens + 2,
            head_tokens=min(ccfg.head_tokens, cfg.max_tokens * 3 // 4),
        )
        train_w = [windows(w, short, "head_tail")[0] for w in train_w]
    counts = np.bincount(train_y, minlength=len(LABELS)).astype(float)
    weights = torch.tensor(1 / np.sqrt(np.maximum(counts, 1)), dtype=torch.float32)
    weights = (weights / weights.mean()).to(device)
    index = oversampled_index(train_y, train_outlet, cfg.rare_oversample, cfg.outlet_oversample)

    model = build_model(base, ccfg)
    if cfg.init:
        from nlp.lora import load_into, load_small

        load_into(model, load_small(cfg.init, "classifier")[0])
    if cfg.head_init:
        probe = np.load(cfg.head_init)
        with torch.no_grad():
            model.head.weight.copy_(torch.from_numpy(probe["weight"]))
            model.head.bias.copy_(torch.from_numpy(probe["bias"]))
    model = model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * math.ceil(len(index) / cfg.batch_size)
    warm = max(1, int(cfg.warmup * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    out = Path(cfg.out)
    save_config(cfg, out)
    log = (out / "train_log.jsonl").open("a")
    best, t0, step = {"dev_macro_f1": -1.0}, time.time(), 0
    for epoch in range(cfg.epochs):
        lengths = [[x for w in art for x in w] for art in train_w] if attention else train_w
        batches = length_batches(index, lengths, cfg.batch_size, rng)
        total = 0.0
        for idx in batches:
            y = torch.tensor(train_y[idx], device=device)
            with training_autocast(device):
                if attention:
                    logits = article_logits(model, [train_w[i] for i in idx], special, device)
                else:
                    batch = collate([train_w[i] for i in idx], *special)
                    logits = model(**{k: v.to(device) for k, v in batch.items()})
            loss = loss_fn(logits.float(), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            total += loss.item()
            step += 1
            if step % 20 == 0:
                print(f"epoch {epoch + 1} step {step}/{cfg.epochs * len(batches)} "
                      f"loss {total / (step - epoch * len(batches)):.4f} "
                      f"{time.time() - t0:.0f} s", flush=True)  # fmt: skip
        dev_logits = predict_logits(model, dev_w, special, device)
        f1 = macro_f1(dev_y, dev_logits.argmax(1))
        row = {
            "epoch": epoch + 1,
            "step": step,
            "train_loss": round(total / max(1, len(batches)), 4),
            "dev_macro_f1": round(f1, 4),
            "seconds": round(time.time() - t0, 1),
        }
        print(json.dumps(row), flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()
        if f1 > best["dev_macro_f1"]:
            best = row
            save_model(model, ccfg, out, extra={"train": resolved(cfg), "best": row})
        if time.time() - t0 > cfg.max_minutes * 60:
            break
    return best


def main(argv: list[str] | None = None) -> dict:
    """Train from the command line (``--config training/configs/classifier.json`` for the
    shipped run); returns the best epoch's row."""
    cfg = parse_config(TrainConfig, argv, __doc__.split("\n")[0])
    best = train(cfg)
    print("best", json.dumps(best))
    return best


if __name__ == "__main__":
    main()
