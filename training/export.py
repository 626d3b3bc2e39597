"""Export trained runs into the committed model folders, with their post-training settings.

Classifier: copies the adapters + head, then fits the calibration temperature on the dev split
(minimising negative log-likelihood) and records dev ECE before and after.
Summariser: copies encoder adapters + decoder and records ``free_order`` (decoder pieces by
frequency in the training headlines; the first ``free_pieces`` may always be generated, the
rest only when the article contains them).

Run: ``python -m training.export classifier runs/classifier`` or
``python -m training.export summarizer runs/summarizer --pack .pack``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from nlp.labels import LABEL2ID
from training.corpus import REPO_ROOT

MODELS = REPO_ROOT / "data" / "models"


def _copy(run_dir: Path, out: Path, name: str) -> dict:
    meta = json.loads((run_dir / f"{name}.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{name}*"):
        old.unlink()
    for f in [*meta["weight_files"], f"{name}.json"]:
        shutil.copyfile(run_dir / f, out / f)
    if (run_dir / "train_log.jsonl").exists():
        shutil.copyfile(run_dir / "train_log.jsonl", out / "train_log.jsonl")
    return meta


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the NLL of ``softmax(logits / T)`` (LBFGS on log T)."""
    import torch

    x = torch.tensor(logits, dtype=torch.float64)
    t = torch.tensor(y)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), t)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def export_classifier(run_dir: Path, out: Path = MODELS / "classifier") -> dict:
    from nlp.classify import DomainClassifier, softmax
    from nlp.metrics import expected_calibration_error
    from training.evaluate import load_split

    meta = _copy(run_dir, out, "classifier")
    dev = load_split("dev")
    clf = DomainClassifier(out)
    logits = clf.logits(dev.texts)
    y = np.array([LABEL2ID[v] for v in dev.labels])
    temp = fit_temperature(logits, y)
    before = expected_calibration_error(softmax(logits), y)
    after = expected_calibration_error(softmax(logits / temp), y)
    meta["config"]["temperature"] = round(temp, 4)
    meta["calibration"] = {
        "data": "dev",
        "n": len(y),
        "temperature": round(temp, 4),
        "ece_before": round(before, 4),
        "ece_after": round(after, 4),
    }
    (out / "classifier.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2))
    print(json.dumps(meta["calibration"]))
    return meta


def export_summarizer(run_dir: Path, pack: Path, out: Path = MODELS / "summarizer") -> dict:
    meta = _copy(run_dir, out, "summarizer")
    z = np.load(pack / "data.npz")
    if z["dec_vocab"].tolist() != meta["dec_vocab"]:
        raise ValueError(f"{pack} was not the pack this summariser was trained on")
    counts = np.bincount(z["sum_train_tgt"].astype(np.int64), minlength=len(meta["dec_vocab"]))
    meta["free_order"] = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
    (out / "summarizer.json").write_text(json.dumps(meta, ensure_ascii=False))
    print(f"exported to {out}: {len(meta['free_order'])} pieces ranked")
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=["classifier", "summarizer"])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--pack", type=Path, default=REPO_ROOT / ".pack")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.model == "classifier":
        export_classifier(args.run_dir, args.out or MODELS / "classifier")
    else:
        export_summarizer(args.run_dir, args.pack, args.out or MODELS / "summarizer")


if __name__ == "__main__":
    main()
