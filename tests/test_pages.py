"""The page benchmark: generator gold consistency, the split, and the page metrics."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from nlp.evaluation.pages import by_phenomenon, norm, score_page, summarize
from nlp.types import Article
from training.page_render import byline_parts, render_page, space_out
from training.pages import generated_pages, load_pool, random_spec, split_of

HAND = Path(__file__).resolve().parent.parent / "data" / "pages" / "hand"


def _item(i: int, outlet: str = "联合早报", date: str = "20260601") -> dict:
    body = "\n".join(
        f"第{i}篇第{p}段讲述城市{i}的水利工程建设进展情况。工程于今年{p}月开工建设。"
        f"相关部门表示将加快推进第{p}期工作。"
        for p in range(1, 6)
    )
    return {
        "id": f"cnnewshub-{outlet}-{i}",
        "date": date,
        "outlet": outlet,
        "title": f"城市{i}水利工程建设取得新进展",
        "body": body,
    }


@pytest.fixture
def corpora(tmp_path: Path) -> Path:
    rows = [_item(i) for i in range(14)]
    rows.append(_item(99, outlet="虎嗅网"))  # a training source: never on a test page
    with gzip.open(tmp_path / "other_outlets.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    rare = {
        "id": "pages-000001",
        "date": "",
        "title": "水稻受灾户收到理赔款",
        "body": "近日，五十四位农户领到了水稻保险理赔款。一千多亩受灾水稻获得了理赔。" * 4,
    }
    (tmp_path / "local_rare.jsonl").write_text(json.dumps(rare, ensure_ascii=False) + "\n", "utf-8")
    return tmp_path


def test_split_by_source_and_date():
    assert split_of({"id": "xwlb-20230530-1", "date": "20230530"}) == "train"
    assert split_of({"id": "xwlb-20250101-1", "date": "20250101"}) == "dev"
    assert split_of({"id": "xwlb-20260301-1", "date": "20260301"}) == ""
    assert split_of({"id": "cnnewshub-1", "date": "20260601", "outlet": "联合早报"}) == "test"
    assert split_of({"id": "cnnewshub-2", "date": "20260601", "outlet": "虎嗅网"}) == "train"
    assert split_of({"id": "cnnewshub-3", "date": "20260720", "outlet": "虎嗅网"}) == "dev_outlets"
    assert split_of({"id": "cnnewshub-4", "date": "20260720", "outlet": "RFA自由亚洲"}) == "test"
    assert split_of({"id": "em-1", "date": "20170101", "outlet": ""}) == "train"
    assert split_of({"id": "pages-000001", "date": ""}) == "test"


def test_test_pool_holds_only_test_sources(corpora: Path):
    pool = load_pool("test", corpora)
    assert "pages-000001" in pool and "cnnewshub-虎嗅网-99" not in pool
    assert set(load_pool("train", corpora)) == {"cnnewshub-虎嗅网-99"}


def test_generated_gold_is_consistent_with_the_page(corpora: Path):
    pages = generated_pages("test", 8, corpora)
    seen = set()
    for _spec, text, gold in pages:
        flat = norm(text)
        assert 1 <= len(gold["articles"]) <= 12
        assert any(t.startswith("articles_") for t in gold["phenomena"])
        for row in gold["articles"]:
            assert row["title"] and norm(row["title"]) in flat
            assert norm(row["first_sentence"]) in flat and norm(row["last_sentence"]) in flat
            assert all(norm(c) in flat for c in row["captions"])
            assert all(norm(n) in flat for n in row["byline_names"] if n != "新华社")
            assert row["phenomena"]
            seen.update(row["phenomena"])
    assert {"headline_before", "headline_after"} <= seen
    again = generated_pages("test", 8, corpora)
    assert [p[1] for p in again] == [p[1] for p in pages]  # a seed gives the same page


def test_render_records_every_phenomenon_it_prints():
    items = {"a": _item(1), "b": _item(2), "c": _item(3)}
    spec = {
        "seed": 5,
        "width": 12,
        "column_breaks": 1.0,
        "header": ["2026年6月3日 星期三", "第3版"],
        "footer": ["责任编辑 张明远 美编 李晓红"],
        "blocks": [
            {
                "type": "article",
                "id": "a",
                "headline": "after",
                "kicker": "关注民生",
                "subtitle": "——一线观察",
                "byline": {"form": "staff", "names": ["王建国", "刘思雨"]},
                "captions": [{"text": "项目建设现场。", "name": "陈海涛"}],
                "top_note": "（上接第一版）",
                "end_notes": ["（下转第三版）", "（赵文静参与采写）"],
                "subheads": 1,
            },
            {"type": "article", "id": "b", "spaced": "all", "byline": {"form": "xinhua"}},
            {"type": "briefs", "heading": "简讯", "items": [{"id": "c"}]},
        ],
    }
    text, gold = render_page(spec, items)
    a, b, c = gold["articles"]
    assert text.index("（下转第三版）") < text.index("关注民生") < text.index("本报记者 王建国")
    assert a["title"] == "关注民生 城市1水利工程建设取得新进展 ——一线观察"
    assert a["continued_from"] == "（上接第一版）" and a["captions"] == ["项目建设现场。 陈海涛 摄"]
    assert {
        "headline_after",
        "kicker",
        "subtitle",
        "caption",
        "note_continued_on",
        "end_note",
        "subheads",
        "byline_staff",
    } <= set(a["phenomena"])
    assert "城 市 2" in text and "spaced_all" in b["phenomena"] and b["byline_names"] == ["新华社"]
    assert c["phenomena"] == ["brief"]
    assert {"mixed_layout", "furniture", "column_break", "briefs"} <= set(gold["phenomena"])
    # width 12, plus one punctuation mark hung at the end of a line
    assert max(len(line) for line in text.splitlines() if "第" in line and "段" in line) <= 13


def test_space_out_and_byline_forms():
    assert space_out("进出口25.47万亿元", "digits") == "进出口2 5 . 4 7万亿元"
    assert space_out("会议召开", "all") == "会 议 召 开"
    assert byline_parts({"form": "lead", "names": ["张三"]})[0] == "本报讯（记者 张三）"
    assert byline_parts({"form": "lead", "names": ["张三"], "role": False})[0] == "本报讯（张三）"
    assert (
        byline_parts({"form": "staff", "names": ["张三", "李四"]})[1] == "本报记者 张三 通讯员 李四"
    )
    assert byline_parts({"form": "report", "names": ["张三"]})[2] == "（张三 报道）"


def test_random_spec_spans_one_to_twelve_articles():
    items = {
        f"x{i}": {"id": f"x{i}", "title": f"标题{i}号新闻稿件", "body": "一。"} for i in range(20)
    }
    counts = set()
    for seed in range(80):
        spec = random_spec(seed, sorted(items), items)
        n = sum(1 if b["type"] == "article" else len(b["items"]) for b in spec["blocks"])
        counts.add(n)
        assert 10 <= spec["width"] <= 22
    assert min(counts) == 1 and max(counts) == 12


def test_outlet_share_draws_articles_from_the_second_pool_and_none_twice():
    items = {
        f"x{i}": {"id": f"x{i}", "title": f"标题{i}号新闻稿件", "body": "一。"} for i in range(20)
    }
    items |= {
        f"o{i}": {"id": f"o{i}", "title": f"外媒{i}号新闻稿件", "body": "二。"} for i in range(20)
    }
    pool = sorted(k for k in items if k.startswith("x"))
    other = sorted(k for k in items if k.startswith("o"))

    def article_ids(spec):
        blocks = spec["blocks"]
        return [b["id"] for b in blocks if b["type"] == "article"] + [
            i["id"] for b in blocks if b["type"] == "briefs" for i in b["items"]
        ]

    drawn = []
    for seed in range(60):
        plain = random_spec(seed, pool, items)
        mixed = random_spec(seed, pool, items, other, 0.5)
        assert random_spec(seed, pool, items, other, 0.0) == plain
        ids = article_ids(mixed)
        assert len(ids) == len(set(ids))
        drawn += ids
    share = sum(i.startswith("o") for i in drawn) / len(drawn)
    assert 0.35 < share < 0.65


GOLD = [
    {
        "title": "甲 标题",
        "first_sentence": "甲一。",
        "last_sentence": "甲二。",
        "byline_names": ["张三"],
        "captions": ["图。 王五 摄"],
        "phenomena": ["headline_before"],
    },
    {
        "title": "乙标题",
        "first_sentence": "乙一。",
        "last_sentence": "乙二。",
        "byline_names": [],
        "captions": [],
        "phenomena": ["headline_after"],
    },
    {
        "title": "丙标题",
        "first_sentence": "丙一。",
        "last_sentence": "丙二。",
        "byline_names": ["李四"],
        "captions": [],
        "phenomena": ["headline_after"],
    },
]


def test_metrics_on_known_predictions():
    perfect = [
        Article(title="甲标题", body="甲一。甲二。", byline="记者 张三", captions=["图。王五 摄"]),
        Article(title="乙标题", body="乙一。乙二。"),
        Article(title="丙标题", body="据新华社北京6月3日电丙一。丙二。", byline="李四"),
    ]
    s = score_page(perfect, GOLD)
    assert (s["with_headline"], s["boundary_tp"], s["byline_hits"], s["caption_hits"]) == (
        3,
        3,
        2,
        1,
    )
    assert s["exact_count"]
    # 乙 and 丙 merged under 乙's title; 甲 lost its byline and caption
    merged = [
        Article(title="甲标题", body="甲一。甲二。"),
        Article(title="乙标题", body="乙一。乙二。丙一。丙二。"),
    ]
    m = score_page(merged, GOLD)
    assert (m["with_headline"], m["headline_exact"], m["boundary_tp"]) == (2, 2, 2)
    assert (m["byline_hits"], m["bylines"], m["caption_hits"]) == (0, 2, 0)
    assert not m["exact_count"]
    total = summarize([s, m])
    assert total["with_headline"] == round(5 / 6, 3) and total["exact_count"] == 0.5
    assert total["boundary_f1"] == round(2 * (5 / 5) * (5 / 6) / (1 + 5 / 6), 3)
    tags = by_phenomenon([m], [["mixed_layout"]])
    assert (
        tags["headline_after"]["with_headline"] == 0.5 and tags["headline_after"]["articles"] == 2
    )
    assert tags["mixed_layout"]["articles"] == 3


def test_loose_scoring_forgives_ocr_punctuation_not_characters():
    gold = [{"title": "迎“六一” 东城区开展", "first_sentence": "甲一。", "last_sentence": "甲二。"}]
    read = [Article(title='迎"六一"东城区开展', body="本报讯（记者 张三）甲一.甲二")]
    assert score_page(read, gold)["with_headline"] == 0
    loose = score_page(read, gold, loose=True)
    assert loose["with_headline"] == 1 and loose["boundary_tp"] == 1
    wrong = [Article(title="迎“六一”东城区开屐", body="甲一。甲二。")]
    assert score_page(wrong, gold, loose=True)["with_headline"] == 0


def test_a_page_read_off_an_image_wraps_headlines_at_their_print_size():
    items = {"a": _item(1)}
    block = {"type": "article", "id": "a", "subtitle": "——一线观察记者走进水利工程工地"}
    plain, gold = render_page({"seed": 1, "width": 16, "blocks": [block]}, items)
    printed, pgold = render_page(
        {"seed": 1, "width": 16, "print_sizes": True, "blocks": [block]}, items
    )
    heads = [t for t, _ in pgold["lines"] if t == "head"]
    assert len([t for t, _ in gold["lines"] if t == "head"]) == 1 and len(heads) == 2
    # 16 / 1.9: 8 characters of headline a line, 12 of subtitle
    lines = [ln for ln in printed.splitlines() if ln.strip()]
    assert len(lines) == len(pgold["lines"])
    tagged = list(zip(lines, (t for t, _ in pgold["lines"]), strict=True))
    assert all(len(ln) <= 9 for ln, t in tagged if t == "head")
    assert [len(ln) for ln, t in tagged if t == "subtitle"] == [12, 4]
    assert pgold["articles"][0]["title"] == gold["articles"][0]["title"]


def test_a_continuation_note_on_a_line_of_its_own_comes_before_the_body_start():
    items = {"a": _item(1)}
    block = {"type": "article", "id": "a", "top_note": "（上接第一版）", "top_note_line": True}
    text, gold = render_page({"seed": 1, "width": 16, "blocks": [block]}, items)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    tags = [t for t, _ in gold["lines"]]
    at = lines.index("（上接第一版）")
    assert tags[at : at + 2] == ["note", "start"] and lines[at + 1].startswith("第1篇第1段")
    assert gold["articles"][0]["continued_from"] == "（上接第一版）"


def test_a_cctv_item_of_several_stories_is_split_at_their_headlines():
    from training.pages import split_compilation

    item = {
        "id": "xwlb-20220927-71",
        "date": "20220927",
        "title": "美国累计新冠确诊病例超9611万",
        "body": "据统计，美国累计确诊病例超过9611万例。\n美国猴痘确诊病例超2.5万例\n"
        "美国疾控中心数据显示，猴痘病例超过2.5万例。\n专家提醒注意防护。",
    }
    first, second = split_compilation(item)
    assert (first["id"], first["title"]) == ("xwlb-20220927-71~0", item["title"])
    assert first["body"] == "据统计，美国累计确诊病例超过9611万例。"
    assert second["title"] == "美国猴痘确诊病例超2.5万例"
    assert second["body"].splitlines() == [
        "美国疾控中心数据显示，猴痘病例超过2.5万例。",
        "专家提醒注意防护。",
    ]
    # a last short line, a sentence, another outlet's item: left whole
    assert split_compilation(dict(item, body="第一段。\n第二段结尾")) == [
        dict(item, body="第一段。\n第二段结尾")
    ]
    other = dict(item, id="cnnewshub-联合早报-1")
    assert split_compilation(other) == [other]


def test_a_note_taken_for_a_headline_is_no_match():
    pred = [Article(title="（相关报道见第三版） 乙标题", body="乙一。乙二。")]
    assert score_page(pred, GOLD[1:2])["with_headline"] == 0


def test_hand_specs_use_test_sources_only():
    specs = [json.loads(p.read_text("utf-8")) for p in sorted(HAND.glob("*.json"))]
    assert len(specs) >= 10
    for spec in specs:
        blocks = [x for b in spec["blocks"] for x in (b["items"] if b["type"] == "briefs" else [b])]
        assert blocks and all(b["id"].startswith(("cnnewshub-", "pages-")) for b in blocks)
        assert not {"body", "title", "text"} & {k for b in blocks for k in b}  # ids, no text


def test_a_generated_page_becomes_blocks_to_print_as_an_image():
    from training.page_image import page_blocks

    items = {"a": _item(1), "b": _item(2)}
    blocks = [
        {"type": "article", "id": "a", "headline": "after", "wrap": True,
         "byline": {"form": "none", "names": []}, "paras": 2},
        {"type": "article", "id": "b", "headline": "before", "kicker": "一线调研",
         "byline": {"form": "staff", "names": ["王琳"]}, "paras": 2},
    ]  # fmt: skip
    spec = {"seed": 3, "width": 12, "blocks": blocks, "header": ["2026年6月3日 星期三"]}
    text, gold = render_page(spec, items)
    out = page_blocks(text, gold)
    kinds = [k for k, _ in out]
    assert "2026年6月3日 星期三" not in [t for _, t in out]  # furniture left out
    heads = [t for k, t in out if k == "head"]
    assert heads == ["城市1水利工程建设取得新进展", "城市2水利工程建设取得新进展"]  # wrapped: one
    assert ("small", "本报记者 王琳") in out and ("sub", "一线调研") in out
    # a's headline closes its body, b's kicker and headline open the next: set apart
    assert kinds[kinds.index("head") : kinds.index("head") + 4] == ["head", "break", "sub", "head"]
    bodies = "".join(t for k, t in out if k == "body")
    assert "第1篇第1段" in bodies and "第2篇第2段" in bodies and "\n" not in bodies


def test_a_column_break_inside_a_paragraph_is_printed_as_one_paragraph():
    from nlp.text import ends_sentence
    from training.page_image import page_blocks

    items = {"a": _item(1)}
    block = {"type": "article", "id": "a", "byline": {"form": "none", "names": []}, "paras": 3}
    text, gold = render_page(
        {"seed": 5, "width": 12, "column_breaks": 1.0, "blocks": [block]}, items
    )
    assert any(ln and not ends_sentence(ln) for ln in text.split("\n\n"))  # breaks mid-sentence
    bodies = [t for k, t in page_blocks(text, gold) if k == "body"]
    assert len(bodies) == 3 and all(ends_sentence(b) for b in bodies)
