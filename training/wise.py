"""Weight-space ensembles of the fine-tuned classifier with a linear probe on the frozen
encoder (WiSE-FT, Wortsman et al. 2022, "Robust fine-tuning of zero-shot models").

Fine-tuning on CCTV transcripts moves the encoder towards CCTV; WiSE-FT is the standard
remedy for what that costs on other distributions. It keeps one model and one pass: the LoRA update is scaled by ``α`` and
the head is the mix ``(1 - α) · probe + α · fine-tuned``; ``α = 1`` is the fine-tuned model,
``α = 0`` the probe on the frozen encoder.

Steps:
1. the frozen encoder's features of the train and dev splits, read as the classifier reads
   them (its head + tail window, mean pooling);
2. a class-balanced logistic-regression probe on train, its ``C`` chosen on the mean
   macro-F1 of ``dev`` and ``dev_ood``, folded into a linear head over the raw features and
   scaled so that its logits spread as the fine-tuned head's do on dev;
3. for every ``α`` of the grid: the dev splits' macro-F1 (uncalibrated argmax; the table
   printed and written to ``<out>/sweep.json``) and a model folder ``<out>/a<α>`` that
   ``training.export`` calibrates and ``training.evaluate --dev`` scores, as for any run;
   the probe itself goes to ``<out>/probe.npz``, a head to start fine-tuning from (LP-FT,
   ``training.train_classifier --head-init``).

Run: ``python -m training.wise --init data/models/classifier --out runs/wise``. On the shipped
model every weight-space mix was worse than both ends (its head was not trained from the
probe); ``reports/classifier/wise_sweep.md`` and ``reports/classifier/generalisation.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nlp.classifier import build_model, load_config, save_model, tokenize, windows
from nlp.evaluation.data import load_rule_blind, load_split
from nlp.evaluation.metrics import classification_metrics
from nlp.labels import LABEL2ID, LABELS
from nlp.lora import load_into, load_small
from training.config import parse_config, resolved
from training.train_classifier import predict_logits

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DEV_SETS = ("dev", "dev_ood", "rule_blind_dev")


@dataclass
class WiseConfig:
    """Settings of the weight-space ensemble (recorded in ``<out>/sweep.json``)."""

    init: str = field(
        default="data/models/classifier", metadata={"help": "the fine-tuned classifier folder"}
    )
    out: str = field(default="runs/wise", metadata={"help": "output folder"})
    alphas: str = field(
        default="0,0.2,0.3,0.4,0.5,0.6,0.7,0.8,1",
        metadata={"help": "comma-separated mixing weights of the fine-tuned model"},
    )
    batch_size: int = field(default=64, metadata={"help": "windows per forward pass"})
    limit: int = field(default=0, metadata={"help": "use only N rows per split (smoke tests)"})


def macro_f1(gold: list[str], logits: np.ndarray) -> float:
    """The harness's macro-F1 (labels present in gold or prediction) of argmax ``logits``."""
    pred = [LABELS[i] for i in logits.argmax(1)]
    return classification_metrics(gold, pred, LABELS)["macro_f1"]


def scaled_model(init: str, alpha: float, head: tuple[np.ndarray, np.ndarray] | None = None):
    """The fine-tuned model of ``init`` with its LoRA update scaled by ``alpha`` and, when
    given, the head ``(weight, bias)`` in place of its own; also its config."""
    from nlp.shared_base import load_inference_base

    cfg = load_config(init)
    state, _ = load_small(init, "classifier")
    for name in state:
        if "lora_B" in name:
            state[name] = state[name] * alpha
    if head is not None:
        state["head.weight"] = torch.tensor(head[0], dtype=torch.float32)
        state["head.bias"] = torch.tensor(head[1], dtype=torch.float32)
    model = build_model(load_inference_base(), cfg)
    load_into(model, state)
    return model.eval(), cfg


