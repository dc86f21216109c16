"""Time turns as a visitor sees them: each list typed into the chat by a fresh visitor in
Debian's Chromium, from pressing Enter to the first text of the answer, the first pick's title,
and the last change of the answer's text; and the same list sent through the app's
``/recommend`` API by a fresh client, for comparison. The two alternate which goes first, since
a list sent twice finds its prompt already evaluated the second time; the medians compare the
turns that went first (half the lists each), the ``_all`` ones every turn.

    python scripts/browser_turns.py --url http://127.0.0.1:7860 --message "Alien, Heat" --json

``python -m recommender benchmark --browser 12`` starts the app and runs this on its lists.
Needs the ``playwright`` package (the browser is /usr/bin/chromium, never downloaded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from chromium import launch_chromium  # scripts/chromium.py
from gradio_client import Client
from playwright.sync_api import Browser, sync_playwright

SETTLED_MS = 400
"""The answer is settled when it has not changed for this long after the app stopped working."""
TURN_MS = 300_000
"""A bound on a hang, not a speed goal."""

_MARKS = """() => {
  const marks = {t0: null, first: null, pick: null, last: null, text: ''};
  window.__turn = marks;
  const bots = () => Array.from(document.querySelectorAll('[data-testid="bot"]'))
    .map(b => b.innerText).join('\\n');
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && marks.t0 === null) { marks.t0 = performance.now(); marks.text = bots(); }
  }, true);
  new MutationObserver(() => {
    if (marks.t0 === null) return;
    const now = performance.now();
    const text = bots();
    if (text !== marks.text) {
      marks.text = text;
      if (marks.first === null) marks.first = now;
      marks.last = now;
    }
    if (marks.pick === null && document.querySelector('[data-testid="bot"] ol li strong')) {
      marks.pick = now;
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def browser_turn(browser: Browser, url: str, message: str) -> dict[str, float]:
    """Seconds from Enter to the first text, the first pick title and the settled answer."""
    context = browser.new_context(viewport={"width": 1300, "height": 1100})
    try:
        page = context.new_page()
        page.goto(url)
        box = page.get_by_placeholder("e.g. I loved", exact=False)
        box.wait_for()
        page.evaluate(_MARKS)
        box.fill(message)
        box.press("Enter")
        page.wait_for_function("() => document.querySelector('.generating, .pending') !== null",
                               timeout=10_000)
        page.wait_for_function("() => document.querySelector('.generating, .pending') === null",
                               timeout=TURN_MS)
        page.wait_for_function(f"() => performance.now() - (window.__turn.last || 0) > {SETTLED_MS}",
                               timeout=TURN_MS)
        marks = page.evaluate("() => window.__turn")
    finally:
        context.close()

    def since_enter(key: str) -> float | None:
        return None if marks[key] is None else round((marks[key] - marks["t0"]) / 1000, 3)

    return {"first_text_s": since_enter("first"), "first_pick_s": since_enter("pick"),
            "settled_s": since_enter("last")}


def api_turn(url: str, message: str) -> float:
    """Seconds for one ``/recommend`` call of a fresh client (a new conversation)."""
    client = Client(url, verbose=False)
    started = time.perf_counter()
    answer = client.predict(message, "movies", None, api_name="/recommend")
    if "error" in answer:
        raise RuntimeError(f"/recommend failed: {answer['error']}")
    return round(time.perf_counter() - started, 3)


def measure(url: str, messages: list[tuple[str, str]]) -> dict:
    """One browser turn and one API turn per (domain, message); rows and medians."""
    rows = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for n, (domain, message) in enumerate(messages):
                if domain != "movies":
                    raise ValueError("the browser turns type into the movie chat only")
                if n % 2:
                    browser_row, api = browser_turn(browser, url, message), api_turn(url, message)
                else:
                    api, browser_row = api_turn(url, message), browser_turn(browser, url, message)
                rows.append({"message": message, "api_s": api, **browser_row})
        finally:
            browser.close()

    def median(key: str, first: int | None = None) -> float | None:
        """The median of ``key``; with ``first``, over the rows where that kind went first
        (0: the API, 1: the browser), the turn that found nothing of its prompt evaluated."""
        values = [r[key] for n, r in enumerate(rows)
                  if r[key] is not None and (first is None or n % 2 == first)]
        return round(statistics.median(values), 3) if values else None

    settled, api = median("settled_s", first=1), median("api_s", first=0)
    return {"browser_turns": len(rows), "browser_first_text_median": median("first_text_s", 1),
            "browser_first_pick_median": median("first_pick_s", 1),
            "browser_settled_median": settled, "api_turn_median": api,
            "browser_over_api": round(settled / api, 2) if settled and api else None,
            "browser_settled_median_all": median("settled_s"), "api_turn_median_all": median("api_s"),
            "browser_rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--message", action="append", required=True,
                        help="a list of movies to type (repeatable; one fresh visitor each)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = measure(args.url, [("movies", m) for m in args.message])
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            if key != "browser_rows":
                print(f"{key}: {value}")


if __name__ == "__main__":
    main()
