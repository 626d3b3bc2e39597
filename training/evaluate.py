"""Evaluation harness for the domain classifier and its baselines.

Scores every model on the same data: the date-held-out test split (``data/classifier``), the
labelled seed page (through the segmenter), and any labelled JSONL/CSV files given on the
command line (``text`` or ``title`` + ``body``, and ``label``). Models: the fine-tuned
classifier, and three baselines trained on the same train split — keyword rules, TF-IDF on
character n-grams + logistic regression, frozen e5 embeddings + logistic regression.

Writes ``metrics.json``, ``report.md`` and a confusion-matrix PNG per data set under ``--out``
and prints the table. Run: ``python -m nlp evaluate [FILE ...]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.labels import LABEL2ID, LABELS, RARE_LABELS
from nlp.metrics import classification_metrics, expected_calibration_error, plot_confusion
from training.corpus import REPO_ROOT, item_text, load_items

DATASET = REPO_ROOT / "data" / "classifier" / "dataset.jsonl"
SEED_DIR = REPO_ROOT / "data" / "seeds"
SEED_PAGES = REPO_ROOT.parent / "shared" / "seeds"
Predictor = Callable[[list[str]], np.ndarray]  # texts -> probabilities (n, 6)


@dataclass
class LabelledSet:
    """Texts with gold labels, and a name for reports."""

    name: str
    texts: list[str]
    labels: list[str]
    ids: list[str]


def load_split(split: str, dataset: Path = DATASET) -> LabelledSet:
    items = load_items()
    rows = [json.loads(x) for x in dataset.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["split"] == split]
    return LabelledSet(
        split,
        [item_text(items[r["id"]]) for r in rows],
        [r["label"] for r in rows],
        [r["id"] for r in rows],
    )


def load_seed_page(gold_dir: Path = SEED_DIR, pages_dir: Path = SEED_PAGES) -> LabelledSet:
    """The seed page segmented by :func:`nlp.segment.segment_page`, gold labels matched by title.

    A gold article the segmenter did not recover counts as a miss (label ``None`` → scored as
    wrong), so segmentation errors show in this score too.
    """
    from nlp.io import read_text_file
    from nlp.segment import segment_page

    texts, labels, ids = [], [], []
    for gold_file in sorted(gold_dir.glob("*.gold.jsonl")):
        page = pages_dir / gold_file.name.replace(".gold.jsonl", ".txt")
        articles = segment_page(read_text_file(page), source=page.name)
        gold = [
            json.loads(x) for x in gold_file.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        for g in gold:
            art = _match(g, articles)
            texts.append(art.text if art else "")
            labels.append(g["label"])
            ids.append(f"{page.stem}:{g['title'][:20]}")
    return LabelledSet("seed_page", texts, labels, ids)


def _norm(s: str) -> str:
    return "".join(s.split())


def _match(gold: dict, articles):
    first = _norm(gold.get("first_sentence", ""))[:15]
    for a in articles:
        if _norm(a.title) == _norm(gold["title"]) or (first and first in _norm(a.body)):
            return a
    return None


def load_file(path: Path) -> LabelledSet:
    """A labelled JSONL or CSV file (``text`` or ``title`` + ``body``, ``label``); a bad row
    stops the run (the harness scores whole files or nothing)."""
    from nlp.evaluation.labelled import read_labelled

    rows = read_labelled(path, strict=True)
    return LabelledSet(path.stem, rows.texts, rows.labels, rows.ids)


def rules_predictor() -> Predictor:
    from training.rules import rule_label

    def predict(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)))
        for i, t in enumerate(texts):
            title, _, body = t.partition("\n")
            r = rule_label(title, body)
            s = np.array([r.scores[lab] for lab in LABELS], dtype=float)
            out[i] = s / s.sum() if s.sum() else np.eye(len(LABELS))[LABEL2ID["other"]]
            if r.label == "other":
                out[i] = np.eye(len(LABELS))[LABEL2ID["other"]]
        return out

    return predict


def _fit_lr(x, y):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=3000, C=4.0, class_weight="balanced")
    clf.fit(x, [LABEL2ID[v] for v in y])
    return clf


def _full_proba(clf, x) -> np.ndarray:
    p = np.zeros((x.shape[0], len(LABELS)))
    p[:, clf.classes_] = clf.predict_proba(x)
    return p


def tfidf_predictor(train: LabelledSet) -> Predictor:
    from nlp.lexical import LexicalModel

    return LexicalModel.fit(train.texts, train.labels).proba


def frozen_predictor(train: LabelledSet) -> Predictor:
    from nlp.encoder import embed

    clf = _fit_lr(embed(train.texts, max_length=256), train.labels)
    return lambda texts: _full_proba(clf, embed(texts, max_length=256))


def finetuned_predictor(
    model_dir: Path,
    precision: str | None = None,
    strategy: str | None = None,
    lexical_weight: float | None = None,
) -> Predictor:
    from nlp.classifier import DomainClassifier

    clf = DomainClassifier(model_dir, precision=precision, lexical_weight=lexical_weight)
    return lambda texts: clf.predict_proba(texts, strategy=strategy)


def score(name: str, probs: np.ndarray, data: LabelledSet) -> dict:
    pred = [LABELS[i] for i in probs.argmax(1)]
    m = classification_metrics(data.labels, pred, LABELS)
    y = np.array([LABEL2ID[v] for v in data.labels])
    m["ece"] = expected_calibration_error(probs, y)
    m["model"], m["data"] = name, data.name
    m["errors"] = [
        {"id": i, "gold": g, "pred": p}
        for i, g, p in zip(data.ids, data.labels, pred, strict=True)
        if g != p
    ][:50]
    return m


def markdown(results: list[dict]) -> str:
    rows = [
        "| data | model | n | accuracy | macro-F1 | "
        + " | ".join(f"F1 {lab}" for lab in LABELS)
        + " | ECE |",
        "|" + "---|" * (6 + len(LABELS)),
    ]
    for m in results:
        f1s = " | ".join(f"{m['per_class'][lab]['f1']:.3f}" for lab in LABELS)
        rows.append(
            f"| {m['data']} | {m['model']} | {m['n']} | {m['accuracy']:.3f} | "
            f"{m['macro_f1']:.3f} | {f1s} | {m['ece']:.3f} |"
        )
    return "\n".join(rows) + "\n"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The harness's options (shared by ``python -m training.evaluate`` and ``nlp evaluate``)."""
    ap.add_argument("files", nargs="*", type=Path, help="extra labelled JSONL/CSV files")
    ap.add_argument("--model-dir", type=Path, default=REPO_ROOT / "data" / "models" / "classifier")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "classifier")
    ap.add_argument("--no-baselines", action="store_true", help="score the fine-tuned model only")
    ap.add_argument("--no-test", action="store_true", help="skip the corpus test split")
    ap.add_argument(
        "--variants",
        action="store_true",
        help="also score fp32/int8 and chunked reading of long articles",
    )


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__.split("\n")[0]
    )
    add_arguments(ap)
    return run(ap.parse_args(argv))


