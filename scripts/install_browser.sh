#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/test_browser.py, marker `browser`).
#
# Playwright's own browser download cannot work here (no internet beyond the package
# registries), so the tests drive Debian's /usr/bin/chromium through Playwright's
# `executable_path`. A CJK font is installed as well so screenshots show Chinese text and the
# OCR test can render a Chinese page. Idempotent: does nothing when both are present.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-zenhei)

if [ ${#need[@]} -eq 0 ]; then
    echo "install_browser: chromium and a CJK font already present"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install_browser: installed ${need[*]}"
/usr/bin/chromium --version 2>/dev/null
