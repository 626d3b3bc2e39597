"""新闻编辑部文本分析 — the Gradio app (UI only; the logic lives in :mod:`nlp`).

Tabs: 粘贴分析 (paste a page or an article), 批量处理 (CSV / JSONL / TXT / ZIP files),
图片识别 (OCR a page photo, then analyse), 模型评估 (metrics on a labelled file).

Run ``python app.py`` (host ``HOST`` or 127.0.0.1, port ``PORT`` or 7860). Tests import
``demo`` without launching it. Every event has an ``api_name``, so ``gradio_client`` can call
``/analyze``, ``/ocr``, ``/batch`` and ``/evaluate``.

Queueing: the interactive events (paste, examples) and the heavy ones (batch, evaluate, OCR)
sit in separate concurrency groups. Both still share the models, so the batch and evaluate
tabs call them in small batches as background work (:mod:`nlp.priority`): a pasted page waits
at most for the one model call of a batch already running.

Temporary files: batch and evaluation outputs go to run folders under
``$TMPDIR/newsdesk-app/`` that are deleted after ``RUN_MAX_AGE`` seconds (6 hours, checked at
each new run) and at shutdown (:mod:`nlp.runs`); Gradio's own copies of uploads and downloads
are deleted on the same schedule (``delete_cache``) and when the server stops.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from nlp import batch as nlp_batch
from nlp import feedback as nlp_feedback
from nlp import ocr as nlp_ocr  # imported first: it turns onnxruntime's telemetry off
from nlp import pipeline, priority, runs
from nlp import stages as nlp_stages
from nlp.evaluation import labelled as nlp_labelled
from nlp.labels import DISPLAY_NAMES, LABELS
from nlp.pipeline import MAX_CHARS
from nlp.rows import encode_rows, encode_xlsx
from nlp.types import ArticleResult, InputError, ModelUnavailable

log = logging.getLogger("newsdesk.app")

REPO_ROOT = Path(__file__).resolve().parent
SEEDS_DIR = Path(os.environ.get("NEWSDESK_SEEDS", REPO_ROOT.parent / "shared" / "seeds"))
UPLOAD_TYPES = (".csv", ".jsonl", ".txt", ".zip")
EVAL_TYPES = (".csv", ".jsonl")
PREVIEW_ROWS = 200
BATCH_MODEL_CALL = 4  # articles per model call in the batch tab: a paste waits for one call
RUN_MAX_AGE = runs.DEFAULT_MAX_AGE

MESSAGES = {
    "empty": "请先输入或粘贴要分析的文本。",
    "too_long": f"文本过长，单次最多 {MAX_CHARS:,} 字。整批内容请用“批量处理”上传文件。",
    "binary": "内容看起来不是文字（可能是二进制文件），请检查后重试。",
    "no_articles": "没有找到可分析的文章。",
    "no_file": "请先上传文件。",
    "bad_type": "不支持的文件类型，请上传 {types} 文件。",
    "json": "不支持 JSON 文件：请改存为 JSONL（每行一个 JSON 对象，含 text 字段，或 title 和 body"
    "字段），或 CSV。",
    "no_image": "请先上传图片。",
    "bad_image": "无法读取这张图片，请上传 JPG 或 PNG 格式的照片或扫描件。",
    "no_text_in_image": "图片中没有识别到文字，请换一张更清晰的照片。",
    "no_records": "文件中没有可分析的记录。",
    "internal": "处理时出错，请稍后重试；详细信息已写入服务器日志。",
    "no_model": "模型暂不可用（未能加载），请联系管理员；详细信息已写入服务器日志。",
    "feedback_ok": "已记录：正确领域为“{label}”。谢谢，更正会在审核后用于训练下一版模型。",
    "feedback_bad": "无法记录这条更正（领域无效或文章已过期），请重新分析后再试。",
    "feedback_failed": "更正未能保存（服务器无法写入），请联系管理员。",
}
RECENT = nlp_feedback.RecentArticles()  # the articles shown lately, for their corrections

# Label colours: white text on each keeps a contrast of at least 4.5:1 (checked in the tests).
LABEL_COLOURS = {
    "public_security": "#1d4ed8",
    "civil_affairs": "#be185d",
    "water_management": "#0e7490",
    "agri_insurance": "#4d7c0f",
    "disability_employment": "#7e22ce",
    "other": "#4b5563",
}

# Colours come from Gradio's theme variables, so cards follow the light and the dark theme;
# the few fixed pairs (badges, highlights) set both their text and their background.
CARD_CSS = """
.nd-card { --nd-subdued: #4b5563; }
.nd-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 14px 18px; margin: 12px 0; background: var(--background-fill-primary);
  color: var(--body-text-color); }
.nd-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between;
  gap: 6px; }
.nd-card h3 { margin: 0 0 6px 0; font-size: 1.15em; color: var(--body-text-color); }
.nd-tools { display: flex; flex-wrap: wrap; gap: 4px; }
.nd-btn { font-size: 0.8em; padding: 1px 8px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); text-decoration: none; line-height: 1.6; }
.nd-btn:hover { border-color: var(--color-accent); }
.nd-meta { color: var(--nd-subdued); font-size: 0.85em; margin-bottom: 8px; }
.nd-label { display: inline-block; color: #fff; border-radius: 6px; padding: 2px 10px;
  font-weight: 600; margin-right: 8px; }
