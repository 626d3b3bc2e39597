"""nlp.segment: splitting a pasted page into articles."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.evaluation.segmentation import compare_with_gold
from nlp.segment import SegmentConfig, segment_page, segment_page_detailed
from nlp.text import han_chars
from nlp.types import Article

# ---------------------------------------------------------------- the seed page


RULES = SegmentConfig(method="rules")  # the baseline; the learned default: test_segment_learned


def test_seed_page_matches_gold(seed_text, seed_gold):
    articles = segment_page(seed_text, source="seed.txt", config=RULES)
    check = compare_with_gold(articles, seed_gold)
    assert check.problems == []
    assert check.n_found == check.n_gold == 9
    assert check.title_matches == 9
    assert check.in_page_order
    assert all(a.source == "seed.txt" for a in articles)
    assert [a.index for a in articles] == list(range(9))


def test_seed_page_stacked_headlines_go_to_the_right_continued_articles(seed_text):
    by_title = {a.title: a for a in segment_page(seed_text)}
    assert "万人助企" in by_title["创新引擎持续发力 精准助企赋能发展"].body
    assert "中药材" in by_title["立足实际找“路子”药草变成“致富宝”"].body


def test_seed_page_subheads_stay_inside_their_article(seed_text):
    first = segment_page(seed_text)[0]
    paragraphs = first.body.split("\n")
    for subhead in ("寻标对标 开阔了眼界", "务实讲评 拓宽了思路", "落实在行 找准了方向"):
        assert subhead in paragraphs
    # a body line cut by a column break is joined back into its sentence
    assert "许昌市公安局示范区分局已着手以环卫工人、快递员和外卖员" in first.body


def test_seed_page_markers_leads_and_captions(seed_text):
    segs = segment_page_detailed(seed_text, config=RULES)
    by_title = {s.article.title: s for s in segs}
    security = by_title["加快推进国家安全体系和能力现代化 以新安全格局保障新发展格局"]
    assert security.continued_from == "一"
    assert security.article.body.startswith("坚决捍卫了国家主权")
    assert all("上接" not in s.article.body for s in segs)
    assert all("本报讯" not in s.article.body for s in segs)
    children = segs[1].article
    assert children.byline == "张长荣"
    assert children.captions == ["工作人员和孩子们合影留念。王琳 摄"]
    assert all(s.headline_position == "after" for s in segs)
    enterprise = by_title["创新引擎持续发力 精准助企赋能发展"].article
    assert enterprise.body.split("\n")[0] == "“万人助企”成效显著——"


def test_seed_page_bodies_are_clean(seed_text):
    for art in segment_page(seed_text):
        assert "工 作" not in art.body
        assert "\n\n" not in art.body
        assert art.body.strip() == art.body


# ---------------------------------------------------------------- other layouts

HEADLINE_FIRST = """全市小麦保险理赔工作推进会召开

本报讯（记者 武芳）5月30日，全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话。会议要求各承保公司及早行动，安排保险理赔员全部下沉一线，深入田间地头，提前摸清受灾情况。

农业农村部门要安排技术专家、抽调精干人员，协助承保公司加快查勘定损进度，全力保障粮食生产安全。

石梁河开展巡河调研

本报讯（记者 王金伟）5月30日，石梁河市级河湖长李选才带领市河长办、市水利局负责同志到禹州市石梁河开展巡河调研工作，实地察看水情水质、周边环境治理及河湖“清四乱”等有关情况。

