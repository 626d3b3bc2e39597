"""Fuzzed input through every stage: no traceback, no hang, nothing lost (issue #10).

The default run tries a few hundred texts; ``-m slow`` tries 10,000 through the library and
a few hundred hostile files through the command line.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp import pipeline
from nlp.batch import BatchConfig, run_batch
from nlp.output import read_output
from nlp.testing import KeywordClassifier, LeadSummarizer
from nlp.types import InputError

pytestmark = pytest.mark.usefixtures("fake_models")

_PIECES = st.sampled_from(
    list("公安民警派出所水库防汛残疾人就业保险理赔。，！？；：“”（）《》——…　 \n\n\t\r\f")
    + ["本报讯（记者 王金伟）", "——许昌市公安局", "（上接第一版）", "王琳 摄", "-----", "***",
       "2 5 . 4 7万亿元", "ＡＢＣ１２３", "abc def", "\x00", "\u200b", "\ufeff", "挸" * 50, "😀"]
)  # fmt: skip
TEXTS = st.one_of(
    st.lists(_PIECES, max_size=80).map("".join),
    st.text(max_size=400),
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),
)
CLF, SUMM = KeywordClassifier(), LeadSummarizer()


def _analyse(text: str) -> None:
    try:
        results = pipeline.analyze(text, classifier=CLF, summarizer=SUMM)
    except InputError as err:
        assert err.code in {"empty", "too_long", "binary", "not_text"}
        return
    for r in results:
        assert r.article.text.strip()
        assert abs(sum(r.classification.scores.values()) - 1) < 1e-6


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_fuzzed_text_through_the_pipeline(text):
    _analyse(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_ten_thousand_fuzzed_texts_through_the_pipeline(text):
    _analyse(text)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(TEXTS, st.integers(), st.none(), st.lists(st.text(max_size=5))),
        min_size=1,
        max_size=6,
    )
)
def test_fuzzed_files_through_the_command_keep_one_row_per_record(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("fuzz")
    src = folder / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": f"r{i}", "text": v}) + "\n" for i, v in enumerate(values)),
        "utf-8",
    )
    out = folder / "out.jsonl"
    stats = run_batch(BatchConfig([src], out, task="classify"))
    rows = read_output(out)
    assert [r["record_id"] for r in rows] == [f"r{i}" for i in range(len(values))]
    assert stats.records == len(values)
