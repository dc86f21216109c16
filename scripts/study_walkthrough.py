"""Walk through a running study in Debian's Chromium as a participant would, saving a
screenshot of every screen (used for the README and to check the study by eye).

    python app.py --study studies/explanations.toml &
    python scripts/study_walkthrough.py --url http://127.0.0.1:7860 --out /tmp/study-shots

It consents, names titles, first presses on without answering (the page must refuse), answers
every question, reloads the page mid-study (it must resume), and finishes every round. Needs
`pip install playwright` (the Python package only; the browser is /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chromium import launch_chromium  # scripts/chromium.py
from playwright.sync_api import Page, sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--out", default="study-shots")
    parser.add_argument("--titles", default="Alien, Heat, Toy Story, The Matrix")
    parser.add_argument("--rating", type=int, default=5, help="the answer given to every item")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(args.url)
        page.get_by_role("button", name="I agree").wait_for()
        page.screenshot(path=out / "1-consent.png", full_page=True)
        page.get_by_role("button", name="I agree").click()
        shot = 2
        while True:
            button = page.get_by_role("button", name="Show my recommendations")
            done = page.get_by_text("Your completion code is")
            button.or_(done).first.wait_for(timeout=60_000)
            if done.is_visible():
                break
            box = page.locator("textarea:visible").first
            if not box.input_value():
                box.fill(args.titles)
            started = time.monotonic()
            button.click()
            page.get_by_role("button", name="Save my answers and go on").wait_for(timeout=300_000)
            print(f"recommendations shown in {time.monotonic() - started:.1f} s")
            page.screenshot(path=out / f"{shot}-recommendations.png", full_page=True)
            page.get_by_role("button", name="Save my answers and go on").click()
            page.get_by_text("Please answer every question").first.wait_for(timeout=30_000)
            page.screenshot(path=out / f"{shot}-refused.png", full_page=True)
            page.reload()  # a participant reloading mid-round comes back to the same screen
            page.get_by_role("button", name="Save my answers and go on").wait_for(timeout=60_000)
            _answer_all(page, args.rating)
            page.screenshot(path=out / f"{shot}-answered.png", full_page=True)
            page.get_by_role("button", name="Save my answers and go on").click()
            shot += 1
            page.wait_for_timeout(1000)
        page.screenshot(path=out / f"{shot}-done.png", full_page=True)
        browser.close()
    print(f"screenshots in {out}")


def _answer_all(page: Page, rating: int) -> None:
    """Pick ``rating`` on every visible Likert item (the comment is left empty). Each Radio is
    a fieldset; its options do not share an input name, so they are found per fieldset."""
    groups = page.locator("fieldset:visible:has(input[type=radio])")
    for n in range(groups.count()):
        options = groups.nth(n).locator("input[type=radio]")
        options.nth(min(rating, options.count()) - 1).check()


if __name__ == "__main__":
    main()