.nd-second { display: inline-block; border-radius: 6px; padding: 1px 8px; margin-left: 6px;
  font-size: 0.85em; border: 2px solid; color: var(--body-text-color); }
.nd-low { display: inline-block; background: #fef3c7; color: #92400e; border-radius: 6px;
  padding: 2px 8px; font-size: 0.85em; }
.nd-partial { display: inline-block; background: #e0f2fe; color: #075985; border-radius: 6px;
  padding: 0 6px; margin-left: 6px; font-size: 0.85em; }
.nd-bars { margin: 10px 0; }
.nd-bar { display: flex; align-items: center; gap: 8px; font-size: 0.85em; margin: 2px 0; }
.nd-bar-name { width: 6em; text-align: right; }
.nd-bar-track { flex: 1; background: var(--background-fill-secondary); border-radius: 4px;
  height: 10px; max-width: 320px; border: 1px solid var(--border-color-primary); }
.nd-bar-fill { height: 10px; border-radius: 4px; }
.nd-bar-value { width: 3.5em; }
.nd-summary { margin: 8px 0; }
.nd-kw { display: inline-block; background: #eef2ff; color: #3730a3; border-radius: 12px;
  padding: 1px 9px; margin: 2px 3px; font-size: 0.85em; }
.nd-body { white-space: pre-wrap; line-height: 1.7; }
.nd-body mark { background: #fde68a; color: #1f2937; padding: 0 1px; }
.nd-fb { margin-top: 8px; font-size: 0.9em; }
.nd-fb select, .nd-fb input { background: var(--input-background-fill);
  color: var(--body-text-color); border: 1px solid var(--border-color-primary);
  border-radius: 6px; padding: 2px 6px; margin: 4px 4px 4px 0; }
.nd-fb input { width: 18em; }
.nd-fb-status { margin-left: 6px; color: var(--nd-subdued); }
.nd-empty { color: var(--body-text-color); }
"""

# Page-level CSS (a component's css_template is scoped to it, so it cannot see the `dark`
# class Gradio puts on <body>): the one colour of the cards without a theme variable.
PAGE_CSS = """
body.dark .nd-card { --nd-subdued: #d1d5db !important; }
"""

# The cards' buttons (event delegation, so it survives every re-render): copy to the
# clipboard (with a fallback where the page is not a secure context), and send a correction
# to the server function feedback_from_card.
CARD_JS = """
const copyText = async (text) => {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (e) {}
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (e) {}
  area.remove();
  return ok;
};
element.addEventListener('click', async (ev) => {
  const copy = ev.target.closest('[data-copy-text]');
  if (copy && element.contains(copy)) {
    ev.preventDefault();
    const ok = await copyText(copy.dataset.copyText);
    const label = copy.dataset.name || copy.textContent;
    copy.dataset.name = label;
    copy.textContent = ok ? '已复制' : '复制失败，请手动选择';
    setTimeout(() => { copy.textContent = label; }, 1500);
    return;
  }
  const send = ev.target.closest('.nd-fb-send');
  if (send && element.contains(send)) {
    ev.preventDefault();
    const card = send.closest('.nd-card');
    const box = send.closest('.nd-fb');
    const status = box.querySelector('.nd-fb-status');
    const label = box.querySelector('.nd-fb-label').value;
    const note = box.querySelector('.nd-fb-note').value;
    if (!label) { status.textContent = '请先选择正确的领域。'; return; }
    send.disabled = true;
    status.textContent = '正在提交…';
    try {
      status.textContent = await server.feedback_from_card({key: card.dataset.key, label, note});
    } catch (e) {
      status.textContent = '提交失败，请稍后重试。';
    } finally {
      send.disabled = false;
    }
  }
});
"""

# Ctrl+Enter (⌘+Enter) in a text box runs its analysis button.
KEYBOARD_JS = """
() => {
  const targets = {'paste-text': 'analyze-btn', 'ocr-text': 'reanalyze-btn'};
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' || !(ev.ctrlKey || ev.metaKey)) return;
    for (const [box, button] of Object.entries(targets)) {
      const area = document.getElementById(box);
      if (area && area.contains(ev.target)) {
        ev.preventDefault();
        const target = document.getElementById(button);
        (target && target.querySelector('button') || target)?.click();
        return;
      }
    }
  });
}
"""

# --------------------------------------------------------------------------- rendering


def highlight(text: str, phrases: list[str]) -> str:
    """HTML-escaped ``text`` with every occurrence of ``phrases`` wrapped in ``<mark>``."""
    spans = []
    for phrase in {p.strip() for p in phrases if p and p.strip()}:
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + len(phrase))
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out, pos = [], 0
    for lo, hi in merged:
        out.append(html.escape(text[pos:lo]))
        out.append(f"<mark>{html.escape(text[lo:hi])}</mark>")
        pos = hi
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _name(label: str) -> str:
    return DISPLAY_NAMES.get(label, label)


def coverage_note(result: ArticleResult) -> str:
    """``分类只读了全文的 N%…`` when the classifier read only part of a long article, else ``""``."""
    cls = result.classification
    if not 0 < cls.tokens_read < cls.tokens_total:
        return ""
    share = cls.tokens_read / cls.tokens_total
    return f"分类只读了全文的 {share * 100:.0f}%（{cls.tokens_read} / {cls.tokens_total} 词元）"


def card_text(result: ArticleResult) -> str:
    """The whole card as plain text (the 复制全文卡片 button and the Markdown download)."""
    return card_markdown(result, markdown=False)


def card_markdown(result: ArticleResult, markdown: bool = True) -> str:
    """One article's card as Markdown (or plain text): headline, label, summary, body."""
    art, cls, summ = result.article, result.classification, result.summary
    h = "# " if markdown else ""
    b = "**" if markdown else ""
    lines = [f"{h}{art.title.strip() or '（无标题）'}", ""]
    if art.byline:
        lines += [art.byline, ""]
    label = f"{b}领域：{b}{_name(cls.label)}（置信度 {cls.confidence * 100:.1f}%）"
    if cls.secondary:
        label += f"；次要领域：{_name(cls.secondary)}（{cls.secondary_score * 100:.0f}%）"
    lines.append(label)
    if cls.low_confidence:
        lines.append("低置信度，建议人工复核")
    if coverage_note(result):
        lines.append(coverage_note(result))
    lines += ["", f"{b}摘要：{b}{summ.summary or '（无）'}"]
    if summ.key_sentences:
        lines += ["", f"{b}关键句：{b}"] + [
            f"{i}. {s}" for i, s in enumerate(summ.key_sentences, 1)
        ]
    if summ.keywords:
        lines += ["", f"{b}关键词：{b}{'、'.join(summ.keywords)}"]
    if art.captions:
        lines += ["", f"{b}图片说明：{b}"] + [f"- {c}" for c in art.captions]
    lines += ["", f"{b}正文：{b}", "", art.body]
    if art.original_body:
        lines += [
            "",
            f"{b}原文（繁体）：{b}",
            "",
            art.original_title or art.title,
            art.original_body,
        ]
    return "\n".join(lines).strip() + "\n"


