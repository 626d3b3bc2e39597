"""nlp.text: cleaning OCR'd Chinese, sentences, paragraphs (literal inputs and properties)."""

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import (
    cjk_ratio,
    clean_line_spaces,
    clean_text,
    ends_sentence,
    han_chars,
    has_chinese,
    is_byline,
    is_photo_credit_line,
    join_wrapped_lines,
    normalize_width,
    remove_control_chars,
    split_paragraphs,
    split_sentences,
)

# ---------------------------------------------------------------- spaces


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("工 作 推 进 会 召 开", "工作推进会召开"),
        ("“ 思 路 理 清 ，收 获 满 满 。”", "“思路理清，收获满满。”"),
        ("5 月 17 日", "5月17日"),
        ("5月 26日，该局召开讲评会", "5月26日，该局召开讲评会"),
        ("加强 24 小时值班", "加强24小时值班"),
        ("（上接第一版）产 业 化 、 科 学 化 发", "（上接第一版）产业化、科学化发"),
        (
            "长葛市金桥路街道办事处 （以下简称金桥办事处） 认真践行",
            "长葛市金桥路街道办事处（以下简称金桥办事处）认真践行",
        ),
        ("相 关 部 门 联 合 ， 策 划 组 织 庆 “ 八 一 ”", "相关部门联合，策划组织庆“八一”"),
        ("工 作 推 进 会召开", "工作推进会召开"),  # irregular OCR spacing
        ("COVID 19 疫情", "COVID 19疫情"),
        ("New York 时报", "New York 时报"),
        ("互学互鉴再提升 强基固本谋发展", "互学互鉴再提升 强基固本谋发展"),
        ("本报记者 董全磊 通讯员 王东方", "本报记者 董全磊 通讯员 王东方"),
        ("合影留念。 王琳 摄", "合影留念。王琳 摄"),
        ("a\t\u3000 b", "a b"),
    ],
)
def test_clean_line_spaces(raw, expected):
    assert clean_line_spaces(raw) == expected


def test_clean_text_examples_from_the_seed():
    raw = "5 月 17 日—19 日，许昌市公安局开\n展派出所建设工作现场观摩交流活动。\n5月 26日，该局召开讲评会"
    assert clean_text(raw) == (
        "5月17日—19日，许昌市公安局开展派出所建设工作现场观摩交流活动。\n5月26日，该局召开讲评会"
    )


def test_clean_text_keeps_blank_line_paragraph_breaks():
    raw = "第一段第一行\n第一段第二行。\n\n\n\n第二段\n"
    assert clean_text(raw) == "第一段第一行第一段第二行。\n\n第二段"


def test_clean_text_joins_latin_words_with_a_space():
    assert clean_text("据New\nYork报道") == "据New York报道"
    assert clean_text("（2023-\n2025年）") == "（2023-2025年）"


def test_clean_text_keeps_breaks_around_bylines_and_captions():
    raw = "奏响军地共建交响曲\n本报记者 张汉杰 通讯员 刘建军\n工作人员和孩子们合影留念。 王琳 摄\n近年来"
    assert clean_text(raw).split("\n") == [
        "奏响军地共建交响曲",
        "本报记者 张汉杰 通讯员 刘建军",
        "工作人员和孩子们合影留念。王琳 摄",
        "近年来",
    ]


def test_clean_text_line_ending_in_quote_after_sentence_end_is_a_break():
    assert clean_text("他说：“好。”\n然后走了") == "他说：“好。”\n然后走了"
    # a closing quote without a sentence end before it does not end the sentence
    assert clean_text("庆“八一”\n军民联欢会") == "庆“八一”军民联欢会"


def test_clean_text_normalises_newlines_controls_and_width():
    raw = "ＣＯＶＩＤ－１９\r\n第\u200b一\x07行。\r第二行。\r\n\r\n第三段"
    assert clean_text(raw) == "COVID－19第一行。\n第二行。\n\n第三段"


def test_clean_text_without_joining_keeps_lines():
    assert clean_text("工 作\n推 进", join_lines=False) == "工作\n推进"


def test_clean_text_on_the_seed_page(seed_text):
    cleaned = clean_text(seed_text)
    assert "工作推进会召开" in cleaned
    assert "“正当其时，长了见识。”“思路理清，收获满满。”" in cleaned
    assert han_chars(cleaned) == han_chars(seed_text)
    assert clean_text(cleaned) == cleaned
    # the only spaces left are meaningful ones (headline halves, bylines, photo credits)
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff] [\u4e00-\u9fff]", cleaned)


def test_normalize_width_keeps_chinese_punctuation():
    assert normalize_width("ＡＢＣａｂｃ０１２，。：；（）“”＋") == "ABCabc012，。：；（）“”＋"


