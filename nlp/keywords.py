"""Keywords of a Chinese news article with jieba.

TF-IDF with jieba's bundled IDF table (``jieba.analyse.extract_tags``), restricted to nouns,
verbal nouns and proper nouns, then filtered: stop words and news boilerplate, numbers and
single characters never come out. TF-IDF was chosen over TextRank after reading both on
12 CCTV stories of 2025: TextRank lets generic co-occurring words (环境, 技术, 部分, 利用,
手段, 内容, 资源, 全球, 两国) into the top 8, TF-IDF ranks the topical ones (太原卫星发射中心,
首都图书馆, 床位数, 永久中立, 核设施) higher. Without the part-of-speech filter TF-IDF also
keeps vague verbs (成功, 完成, 实现, 增长), so only nouns, names and verbal nouns are kept.

jieba is imported and its dictionary loaded once, lazily and without log output.

Bounds (per article, whatever its length or alphabet):

- :data:`MAX_KEYWORD_CHARS`: a longer text is read as its head, middle and tail, each a third
  of that many characters (jieba takes ~0.1 ms a character on ordinary prose).
- :data:`MAX_HMM_STATE_PAIRS`: jieba's part-of-speech HMM (the part that finds words missing
  from its dictionary, such as names) costs, per character, the product of the numbers of
  states of that character and the one before: a few hundred for common characters, 65,536 for
  one missing from its tables (``挸``, most traditional forms: ~10-40 ms each). A run of
  characters goes through the HMM if its cost fits in what the article has left of this
  budget, else it is left as single characters, which are never keywords. Ordinary articles
  stay below it (at most 1.2 M on 600 corpus articles, median 51 k), so their keywords are
  exactly jieba's ``extract_tags``.

Example:
    >>> keywords("水利部部署汛期防汛抗旱工作，要求各地水库严格执行汛限水位。", k=3)
    ['水利部', '防汛', '抗旱']
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from functools import lru_cache

# Parts of speech kept (jieba tags): nouns, place/person/organisation names, other proper
# nouns, verbal nouns, nominal verbs, idioms-as-names, English words.
ALLOW_POS: tuple[str, ...] = (
    "n",
    "nr",
    "nrfg",
    "nrt",
    "ns",
    "nt",
    "nz",
    "vn",
    "nw",
    "eng",
    "l",
    "an",
)

# Words frequent in every news story (boilerplate of the genre) or too vague to be a keyword.
STOP_WORDS: frozenset[str] = frozenset(
    """
    记者 本台 央视网 新闻联播 消息 报道 今天 昨天 明天 今年 去年 明年 目前 近日 日前 当天
    当地 时间 期间 方面 问题 情况 工作 有关 相关 进行 开展 表示 指出 强调 认为 介绍 提出
    要求 我们 他们 大家 自己 这里 那里 什么 这个 那个 一个 一些 没有 已经 以来 其中 同时
    地区 全国 我国 国家 中国 中方 部门 人员 单位 活动 方式 领域 重要 主要 进一步 全面
    人们 群众 这些 那些 之一 之后 以后 以前 之前 此外 另外 通过 根据 按照 为了 关于
    月份 年度 上午 下午 晚上 凌晨 节目 视频 画面 镜头 现场 采访 一是 二是 三是 整体
    """.split()
)

# Longest text read for keywords (head, middle and tail thirds beyond it): ~2 s of jieba.
MAX_KEYWORD_CHARS = 20_000
# jieba HMM work allowed per article, in state pairs (~0.5 µs each): ~30 characters missing
# from jieba's HMM tables, or tens of thousands of ordinary ones.
MAX_HMM_STATE_PAIRS = 2_000_000
_ALL_STATES = 256  # states the HMM tries for a character missing from its table: all of them

_NUMERIC_RE = re.compile(r"^[\d０-９.,，%％〇零一二两三四五六七八九十百千万亿]+$")
_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def jieba_module():
    """The ``jieba`` module, imported and initialised once, with its logger silenced."""
    with _jieba_lock:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        return jieba


@lru_cache(maxsize=1)
def _tfidf():
    jieba_module()
    import jieba.analyse

    return jieba.analyse.TFIDF()


def hmm_cost(run: str) -> int:
    """The HMM's work on a run of Chinese characters, in state pairs (see the bounds above).

    Example:
        >>> hmm_cost("挸挸")
        65792
    """
    from jieba.posseg.char_state_tab import P

    states = [len(P.get(ch, ())) or _ALL_STATES for ch in run]
    return sum(states[:1]) + sum(a * b for a, b in zip(states, states[1:], strict=False))


@lru_cache(maxsize=1)
def _bounded_class():
    jieba_module()
    import jieba.posseg

    class BoundedPOSTokenizer(jieba.posseg.POSTokenizer):
        """``jieba.posseg``'s tokenizer whose HMM stops after ``budget`` state pairs."""

        # jieba calls the HMM through the name-mangled ``__cut``; overriding it is the only
        # hook that leaves the dictionary segmentation untouched.
        def _POSTokenizer__cut(self, sentence):
            cost = hmm_cost(sentence)
            if cost > self.budget:
                for ch in sentence:
                    yield jieba.posseg.pair(ch, self.word_tag_tab.get(ch, "x"))
                return
            self.budget -= cost
            yield from super()._POSTokenizer__cut(sentence)

    return BoundedPOSTokenizer