def _copy_button(label: str, text: str, kind: str) -> str:
    return (
        f'<button type="button" class="nd-btn nd-copy" data-copy="{kind}" '
        f'data-copy-text="{html.escape(text, quote=True)}">{label}</button>'
    )


def _download_name(result: ArticleResult) -> str:
    title = "".join(ch for ch in result.article.title if ch not in '\\/:*?"<>|\n\r\t')[:30]
    return f"第{result.article.index + 1}篇_{title or '无标题'}.md"


def render_card(result: ArticleResult, key: str = "") -> str:
    """One article as an HTML card: headline, tools, domain, bars, summary, keywords, body,
    and the 标注有误 form (``key``: the article's text hash, sent with a correction)."""
    art, cls, summ = result.article, result.classification, result.summary
    esc = html.escape
    title = art.title.strip() or "（无标题）"
    colour = LABEL_COLOURS.get(cls.label, "#4b5563")
    bars = []
    for label in sorted(LABELS, key=lambda lb: -cls.scores.get(lb, 0.0)):
        p = float(cls.scores.get(label, 0.0))
        bars.append(
            f'<div class="nd-bar"><span class="nd-bar-name">{esc(DISPLAY_NAMES[label])}</span>'
            f'<div class="nd-bar-track"><div class="nd-bar-fill" style="width:{p * 100:.1f}%;'
            f'background:{LABEL_COLOURS[label]}"></div></div>'
            f'<span class="nd-bar-value">{p * 100:.1f}%</span></div>'
        )
    notes = '<span class="nd-low">低置信度，建议人工复核</span>' if cls.low_confidence else ""
    if coverage_note(result):
        notes += f'<span class="nd-partial">{esc(coverage_note(result))}：开头和结尾</span>'
    second = ""
    if cls.secondary:
        second = (
            f'<span class="nd-second" data-secondary="{esc(cls.secondary)}" '
            f'style="border-color:{LABEL_COLOURS.get(cls.secondary, "#4b5563")}">'
            f"次要领域：{esc(_name(cls.secondary))} {cls.secondary_score * 100:.0f}%</span>"
        )
    meta = [f"第 {art.index + 1} 篇"]
    if art.byline:
        meta.append(esc(art.byline))
    original = ""
    if art.original_body or art.original_title:
        meta.append("原文为繁体字，已转为简体分析")
        original = (
            '<details class="nd-original"><summary>原文（繁体）</summary>'
            f'<div class="nd-body"><b>{esc(art.original_title or art.title)}</b>\n'
            f"{esc(art.original_body or art.body)}</div></details>"
        )
    key_sentences = "".join(f"<li>{esc(s)}</li>" for s in summ.key_sentences)
    keywords = "".join(f'<span class="nd-kw">{esc(k)}</span>' for k in summ.keywords)
    captions = "".join(f"<li>{esc(c)}</li>" for c in art.captions)
    markdown = card_markdown(result)
    tools = (
        _copy_button("复制摘要", summ.summary or "", "summary")
        + (
            _copy_button("复制关键词", "、".join(summ.keywords), "keywords")
            if summ.keywords
            else ""
        )
        + _copy_button("复制卡片", card_text(result), "card")
        + f'<a class="nd-btn nd-md" download="{esc(_download_name(result))}" '
        f'href="data:text/markdown;charset=utf-8,{quote(markdown)}">下载 Markdown</a>'
    )
    options = "".join(
        f'<option value="{lb}">{esc(DISPLAY_NAMES[lb])}</option>'
        for lb in LABELS
        if lb != cls.label
    )
    feedback = (
        '<details class="nd-fb"><summary>标注有误？</summary>'
        '<select class="nd-fb-label" aria-label="正确的领域">'
        f'<option value="">选择正确的领域…</option>{options}</select>'
        '<input class="nd-fb-note" maxlength="500" placeholder="备注（可选）" aria-label="备注">'
        '<button type="button" class="nd-btn nd-fb-send">提交更正</button>'
        '<span class="nd-fb-status" role="status"></span></details>'
    )
    return (
        f'<div class="nd-card" data-label="{esc(cls.label)}" data-index="{art.index}" '
        f'data-key="{esc(key)}">'
        f'<div class="nd-head"><h3 class="nd-title">{esc(title)}</h3>'
        f'<div class="nd-tools">{tools}</div></div>'
        f'<div class="nd-meta">{" · ".join(meta)}</div>'
        f'<div><span class="nd-label" style="background:{colour}">'
        f"{esc(_name(cls.label))}</span>"
        f"置信度 {cls.confidence * 100:.1f}% {second}{notes}</div>"
        f'<div class="nd-bars">{"".join(bars)}</div>'
        f'<div class="nd-summary"><b>摘要：</b><span class="nd-summary-text">'
        f"{esc(summ.summary or '（无）')}</span></div>"
        + (f"<div><b>关键句：</b><ol>{key_sentences}</ol></div>" if key_sentences else "")
        + (f"<div><b>关键词：</b>{keywords}</div>" if keywords else "")
        + (f"<div><b>图片说明：</b><ul>{captions}</ul></div>" if captions else "")
        + "<details><summary>正文（黄色为判定依据句）</summary>"
        f'<div class="nd-body">{highlight(art.body, cls.evidence)}</div></details>'
        f"{original}{feedback}</div>"
    )


