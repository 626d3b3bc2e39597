"""Traditional-character input (nlp.script): converted before every stage, kept for display."""

from __future__ import annotations

import json

import opencc
import pytest

from nlp import pipeline
from nlp.cli import main
from nlp.script import ScriptMap, changed_share, to_simplified
from nlp.text import han_chars

S2T = opencc.OpenCC("s2t")


def test_simplified_text_passes_through_and_traditional_is_converted_in_place():
    simplified = "许昌市公安局开展派出所建设工作，民警深入社区。"
    assert to_simplified(simplified) == simplified
    traditional = S2T.convert(simplified)
    assert traditional != simplified
    assert to_simplified(traditional) == simplified
    assert changed_share(traditional, to_simplified(traditional)) == pytest.approx(4 / 21)
    assert changed_share(simplified, to_simplified(simplified)) == 0.0
    mixed = simplified + "\n" + traditional
    assert to_simplified(mixed) == simplified + "\n" + simplified
    assert len(to_simplified("據新華社電\n\n頭髮")) == len("據新華社電\n\n頭髮")


def test_script_map_restores_the_page_characters_even_where_one_simplified_char_has_two():
    page = "他的頭髮白了。\n經濟發展很快，\n發展是硬道理。"
    simple = to_simplified(page)
    script = ScriptMap(page, simple)
    assert script.changed
    # fragments as cleaning hands them over: line breaks gone, pieces re-joined
    assert script.restore("经济发展很快，发展是硬道理。") == "經濟發展很快，發展是硬道理。"
    assert script.restore("他的头发白了。") == "他的頭髮白了。"
    assert script.restore("头发") == "頭髮"  # too short to place: looked up by its neighbours
    assert script.restore("与此无关的简体") == "与此无关的简体"
    assert not ScriptMap("简体", "简体").changed


def test_a_traditional_seed_page_splits_as_the_simplified_one_and_keeps_its_characters(seed_text):
    traditional = S2T.convert(seed_text)
    simple = pipeline.split_articles(seed_text)
    trad = pipeline.split_articles(traditional)
    assert [a.title for a in trad] == [a.title for a in simple]
    assert [a.body for a in trad] == [a.body for a in simple]
    page_han = han_chars(traditional)
    for article in trad:
        assert article.original_body, article.title
        assert han_chars(article.original_body) in page_han
        assert han_chars(article.original_title or article.title) in page_han
    # the simplified page's articles carry no copy, except where it had a traditional char
    assert sum(bool(a.original_body) for a in simple) <= 1


def test_traditional_seed_page_gets_the_gold_labels_from_the_real_classifier(seed_text, seed_gold):
    results = pipeline.analyze(S2T.convert(seed_text))
    labels = [r.classification.label for r in results]
    assert labels == [g["label"] for g in seed_gold]
    for r in results:
        assert r.summary.summary and han_chars(r.summary.summary) == han_chars(
            to_simplified(r.summary.summary)
        )


def test_one_article_commands_convert_titled_records(tmp_path, fake_models, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(
            {"id": "t", "title": "市公安局開展反詐宣傳", "body": "民警深入社區開展反詐宣傳。"}
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(src), "-o", str(out)]) == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["title"] == "市公安局开展反诈宣传"
    assert row["original_title"] == "市公安局開展反詐宣傳"
    assert row["original_body"] == "民警深入社區開展反詐宣傳。"
    assert row["label"] == "public_security"


@pytest.mark.parametrize("text", ["", "plain ascii text", "\n\n"])
def test_conversion_of_text_without_han_is_identity(text):
    assert to_simplified(text) == text
