"""Drive the running app in Debian's Chromium and save a screenshot (used for the README).

    python scripts/screenshot.py --url http://127.0.0.1:7860 --out assets/screenshot.png \\
        --message "I loved Alien, Blade Runner and The Matrix" \\
        --message "no horror, nothing before 1990" --dislike 1 --message "why the third one?"

Messages are sent in order; ``--dislike N`` presses the thumbs-down under pick N of the
latest answer before the next message. Needs `pip install playwright` (the Python package
only; the browser is /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import time

from chromium import launch_chromium  # scripts/chromium.py
from playwright.sync_api import Page, sync_playwright


class Step(argparse.Action):
    """Keep --message and --dislike in the order given."""

    def __call__(self, parser, namespace, value, option_string=None):
        namespace.steps = [*getattr(namespace, "steps", []), (self.dest, value)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--out", default="assets/screenshot.png")
    parser.add_argument("--message", action=Step, help="a chat message (repeatable)")
    parser.add_argument("--dislike", action=Step, type=int, help="thumbs-down pick N")
    parser.add_argument("--domain", default=None, help="label of the catalog radio to click")
    args = parser.parse_args()
    steps = getattr(args, "steps", None) or [("message", "I loved Alien, Blade Runner and The "
                                                          "Matrix")]
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(args.url)
        page.wait_for_selector("textarea")
        if args.domain:
            page.get_by_label(args.domain).check()
            # The switch is a round trip: a message sent before it lands goes to the old catalog.
            page.wait_for_timeout(1500)
            page.wait_for_function("() => !document.querySelector('.generating, .pending')",
                                   timeout=60_000)
        for kind, value in steps:
            if kind == "message":
                started = time.monotonic()
                _send(page, value)
                print(f"{value!r}: answered in {time.monotonic() - started:.1f} s")
            else:  # one Dislike button per bot message; the answer's picks are the last ones
                buttons = page.get_by_label("Dislike")
                buttons.nth(buttons.count() - _picks_in_last_answer(page) + value - 1).click()
                page.wait_for_timeout(1500)
        page.wait_for_timeout(11_000)  # let notifications fade
        page.screenshot(path=args.out, full_page=True)
        browser.close()


def _send(page: Page, message: str) -> None:
    box = page.locator("textarea").first
    box.fill(message)
    box.press("Enter")
    page.wait_for_timeout(1500)
    page.wait_for_function("() => !document.querySelector('.generating, .pending')",
                           timeout=300_000)
    page.wait_for_timeout(1500)


def _picks_in_last_answer(page: Page) -> int:
    return page.evaluate(
        "() => { const bots = [...document.querySelectorAll('[data-testid=\"bot\"]')];"
        " let n = 0; for (let i = bots.length - 1; i >= 0; i--) {"
        " if (bots[i].querySelector('ol')) n++; else break; } return n; }")


if __name__ == "__main__":
    main()
