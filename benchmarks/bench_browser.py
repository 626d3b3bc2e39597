"""The seed page from click to cards in a real browser, against the same request through
``gradio_client``, on one app with warm models, in one run.

Starts ``app.py`` (real models), waits until its log says the models are loaded, then
``--clicks`` times: a fresh Chromium page (Debian's, driven by Playwright, as in
``tests/test_browser.py``) loads the seed page with its example button and clicks 分析; the
seconds until the first card shows, and the pipeline's own seconds from the status line. Then
as many ``/analyze`` calls through ``gradio_client``. Run from the repository root::

    python -m benchmarks.bench_browser [--clicks 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from nlp import paths
from tests.appserver import AppProcess
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _paste_seed_and_analyse

_SECONDS = re.compile(r"用时 ([0-9.]+) 秒")


def _wait_for_models(app: AppProcess, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while "models loaded" not in app.log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not finish loading its models")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clicks", type=int, default=3)
    args = ap.parse_args(argv)
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    page_text = paths.seed_page().read_text(encoding="utf-8")
    browser_s, browser_app_s, client_s, client_app_s = [], [], [], []
    with AppProcess(fake=False, timeout=900) as app:
        _wait_for_models(app)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for _ in range(args.clicks):
                page = b.new_page()
                seconds, _cards = _paste_seed_and_analyse(page, app.url, 300_000)
                status = page.locator("#paste-status").inner_text()
                browser_s.append(seconds)
                browser_app_s.append(float(_SECONDS.search(status).group(1)))
                page.close()
            b.close()
        client = Client(app.url, verbose=False)
        client.predict(page_text, True, api_name="/analyze")  # this client's first call
        for _ in range(args.clicks):
            t0 = time.perf_counter()
            status, *_ = client.predict(page_text, True, api_name="/analyze")
            client_s.append(time.perf_counter() - t0)
            client_app_s.append(float(_SECONDS.search(str(status)).group(1)))
    med = statistics.median
    print(f"seed page, warm models, median of {args.clicks}:")
    print("| from | to the result (s) | pipeline, as the app reports it (s) |")
    print("|---|---:|---:|")
    print(f"| Chromium click → first card | {med(browser_s):.2f} | {med(browser_app_s):.1f} |")
    print(f"| gradio_client /analyze | {med(client_s):.2f} | {med(client_app_s):.1f} |")
    return {"browser": browser_s, "browser_app": browser_app_s, "client": client_s}


if __name__ == "__main__":
    main()