def render_results(results: list[ArticleResult]) -> str:
    """All article cards, or a short note when there are none. Each article shown is kept
    (by text hash, a bounded number) so that a correction of its label can be trained on."""
    if not results:
        return f'<p class="nd-empty">{MESSAGES["no_articles"]}</p>'
    version = model_version()
    cards = []
    for r in results:
        key = RECENT.add(r.article.title, r.article.body, r.classification.to_dict(), version)
        cards.append(render_card(r, key))
    return "".join(cards)


def model_version() -> str:
    """The loaded classifier's version (``""`` before one is loaded)."""
    model = pipeline.loaded_model("classifier")
    return getattr(model, "version", "") if model is not None else ""


def record_feedback(key: str, label: str, note: str = "") -> str:
    """The cards' 标注有误 form: append the user's label to the feedback file; the message."""
    try:
        nlp_feedback.record_correction(
            str(key or ""), str(label or ""), str(note or ""), recent=RECENT,
            model_version=model_version(),
        )  # fmt: skip
    except ValueError as exc:
        log.info("feedback refused: %s", exc)
        return MESSAGES["feedback_bad"]
    except OSError:
        log.exception("feedback not written")
        return MESSAGES["feedback_failed"]
    return MESSAGES["feedback_ok"].format(label=DISPLAY_NAMES.get(label, label))


def feedback_from_card(payload) -> str:
    """The cards' server function (Gradio passes the one value the page sends): a
    ``{"key", "label", "note"}`` object from the 标注有误 form; the message to show."""
    if isinstance(payload, list | tuple):
        payload = dict(zip(("key", "label", "note"), payload, strict=False))
    if not isinstance(payload, dict):
        return MESSAGES["feedback_bad"]
    return record_feedback(
        payload.get("key", ""), payload.get("label", ""), payload.get("note", "")
    )


def export_results(results: list[dict] | None) -> tuple[str | None, str | None]:
    """The downloads of a paste or an image: its results (the JSON output's dicts) as
    ``.xlsx`` and as CSV with a BOM, the rows and columns of ``python -m nlp analyze``."""
    if not results:
        return None, None
    out_dir = runs.new_run_dir("paste", RUN_MAX_AGE)
    rows = nlp_stages.analyze_rows("paste", results)
    fields = nlp_batch.fields_of("analyze")
    xlsx = out_dir / "分析结果.xlsx"
    xlsx.write_bytes(encode_xlsx(rows, fields))
    csv_path = out_dir / "分析结果.csv"
    csv_path.write_bytes(encode_rows(rows, "csv", fields, header=True))
    return str(xlsx), str(csv_path)


def results_table(results: list[ArticleResult]) -> list[list]:
    """One summary row per article for the overview table."""
    return [
        [
            r.article.index + 1,
            r.article.title or "（无标题）",
            DISPLAY_NAMES.get(r.classification.label, r.classification.label),
            round(r.classification.confidence, 3),
            "是" if r.classification.low_confidence else "",
            r.summary.summary,
        ]
        for r in results
    ]


TABLE_HEADERS = ["序号", "标题", "领域", "置信度", "低置信", "摘要"]
PREVIEW_HEADERS = ["记录", "序号", "标题", "领域", "置信度", "摘要", "错误"]

