"""Page-segmentation metrics against generated or hand gold, per page and per phenomenon.

For a page, gold rows (``title``, ``first_sentence``, ``last_sentence``, ``byline_names``,
``captions``, ``phenomena``) are compared with the segmenter's articles, all text compared
after NFKC and with whitespace removed:

- *with headline*: an article whose title equals the gold title and whose body holds the gold
  first and last sentence (the article recovered with its own headline);
- *exact count*: as many articles as gold rows;
- *boundary F1*: an article start is right when its body opens with the gold first sentence
  (after an optional lead such as ``据新华社北京6月3日电``), each gold start used once;
- *headline exact*: the gold title is some article's title;
- *byline recall*: every gold name is in the byline of the article holding the gold body;
- *caption recall*: gold captions found among that article's captions.

Text read off a page image is scored with ``loose=True``: letters and digits only, so the
punctuation OCR gets wrong (``“`` read as ``"``, a ``——`` lost) does not count; a wrong
character still does.

Example:
    >>> from nlp.types import Article
    >>> gold = [{"title": "甲", "first_sentence": "一。", "last_sentence": "二。"}]
    >>> score_page([Article(title="甲", body="一。二。")], gold)["with_headline"]
    1
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from nlp.types import Article

_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+")
_LEAD = re.compile(r"^.{0,40}?(?:电|讯|）|\)|——)")
_ROLES = {"本报记者", "记者", "通讯员", "本报讯"}


def norm(text: str) -> str:
    """NFKC, no whitespace: the form every comparison uses."""
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


def loose_norm(text: str) -> str:
    """NFKC, letters and digits only: the form text read by OCR is compared in.

    >>> loose_norm("迎“六一” 东城区——开展")
    '迎六一东城区开展'
    """
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text or ""))


def gold_names(row: dict) -> list[str]:
    """The names a byline must carry: ``byline_names``, else the byline's words minus roles."""
    if "byline_names" in row:
        return list(row["byline_names"])
    words = re.split(r"[\s（）()]+", row.get("byline", ""))
    return [w for w in words if w and w not in _ROLES]


def _starts_with(body: str, first: str, loose: bool = False) -> bool:
    if not first:
        return False
    if body.startswith(first):
        return True
    if loose:  # the lead's brackets are gone: 本报讯记者王金伟5月30日
        return 0 <= body.find(first) <= 40
    lead = _LEAD.match(body)
    return bool(lead) and body[lead.end() :].startswith(first)


def score_page(articles: list[Article], gold: list[dict], loose: bool = False) -> dict:
    """Score one page.

    Args:
        articles: the segmenter's articles in page order.
        gold: the page's gold rows in page order.
        loose: compare in :func:`loose_norm` (for text read off an image), not :func:`norm`.

    Returns:
        Counts ``n_gold``, ``n_pred``, ``with_headline``, ``headline_exact``,
        ``boundary_tp``, ``bylines``/``byline_hits``, ``captions``/``caption_hits``,
        ``exact_count`` (bool) and ``rows``: per gold row its flags and ``phenomena``.
    """
    norm_ = loose_norm if loose else norm
    preds = [
        (norm_(a.title), norm_(a.body), norm_(a.byline), [norm_(c) for c in a.captions])
        for a in articles
    ]
    titles = {p[0] for p in preds}
    used: set[int] = set()
    rows = []
    for row in gold:
        title, first, last = (
            norm_(row["title"]),
            norm_(row["first_sentence"]),
            norm_(row["last_sentence"]),
        )
        own = any(t == title and first in b and last in b for t, b, _, _ in preds)
        start = next(
            (i for i, p in enumerate(preds) if i not in used and _starts_with(p[1], first, loose)),
            None,
        )
        if start is not None:
            used.add(start)
        home = next((p for p in preds if first and first in p[1]), None)
        names = gold_names(row)
        byline_ok = None
        if names:
            byline_ok = home is not None and all(norm_(n) in home[2] for n in names)
        caps = [norm_(c) for c in row.get("captions", [])]
        cap_hits = sum(1 for c in caps if home is not None and any(c in h for h in home[3]))
        rows.append(
            {
                "with_headline": own,
                "headline_exact": title in titles,
                "boundary": start is not None,
                "byline": byline_ok,
                "captions": len(caps),
                "caption_hits": cap_hits,
                "phenomena": list(row.get("phenomena", [])),
            }
        )
    return {
        "n_gold": len(gold),
        "n_pred": len(articles),
        "exact_count": len(gold) == len(articles),
        "with_headline": sum(r["with_headline"] for r in rows),
        "headline_exact": sum(r["headline_exact"] for r in rows),
        "boundary_tp": sum(r["boundary"] for r in rows),
        "bylines": sum(r["byline"] is not None for r in rows),
        "byline_hits": sum(bool(r["byline"]) for r in rows),
        "captions": sum(r["captions"] for r in rows),
        "caption_hits": sum(r["caption_hits"] for r in rows),
        "rows": rows,
    }