李选才指出，当前正值汛期，防汛工作事关人民群众生命财产安全，要压实责任，常态化开展河湖日常巡查和管理。
"""


def test_headline_first_layout():
    segs = segment_page_detailed(HEADLINE_FIRST)
    assert [s.article.title for s in segs] == [
        "全市小麦保险理赔工作推进会召开",
        "石梁河开展巡河调研",
    ]
    assert [s.article.byline for s in segs] == ["记者 武芳", "记者 王金伟"]
    assert all(s.headline_position == "before" for s in segs)
    assert segs[0].article.body.startswith("5月30日，全市小麦保险理赔工作推进会召开")
    assert segs[1].article.body.endswith("常态化开展河湖日常巡查和管理。")


def test_plain_articles_separated_by_blank_lines_with_headlines_but_no_markers():
    text = (
        "东城区开展关爱留守儿童活动\n\n"
        "5月26日，东城区慈善总会联合东城区民政局在李庄小学开展六一儿童节留守儿童、困境儿童关爱活动，"
        "为50多名学生送去慰问品和节日的祝福，鼓励孩子们认真学习。\n\n"
        "王彦智获全省残疾人职业技能大赛第一名\n\n"
        "今年4月，第七届全省残疾人职业技能大赛在郑州举办，王彦智代表我市参加中式面点制作项目的比赛，"
        "经过激烈的角逐，他最终荣获该项目第一名，将参加全国残疾人职业技能大赛。\n"
    )
    titles = [a.title for a in segment_page(text)]
    assert titles == ["东城区开展关爱留守儿童活动", "王彦智获全省残疾人职业技能大赛第一名"]


def test_separator_lines_split_articles():
    text = "第一篇正文，讲的是小麦保险理赔。\n-----\n第二篇正文，讲的是河湖长巡河。"
    arts = segment_page(text)
    assert [a.body for a in arts] == [
        "第一篇正文，讲的是小麦保险理赔。",
        "第二篇正文，讲的是河湖长巡河。",
    ]


SEPARATORS = ["\f", "\n-----\n", "\n***\n", "\n\n\n\n"]
SHORT_ARTICLE = (
    "东城区开展关爱留守儿童活动\n\n"
    "5月26日，东城区慈善总会联合东城区民政局在李庄小学开展六一儿童节关爱活动。"
)
CAPTION = "工作人员和孩子们合影留念。王琳 摄"


@pytest.mark.parametrize("sep", SEPARATORS)
def test_lone_caption_after_a_separator_goes_to_the_article_before(sep):
    arts = segment_page(SHORT_ARTICLE + sep + CAPTION)
    assert [(a.title, a.captions) for a in arts] == [("东城区开展关爱留守儿童活动", [CAPTION])]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_lone_byline_after_a_separator_goes_to_the_article_before(sep):
    arts = segment_page(SHORT_ARTICLE + sep + "本报记者 董全磊 通讯员 王东方")
    assert [(a.title, a.byline) for a in arts] == [
        ("东城区开展关爱留守儿童活动", "本报记者 董全磊 通讯员 王东方")
    ]


def test_lone_caption_and_byline_before_the_first_article_go_to_it():
    arts = segment_page(f"{CAPTION}\f记者 王金伟\n-----\n{SHORT_ARTICLE}\n\n\n\n图为活动现场")
    assert len(arts) == 1
    assert arts[0].captions == [CAPTION, "图为活动现场"]
    assert arts[0].byline == "记者 王金伟"


def test_lone_caption_between_two_articles_goes_to_the_one_before():
    second = "石梁河开展巡河调研\n\n李选才到禹州市石梁河开展巡河调研工作，实地察看水情水质。"
    arts = segment_page(f"{SHORT_ARTICLE}\f{CAPTION}\f{second}")
    assert [(a.title, a.captions) for a in arts] == [
        ("东城区开展关爱留守儿童活动", [CAPTION]),
        ("石梁河开展巡河调研", []),
    ]


def test_page_of_only_a_caption_keeps_it():
    arts = segment_page(CAPTION)
    assert [(a.title, a.body, a.captions) for a in arts] == [("", "", [CAPTION])]


# ---------------------------------------------------------------- nothing of the text is lost

# Han characters of the text pieces below, 本报讯 / 讯 / 接 / 转 / 版 left out: those only come
# with the page furniture the segmenter deliberately drops (FURNITURE).
_WORDS = "工作会议召开全市小麦保险理赔推进东城区开展关爱留守儿童活动河湖长巡调研公安派出所建设"
_HAN = st.one_of(
    st.sampled_from(_WORDS),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF).filter(
        lambda c: c not in "本报讯接转版"
    ),
)
_PIECES = [
    *("。", "，", "；", "：", "、", "“", "”", "（", "）", "——", "…", "！", "？"),
    *(" ", "\u3000", "\t", "\n", "\n\n", "\n\n\n", "\f", "\n-----\n", "\n***\n", "\r\n"),
    *("记者 张三", "本报记者 李四 通讯员 王五", " 王琳 摄", "图为", "▲", "——张三"),
    *("5月30日", "COVID 19", "ＡＢ１２", "\u200b", "\x00"),
]
# What the segmenter drops on purpose, with the Han characters it drops: the 本报…讯 of a lead
# (the reporter in its brackets is kept as the byline) and continuation notes (the page number
# is kept in continued_from / continued_to).
FURNITURE = {
    "本报讯（记者 王五）": "本报讯",
    "本报郑州讯（记者 赵六）": "本报郑州讯",
    "本报讯 ": "本报讯",
    "（上接第一版）": "上接第一版",
    "（下转第二版）": "下转第二版",
}


def _page(furniture: bool):
    pieces = st.one_of(
        st.text(alphabet=_HAN, min_size=1, max_size=40),
        st.sampled_from(_PIECES + (list(FURNITURE) if furniture else [])),
    )
    return st.lists(pieces, max_size=60)


def _han_out(text: str) -> Counter:
    arts = segment_page(text)
    return Counter(
        han_chars("".join(a.title + a.byline + a.body + "".join(a.captions) for a in arts))
    )


@settings(max_examples=300, deadline=None)
@given(_page(furniture=False))
def test_segmentation_keeps_every_han_character_of_a_page_without_furniture(parts):
    text = "".join(parts)
    assert _han_out(text) == Counter(han_chars(text))


@settings(max_examples=300, deadline=None)
@given(_page(furniture=True))
def test_segmentation_drops_only_lead_and_continuation_notes(parts):
    text = "".join(parts)
    out, inp = _han_out(text), Counter(han_chars(text))
    dropped = Counter(han_chars("".join(FURNITURE.get(p, "") for p in parts)))
    assert out - inp == Counter()  # nothing invented
    assert inp - out <= dropped  # what is missing is furniture


def test_lead_and_continuation_notes_are_the_only_text_dropped():
    text = "（上接第一版）本报讯（记者 王五）会议强调，要加快推进。（下转第二版）"
    segs = segment_page_detailed(text)
    assert [(s.article.byline, s.article.body) for s in segs] == [
        ("记者 王五", "会议强调，要加快推进。")
    ]
    assert (segs[0].continued_from, segs[0].continued_to) == ("一", "二")


def test_single_article_gives_one_article():
    text = (
        "王彦智：用手艺“烹饪”美好生活\n"
        "本报记者 张辉\n\n"
        "今年45岁的王彦智是市城乡一体化示范区魏武街道办事处后街社区人，肢体三级残疾。\n\n"
        "学有所成后，王彦智被分配到该酒店的分店做面点部主管，面点制作水平得到了很大提升。\n"
    )
    arts = segment_page(text)
    assert len(arts) == 1
    assert arts[0].title == "王彦智：用手艺“烹饪”美好生活"
    assert arts[0].byline == "本报记者 张辉"
    assert arts[0].body.count("\n") == 1


def test_single_article_without_headline():
    arts = segment_page("今年45岁的王彦智是后街社区人。\n\n他在北京学习面点制作技艺。")
    assert len(arts) == 1
    assert arts[0].title == ""
    assert arts[0].body == "今年45岁的王彦智是后街社区人。\n他在北京学习面点制作技艺。"


def test_inner_subheads_do_not_start_articles():
    para_a = (
        "派出所是公安机关最基层的综合性战斗堡垒，处于服务群众最前沿，是党和群众的连心桥。"
        "打造新时代高质量公安派出所，关系一方平安稳定，关乎群众和谐幸福，派出所建设要抓实抓细。"
    )
    para_b = (
        "观摩组一行围绕派出所整体工作、办公用房、装备配备、智能应用、警务规范化等方面，"
        "分别对示范派出所进行综合评估，评选出优秀等次派出所，派出所建设标准进一步明确。"
    )
    text = f"许昌公安派出所建设观摩活动\n\n{para_a}\n\n务实讲评 拓宽了思路\n\n{para_b}\n"
    arts = segment_page(text)
    assert len(arts) == 1
    assert arts[0].body.split("\n") == [para_a, "务实讲评 拓宽了思路", para_b]


@pytest.mark.parametrize("method", ["rules", "learned"])  # learned: since the titleness feature
def test_headline_without_cues_between_unrelated_articles_splits(method):
    # no byline, no 本报讯: only the change of topic tells the headline from a subhead
    text = (
        "全市小麦保险理赔\n工作推进会召开\n\n"
        "各承保公司要及早行动，安排保险理赔员全部下沉一线，深入田间地头，提前摸清小麦受灾情况，"
        "掌握第一手资料。农业农村部门要协助承保公司加快查勘定损进度，提高理赔比率。\n\n"
        "王彦智：用手艺烹饪美好生活\n\n"
        "和面、揉面、切割、造型，中原云鼎广场四楼婚喜宴厅后厨操作台前，王彦智身穿白色工作服、"
        "头戴厨师帽，麻利地制作晚宴用的面点。今年45岁的王彦智是后街社区人，肢体三级残疾。\n"
    )
    arts = segment_page(text, config=SegmentConfig(method=method))
    assert [a.title for a in arts] == [
        "全市小麦保险理赔 工作推进会召开",
        "王彦智：用手艺烹饪美好生活",
    ]


def test_headline_only_page():
    arts = segment_page("全市小麦保险理赔工作推进会召开")
    assert [(a.title, a.body) for a in arts] == [("全市小麦保险理赔工作推进会召开", "")]


@pytest.mark.parametrize("text", ["", "   \n\n \t"])
def test_empty_page_gives_no_articles(text):
    assert segment_page(text) == []


def test_text_without_chinese_is_one_article():
    arts = segment_page("Just some English text.\n\nAnother paragraph.")
    assert len(arts) == 1
    assert arts[0].body == "Just some English text.\nAnother paragraph."


def test_down_continuation_marker_is_stripped_and_noted():
    segs = segment_page_detailed("会议强调，要加快推进国家安全体系和能力现代化。（下转第二版）")
    assert segs[0].article.body == "会议强调，要加快推进国家安全体系和能力现代化。"
    assert segs[0].continued_to == "二"


def test_articles_serialise_to_the_cli_contract(seed_text):
    art = segment_page(seed_text, source="p.txt")[0]
    assert isinstance(art, Article)
    assert set(art.to_dict()) == {"source", "index", "title", "byline", "body", "captions",
                                   "original_title", "original_body"}  # fmt: skip


def test_config_checks_values():
    with pytest.raises(ValueError, match="full_line_ratio"):
        SegmentConfig(full_line_ratio=1.5)
    with pytest.raises(ValueError, match="max_stack"):
        SegmentConfig(max_stack=0)


def test_compare_with_gold_reports_problems():
    arts = segment_page("标题甲乙丙丁\n\n第一句话在这里。最后一句话。")
    rows = [
        {
            "title": "标题甲乙丙丁",
            "byline": "",
            "first_sentence": "第一句话",
            "last_sentence": "最后一句话。",
        },
        {"title": "不存在的标题", "byline": "", "first_sentence": "", "last_sentence": ""},
    ]
    check = compare_with_gold(arts, rows)
    assert check.title_matches == 1
    assert check.problems == ["no article titled '不存在的标题'"]
    assert not check.all_ok


def test_segmentation_time_grows_linearly(seed_text):
    import time

    def timed(copies):
        text = (seed_text.strip() + "\n\n") * copies
        start = time.perf_counter()
        n = len(segment_page(text))
        return time.perf_counter() - start, n

    small, n_small = min(timed(4) for _ in range(2))
    large, n_large = min(timed(32) for _ in range(2))
    assert n_small == 36 and n_large == 288
    assert large / small < 8 * 2.5  # 8x the text; quadratic work would be ~64x


# ---------------------------------------------------------------- notes, furniture, wire leads

NOTED_PAGE = """全市小麦保险理赔工作推进会召开