def test_remove_control_chars_matches_unicode_categories_in_the_bmp():
    chars = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    kept = remove_control_chars(chars)
    expected = "".join(
        " " if ch == "\t" else ch
        for ch in chars
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    assert kept == expected


# ---------------------------------------------------------------- properties

# Han, CJK punctuation, ASCII, spaces, newlines, full-width forms and a few controls
_alphabet = st.sampled_from(
    list("工作推进会召开中国人民”“‘’（）《》，。！？；：、…—·")
    + list("abcXYZ0123456789 .,;:!?-'\"()")
    + [" ", " ", "\n", "\n", "\r", "\t", "\u3000", "\u200b", "\x07", "\ufeff"]
    + list("ＡＺａｚ０９＋－")
)
_texts = st.text(alphabet=_alphabet, max_size=80) | st.text(max_size=40)
# Lines of pieces of a page (credits, bylines, leads, continuation notes) among the characters
# above: the line breaks clean_text keeps or joins depend on them.
_piece = st.text(alphabet=_alphabet, max_size=8) | st.sampled_from(
    ["王琳", "张长荣", " 摄", "摄", "王琳 摄", "供图", "本报记者 ", "记者", "通讯员 ", "本报讯"]
    + ["——", "。", "（上接第一版）", "图为", "\u3000", "合影留念"]
)
_pages = st.lists(st.lists(_piece, max_size=6).map("".join), max_size=10).map("\n".join)


def _assert_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once
    once_lines = clean_text(text, join_lines=False)
    assert clean_text(once_lines, join_lines=False) == once_lines


@settings(max_examples=400, deadline=None)
@given(_texts | _pages)
def test_clean_text_is_idempotent(text):
    _assert_idempotent(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None)
@given(_texts | _pages)
def test_clean_text_is_idempotent_on_many_texts(text):
    _assert_idempotent(text)


@pytest.mark.parametrize(
    "text",
    [
        "甲乙丙\n王琳 摄\n丁戊",  # a credit alone on its line, after a line it is joined onto
        "a\n王琳摄\n人民",  # after a Latin letter
        "图" * 118 + "\n合影留念。王琳 摄\n近年来",  # joined, the caption passes 120 characters
    ],
)
def test_clean_text_is_idempotent_around_photo_credits(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert once.split("\n")[-1] in ("丁戊", "人民", "近年来")  # the credit still ends its line


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_clean_text_never_drops_or_reorders_han(text):
    assert han_chars(clean_text(text)) == han_chars(text)
    assert han_chars(clean_text(text, join_lines=False)) == han_chars(text)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_clean_text_only_removes_whitespace_and_controls(text):
    def squash(s):
        return re.sub(r"\s+", "", s)

    expected = squash(normalize_width(remove_control_chars(text.replace("\r", "\n"))))
    assert squash(clean_text(text)) == expected


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_split_sentences_keeps_every_character(text):
    def squash(s):
        return re.sub(r"\s+", "", s)

    assert squash("".join(split_sentences(text))) == squash(text)


# ---------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("（注：甲。乙）丙。丁！", ["（注：甲。乙）丙。", "丁！"]),
        ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
        ("一要树牢意识；二要主动服务。", ["一要树牢意识；", "二要主动服务。"]),
        (
            "“正当其时，长了见识。”“思路理清。”……大家表示",
            ["“正当其时，长了见识。”", "“思路理清。”……", "大家表示"],
        ),
        ("和面、揉面……5月26日，开始。", ["和面、揉面……", "5月26日，开始。"]),
        ("第一行\n第二行。", ["第一行", "第二行。"]),
        ("没有标点", ["没有标点"]),
        ("", []),
        ("  \n ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_split_sentences_recovers_from_an_unbalanced_quote():
    text = "“" + "很长的一句话。" * 60
    sentences = split_sentences(text, max_len=100)
    assert len(sentences) == 60


def test_split_paragraphs():
    assert split_paragraphs("第一段。\n\n 第二段。\n第三段。\n") == [
        "第一段。",
        "第二段。",
        "第三段。",
    ]
    assert split_paragraphs("") == []


# ---------------------------------------------------------------- small helpers


def test_has_chinese_and_cjk_ratio():
    assert has_chinese("abc中")
    assert not has_chinese("abc, 123。")
    assert cjk_ratio("") == 0.0
    assert cjk_ratio("中文 ab") == 0.5
    assert cjk_ratio("中文。") == pytest.approx(2 / 3)


def test_ends_sentence():
    assert ends_sentence("让人感触颇深。")
    assert ends_sentence("收获满满。”")
    assert ends_sentence("贡献力量！")
    assert not ends_sentence("庆“八一”")
    assert not ends_sentence("许昌市公安局开")


def test_bylines_and_photo_credits():
    assert is_byline("本报记者 董全磊 通讯员 王东方")
    assert is_byline("本报记者 张汉杰 通讯员 刘建军 张琦")
    assert is_byline("本报记者 张辉")
    # as OCR reads it off an image: the spaces gone
    assert is_byline("本报记者董全磊通讯员王东方")
    assert is_byline("本报记者张汉杰通讯员刘建军 张琦")
    assert not is_byline("记者采访了当地群众。")
    assert not is_byline("本报记者董全磊通讯员王东方表示")
    assert is_photo_credit_line("工作人员和孩子们合影留念。 王琳 摄")
    assert not is_photo_credit_line("他在现场拍摄")


def test_join_wrapped_lines():
    assert join_wrapped_lines(["许昌市公安局开", "展观摩活动。", "5月26日，该局"]) == [
        "许昌市公安局开展观摩活动。",
        "5月26日，该局",
    ]
    assert join_wrapped_lines(["标题", "——副题"]) == ["标题", "——副题"]
    assert join_wrapped_lines([]) == []
