"""Defect checks on one headline summary: small pure functions, and their rates over a set.

Each check takes the summary (and, where it compares, the source article) and returns what it
found (a list of offending pieces, or a bool); :func:`summary_defects` runs them all and
:func:`defect_rates` gives the share of summaries with each defect.

* ``invented``: a person, place, organisation name, number or date of the summary that does not
  occur in the source (:func:`nlp.evaluation.entities.faithfulness`);
* ``scope``: a scope word (全国/全省/全市/全县, X部/X厅/X局/X委, 国务院/省政府/市政府) that the
  source contradicts (:func:`scope_mismatch`);
* ``repeated``: a piece of two or more characters repeated back to back (``龙头龙头``);
* ``empty``; ``length``: outside 8–30 characters; ``dateline``: a dateline or byline
  (``本报南京6月23日电``, ``（记者…）``, ``新华社…电``).

Example:
    >>> repeated_piece("华锐风电龙头龙头被解职")
    ['龙头']
    >>> scope_mismatch("全国小麦保险理赔工作推进会召开", "5月30日，全市小麦保险理赔工作推进会召开")
    ['全国']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.evaluation.entities import _nfkc, extract_entities, extract_numbers, number_in

MIN_CHARS, MAX_CHARS = 8, 30
DEFECTS = ("invented", "scope", "repeated", "empty", "length", "dateline")
# Words of one group name one level of government; a summary word the source lacks while the
# source has another word of the same group is the model carrying over the wrong scope.
SCOPE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("全国", "全省", "全市", "全县", "全区"),
    ("国务院", "省政府", "市政府", "县政府", "区政府"),
)
# 部 (ministry) / 厅 (province) / 局 (city) / 委: compared by the two characters before them,
# so 公安部 disagrees with a source that only has 公安局, and 部署 is no organisation.
ORGAN_SUFFIXES = "部厅局委"
_ORGAN_RE = re.compile(rf"(?=([\u4e00-\u9fff]{{2}})([{ORGAN_SUFFIXES}]))")
# A headline "名字：引语" names its speaker before the colon; jieba often fails to tag an
# invented name (杨惠打), so the speaker is checked as a name too.
_SPEAKER_RE = re.compile(r"^([\u4e00-\u9fff]{2,4})[:：]")
_REPEAT_RE = re.compile(r"(.{2,}?)\1")
_DATELINE_RES = (
    re.compile(r"本报讯"),
    re.compile(r"本报[\u4e00-\u9fff]{0,8}\d{1,2}月\d{1,2}日[电讯]"),
    re.compile(r"新华社[\u4e00-\u9fff]{0,10}(?:\d{1,2}月\d{1,2}日)?电"),
    re.compile(r"[\u4e00-\u9fff]{1,6}[网社台]?[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日电"),
    re.compile(r"[（(][^）)]{0,12}记者[^）)]*[）)]"),
    re.compile(r"^记者\s*[\u4e00-\u9fff]{2,3}\s*(?:报道|摄|\s)"),
)


def invented_items(summary: str, source: str, backend: str = "jieba") -> list[str]:
    """Numbers, dates and names of ``summary`` not found in ``source``.

    Numbers (dates are numbers: ``6月23日`` gives ``6`` and ``23``) must occur as whole numbers,
    names (:func:`~nlp.evaluation.entities.extract_entities`, and the 2–4 characters before a
    leading colon, the speaker of a quote headline) as substrings.

    Example:
        >>> invented_items("杨惠打:用好服务用好企业", "区委书记杨惠主持会议，要求用好服务")
        ['杨惠打']
        >>> invented_items("武汉投资3亿元", "武汉市投资3亿元")
        []
    """
    src = _nfkc(source)
    numbers = extract_numbers(summary)
    missing = [x for x in numbers if not number_in(x, src)]
    names = [e for e in extract_entities(summary, backend) if e not in numbers]
    speaker = _SPEAKER_RE.match(_nfkc(summary))
    if speaker and speaker.group(1) not in names:
        names.append(speaker.group(1))
    return missing + [e for e in names if e not in src]


def scope_mismatch(summary: str, source: str) -> list[str]:
    """Scope words of ``summary`` that ``source`` contradicts.

    A word of :data:`SCOPE_GROUPS` counts when the source lacks it but has another word of its
    group (全国 in the summary, only 全市 in the source); an organ ``XX部/厅/局/委`` counts when
    the source lacks it but has the same two characters with another suffix (公安部 vs 公安局).

    Example:
        >>> scope_mismatch("许昌公安部开展观摩", "许昌市公安局组织观摩")
        ['公安部']
        >>> scope_mismatch("全市小麦保险理赔推进会召开", "全市小麦保险理赔工作推进会召开")
        []
    """
    found = []
    for group in SCOPE_GROUPS:
        for word in group:
            others = [w for w in group if w != word]
            if word in summary and word not in source and any(w in source for w in others):
                found.append(word)
    for stem, suffix in _ORGAN_RE.findall(summary):
        organ = stem + suffix
        others = [stem + s for s in ORGAN_SUFFIXES if s != suffix]
        if organ not in source and any(o in source for o in others) and organ not in found:
            found.append(organ)
    return found


def repeated_piece(summary: str) -> list[str]:
    """Pieces of two or more characters repeated back to back (``龙头龙头``), digits aside.

    A digit-only piece is a number such as ``2020``, not a loop.

    Example:
        >>> repeated_piece("王川:通关内乐模式头头"), repeated_piece("2020年加快建设")
        ([], [])
    """
    return [m.group(1) for m in _REPEAT_RE.finditer(summary) if not m.group(1).isdigit()]


def is_empty(summary: str) -> bool:
    """Whether ``summary`` has no visible character."""
    return not (summary or "").strip()


def bad_length(summary: str, low: int = MIN_CHARS, high: int = MAX_CHARS) -> bool:
    """Whether ``summary`` (whitespace removed) is shorter than ``low`` or longer than ``high``.

    Example:
        >>> bad_length("防汛会议"), bad_length("全市小麦保险理赔工作推进会召开")
        (True, False)
    """
    return not low <= len("".join((summary or "").split())) <= high


def dateline_or_byline(summary: str) -> list[str]:
    """Datelines and bylines in ``summary`` (``本报南京6月23日电``, ``（记者姚雪青）``).

    Example:
        >>> dateline_or_byline("本报南京6月23日电 （记者姚雪青）电子是否可分")
        ['本报南京6月23日电', '（记者姚雪青）']
        >>> dateline_or_byline("全市防汛工作会议召开")
        []
    """
    text = _nfkc(summary).replace("(", "（").replace(")", "）")
    found: list[str] = []
    for pattern in _DATELINE_RES:
        for m in pattern.finditer(text):
            if not any(m.group(0) in f or f in m.group(0) for f in found):
                found.append(m.group(0))
    return found


def summary_defects(summary: str, source: str, backend: str = "jieba") -> dict[str, list | bool]:
    """Every check of one summary: ``{name: finding}`` for the names in :data:`DEFECTS`
    (a list of offending pieces, or a bool); a finding that is non-empty/True is a defect.

    Example:
        >>> d = summary_defects("龙头龙头", "华锐风电龙头")
        >>> [k for k, v in d.items() if v]
        ['repeated', 'length']
    """
    return {
        "invented": invented_items(summary, source, backend),
        "scope": scope_mismatch(summary, source),
        "repeated": repeated_piece(summary),
        "empty": is_empty(summary),
        "length": bad_length(summary),
        "dateline": dateline_or_byline(summary),
    }


def flagged(defects: dict) -> list[str]:
    """Names of the defects found in a :func:`summary_defects` result, with the pieces."""
    out = []
    for name, value in defects.items():
        if value is True:
            out.append(name)
        elif value:
            out.append(f"{name}: {'、'.join(map(str, value))}")
    return out


def defect_rates(summaries: Sequence[str], sources: Sequence[str]) -> dict[str, float]:
    """Share of summaries with each defect (``{"invented": 0.02, ...}``) plus ``any``.

    Example:
        >>> defect_rates(["全市防汛工作会议召开", ""], ["全市防汛工作会议召开", "正文"])["empty"]
        0.5
    """
    summaries, sources = list(summaries), list(sources)
    if len(summaries) != len(sources):
        raise ValueError(f"{len(summaries)} summaries but {len(sources)} sources")
    if not summaries:
        raise ValueError("nothing to check")
    found = [summary_defects(s, src) for s, src in zip(summaries, sources, strict=True)]
    rates = {name: sum(bool(d[name]) for d in found) / len(found) for name in DEFECTS}
    rates["any"] = sum(any(bool(v) for v in d.values()) for d in found) / len(found)
    return rates
