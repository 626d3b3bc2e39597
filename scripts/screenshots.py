"""Screenshots of every tab of the app, in the light and the dark theme, for the README.

Starts ``app.py`` with the shipped models on a free port, drives Debian's Chromium with
Playwright through each tab with the seed page (paste; a batch of its articles; a photo of
one of them; an evaluation of its labelled articles), and writes
``docs/screenshots/<tab>_<light|dark>.jpg``. Needs ``scripts/install_browser.sh`` and the
shared seed page; takes about two minutes on 2 cores.

    python scripts/screenshots.py [--out docs/screenshots] [--fake]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABS = ("paste", "batch", "image", "evaluate")


def _inputs(tmp: Path) -> dict[str, Path]:
    """A batch file and a labelled file of the seed page's articles, and a photo of one."""
    from PIL import Image, ImageDraw, ImageFont

    from nlp import paths, pipeline

    page = paths.seed_page().read_text(encoding="utf-8")
    gold = [json.loads(x) for x in paths.seed_gold().read_text("utf-8").splitlines() if x.strip()]
    articles = pipeline.split_articles(page)
    rows = [{"id": f"seed-{a.index}", "title": a.title, "body": a.body} for a in articles]
    batch = tmp / "本周稿件.jsonl"
    batch.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    labelled = tmp / "seed_labelled.jsonl"
    labelled.write_text(
        "".join(
            json.dumps({**r, "label": g["label"]}, ensure_ascii=False) + "\n"
            for r, g in zip(rows, gold, strict=False)
        ),
        "utf-8",
    )
    fonts = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
    font_path = fonts.stdout.splitlines()[0].split(":")[0].strip()
    big, small = ImageFont.truetype(font_path, 40), ImageFont.truetype(font_path, 26)
    art = articles[5]
    img = Image.new("RGB", (1000, 520), "white")
    draw = ImageDraw.Draw(img)
    draw.text((40, 30), art.title.replace(" ", ""), font=big, fill="black")
    body = art.body.replace("\n", "")
    for i in range(10):
        draw.text((40, 110 + 38 * i), body[i * 34 : (i + 1) * 34], font=small, fill="black")
    photo = tmp / "版面照片.png"
    img.save(photo)
    return {"batch": batch, "labelled": labelled, "photo": photo, "page": page}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--fake", action="store_true", help="the test-double models (quick look)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.appserver import AppProcess
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inputs = _inputs(tmp)
        env = {"NEWSDESK_FEEDBACK": str(tmp / "feedback")}
        with AppProcess(fake=args.fake, timeout=300, env=env) as app, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                ctx = browser.new_context(
                    color_scheme=scheme, viewport={"width": 1280, "height": 1100}
                )
                page = ctx.new_page()
                page.goto(app.url)
                page.locator("#paste-text textarea").fill(inputs["page"])
                page.locator("#analyze-btn").click()
                page.locator("#paste-cards .nd-card").nth(2).wait_for(timeout=120_000)
                page.locator("#paste-status").scroll_into_view_if_needed()
                shot(page, args.out / f"paste_{scheme}.jpg")

                run_tab(page, "批量处理", "batch-file", inputs["batch"], "batch-btn")
                page.locator("#batch-status").get_by_text("完成").wait_for(timeout=180_000)
                page.wait_for_timeout(1000)
                shot(page, args.out / f"batch_{scheme}.jpg")

                page.get_by_role("tab", name="图片识别").click()
                page.locator("#ocr-image input[type=file]").set_input_files(str(inputs["photo"]))
                page.locator("#ocr-image img").first.wait_for(timeout=20_000)
                page.locator("#ocr-btn").click()
                page.locator("#ocr-status").get_by_text("共找到").wait_for(timeout=240_000)
                shot(page, args.out / f"image_{scheme}.jpg")

                run_tab(page, "模型评估", "eval-file", inputs["labelled"], "eval-btn")
                page.locator("#eval-status").get_by_text("宏平均").wait_for(timeout=240_000)
                page.locator("#eval-rel img").first.wait_for(timeout=30_000)
                shot(page, args.out / f"evaluate_{scheme}.jpg")
                ctx.close()
            browser.close()
    for path in sorted(args.out.glob("*.jpg")):
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


def run_tab(page, tab: str, file_id: str, path: Path, button_id: str) -> None:
    """Open ``tab``, upload ``path`` to its file component and press its button."""
    page.get_by_role("tab", name=tab).click()
    page.locator(f"#{file_id} input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(1500)
    page.locator(f"#{button_id}").click()


def shot(page, path: Path) -> None:
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), type="jpeg", quality=70)


if __name__ == "__main__":
    sys.exit(main())
