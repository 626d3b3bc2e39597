"""OCR: reading order of text boxes (pure) and RapidOCR on rendered pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from nlp.ocr import OcrConfig, TextBox, load_image, ocr_image, page_layout, reading_order, recognise


def box(x0, y0, x1, y1, text):
    return TextBox(x0, y0, x1, y1, text)


def test_two_columns_under_a_spanning_headline():
    # Lines of both columns sit at the same heights: reading row by row would interleave them.
    boxes = [
        box(500, 100, 880, 130, "右栏第一行"),
        box(40, 100, 420, 130, "左栏第一行"),
        box(40, 140, 420, 170, "左栏第二行"),
        box(500, 140, 880, 170, "右栏第二行"),
        box(40, 20, 880, 60, "通栏大标题"),
    ]
    assert reading_order(boxes) == "通栏大标题\n\n左栏第一行\n左栏第二行\n\n右栏第一行\n右栏第二行"


def _column(x0, y0, rows, em, leading=1.5):
    """Boxes of one column: each row ``text`` set ``em`` px per character."""
    return [
        box(x0, y0 + i * em * leading, x0 + len(t) * em, y0 + i * em * leading + em, t)
        for i, t in enumerate(rows)
    ]


def test_a_big_headline_over_two_lines_stays_one_block_and_reads_big():
    # The leading between two lines of a 1.9x headline (27 px) is wider than 0.8 of the
    # body's line height (24 px), but not against the headline's own height: no cut there.
    head = _column(40, 20, ["互学互鉴再提升", "强基固本谋发展"], em=57)
    body = _column(
        40,
        250,
        ["十八个观摩点，每一个都具有特色让人", "眼前一亮；总结讲评、交流发言每一句"] * 3,
        em=30,
    )
    page = page_layout(head + body)
    blocks = page.text.split("\n\n")
    assert blocks[0] == "互学互鉴再提升\n强基固本谋发展", page.text
    assert len(blocks) == 2
    # sizes from the character pitch: 57 px an em against the body's 30
    assert [round(x, 1) for x in page.line_sizes[:2]] == [1.9, 1.9]
    assert all(abs(x - 1.0) < 0.01 for x in page.line_sizes[2:])


def test_a_short_column_beside_a_headline_gap_does_not_pull_the_page_apart():
    # Left column: body, then a headline with space under it, then more body. Right column:
    # shorter, ending where the space under the headline begins. A band across both columns
    # (the space under the headline, 62 px) is a little wider than the gutter (60 px);
    # columns still come first.
    left = _column(40, 0, ["左栏正文第一行内容"] * 10, em=30)
    left += _column(40, 465, ["左栏标题"], em=57)
    left += _column(40, 584, ["左栏标题下的正文"] * 4, em=30)
    right = _column(370, 0, ["右栏正文第一行内容"] * 11, em=30)
    text = page_layout(left + right).text
    assert text.index("右栏") > text.rindex("左栏标题下的正文"), text


def test_fragments_of_one_line_join_left_to_right():
    boxes = [box(210, 10, 300, 40, "下半句。"), box(10, 12, 200, 38, "上半句，")]
    assert reading_order(boxes) == "上半句，下半句。"


def test_latin_fragments_keep_a_space():
    boxes = [box(10, 10, 60, 30, "COVID"), box(75, 10, 100, 30, "19")]
    assert reading_order(boxes) == "COVID 19"


def test_quad_to_box_and_empty_input():
    b = TextBox.from_quad([[10, 5], [50, 6], [50, 20], [9, 19]], "字", 0.9)
    assert (b.x0, b.y0, b.x1, b.y1) == (9, 5, 50, 20)
    assert reading_order([]) == ""
    assert reading_order([box(0, 0, 10, 10, "  ")]) == ""


def test_bad_config_and_unreadable_image():
    with pytest.raises(ValueError, match="gap"):
        OcrConfig(gap=0)
    with pytest.raises(ValueError, match="cannot read"):
        load_image(b"not an image at all")


def _cjk_font() -> str | None:
    if shutil.which("fc-list") is None:
        return None
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    paths = [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]
    return paths[0] if paths else None


def test_blank_image_has_no_text():
    from PIL import Image

    assert ocr_image(Image.new("RGB", (400, 300), "white")) == ""


@pytest.mark.skipif(_cjk_font() is None, reason="no CJK font (scripts/install_browser.sh adds one)")
def test_rendered_two_column_page_reads_in_order():
    from PIL import Image, ImageDraw, ImageFont

    font_path = _cjk_font()
    font, big = ImageFont.truetype(font_path, 28), ImageFont.truetype(font_path, 44)
    img = Image.new("RGB", (1000, 420), "white")
    draw = ImageDraw.Draw(img)
    draw.text((60, 30), "许昌市召开防汛工作会议", font=big, fill="black")
    left = ["全市水利部门认真落实防汛", "责任，开展河道巡查工作。"]
    right = ["市公安局组织民警开展治安", "巡逻，维护社会秩序稳定。"]
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        draw.text((60, 140 + i * 45), a, font=font, fill="black")
        draw.text((540, 140 + i * 45), b, font=font, fill="black")
    text = ocr_image(img)
    blocks = text.split("\n\n")
    assert len(blocks) == 3, text
    # OCR may miss a character here or there; the order of the blocks is what matters here.
    assert "防汛" in blocks[0] and "水利" in blocks[1] and "公安" in blocks[2]
    assert blocks[1].count("\n") == 1 and blocks[2].count("\n") == 1


@pytest.mark.skipif(_cjk_font() is None, reason="no CJK font (scripts/install_browser.sh adds one)")
def test_detection_at_a_lower_resolution_gives_boxes_in_the_image_coordinates():
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (2400, 600), "white")
    draw = ImageDraw.Draw(img)
    draw.text(
        (1200, 300),
        "水利局部署水库安全度汛工作",
        font=ImageFont.truetype(_cjk_font(), 60),
        fill="black",
    )
    small = recognise(img, OcrConfig(det_side=800))
    full = recognise(img, OcrConfig(det_side=2400))
    assert [b.text for b in small] == [b.text for b in full] == ["水利局部署水库安全度汛工作"]
    for a, b in zip(small, full, strict=True):  # the same place, to a few pixels
        assert max(abs(a.x0 - b.x0), abs(a.y0 - b.y0), abs(a.x1 - b.x1), abs(a.y1 - b.y1)) < 12
    assert 1150 < small[0].x0 < 1250 and 280 < small[0].y0 < 320


def test_worker_threads_do_not_spin_unless_asked():
    from rapidocr_onnxruntime.utils import OrtInferSession

    from nlp import ocr

    before = OrtInferSession._init_sess_opts
    key = "session.intra_op.allow_spinning"
    for spin, expected in ((False, "0"), (True, "1")):
        engine = ocr._get_engine(OcrConfig(spin=spin))
        for session in (engine.text_det.infer, engine.text_rec.session):
            opts = session.session.get_session_options()
            assert opts.get_session_config_entry(key) == expected
    assert OrtInferSession._init_sess_opts is before  # RapidOCR's own options left as found


_OCR_IN_FRESH_HOME = """
import os
from PIL import Image
import nlp.ocr
assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
print(repr(nlp.ocr.ocr_image(Image.new("RGB", (200, 100), "white"))))
"""


def _ocr_in_fresh_home(home, wrapper=(), then=""):
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    script = _OCR_IN_FRESH_HOME + then
    return subprocess.run(
        [*wrapper, sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_onnxruntime_telemetry_is_off_no_device_id(tmp_path):
    """onnxruntime's 1DS telemetry writes ``~/.cache/Microsoft/.../deviceid`` when it is on."""
    out = _ocr_in_fresh_home(tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "''"
    written = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
    assert not (tmp_path / ".cache" / "Microsoft").exists(), written


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_ocr_makes_no_network_lookups(tmp_path):
    """With telemetry on, the uploader resolves mobile.events.data.microsoft.com (UDP 53)
    within about 20 s; the script keeps the process alive for 30 s after the OCR."""
    log = tmp_path / "strace.txt"
    wrapper = ("strace", "-f", "-e", "trace=connect", "-o", str(log))
    out = _ocr_in_fresh_home(tmp_path, wrapper, then="import time; time.sleep(30)\n")
    assert out.returncode == 0, out.stderr[-2000:]
    inet = [line for line in log.read_text().splitlines() if "AF_INET" in line]
    assert inet == [], inet[:5]