def features(model, cfg, texts: list[str], batch_size: int) -> np.ndarray:
    """Pooled encoder vectors ``(n, hidden)`` of ``texts``, read as the classifier reads them
    (one head + tail window each), in bf16 autocast where the CPU has it."""
    from nlp.encoder import load_tokenizer

    tok = load_tokenizer()
    special = (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    wins = [windows(ids, cfg, "head_tail")[0] for ids in tokenize(tok, texts)]
    return predict_logits(model, wins, special, "cpu", batch_size, pooled=True)


def fit_probe(x: np.ndarray, y: list[str], c: float):
    """Class-balanced logistic regression on standardised ``x``, returned as a linear head
    over the raw features ``(weight (6, hidden), bias (6,))``."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(0), x.std(0) + 1e-6
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit((x - mu) / sd, [LABEL2ID[v] for v in y])
    w = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
    b = np.full(len(LABELS), -30.0, dtype=np.float32)  # a label train lacks is never chosen
    w[clf.classes_] = clf.coef_ / sd
    b[clf.classes_] = clf.intercept_ - (clf.coef_ * (mu / sd)).sum(1)
    return w, b


def run(cfg: WiseConfig) -> dict:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    sets = {s: load_split(s) for s in ("train", "dev", "dev_ood")}
    blind = set(load_rule_blind("dev").ids)
    if cfg.limit:
        sets = {k: type(v)(k, v.texts[: cfg.limit], v.labels[: cfg.limit], v.ids[: cfg.limit])
                for k, v in sets.items()}  # fmt: skip
    dev_texts = sets["dev"].texts + sets["dev_ood"].texts
    dev_ids = sets["dev"].ids + sets["dev_ood"].ids
    dev_gold = sets["dev"].labels + sets["dev_ood"].labels
    n_dev = len(sets["dev"].texts)
    parts = {
        "dev": np.arange(n_dev),
        "dev_ood": np.arange(n_dev, len(dev_texts)),
        "rule_blind_dev": np.array([i for i, k in enumerate(dev_ids) if k in blind]),
    }

    def scores(logits: np.ndarray) -> dict:
        row = {k: round(macro_f1([dev_gold[i] for i in ix], logits[ix]), 4)
               for k, ix in parts.items()}  # fmt: skip
        row["mean"] = round(float(np.mean([row[k] for k in DEV_SETS])), 4)
        return row

    _, meta = load_config(cfg.init, with_meta=True)
    frozen, ccfg = scaled_model(cfg.init, 0.0)
    x_train = features(frozen, ccfg, sets["train"].texts, cfg.batch_size)
    x_dev0 = features(frozen, ccfg, dev_texts, cfg.batch_size)
    del frozen
    tuned, _ = scaled_model(cfg.init, 1.0)
    x_dev1 = features(tuned, ccfg, dev_texts, cfg.batch_size)
    w_ft = tuned.head.weight.detach().numpy().copy()
    b_ft = tuned.head.bias.detach().numpy().copy()
    del tuned
    z_ft = x_dev1 @ w_ft.T + b_ft

    probes = {}
    for c in C_GRID:
        w, b = fit_probe(x_train, sets["train"].labels, c)
        probes[c] = (w, b, scores(x_dev0 @ w.T + b))
        print(f"probe C={c}: {probes[c][2]}", flush=True)
    best_c = max(C_GRID, key=lambda c: (probes[c][2]["dev"] + probes[c][2]["dev_ood"], -c))
    w_p, b_p, _ = probes[best_c]
    np.savez(out / "probe.npz", weight=w_p, bias=b_p)  # LP-FT: train_classifier --head-init
    z_p = x_dev0 @ w_p.T + b_p
    scale = float(
        (z_ft - z_ft.mean(1, keepdims=True)).std() / (z_p - z_p.mean(1, keepdims=True)).std()
    )
    w_p, b_p = w_p * scale, b_p * scale
    report = {"config": resolved(cfg), "probe_c": best_c, "probe_scale": round(scale, 4),
              "probes": {str(c): v[2] for c, v in probes.items()}, "wise": {}, "output_ensemble": {}}  # fmt: skip
    for a in [float(v) for v in cfg.alphas.split(",")]:
        report["output_ensemble"][str(a)] = scores((1 - a) * (x_dev0 @ w_p.T + b_p) + a * z_ft)
        head = ((1 - a) * w_p + a * w_ft, (1 - a) * b_p + a * b_ft)
        model, _ = scaled_model(cfg.init, a, head)
        z = features(model, ccfg, dev_texts, cfg.batch_size) @ head[0].T + head[1]
        report["wise"][str(a)] = scores(z)
        print(f"alpha {a}: wise {report['wise'][str(a)]} "
              f"output ensemble {report['output_ensemble'][str(a)]}", flush=True)  # fmt: skip
        extra = {k: meta[k] for k in ("train", "best") if k in meta}
        extra["wise"] = {"alpha": a, "probe_c": best_c, "probe_scale": round(scale, 4),
                         "init": cfg.init, "dev_uncalibrated": report["wise"][str(a)]}  # fmt: skip
        save_model(model, ccfg, out / f"a{a:.2f}", extra=extra)
        del model
    (out / "sweep.json").write_text(json.dumps(report, indent=2))
    (out / "sweep.md").write_text(sweep_markdown(report))
    return report


def sweep_markdown(report: dict) -> str:
    """The sweep as markdown tables: the probe per ``C``, then per ``α`` the weight-space
    and the output-space ensemble (uncalibrated argmax macro-F1 on the dev splits)."""
    cols = [*DEV_SETS, "mean"]
    head = "| {} | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols) + "\n"
    rows = [f"Probe: `C` = {report['probe_c']} chosen, its head scaled by "
            f"{report['probe_scale']} to the fine-tuned head's logit spread.\n",
            head.format("probe C")]  # fmt: skip
    for c, row in report["probes"].items():
        rows.append(f"| {c} | " + " | ".join(f"{row[k]:.3f}" for k in cols) + " |\n")
    rows.append("\n" + head.format("α (fine-tuned share)"))
    for a in report["wise"]:
        for kind in ("wise", "output_ensemble"):
            row = report[kind][a]
            name = "weight space" if kind == "wise" else "output space (two passes)"
            rows.append(f"| {a} {name} | " + " | ".join(f"{row[k]:.3f}" for k in cols) + " |\n")
    return "".join(rows)


def main(argv: list[str] | None = None) -> dict:
    cfg = parse_config(WiseConfig, argv, __doc__.split("\n")[0])
    return run(cfg)


if __name__ == "__main__":
    main()
