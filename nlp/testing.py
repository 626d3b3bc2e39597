"""Test doubles for the two models: small keyword / lead-sentence stand-ins that need no weights.

They are what the default models become under the test-only switch ``NEWSDESK_FAKE_MODELS=1``
(:func:`nlp.paths.fake_models`), so the browser tests, the batch kill-and-resume test and the
load test can start the app or the CLI in a subprocess in seconds. Outputs made that way say
so (``models=FAKE(test)`` in the batch summary line); never set it in production. Unit tests
pass them explicitly: ``analyze(text, classifier=KeywordClassifier(), summarizer=LeadSummarizer())``.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from nlp import paths
from nlp.labels import LABELS, secondary_label
from nlp.types import Classification, Summary

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+")
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")

# A handful of unmistakable keywords per domain: enough for the fake to label the obvious.
_FAKE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "public_security": tuple("公安 民警 派出所 警务 治安 反诈 禁毒 交警 国家安全".split()),
    "civil_affairs": tuple("民政 低保 养老 救助 慈善 留守儿童 殡葬 退役军人".split()),
    "water_management": tuple("水利 水库 河长 防汛 抗旱 灌溉 节水 河道".split()),
    "agri_insurance": tuple("农业保险 农险 理赔 投保 承保 保费".split()),
    "disability_employment": tuple("残疾人就业 残联 残疾人 盲人按摩 辅助性就业".split()),
}


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


@dataclass
class KeywordClassifier:
    """Labels by counting a few keywords per domain (``other`` when none hit).

    Scores are a softmax over hit counts (``other`` gets a constant 1.0), so they sum to 1
    and an article with no keyword is a low-confidence ``other``. ``delay`` seconds per text
    (``$NEWSDESK_FAKE_DELAY``) make it as slow as a real model, so a test can kill a batch
    run half-way.

    Example:
        >>> KeywordClassifier().predict(["派出所民警走进社区开展反诈宣传。"])[0].label
        'public_security'
    """

    threshold: float = 0.5
    delay: float = field(default_factory=paths.fake_delay)
    version: str = "fake-keywords"

    def predict(self, texts: list[str], explain: bool = False) -> list[Classification]:
        if self.delay:
            time.sleep(self.delay * len(texts))
        return [self._one(t, explain) for t in texts]

    def _one(self, text: str, explain: bool) -> Classification:
        hits = {lab: sum(text.count(w) for w in words) for lab, words in _FAKE_KEYWORDS.items()}
        logits = {lab: float(hits.get(lab, 0)) for lab in LABELS}
        logits["other"] = 1.0
        top = max(logits.values())
        exp = {lab: math.exp(v - top) for lab, v in logits.items()}
        total = sum(exp.values())
        scores = {lab: exp[lab] / total for lab in LABELS}
        label = max(scores, key=scores.get)
        words = _FAKE_KEYWORDS.get(label, ())
        evidence = [s for s in _sentences(text) if any(w in s for w in words)][:3]
        confidence = scores[label]
        second, second_p = secondary_label([scores[lab] for lab in LABELS], label, 0.2)
        return Classification(
            label=label,
            scores=scores,
            confidence=confidence,
            low_confidence=confidence < self.threshold,
            evidence=evidence if explain else [],
            secondary=second,
            secondary_score=second_p,
        )


@dataclass
class LeadSummarizer:
    """The lead sentence as summary, the first sentences as key sentences and the most
    frequent two-character Chinese pairs as keywords.

    Example:
        >>> LeadSummarizer().summarize(["全市防汛会议召开。会议部署了工作。"])[0].summary
        '全市防汛会议召开。'
    """

    n_key: int = 3
    n_keywords: int = 5

    def summarize(self, texts: list[str]) -> list[Summary]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> Summary:
        sentences = _sentences(text)
        counts = Counter(_CJK_PAIR.findall(text))
        return Summary(
            summary=sentences[0] if sentences else "",
            key_sentences=sentences[: self.n_key],
            keywords=[w for w, _ in counts.most_common(self.n_keywords)],
        )
