"""Evaluation: metrics, evaluators and gold matching, used by training, the app and the CLI.

Modules:
    metrics         classification metrics, calibration, character ROUGE, bootstrap intervals
    entities        numbers, named entities, faithfulness, repeated n-grams (also at inference)
    plots           confusion-matrix PNGs (matplotlib)
    base            :class:`Evaluator` and :class:`SequentialEvaluator`
    classification  :class:`ClassificationEvaluator`
    summarization   :class:`SummarizationEvaluator`
    data            labelled sets: the held-out splits, labelled files
    gold            the seed page segmented and matched to its gold articles
    segmentation    the segmenter's gold check
    labelled        labelled-file reader and the app's file evaluation
    harness         every classifier on every set, with reports (``python -m nlp evaluate``)
"""

from nlp.evaluation.base import Evaluator, SequentialEvaluator
from nlp.evaluation.classification import ClassificationEvaluator
from nlp.evaluation.summarization import SummarizationEvaluator

__all__ = [
    "ClassificationEvaluator",
    "Evaluator",
    "SequentialEvaluator",
    "SummarizationEvaluator",
]