# --------------------------------------------------------------------------- examples


@lru_cache(maxsize=1)
def seed_page() -> str | None:
    """The shared seed newspaper page, if ``../shared/seeds`` is there."""
    pages = sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []
    return pages[0].read_text(encoding="utf-8", errors="replace") if pages else None


@lru_cache(maxsize=1)
def seed_articles() -> tuple[str, ...]:
    """Two articles of the seed page, as the segmenter finds them (headline + body)."""
    page = seed_page()
    if not page:
        return ()
    articles = [a for a in pipeline.split_articles(page) if a.title and len(a.body) > 80]
    return tuple(a.text for a in articles[:2])


def load_example(which: int) -> tuple[str, bool]:
    """Text and "segment" flag of an example: 0 = the whole page, 1/2 = single articles."""
    if which == 0:
        return seed_page() or "", True
    articles = seed_articles()
    if which - 1 < len(articles):
        return articles[which - 1], False
    gr.Warning("示例文章不可用。")
    return "", False


# --------------------------------------------------------------------------- handlers


def _fail(message: str) -> str:
    gr.Warning(message, title="提示")
    return f"⚠️ {message}"


def analyze_text(text: str, segment: bool = True, line_sizes: list[float] | None = None):
    """Paste tab: status, article cards, overview table and the results as JSON
    (``line_sizes``: the print sizes an image's OCR gave, for the segmenter)."""
    start = time.perf_counter()
    try:
        with priority.foreground():
            results = pipeline.analyze(text or "", segment=bool(segment), line_sizes=line_sizes)
    except InputError as exc:
        return _fail(MESSAGES.get(exc.code, MESSAGES["internal"])), "", [], []
    except ModelUnavailable:
        log.exception("model unavailable")
        return _fail(MESSAGES["no_model"]), "", [], []
    except Exception:  # noqa: BLE001 - the user gets a message, the log gets the trace
        log.exception("analyze failed")
        return _fail(MESSAGES["internal"]), "", [], []
    seconds = time.perf_counter() - start
    if not results:
        return _fail(MESSAGES["no_articles"]), render_results([]), [], []
    status = f"共找到 **{len(results)}** 篇文章，用时 {seconds:.1f} 秒。"
    low = sum(r.classification.low_confidence for r in results)
    if low:
        status += f" 其中 {low} 篇置信度较低，建议人工复核。"
    return (
        status,
        render_results(results),
        results_table(results),
        [r.to_dict() for r in results],
    )


def ocr_and_analyze(image, segment: bool = True):
    """Image tab: recognised text, then the same outputs as :func:`analyze_text`."""
    if image is None:
        return "", _fail(MESSAGES["no_image"]), "", [], []
    try:
        page = nlp_ocr.ocr_page(image)
    except ValueError:
        return "", _fail(MESSAGES["bad_image"]), "", [], []
    except Exception:  # noqa: BLE001
        log.exception("ocr failed")
        return "", _fail(MESSAGES["internal"]), "", [], []
    if not page.text.strip():
        return "", _fail(MESSAGES["no_text_in_image"]), "", [], []
    return (page.text, *analyze_text(page.text, segment, page.line_sizes))


def _check_upload(path: str | None, allowed: tuple[str, ...]) -> str | None:
    """A Chinese message if the upload is missing or of the wrong type, else ``None``."""
    if not path:
        return MESSAGES["no_file"]
    if Path(path).suffix.lower() == ".json":
        return MESSAGES["json"]
    if Path(path).suffix.lower() not in allowed:
        return MESSAGES["bad_type"].format(types=" / ".join(t.lstrip(".").upper() for t in allowed))
    return None


