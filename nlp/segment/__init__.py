"""Split a pasted newspaper page into articles.

A page as staff paste it runs articles together. Two layouts occur, often on one page:
headline first (headline, byline, body) and headline after (body, then its headline block
and byline, then the next article). A headline block may have a kicker line above the main
headline, a ``——`` subtitle below it, or a headline wrapped over two lines. Articles may
start with ``本报讯（记者 王金伟）`` (a byline inside the first paragraph) or a continuation
note ``（上接第一版）``; photo captions (``… 王琳 摄``) and section kickers (``…——``) sit
between paragraphs; inner subheads (``寻标对标 开阔了眼界``) must not start new articles.

How it works (all steps are linear in the page length):

1. Clean every line with :func:`nlp.text.clean_text` (``join_lines=False``) and classify it:
   body, headline-like (short, no sentence punctuation), ``——`` subtitle, byline, photo
   caption, continuation marker, section kicker.
2. Runs of headline-like lines that stand apart from the body (their own block, or after a
   sentence end, or clearly shorter than the column width) become *candidate headline
   groups*. A candidate is an article boundary when a strong cue says so (a byline or a
   ``——`` subtitle in it, the next paragraph opens with 本报讯 or （上接…）, it starts or ends
   the page); otherwise the text before and after it is compared (character-bigram cosine):
   the same topic on both sides makes it an inner subhead, a change of topic a boundary.
   A single column-wide line followed by an unindented line is held to a stricter test: it
   is usually a body line cut by a column break.
3. The layout (headline before or after its body) is chosen for the whole page by which
   neighbour the headlines' characters fit better (a Dirichlet-smoothed query likelihood,
   which corrects for body length).
4. Each headline group goes to its body in that direction. Where a group holds several
   stacked headlines and the bodies next to it are explicit articles without a headline of
   their own (continued articles separated only by （上接…）), the headlines are shared out in
   nesting order (nearest headline to nearest body), which the likelihood overrides only
   when it is decisive (:attr:`SegmentConfig.stack_override_margin`).
5. A byline or caption left without a title or body (alone after a ``-----`` rule, a form
   feed or blank lines) goes to the article before it, or to the first article.

Modules: :mod:`~nlp.segment.lines` (steps 1 and the hard chunks), :mod:`~nlp.segment.boundaries`
(2), :mod:`~nlp.segment.assemble` (3 to 5), :mod:`~nlp.segment.page` (the entry points) and
:mod:`~nlp.segment.config`. Comparing with gold rows is :mod:`nlp.evaluation.segmentation`.

Example:
    >>> page = (
    ...     "小麦保险理赔会召开\\n\\n本报讯（记者 张三）全市小麦保险理赔工作推进会召开。\\n\\n"
    ...     "石梁河巡河调研\\n\\n李选才到石梁河开展巡河调研。"
    ... )
    >>> [(a.title, a.byline, a.body) for a in segment_page(page)]
    [('小麦保险理赔会召开', '记者 张三', '全市小麦保险理赔工作推进会召开。'), ('石梁河巡河调研', '', '李选才到石梁河开展巡河调研。')]
"""

from nlp.segment.assemble import SegmentedArticle
from nlp.segment.config import SegmentConfig
from nlp.segment.page import segment_page, segment_page_detailed

__all__ = ["SegmentConfig", "SegmentedArticle", "segment_page", "segment_page_detailed"]