本报讯（记者 武芳）5月30日，全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话。会议要求各承保公司及早行动，深入田间地头，提前摸清受灾情况。

（任海鹏、龙喜涛参与采写）

（相关报道见第三版）

石梁河开展巡河调研

本报讯（记者 王金伟）5月30日，石梁河市级河湖长李选才带领市河长办、市水利局负责同志到禹州市石梁河开展巡河调研工作，实地察看水情水质。

（本文来源：人民网）

（张明远 李晓红 报道）
"""


def test_end_notes_and_cross_references_stay_with_the_article_before():
    arts = segment_page(NOTED_PAGE)
    assert [a.title for a in arts] == ["全市小麦保险理赔工作推进会召开", "石梁河开展巡河调研"]
    assert arts[0].body.endswith(
        "提前摸清受灾情况。\n（任海鹏、龙喜涛参与采写）\n（相关报道见第三版）"
    )
    assert arts[1].body.endswith("实地察看水情水质。\n（本文来源：人民网）")
    assert arts[1].byline == "记者 王金伟 张明远 李晓红 报道"


FURNISHED_PAGE = """2026年6月3日 星期三
第1版 要闻

全市小麦保险理赔工作推进会召开

本报讯（记者 武芳）5月30日，全市小麦保险理赔工作推进会召开，副市长赵鹏出席会议并讲话。会议要求各承保公司及早行动，深入田间地头，提前摸清受灾情况。