def run_batch_file(path: str | None, segment: bool = True, progress=gr.Progress()):  # noqa: B008
    """Batch tab: status, preview table, CSV and JSONL downloads, label distribution, and
    the Excel download (last, so the first five outputs keep their order)."""
    empty = ([], None, None, None, None)
    problem = _check_upload(path, UPLOAD_TYPES)
    if problem:
        return (_fail(problem), *empty)
    out_dir = runs.new_run_dir("batch", RUN_MAX_AGE)
    stem = Path(path).stem[:60] or "batch"
    jsonl = out_dir / f"{stem}_分析结果.jsonl"

    def report(done: int, total: int | None, stats) -> None:  # after each written record
        of = f" / {total}" if total else ""
        progress(
            (done, total),
            desc=f"已分析 {stats.articles} 篇文章（{done}{of} 条记录）",
            unit="条记录",
        )

    progress(None, desc="读取文件…")
    try:
        config = nlp_batch.BatchConfig(
            inputs=[path],
            output=jsonl,
            segment=bool(segment),
            batch_size=BATCH_MODEL_CALL,
            source_root=Path(path).parent,  # the upload's own name, not the server's copy
        )
        with priority.background():
            stats = nlp_batch.run_batch(config, progress=report)
    except ModelUnavailable:
        log.exception("model unavailable")
        return (_fail(MESSAGES["no_model"]), *empty)
    except (ValueError, UnicodeDecodeError) as exc:
        log.info("batch upload refused: %s", exc)
        return (_fail(f"无法读取文件：{exc}"), *empty)
    except Exception:  # noqa: BLE001
        log.exception("batch failed")
        return (_fail(MESSAGES["internal"]), *empty)
    rows = nlp_batch.read_output(jsonl)
    if not stats.articles:
        first = next((r["error"] for r in rows if r.get("error")), "")
        detail = f"（{stats.errors} 条记录出错，例如：{first}）" if first else ""
        return (_fail(MESSAGES["no_records"] + detail), *empty)
    csv_path = nlp_batch.jsonl_to_csv(jsonl, out_dir / f"{stem}_分析结果.csv")
    xlsx_path = nlp_batch.jsonl_to_xlsx(jsonl, out_dir / f"{stem}_分析结果.xlsx")
    preview = [
        [
            r["record_id"],
            (r["index"] or 0) + 1,
            r.get("title") or "",
            r.get("label_name") or "",
            round(r["confidence"], 3) if r.get("confidence") is not None else None,
            r.get("summary") or "",
            r.get("error") or "",
        ]
        for r in rows[:PREVIEW_ROWS]
    ]
    counts = nlp_batch.label_counts(rows)
    import pandas as pd

    chart = pd.DataFrame(
        {"领域": [DISPLAY_NAMES[lb] for lb in counts], "篇数": list(counts.values())}
    )
    status = (
        f"完成：{stats.records} 条记录，{stats.articles} 篇文章，{stats.errors} 条出错，"
        f"用时 {stats.seconds:.1f} 秒（{stats.articles_per_s:.1f} 篇/秒）。"
    )
    if len(rows) > PREVIEW_ROWS:
        status += f" 下表只显示前 {PREVIEW_ROWS} 行，完整结果请下载。"
    top = max(counts.values()) if counts else 0
    chart_update = gr.update(value=chart, y_lim=[0, max(1, top)])  # the axis starts at 0
    return status, preview, str(csv_path), str(jsonl), chart_update, str(xlsx_path)


SUMMARY_ROWS = (
    ("rouge1", "ROUGE-1（字）"),
    ("rouge2", "ROUGE-2（字）"),
    ("rougeL", "ROUGE-L（字）"),
    ("mean_chars", "平均字数"),
    ("defect_invented", "含原文没有的人名/地名/机构/数字"),
    ("defect_scope", "范围词与原文不符（全国/全省/全市…）"),
    ("defect_repeated", "有重复片段"),
    ("defect_empty", "空摘要"),
    ("defect_length", "长度不在 8–30 字"),
    ("defect_dateline", "含电头或署名"),
    ("defect_any", "至少一项问题"),
)


def summary_table(metrics: dict) -> list[list]:
    """The Evaluate tab's summary rows: ROUGE (0–100, with its interval) and defect shares."""
    rows = []
    for key, name in SUMMARY_ROWS:
        value = metrics.get(key)
        if value is None:
            continue
        if key == "rougeL" and metrics.get("rougeL_ci95_low") is not None:
            shown = f"{value:.1f}（95% 区间 {metrics['rougeL_ci95_low']:.1f}–"
            shown += f"{metrics['rougeL_ci95_high']:.1f}）"
        elif key.startswith("rouge"):
            shown = f"{value:.1f}"
        elif key == "mean_chars":
            shown = f"{value:.1f}"
        else:
            shown = f"{value * 100:.1f}%"
        rows.append([name, shown])
    return rows


def evaluate_file(path: str | None):
    """Evaluate tab: status, per-class table, confusion matrix, reliability diagram (for a
    file with labels) and the summary table (for a file with a summary or headline column)."""
    empty = ([], None, None, [])
    problem = _check_upload(path, EVAL_TYPES)
    if problem:
        return _fail(problem), *empty
    out_dir = runs.new_run_dir("eval", RUN_MAX_AGE)
    report = summaries = None
    try:
        with priority.background():
            has_summaries = nlp_labelled.has_summary_columns(path)
            try:
                report = nlp_labelled.evaluate_file(path, out_dir=out_dir)
            except ValueError:
                if not has_summaries:
                    raise
            if has_summaries:
                summaries = nlp_labelled.evaluate_summary_file(path)
    except ModelUnavailable:
        log.exception("model unavailable")
        return _fail(MESSAGES["no_model"]), *empty
    except ValueError as exc:
        return _fail(f"无法评估：{exc}"), *empty
    except Exception:  # noqa: BLE001
        log.exception("evaluate failed")
        return _fail(MESSAGES["internal"]), *empty
    parts, per_class = [], []
    if report is not None:
        m = report.metrics
        parts.append(
            f"分类：共 {m['n']} 篇，准确率 **{m['accuracy']:.3f}**，宏平均 F1 **{m['macro_f1']:.3f}**"
            f"（按出现过的 {len(m['macro_f1_labels'])} 个类别平均），"
            f"校准误差 ECE **{m['ece']:.3f}**（见可靠性图：柱高是各置信度区间的实际准确率）。"
        )
        if report.skipped:
            parts.append(f"另有 {report.skipped} 行因缺少文本或标签无效被跳过。")
        per_class = [
            [
                DISPLAY_NAMES[label],
                round(pc["precision"], 3),
                round(pc["recall"], 3),
                round(pc["f1"], 3),
                pc["support"],
            ]
            for label, pc in m["per_class"].items()
        ]
    table = []
    if summaries is not None:
        sm = summaries.metrics
        whose = "文件中 summary 列的摘要" if summaries.scored == "given" else "模型生成的摘要"
        ref = (
            "与标题（headline/title）比较"
            if summaries.has_reference
            else "文件中没有参考标题，只做质量检查"
        )
        parts.append(f"摘要：{sm['n']} 篇，评估{whose}，{ref}。")
        table = summary_table(sm)
    png = str(report.confusion_png) if report is not None and report.confusion_png else None
    rel = str(report.reliability_png) if report is not None and report.reliability_png else None
    return " ".join(parts), per_class, png, rel, table