def run(args: argparse.Namespace) -> list[dict]:
    """Score every model on every data set; write metrics.json, report.md, confusion PNGs."""
    sets: list[LabelledSet] = []
    if not args.no_test:
        sets.append(load_split("test"))
    if SEED_PAGES.exists():
        sets.append(load_seed_page())
    sets += [load_file(p) for p in args.files]
    models: dict[str, Predictor] = {"finetuned": finetuned_predictor(args.model_dir)}
    if args.variants:
        from nlp.classifier import load_config

        if load_config(args.model_dir).lexical_weight > 0:
            models["finetuned_encoder_only"] = finetuned_predictor(
                args.model_dir, lexical_weight=0.0
            )
        models["finetuned_chunks"] = finetuned_predictor(args.model_dir, strategy="chunks")
        models["finetuned_bf16"] = finetuned_predictor(args.model_dir, precision="bf16")
        models["finetuned_bf16_weights"] = finetuned_predictor(
            args.model_dir, precision="bf16_weights"
        )
        models["finetuned_fp32"] = finetuned_predictor(args.model_dir, precision="fp32")
        models["finetuned_int8"] = finetuned_predictor(args.model_dir, precision="int8")
    if not args.no_baselines:
        train = load_split("train")
        models["rules"] = rules_predictor()
        models["tfidf_char_lr"] = tfidf_predictor(train)
        models["e5_frozen_lr"] = frozen_predictor(train)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for data in sets:
        for name, predict in models.items():
            t0 = time.time()
            m = score(name, predict(data.texts), data)
            m["seconds"] = round(time.time() - t0, 1)
            results.append(m)
            if name == "finetuned":
                plot_confusion(
                    np.array(m["confusion"]),
                    LABELS,
                    args.out / f"confusion_{data.name}.png",
                    title=f"{name} on {data.name}",
                )
            print(
                f"{data.name:12s} {name:18s} n={m['n']:4d} acc={m['accuracy']:.3f} "
                f"macroF1={m['macro_f1']:.3f} "
                + " ".join(f"{lab[:6]}={m['per_class'][lab]['f1']:.2f}" for lab in RARE_LABELS)
                + f" ECE={m['ece']:.3f}",
                flush=True,
            )
    (args.out / "metrics.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    report = "# Classifier evaluation\n\n" + markdown(results)
    (args.out / "report.md").write_text(report)
    print(report)
    return results


if __name__ == "__main__":
    main()
