"""The learned segmenter: line reading, units from tags, pairing, decoding, training, fallback."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from nlp import paths
from nlp.evaluation.segmentation import compare_with_gold, load_gold
from nlp.segment import SegmentConfig, segment_page
from nlp.segment import page as page_module
from nlp.segment.assemble import assemble, tail_headline
from nlp.segment.boundaries import Body, Group
from nlp.segment.learned import (
    Pairing,
    decode_directions,
    load_segmenter,
    merge_stacked,
    split_claimed,
    units_from_tags,
)
from nlp.segment.lines import Line
from nlp.segment.tagger import TAGS, line_features, page_lines
from training.page_render import LINE_TAGS

SHIPPED = paths.model_dir("segmenter")


def test_tag_set_is_the_generators():
    assert TAGS == LINE_TAGS


def test_page_lines_mark_blank_lines_chunks_and_sizes():
    text = "标题一二三四五\n\n正文第一行\n正文第二行。\n-----\n另一块。"
    lines = page_lines(text, sizes=[2.0, 1.0, 1.0, 1.0])
    assert [ln.text for ln in lines] == ["标题一二三四五", "正文第一行", "正文第二行。", "另一块。"]
    assert [(ln.blank_before, ln.blank_after) for ln in lines[:3]] == [
        (True, True),
        (True, False),
        (False, True),
    ]
    assert [ln.chunk for ln in lines] == [0, 0, 0, 1]
    assert [ln.size for ln in lines] == [2.0, 1.0, 1.0, 1.0]
    assert all(ln.size == 0.0 for ln in page_lines(text, sizes=[2.0]))  # not one per line


def test_features_describe_form_not_words():
    feats = line_features(page_lines("本报讯（记者 张三）今天开会。\n\n图为现场 王琳 摄"))
    assert feats[0]["0:lead"] == 1.0 and feats[1]["0:photo"] == 1.0
    names = {k.split("=")[0] for f in feats for k in f}
    assert not any("今天" in n or "现场" in n for n in names)


def test_rules_marks_a_body_start_only_where_a_rules_body_opens(monkeypatch):
    from nlp.segment import tagger
    from nlp.types import Article

    arts = [
        Article(title="标题", body="本报讯（记者 张三）全市召开防汛会议。"),
        Article(title="", body="展"),  # a one-character fragment the rules left
        Article(title="", body="全市水利部门开展巡查。"),
    ]
    monkeypatch.setattr(page_module, "segment_page", lambda text, config=None: arts)
    lines = page_lines(
        "标题\n\n本报讯（记者 张三）全市召开防汛会议。\n\n站在新的发展起点上。\n\n展\n\n全市水利部门开展巡查。"
    )
    marks = [opens for _, opens in tagger.rules_marks(lines, SegmentConfig())]
    assert marks == [False, True, False, True, True]


def _lines(*pairs):
    text = "\n\n".join(t for t, _ in pairs)
    return page_lines(text), [tag for _, tag in pairs]


def test_units_from_tags_builds_groups_and_bodies():
    lines, tags = _lines(
        ("小麦保险理赔会召开", "head"),
        ("本报讯（记者 张三）全市小麦保险理赔工作推进会召开。", "start"),
        ("会议要求加快理赔进度。", "body"),
        ("（李四参与采写）", "note"),
        ("石梁河巡河调研", "head"),
        ("李选才到石梁河开展巡河调研。", "start"),
    )
    units = units_from_tags(lines, tags, SegmentConfig())
    kinds = [type(u).__name__ for u in units]
    assert kinds == ["Group", "Body", "Group", "Body"]
    first = units[1]
    assert first.lead_byline == "记者 张三" and first.marked
    assert first.notes == ["（李四参与采写）"]
    assert first.lines[0].text == "全市小麦保险理赔工作推进会召开。"


def test_a_line_of_a_bylines_form_tagged_as_headline_is_the_bylines():
    lines = page_lines(
        "奏响军地共建交响曲\n本报记者 张汉杰 通讯员 刘建军\n\n近年来，金桥办事处认真践行。"
    )
    units = units_from_tags(lines, ["head", "head", "start"], SegmentConfig())
    group = units[0]
    assert [(ln.text, ln.kind) for ln in group.lines] == [
        ("奏响军地共建交响曲", "head"),
        ("本报记者 张汉杰 通讯员 刘建军", "byline"),
    ]


def test_a_column_wide_line_tagged_subhead_is_a_body_line_cut_by_a_column_break():
    text = (
        "全市召开防汛工作会议\n\n会议要求各地要压实\n责任加强值班值守确\n保安全度汛各部门要\n"
        "密切配合形成合力共\n同做好防汛工作确保\n群众安全。\n\n"
        "市水利局已着手组织\n\n专家开展巡查工作。\n\n寻标对标\n\n各地要加快推进工作。"
    )
    lines = page_lines(text)
    tags = ["head", "start"] + ["body"] * 5 + ["subhead", "body", "subhead", "body"]
    body = units_from_tags(lines, tags, SegmentConfig())[1]
    kinds = [(ln.text, ln.kind) for ln in body.lines]
    assert ("市水利局已着手组织", "body") in kinds  # 9 of 10 wide, runs on: a body line
    assert ("寻标对标", "subhead") in kinds  # short: the inner subhead stays one


def test_a_line_of_a_photo_credits_form_tagged_as_body_is_a_caption():
    text = "第136届广交会首期展览今天结束\n\n志愿者在社区开展服务。郑晓东摄\n\n广交会今天闭幕。"
    lines = page_lines(text, sizes=[1.9, 0.85, 1.0])  # read off an image
    group, body = units_from_tags(lines, ["head", "start", "start"], SegmentConfig())
    # under the headline it joins the headline group as its caption (assemble gives it to
    # the article), not the body's first line
    assert [(ln.text, ln.kind) for ln in group.lines][1] == (
        "志愿者在社区开展服务。郑晓东摄",
        "caption",
    )
    assert [ln.text for ln in body.lines] == ["广交会今天闭幕。"]
    # on a pasted page the tagger's reading stands (there caption recall was already 1.0)
    first, *_ = units_from_tags(page_lines(text), ["head", "start", "start"], SegmentConfig())
    assert [ln.text for ln in first.lines] == ["第136届广交会首期展览今天结束"]


def test_a_new_headline_block_starts_a_new_group():
    lines, tags = _lines(
        ("甲乙丙丁戊己庚", "head"), ("辛壬癸子丑寅卯", "head"), ("正文。", "start")
    )
    units = units_from_tags(lines, tags, SegmentConfig())
    assert [type(u).__name__ for u in units] == ["Group", "Group", "Body"]
    # no body before them: merged back into one group (one headline of two blocks)
    merged = merge_stacked(units, SegmentConfig(), margin=0.5)
    assert [type(u).__name__ for u in merged] == ["Group", "Body"]
    assert len(merged[0].sub_blocks()) == 2


def _group(text="标题"):
    return Group([Line(text, "head", 0)])


def _body(*texts, start=0):
    return Body(lines=[Line(t, "body", start + i, index=start + i) for i, t in enumerate(texts)])


def test_decoding_gives_no_body_two_headlines():
    units = [_group(), _body("一。"), _group(), _body("二。")]
    pairing = Pairing(weights={}, bias=0.0, conflict_penalty=4.0, untitled_penalty=1.5)
    # locally the first group heads the next body, the second closes the one before it
    dirs = decode_directions(units, [0.9, 0.45], pairing)
    assert dirs == ["before", "before"]
    # a last group with no body after it can only close the body before
    assert decode_directions([_body("一。"), _group()], [0.99], pairing) == ["after"]


def test_a_body_claimed_twice_is_split_at_its_likeliest_start():
    body = _body("甲文一。", "甲文二。", "乙文一。", "乙文二。")
    units = [_group(), body, _group()]
    p_start = [0.0, 0.1, 0.7, 0.05]
    out, dirs = split_claimed(units, ["before", "after"], p_start, threshold=0.05)
    assert [type(u).__name__ for u in out] == ["Group", "Body", "Body", "Group"]
    assert [ln.text for ln in out[2].lines] == ["乙文一。", "乙文二。"]
    assert dirs == ["before", "after"]
    same, _ = split_claimed(units, ["before", "after"], p_start, threshold=0.9)
    assert len(same) == 3


def test_pairing_round_trips(tmp_path: Path):
    p = Pairing(weights={"fit_diff": 2.0}, bias=-0.5, stack_margin=1.0)
    p.save(tmp_path / "pairing.json")
    q = Pairing.load(tmp_path / "pairing.json")
    assert q == p and q.p_before({"fit_diff": 1.0}) == pytest.approx(0.8176, abs=1e-4)


@pytest.mark.skipif(not (SHIPPED / "lines.crfsuite").is_file(), reason="no shipped segmenter")
def test_shipped_learned_segmenter_is_the_default_and_gets_the_seed_page(seed_text):
    assert SegmentConfig().method == "learned"
    text = seed_text
    check = compare_with_gold(segment_page(text), load_gold(paths.seed_gold()))
    # the tagger reads the three-line headline under its body (李选才…) as body lines; the
    # tail-headline repair of an untitled article gives it back (without it: 8 of 9)
    assert check.title_matches == 9
    assert check.n_found == 9 and check.first_sentence_found == 9
    without = SegmentConfig(tail_headline_lines=0)
    assert (
        compare_with_gold(
            segment_page(text, config=without), load_gold(paths.seed_gold())
        ).title_matches
        == 8
    )


@pytest.mark.skipif(not (SHIPPED / "lines.crfsuite").is_file(), reason="no shipped segmenter")
def test_learned_keeps_one_article_and_splits_blank_line_separated_ones():
    one = (
        "小麦保险理赔工作推进会召开\n\n5月30日，全市小麦保险理赔工作推进会召开。会议要求加快理赔。"
    )
    assert len(segment_page(one)) == 1
    two = one + "\n\n石梁河开展巡河调研\n\n李选才到石梁河开展巡河调研，察看水情水质和周边环境。"
    assert [a.title for a in segment_page(two)] == [
        "小麦保险理赔工作推进会召开",
        "石梁河开展巡河调研",
    ]
    assert segment_page("") == []


def test_missing_model_falls_back_to_the_rules_with_a_warning(tmp_path, caplog):
    page_module._warned.clear()
    cfg = SegmentConfig(model_dir=str(tmp_path / "none"))
    text = "小麦保险理赔会召开\n\n本报讯（记者 张三）全市小麦保险理赔工作推进会召开。"
    with caplog.at_level(logging.WARNING):
        arts = segment_page(text, config=cfg)
    assert [a.title for a in arts] == ["小麦保险理赔会召开"]
    assert "using the rules" in caplog.text


def test_config_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        SegmentConfig(method="magic")


def _corpora(tmp_path: Path) -> Path:
    def item(i: int, date: str) -> dict:
        paras = [f"第{i}篇讲城市{i}的水利工程第{p}期进展。工程已完成{p}成。" * 3 for p in range(4)]
        return {"id": f"xwlb-{date}-{i}", "date": date, "title": f"城市{i}水利工程建设取得新进展",
                "body": "\n".join(paras)}  # fmt: skip

    rows = [item(i, "20200101") for i in range(20)] + [item(i, "20240101") for i in range(20, 30)]
    with gzip.open(tmp_path / "xwlb.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return tmp_path


def test_training_writes_a_model_that_loads(tmp_path: Path, monkeypatch):
    from training import segmenter as train_module

    monkeypatch.setenv("NEWSDESK_CORPORA", str(_corpora(tmp_path)))
    out = tmp_path / "model"
    argv = ["--out", str(out), "--n-train", "12", "--n-dev", "4", "--max-iterations", "5"]
    assert train_module.main(argv + ["--penalties", "4;1.5;0;0.5"]) == 0
    seg = load_segmenter(str(out))
    assert seg.pairing.stack_margin == 0.5
    cfg = SegmentConfig(model_dir=str(out))
    arts = segment_page("城市1水利工程建设取得新进展\n\n第1篇讲城市1的水利工程。", config=cfg)
    assert arts and "第1篇" in arts[0].body
    assert json.loads((out / "train_config.json").read_text())["n_train"] == 12


def test_a_kicker_alone_joins_the_headline_under_it():
    body = _body("正文一。")
    kicker = Group([Line("一线调研", "head", 1)], kicker=True)
    head = Group([Line("石梁河开展巡河调研", "head", 2)])
    after = _body("李选才到石梁河开展巡河调研。", start=3)
    # a margin so low that two ordinary headline groups would stay apart
    apart = merge_stacked([body, Group(kicker.lines), head, after], SegmentConfig(), -100.0)
    assert [type(u).__name__ for u in apart] == ["Body", "Group", "Group", "Body"]
    joined = merge_stacked([body, kicker, head, after], SegmentConfig(), -100.0)
    assert [type(u).__name__ for u in joined] == ["Body", "Group", "Body"]
    assert [ln.text for ln in joined[1].lines] == ["一线调研", "石梁河开展巡河调研"]


def test_headline_lines_of_one_print_size_stay_one_group():
    # from an image: OCR puts each line of a big headline in a block of its own
    text = "前文结束。\n\n李选才到禹州市石\n\n梁河开展巡河调研\n\n本报讯（记者 王金伟）5月30日，开展巡河。"
    lines = page_lines(text, sizes=[1.0, 1.9, 1.8, 1.0])
    tags = ["body", "head", "head", "start"]
    units = units_from_tags(lines, tags, SegmentConfig())
    assert [type(u).__name__ for u in units] == ["Body", "Group", "Body"]
    # the same text without sizes: two headline blocks, two groups
    plain = units_from_tags(page_lines(text), tags, SegmentConfig())
    assert [type(u).__name__ for u in plain] == ["Body", "Group", "Group", "Body"]


def test_a_headline_that_stops_short_of_the_column_ends_there():
    # from an image, column 10 wide: 甲乙丙丁戊己 (6 x 1.9 = 11.4, full) runs on; 丙丁 (2 x 1.9)
    # has ended, and the next line of the same size is another article's headline
    body = "会议要求各地要压实\n责任加强值班值守确\n保安全度汛各部门要\n密切配合形成合力共\n同做好防汛工作确保\n群众安全。"
    text = "\n\n".join([body, "甲乙丙丁戊己", "丙丁", "庚辛壬癸子丑", "寅卯", "正文开始了。"])
    sizes = [1.0] * 6 + [1.9, 1.9, 1.9, 1.9, 1.0]
    lines = page_lines(text, sizes=sizes)
    tags = ["start"] + ["body"] * 5 + ["head"] * 4 + ["start"]
    units = units_from_tags(lines, tags, SegmentConfig())
    groups = [[ln.text for ln in u.lines] for u in units if isinstance(u, Group)]
    assert groups == [["甲乙丙丁戊己", "丙丁"], ["庚辛壬癸子丑", "寅卯"]]


def _seg(title: str, body: str, position: str = "before", **kw):
    from nlp.segment.assemble import SegmentedArticle
    from nlp.types import Article

    return SegmentedArticle(Article(title=title, body=body, **kw), headline_position=position)


def test_mend_joins_an_untitled_fragment_to_the_article_before():
    from nlp.segment.assemble import mend_fragments

    segs = [_seg("甲方案印发", "第一段。"), _seg("", "第二段。", "", captions=["图 王琳 摄"])]
    out = mend_fragments(segs, "untitled")
    assert [(s.article.title, s.article.body, s.article.captions) for s in out] == [
        ("甲方案印发", "第一段。\n第二段。", ["图 王琳 摄"])
    ]
    assert len(mend_fragments(segs, "")) == 2


@pytest.mark.parametrize(
    "second",
    [
        _seg("", "本报讯正文。", "", byline="记者 王琳"),  # a lead byline: an article of its own
        _seg("", "正文。", ""),  # nothing before it to join
    ],
)
def test_mend_keeps_an_untitled_article_with_a_byline_or_first_on_the_page(second):
    from nlp.segment.assemble import mend_fragments

    segs = [_seg("甲方案印发", "第一段。"), second] if second.article.byline else [second]
    assert len(mend_fragments(segs, "untitled,bodiless")) == len(segs)


def test_mend_gives_a_bodiless_headline_to_the_body_before_and_its_first_line_back():
    from nlp.segment.assemble import mend_fragments

    segs = [
        _seg("全国政协主席王沪宁26日在京会", "见乌兹别克斯坦议长。\n会见时说。"),
        _seg("王沪宁会见乌兹别克斯坦议长", "", "after", byline="记者 王琳"),
    ]
    (out,) = mend_fragments(segs, "bodiless")
    assert out.article.title == "王沪宁会见乌兹别克斯坦议长"
    assert out.article.body == "全国政协主席王沪宁26日在京会见乌兹别克斯坦议长。\n会见时说。"
    assert out.article.byline == "记者 王琳" and out.headline_position == "after"
    # a bodiless headline after an article headed after its body is left alone
    after = [_seg("标题甲", "正文甲。", "after"), _seg("标题乙", "", "after")]
    assert len(mend_fragments(after, "bodiless")) == 2


def test_mend_setting_is_checked():
    with pytest.raises(ValueError, match="mend"):
        SegmentConfig(mend="untitled,everything")
    assert SegmentConfig(mend="").mend == ""


def test_a_page_read_off_an_image_goes_to_the_folders_image_model(tmp_path, monkeypatch):
    from nlp.segment import learned

    seen = []
    monkeypatch.setattr(learned, "load_segmenter", lambda folder: seen.append(folder))
    (tmp_path / page_module.IMAGE_SUBDIR).mkdir()
    cfg = SegmentConfig(model_dir=str(tmp_path))
    page_module._learned(cfg)
    page_module._learned(cfg, image=True)
    assert seen == [str(tmp_path), str(tmp_path / "image")]
    (tmp_path / page_module.IMAGE_SUBDIR).rmdir()  # no image model: the folder's own
    page_module._learned(cfg, image=True)
    assert seen[-1] == str(tmp_path)


def _body_in_blocks(*rows: tuple[str, int]) -> Body:
    return Body(lines=[Line(text, "body", block) for text, block in rows])


def test_an_unpunctuated_run_ending_an_untitled_body_is_its_headline():
    cfg = SegmentConfig()
    body = _body_in_blocks(
        ("随后，李选才来到无梁镇龙门村，", 1),
        ("进一步了解石梁河文化。", 1),
        ("李选才到禹州市石梁河开展巡河调研时要求", 2),
        ("打造河畅水清、岸绿景美的生态环境", 3),
        ("全面提升沿岸群众的获得感和幸福感", 3),
    )
    assert tail_headline(body, cfg) == 3
    assert (
        tail_headline(body, SegmentConfig(tail_headline_lines=2)) == 0
    )  # 2 lines: same block as the 3rd
    assert tail_headline(body, SegmentConfig(tail_headline_lines=0)) == 0
    (art,) = assemble([body], cfg, [])
    assert art.article.title.startswith("李选才到禹州市") and art.headline_position == "after"
    assert art.article.body == "随后，李选才来到无梁镇龙门村，进一步了解石梁河文化。"


def test_a_body_cut_mid_sentence_or_without_a_sentence_before_keeps_its_lines():
    cfg = SegmentConfig()
    # a column break: the run continues the paragraph before it (no finished sentence)
    cut = _body_in_blocks(("李选才指出，当前正值汛期，防汛", 1), ("工作事关经济社会发展", 2))
    assert tail_headline(cut, cfg) == 0
    # same block as the sentence before: a line of that paragraph, not a new block
    same = _body_in_blocks(("会议要求加快理赔进度。", 1), ("全力保障粮食生产安全", 1))
    assert tail_headline(same, cfg) == 0
    # never the whole body, and never a line with sentence punctuation
    assert tail_headline(_body_in_blocks(("石梁河巡河调研", 1)), cfg) == 0
    assert tail_headline(_body_in_blocks(("会议召开。", 1), ("要求加快进度。", 2)), cfg) == 0


def test_an_article_with_a_headline_keeps_its_unpunctuated_end():
    body = _body_in_blocks(("会议要求加快理赔进度。", 1), ("全力保障粮食生产安全", 2))
    head = Group([Line("小麦保险理赔会召开", "head", 0)])
    arts = assemble([head, body], SegmentConfig(), ["before"])
    assert [a.article.title for a in arts] == ["小麦保险理赔会召开"]
    assert arts[0].article.body.endswith("全力保障粮食生产安全")
