"""Stage: the full classifier evaluation, the fine-tuned model and the baselines in one run.

Scores, on the date-held-out CCTV test split, the out-of-domain test split (other outlets'
foreign and wire feeds, an outlet group in no other split), the rule-blind slice of both
(items no keyword rule flags), the labelled seed page (through the segmenter) and any
labelled JSONL/CSV files given (``--dev``: the dev splits instead, for choosing): the fine-tuned classifier (and its variants with
``--variants``), and three baselines trained here on the train split — keyword rules, TF-IDF
on character n-grams + logistic regression, frozen e5 embeddings + logistic regression. The
scoring itself is the library's (:mod:`nlp.evaluation.harness`), the same as
``python -m nlp evaluate`` runs without the baselines.

Writes ``metrics.json``, ``report.md`` and a confusion-matrix PNG per data set to ``--out``
(default ``reports/classifier``, the committed report), prints one line per stage on stderr
and the table on stdout. Run: ``python -m training.evaluate --variants``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.evaluation import harness
from nlp.evaluation.data import LabelledSet, load_labelled_file, load_rule_blind, load_split
from nlp.evaluation.gold import load_seed_page
from nlp.labels import LABEL2ID, LABELS

__all__ = ["load_split", "main", "baseline_models"]


def rules_predictor():
    """Keyword rules (:func:`training.rules.rule_label`) as probabilities."""
    from training.rules import rule_label

    other = np.eye(len(LABELS))[LABEL2ID["other"]]

    def predict(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)))
        for i, t in enumerate(texts):
            title, _, body = t.partition("\n")
            r = rule_label(title, body)
            s = np.array([r.scores[lab] for lab in LABELS], dtype=float)
            out[i] = s / s.sum() if s.sum() and r.label != "other" else other
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


def tfidf_predictor(train: LabelledSet):
    """Char 1–3-gram TF-IDF + logistic regression fitted on ``train``."""
    from nlp.lexical import LexicalModel

    return LexicalModel.fit(train.texts, train.labels).proba


def frozen_predictor(train: LabelledSet):
    """Logistic regression on frozen e5 embeddings of ``train``."""
    from nlp.encoder import embed

    clf = _fit_lr(embed(train.texts, max_length=256), train.labels)
    return lambda texts: _full_proba(clf, embed(texts, max_length=256))


def baseline_models() -> dict[str, harness.ModelFactory]:
    """Factories of the three baselines (the train split is read once, on first use)."""
    train: list[LabelledSet] = []

    def train_split() -> LabelledSet:
        if not train:
            train.append(load_split("train"))
        return train[0]

    return {
        "rules": rules_predictor,
        "tfidf_char_lr": lambda: tfidf_predictor(train_split()),
        "e5_frozen_lr": lambda: frozen_predictor(train_split()),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("files", nargs="*", type=Path, help="extra labelled JSONL/CSV files")
    ap.add_argument("--model-dir", type=Path, default=None, help="classifier folder")
    ap.add_argument("--out", type=Path, default=paths.reports_dir() / "classifier")
    ap.add_argument("--no-baselines", action="store_true", help="score the fine-tuned model only")
    ap.add_argument("--no-test", action="store_true", help="skip the corpus test splits")
    ap.add_argument(
        "--dev",
        action="store_true",
        help="score the dev splits (CCTV, other outlets, rule-blind) instead: for choosing",
    )
    ap.add_argument(
        "--variants", action="store_true", help="also score fp32/int8 and chunked reading"
    )
    ap.add_argument(
        "--long",
        action="store_true",
        help="also score each set's long articles (more than the classifier's one window) as "
        "<set>_long: where head + tail and whole-article reading differ",
    )
    return ap.parse_args(argv)


def long_subset(data: LabelledSet, room: int | None = None) -> LabelledSet:
    """The items of ``data`` longer than one window of the shipped classifier (``room``
    content tokens, default its ``max_length`` - 2), as the set ``<name>_long``."""
    from nlp.classifier import load_config
    from nlp.encoder import load_tokenizer
    from nlp.windows import tokenize

    room = room or load_config().max_length - 2
    keep = [i for i, t in enumerate(data.texts) if t is not None]
    ids = tokenize(load_tokenizer(), [data.texts[i] for i in keep])
    keep = [i for i, seq in zip(keep, ids, strict=True) if len(seq) > room]
    return LabelledSet(
        f"{data.name}_long",
        [data.texts[i] for i in keep],
        [data.labels[i] for i in keep],
        [data.ids[i] for i in keep],
    )


def _log(message: str) -> None:
    print(f"evaluate: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> list[dict]:
    """Score every model on every set; write the reports to ``--out``; return the results."""
    args = parse_args(argv)
    sets: list[LabelledSet] = []
    if args.dev:
        sets += [load_split("dev"), load_split("dev_ood"), load_rule_blind("dev")]
    elif not args.no_test:
        sets += [load_split("test"), load_split("test_ood"), load_rule_blind("test")]
    if paths.seed_page().is_file():
        sets.append(load_seed_page())
    sets += [load_labelled_file(p) for p in args.files]
    if args.long:
        sets += [long_subset(s) for s in list(sets) if s.name != "seed_page"]
    for s in sets:
        _log(f"set {s.name}: {len(s.texts)} items")
    models = harness.finetuned_models(args.model_dir, args.variants)
    if not args.no_baselines:
        models.update(baseline_models())
    results = harness.run(sets, models, out_dir=args.out, log=_log)
    print(harness.markdown(results))
    return results


if __name__ == "__main__":
    main()
