"""Labelled evaluation data: the classifier's held-out splits and labelled files.

A :class:`LabelledSet` is texts, gold labels and ids with a name for reports. A text may be
``None``: a gold item the system under test never produced (an article the segmenter missed,
see :mod:`nlp.evaluation.gold`), scored as an error.

Example::

    from nlp.evaluation.data import load_split
    test = load_split("test")          # 684 CCTV items of 2025-01-01 … 2026-03-31
    len(test.texts), test.labels[0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlp import paths
from nlp.io import iter_jsonl

CORPUS_FILES = ("xwlb.jsonl.gz", "local_rare.jsonl", "other_outlets.jsonl.gz")
"""The corpora the labelled dataset draws its items from."""


@dataclass
class LabelledSet:
    """Texts with gold labels, record ids and a name for reports.

    Args:
        name: the data set's name in reports and metric keys (``test``, ``seed_page``).
        texts: one text per item; ``None`` for an item the system under test never produced.
        labels: gold label ids, aligned with ``texts``.
        ids: record ids, aligned with ``texts``.
        skipped: ``"<id>: <reason>"`` for rows of the source that were not usable.
    """

    name: str
    texts: list[str | None]
    labels: list[str]
    ids: list[str]
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not len(self.texts) == len(self.labels) == len(self.ids):
            raise ValueError(
                f"{self.name}: {len(self.texts)} texts, {len(self.labels)} labels, "
                f"{len(self.ids)} ids"
            )


def item_text(item: dict) -> str:
    """Headline and body as one text, the way the classifier sees an article.

    Example:
        >>> item_text({"title": " 防汛 ", "body": "各地部署。"})
        '防汛\\n各地部署。'
    """
    title = (item.get("title") or "").strip()
    body = (item.get("body") or "").strip()
    return f"{title}\n{body}" if title else body


def dataset_file() -> Path:
    """The labelled dataset with its splits (``data/classifier/dataset.jsonl``)."""
    return paths.data_dir() / "classifier" / "dataset.jsonl"


def load_split(
    split: str, dataset: str | Path | None = None, corpora: str | Path | None = None
) -> LabelledSet:
    """One split of the labelled dataset, texts read from the shared corpora.

    Args:
        split: ``train``, ``dev``, ``test`` (CCTV and ``local_rare``), ``dev_ood`` or
            ``test_ood`` (``other_outlets``, see ``training.splits.outlet_split``).
        dataset: the dataset file (default :func:`dataset_file`).
        corpora: the corpora folder (default :func:`nlp.paths.corpora_dir`).

    Returns:
        A :class:`LabelledSet` named ``split``, in dataset order.

    Raises:
        FileNotFoundError: the dataset or a corpus file is missing.
        ValueError: no row of that split, or a row whose item is in no corpus.
    """
    rows = [r for r in iter_jsonl(Path(dataset or dataset_file())) if r["split"] == split]
    if not rows:
        raise ValueError(f"no row of split {split!r} in {dataset or dataset_file()}")
    return _with_texts(split, rows, corpora)


RULE_BLIND = {"test": ("test", "test_ood"), "dev": ("dev", "dev_ood")}
"""The splits whose rule-blind items make the ``rule_blind_<part>`` slice."""


def load_rule_blind(
    part: str = "test", dataset: str | Path | None = None, corpora: str | Path | None = None
) -> LabelledSet:
    """The rule-blind slice of the test (or dev) splits: every item, CCTV or other outlet,
    that no keyword rule flags (``rule_label`` ``other``), named ``rule_blind_<part>``. Its
    in-domain items are what a keyword search cannot find: the slice's ``domain_recall`` says
    how many of them the model finds, ``domain_precision`` how many of its finds are right."""
    splits = RULE_BLIND[part]
    rows = [
        r
        for r in iter_jsonl(Path(dataset or dataset_file()))
        if r["split"] in splits and r.get("rule_label") == "other"
    ]
    if not rows:
        raise ValueError(f"no rule-blind row of {splits} in {dataset or dataset_file()}")
    return _with_texts(f"rule_blind_{part}", rows, corpora)


def _with_texts(name: str, rows: list[dict], corpora: str | Path | None) -> LabelledSet:
    split = name
    wanted = {r["id"] for r in rows}
    texts: dict[str, str] = {}
    folder = Path(corpora or paths.corpora_dir())
    files = [folder / name for name in CORPUS_FILES]
    absent = [p.name for p in files if not p.is_file()]
    if len(absent) == len(files):
        raise FileNotFoundError(f"no corpus file in {folder} (set NEWSDESK_CORPORA?)")
    for path in files:
        if path.is_file():
            for item in iter_jsonl(path):
                if item["id"] in wanted:
                    texts[item["id"]] = item_text(item)
    lost = [r["id"] for r in rows if r["id"] not in texts]
    if lost:
        missing = f" (absent: {', '.join(absent)})" if absent else ""
        raise ValueError(
            f"{len(lost)} {split} items are in no corpus file, e.g. {lost[0]!r}{missing}"
        )
    return LabelledSet(
        split, [texts[r["id"]] for r in rows], [r["label"] for r in rows], [r["id"] for r in rows]
    )


def load_labelled_file(path: str | Path) -> LabelledSet:
    """A labelled JSONL or CSV file (:func:`nlp.evaluation.labelled.read_labelled`).

    Unusable rows are skipped and listed in ``skipped``.

    Raises:
        ValueError: the file cannot be read or has no usable row.
    """
    from nlp.evaluation.labelled import read_labelled

    rows = read_labelled(path)
    if not rows.texts:
        first = f"; first: {rows.skipped[0]}" if rows.skipped else ""
        raise ValueError(
            f"{path}: no row with both text and a known label ({len(rows.skipped)} skipped{first})"
        )
    return LabelledSet(Path(path).stem, rows.texts, rows.labels, rows.ids, rows.skipped)