# --------------------------------------------------------------------------- layout


def tolerant_image(component: gr.Image) -> gr.Image:
    """Make ``component`` pass an upload PIL cannot open to the handler as its path, so the
    user reads the app's own message (无法读取这张图片) instead of Gradio's generic error."""
    preprocess = component.preprocess

    def preprocess_or_path(payload):
        try:
            return preprocess(payload)
        except (OSError, ValueError):  # PIL.UnidentifiedImageError is an OSError
            return payload.path if payload is not None else None

    component.preprocess = preprocess_or_path
    return component


def card_outputs(tab: str) -> tuple[gr.HTML, gr.File, gr.File]:
    """The article cards of a tab (with their buttons and the correction form's server
    function) and its Excel and CSV downloads."""
    cards = gr.HTML(
        css_template=CARD_CSS,
        js_on_load=CARD_JS,
        server_functions=[feedback_from_card],
        elem_id=f"{tab}-cards",
    )
    with gr.Row():
        xlsx = gr.File(label="下载 Excel", interactive=False, elem_id=f"{tab}-xlsx")
        csv_file = gr.File(label="下载 CSV", interactive=False, elem_id=f"{tab}-csv")
    return cards, xlsx, csv_file


with gr.Blocks(
    title="新闻文本分析",
    analytics_enabled=False,
    delete_cache=(3600, int(RUN_MAX_AGE)),
) as demo:
    gr.Markdown(
        "# 新闻文本分析\n"
        "把报纸版面切分成文章，判断每篇文章的领域（公安、民政、水利、农业保险、残疾人就业、"
        "其他），并生成摘要、关键句和关键词。"
    )
    if pipeline.models_are_fake():
        gr.Markdown(
            "⚠️ **测试模式**：当前使用关键词假模型（NEWSDESK_FAKE_MODELS=1），结果不代表真实模型。"
        )

    with gr.Tab("粘贴分析"):
        with gr.Row():
            with gr.Column(scale=3):
                text_in = gr.Textbox(
                    label="报纸版面或文章文本",
                    placeholder="把整版报纸或单篇文章粘贴到这里……",
                    lines=14,
                    max_lines=30,
                    elem_id="paste-text",
                )
                segment_in = gr.Checkbox(value=True, label="自动切分成多篇文章")
                analyze_btn = gr.Button(
                    "分析（Ctrl+Enter）", variant="primary", elem_id="analyze-btn"
                )
            with gr.Column(scale=1, min_width=200):
                gr.Markdown("**示例**")
                has_seed = seed_page() is not None
                ex_page = gr.Button("整版报纸", size="sm", visible=has_seed)
                ex_one = gr.Button("单篇文章一", size="sm", visible=has_seed)
                ex_two = gr.Button("单篇文章二", size="sm", visible=has_seed)
                if not has_seed:
                    gr.Markdown("（未找到示例版面 shared/seeds）")
        paste_status = gr.Markdown(elem_id="paste-status")
        paste_cards, paste_xlsx, paste_csv = card_outputs("paste")
        with gr.Accordion("结果一览", open=False):
            paste_table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, wrap=True)
        with gr.Accordion("JSON 结果", open=False):
            paste_json = gr.JSON()

    with gr.Tab("批量处理"):
        gr.Markdown(
            "上传 CSV（`text` 列，或 `title` + `body` 列）、JSONL、TXT，或装有多个 TXT 的 ZIP。"
        )
        with gr.Row():
            batch_file = gr.File(
                label="上传文件", file_types=list(UPLOAD_TYPES), elem_id="batch-file"
            )
            with gr.Column():
                batch_segment = gr.Checkbox(value=True, label="每条记录先切分成多篇文章")
                batch_btn = gr.Button("开始处理", variant="primary", elem_id="batch-btn")
        batch_status = gr.Markdown(elem_id="batch-status")
        with gr.Row():
            batch_xlsx = gr.File(label="下载 Excel", interactive=False, elem_id="batch-xlsx")
            batch_csv = gr.File(label="下载 CSV", interactive=False, elem_id="batch-csv")
            batch_jsonl = gr.File(label="下载 JSONL", interactive=False, elem_id="batch-jsonl")
        batch_chart = gr.BarPlot(
            x="领域",
            y="篇数",
            title="领域分布",
            sort=[DISPLAY_NAMES[lb] for lb in LABELS],
            y_lim=[0, 1],
            elem_id="batch-chart",
        )
        batch_preview = gr.Dataframe(headers=PREVIEW_HEADERS, interactive=False, wrap=True)

    with gr.Tab("图片识别"):
        with gr.Row():
            image_in = tolerant_image(
                gr.Image(
                    label="上传版面照片或扫描件",
                    type="pil",
                    sources=["upload"],
                    elem_id="ocr-image",
                )
            )
            with gr.Column():
                ocr_segment = gr.Checkbox(value=True, label="自动切分成多篇文章")
                ocr_btn = gr.Button("识别并分析", variant="primary", elem_id="ocr-btn")
                ocr_text = gr.Textbox(
                    label="识别出的文字（可修改后重新分析）", lines=10, elem_id="ocr-text"
                )
                reanalyze_btn = gr.Button("分析修改后的文字", elem_id="reanalyze-btn")
        ocr_status = gr.Markdown(elem_id="ocr-status")
        ocr_cards, ocr_xlsx, ocr_csv = card_outputs("ocr")
        with gr.Accordion("结果一览", open=False):
            ocr_table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, wrap=True)
        ocr_json = gr.JSON(visible=False)

    with gr.Tab("模型评估"):
        gr.Markdown(
            "上传带标签的 JSONL 或 CSV：文本在 `text` 列（或 `title` + `body`），标签在 `label` 列"
            "（标签 id 如 `public_security`，或中文名如“公安”）：给出分类指标、混淆矩阵和校准"
            "（ECE、可靠性图）。文件有 `summary` 列（例如批量处理的结果）或 `headline` 列时，"
            "还给出摘要指标：与标题比较的 ROUGE，以及虚构名称、重复、长度、电头等问题的比例。"
        )
        eval_file = gr.File(label="上传标注文件", file_types=list(EVAL_TYPES), elem_id="eval-file")
        eval_btn = gr.Button("评估", variant="primary", elem_id="eval-btn")
        eval_status = gr.Markdown(elem_id="eval-status")
        with gr.Row():
            eval_table = gr.Dataframe(
                headers=["领域", "精确率", "召回率", "F1", "篇数"], interactive=False
            )
            eval_summary = gr.Dataframe(
                headers=["摘要指标", "数值"], interactive=False, elem_id="eval-summary"
            )
        with gr.Row():
            eval_image = gr.Image(label="混淆矩阵", type="filepath", interactive=False)
            eval_reliability = gr.Image(
                label="可靠性图（校准）", type="filepath", interactive=False, elem_id="eval-rel"
            )

    paste_outputs = [paste_status, paste_cards, paste_table, paste_json]
    analyze_btn.click(
        analyze_text,
        [text_in, segment_in],
        paste_outputs,
        api_name="analyze",
        concurrency_id="interactive",
        concurrency_limit=2,
    ).then(export_results, paste_json, [paste_xlsx, paste_csv], api_name="export", queue=False)
    for i, button in enumerate((ex_page, ex_one, ex_two)):
        button.click(
            lambda i=i: load_example(i),
            None,
            [text_in, segment_in],
            api_name=f"example_{i}",
            queue=False,
        )
    ocr_btn.click(
        ocr_and_analyze,
        [image_in, ocr_segment],
        [ocr_text, ocr_status, ocr_cards, ocr_table, ocr_json],
        api_name="ocr",
        concurrency_id="ocr",
        concurrency_limit=1,
    ).then(export_results, ocr_json, [ocr_xlsx, ocr_csv], api_name="export_ocr", queue=False)
    reanalyze_btn.click(
        analyze_text,
        [ocr_text, ocr_segment],
        [ocr_status, ocr_cards, ocr_table, ocr_json],
        api_name="analyze_ocr_text",
        concurrency_id="interactive",
        concurrency_limit=2,
    ).then(export_results, ocr_json, [ocr_xlsx, ocr_csv], api_name="export_ocr_text", queue=False)
    batch_btn.click(
        run_batch_file,
        [batch_file, batch_segment],
        [batch_status, batch_preview, batch_csv, batch_jsonl, batch_chart, batch_xlsx],
        api_name="batch",
        concurrency_id="batch",
        concurrency_limit=1,
    )
    eval_btn.click(
        evaluate_file,
        [eval_file],
        [eval_status, eval_table, eval_image, eval_reliability, eval_summary],
        api_name="evaluate",
        concurrency_id="evaluate",
        concurrency_limit=1,
    )

demo.queue(max_size=256, default_concurrency_limit=1)


def _warm_up() -> None:
    try:
        pipeline.warm_up()
    except Exception:  # noqa: BLE001 - the app still serves; requests report the error
        log.exception("model warm-up failed; requests will retry loading")
    else:
        log.info("models loaded and warmed up")


def main() -> None:
    """Serve on ``HOST``:``PORT`` (default 127.0.0.1:7860) while the models load.

    The page is up in seconds; the models load in a background thread meanwhile, and a paste
    sent before they are ready waits for them (the model cache's lock), so it costs the
    first paste nothing it would not have cost at start-up."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    atexit.register(runs.clean_own_runs)
    demo.launch(
        server_name=os.environ.get("HOST", "127.0.0.1"),
        server_port=int(os.environ.get("PORT", "7860")),
        max_file_size="100mb",
        show_error=False,
        js=KEYBOARD_JS,
        css=PAGE_CSS,
    )


if __name__ == "__main__":
    main()
