"""Drive the running app in Debian's Chromium and save screenshots (used for the README).

    python scripts/screenshot.py --url http://127.0.0.1:7860 --out assets/screenshot.png

Needs `pip install playwright` (the Python package only; the browser is /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import time

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--out", default="assets/screenshot.png")
    parser.add_argument("--message", default="I loved Alien, Blade Runner and The Matrix")
    parser.add_argument("--domain", default=None, help="label of the catalog radio to click")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(args.url)
        page.wait_for_selector("textarea")
        if args.domain:
            page.get_by_label(args.domain).check()
        box = page.locator("textarea").first
        box.fill(args.message)
        started = time.monotonic()
        box.press("Enter")
        bot = page.locator("[data-testid='bot']").last
        bot.wait_for(timeout=30_000)
        page.wait_for_function("() => { const b = [...document.querySelectorAll("
                               "'[data-testid=\"bot\"]')].pop(); return b && b.innerText.length > 3; }")
        first = time.monotonic() - started
        page.wait_for_function(
            "() => { const b = [...document.querySelectorAll('[data-testid=\"bot\"]')].pop();"
            " return b && (b.querySelectorAll('li').length >= 5 &&"
            " !b.innerText.trim().endsWith('…') || b.innerText.includes('Name a few')); }",
            timeout=60_000)
        page.wait_for_timeout(1000)
        print(f"first bot text after {first:.2f} s; complete after "
              f"{time.monotonic() - started:.2f} s")
        page.screenshot(path=args.out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