石梁河开展巡河调研

本报讯（记者 王金伟）5月30日，石梁河市级河湖长李选才带领市河长办、市水利局负责同志到禹州市石梁河开展巡河调研工作，实地察看水情水质。

责任编辑 王建国 美编 冯雪梅
本版责编：刘思雨 校对：陈海涛
"""


def test_page_furniture_is_dropped():
    arts = segment_page(FURNISHED_PAGE)
    assert [a.title for a in arts] == ["全市小麦保险理赔工作推进会召开", "石梁河开展巡河调研"]
    assert arts[1].body.endswith("实地察看水情水质。")
    assert not any(w in a.body + a.byline for a in arts for w in ("星期", "第1版", "责编", "美编"))


def test_wire_dateline_leads_are_bylines_even_when_wrapped():
    page = (
        "上半年我国冷链物流市场规模持续扩大\n\n"
        "据新华社郑州1月8日电（记者 冯\n雪梅）中国物流与采购联合会日前公布的数据显示，"
        "上半年冷链物流市场规模持续扩大。\n\n"
        "联合国贸发会发布报告\n\n"
        "新华社日内瓦12月1 2日电 联合国贸易和发展会议12日发布报告，全球贸易保持增长。\n"
    )
    arts = segment_page(page)
    assert [a.byline for a in arts] == [
        "新华社郑州1月8日电（记者 冯雪梅）",
        "新华社日内瓦12月1 2日电",
    ]
    assert arts[0].body.startswith("中国物流与采购联合会日前公布")
    assert arts[1].body.startswith("联合国贸易和发展会议12日发布报告")