def _restrict(score: dict, rows: list[dict]) -> dict:
    """A page score whose article counts cover only ``rows`` (boundaries stay page-wide)."""
    part = dict(score, rows=rows, n_gold=len(rows), b_gold=score["n_gold"])
    for key, flag in (("with_headline", "with_headline"), ("headline_exact", "headline_exact")):
        part[key] = sum(bool(r[flag]) for r in rows)
    part["bylines"] = sum(r["byline"] is not None for r in rows)
    part["byline_hits"] = sum(bool(r["byline"]) for r in rows)
    part["captions"] = sum(r["captions"] for r in rows)
    part["caption_hits"] = sum(r["caption_hits"] for r in rows)
    return part


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 3) if den else None


def summarize(scores: list[dict]) -> dict:
    """Pool page scores: article shares, page share with the exact count, boundary F1."""
    tot = defaultdict(int)
    for s in scores:
        for key in ("n_gold", "n_pred", "with_headline", "headline_exact", "boundary_tp"):
            tot[key] += s[key]
        for key in ("bylines", "byline_hits", "captions", "caption_hits"):
            tot[key] += s[key]
        tot["exact"] += s["exact_count"]
        tot["b_gold"] += s.get("b_gold", s["n_gold"])
    prec, rec = _ratio(tot["boundary_tp"], tot["n_pred"]), _ratio(tot["boundary_tp"], tot["b_gold"])
    f1 = round(2 * prec * rec / (prec + rec), 3) if prec and rec else 0.0
    return {
        "pages": len(scores),
        "articles": tot["n_gold"],
        "with_headline": _ratio(tot["with_headline"], tot["n_gold"]),
        "exact_count": _ratio(tot["exact"], len(scores)),
        "boundary_f1": f1,
        "headline_exact": _ratio(tot["headline_exact"], tot["n_gold"]),
        "byline_recall": _ratio(tot["byline_hits"], tot["bylines"]),
        "caption_recall": _ratio(tot["caption_hits"], tot["captions"]),
    }


def by_phenomenon(scores: list[dict], page_phenomena: list[list[str]]) -> dict[str, dict]:
    """Metrics restricted to the pages (page-level tags) or articles (article tags) having a tag.

    Article shares are over the articles with the tag (for a page-level tag, all articles of
    the pages with it); exact count and boundary F1 are over the pages holding such articles.
    """
    tags = sorted({t for s in scores for r in s["rows"] for t in r["phenomena"]})
    tags += sorted({t for p in page_phenomena for t in p})
    out = {}
    for tag in tags:
        subset = []
        for s, page_tags in zip(scores, page_phenomena, strict=True):
            rows = (
                s["rows"] if tag in page_tags else [r for r in s["rows"] if tag in r["phenomena"]]
            )
            if rows:
                subset.append(_restrict(s, rows))
        out[tag] = summarize(subset)
    return out


COLUMNS = (
    "pages",
    "articles",
    "with_headline",
    "exact_count",
    "boundary_f1",
    "headline_exact",
    "byline_recall",
    "caption_recall",
)


def table(rows: dict[str, dict], first: str = "set") -> str:
    """A Markdown table, one row per key, the :data:`COLUMNS` as columns."""
    lines = [f"| {first} | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, m in rows.items():
        cells = ["–" if m.get(c) is None else str(m[c]) for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
