"""What every evaluator has: a name, a primary metric, a flat result dict, a metrics file.

Modelled on sentence-transformers' ``SentenceEvaluator``: ``evaluator(model)`` returns
``{f"{name}_{metric}": value}`` (plain numbers, ``None`` where a metric is undefined) and, given
an output folder, writes ``metrics/<name>.json``. :class:`SequentialEvaluator` runs several
as one.

Example:
    >>> class Length(Evaluator):
    ...     primary_metric = "chars"
    ...     def compute(self, model, progress=None):
    ...         return {"chars": float(len(model("防汛")))}
    >>> Length(name="dev")(lambda text: text * 2)
    {'dev_chars': 4.0}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: called by evaluators after each model batch, so a face
(the CLI's tqdm bar) can show progress without the library drawing anything."""


class Evaluator:
    """Base class: subclasses set ``primary_metric`` and implement :meth:`compute`.

    Args:
        name: prefix of every metric key and the metrics file's name (``""``: no prefix).
    """

    primary_metric: str = ""

    def __init__(self, name: str = ""):
        self.name = name

    def compute(self, model, progress: Progress | None = None) -> dict:
        """Unprefixed metrics of ``model`` (``{"accuracy": 0.93, ...}``)."""
        raise NotImplementedError

    def prefixed(self, metrics: dict) -> dict:
        """``metrics`` with every key prefixed by ``"<name>_"`` (unchanged when no name)."""
        return {f"{self.name}_{k}" if self.name else k: v for k, v in metrics.items()}

    @property
    def primary_key(self) -> str:
        """The key of the primary metric in the dict :meth:`__call__` returns."""
        return f"{self.name}_{self.primary_metric}" if self.name else self.primary_metric

    def __call__(
        self, model, output_dir: str | Path | None = None, progress: Progress | None = None
    ) -> dict:
        """Score ``model``; with ``output_dir`` also write ``metrics/<name>.json``.

        Returns:
            The flat ``{name_metric: value}`` dict.
        """
        metrics = self.prefixed(self.compute(model, progress))
        if output_dir is not None:
            self.write(metrics, output_dir)
        return metrics

    def write(self, metrics: dict, output_dir: str | Path) -> Path:
        """Write ``metrics`` as ``<output_dir>/metrics/<name>.json``; returns the path."""
        path = Path(output_dir) / "metrics" / f"{self.name or type(self).__name__}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", "utf-8")
        return path


class SequentialEvaluator(Evaluator):
    """Runs several evaluators on the same model and merges their flat dicts.

    The primary metric is the first evaluator's (its full key, e.g. ``test_macro_f1``).

    Args:
        evaluators: the evaluators, run in order; their names should differ.
        name: the name of the merged metrics file (``metrics/<name>.json``).
    """

    def __init__(self, evaluators: Sequence[Evaluator], name: str = "sequential"):
        if not evaluators:
            raise ValueError("SequentialEvaluator needs at least one evaluator")
        super().__init__(name)
        self.evaluators = list(evaluators)
        self.primary_metric = self.evaluators[0].primary_key

    @property
    def primary_key(self) -> str:
        return self.primary_metric

    def prefixed(self, metrics: dict) -> dict:
        return dict(metrics)  # already prefixed by each evaluator

    def compute(self, model, progress: Progress | None = None) -> dict:
        merged: dict = {}
        for evaluator in self.evaluators:
            merged.update(evaluator(model, progress=progress))
        return merged