def _bounded_tokenizer(budget: int):
    """A tokenizer sharing ``jieba.posseg.dt``'s loaded tables, with an HMM budget of its own."""
    import jieba.posseg

    cls = _bounded_class()
    tok = cls.__new__(cls)
    tok.__dict__.update(jieba.posseg.dt.__dict__)
    tok.budget = budget
    return tok


def is_keyword_candidate(word: str) -> bool:
    """False for stop words, numbers (Arabic or Chinese), single characters and punctuation."""
    word = word.strip()
    if len(word) < 2 or word in STOP_WORDS or _NUMERIC_RE.match(word):
        return False
    return any(ch.isalnum() for ch in word)


def keyword_sample(text: str, max_chars: int | None = None) -> str:
    """``text`` itself, or for a longer one its head, middle and tail thirds of ``max_chars``.

    Args:
        text: the article.
        max_chars: characters kept; default :data:`MAX_KEYWORD_CHARS`.

    Returns:
        ``text`` when it has at most ``max_chars`` characters, else three slices of it joined
        by line breaks (so that no word spans a cut).

    Example:
        >>> keyword_sample("甲乙丙丁戊己庚辛壬癸", 6).split()
        ['甲乙', '戊己', '壬癸']
    """
    limit = MAX_KEYWORD_CHARS if max_chars is None else max_chars
    if len(text) <= limit:
        return text
    third = limit // 3
    mid = (len(text) - third) // 2
    return "\n".join((text[:third], text[mid : mid + third], text[len(text) - third :]))


def keywords(text: str, k: int = 8) -> list[str]:
    """The ``k`` highest TF-IDF keywords of ``text`` (fewer if the text has fewer).

    Args:
        text: article text (title and body, any length; see the bounds above).
        k: number of keywords wanted; ``k <= 0`` gives ``[]``.

    Returns:
        Keywords in decreasing weight, without duplicates, none of them a stop word, a
        number or a single character.
    """
    if k <= 0 or not text or not text.strip():
        return []
    # A shallow copy per call: the HMM budget belongs to this article, the tables are shared.
    tfidf = copy.copy(_tfidf())
    tfidf.postokenizer = _bounded_tokenizer(MAX_HMM_STATE_PAIRS)
    # Ask for extra candidates so that filtering still leaves k.
    tags = tfidf.extract_tags(keyword_sample(text), topK=4 * k + 20, allowPOS=ALLOW_POS)
    out = [w for w in tags if is_keyword_candidate(w)]
    return out[:k]
