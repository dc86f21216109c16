"""The app in a real browser: Debian's Chromium driven by Playwright, on the real stack.

Each test saves screenshots to ``test-artifacts/`` (or ``$RECOMMENDER_TEST_ARTIFACTS``).
Chromium comes from apt (`.ci/run` installs it); Playwright's own browser download is never
used. Waits are bounds on a hang, not speed goals.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from recommender.study import EventLog, StudyRunner, load_study
from recommender.study.ui import build_study_app
from scripts.chromium import CHROMIUM, launch_chromium

from .real_stack import ARTIFACTS, launch
from .test_study_app import _study_file
from .test_upload import GOOD_CSV

TURN_MS = 300_000  # a bound on a hang: one turn of the real 135M model takes seconds


@pytest.fixture(scope="module")
def chromium():
    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A new browser context (a new visitor) that fails the test on any JavaScript dialog or
    uncaught page error, and saves a last screenshot when it ends."""
    context = chromium.new_context(viewport={"width": 1300, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a bound on a hang; the two cores may be busy
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"),
                                      dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}-end.png", full_page=True)
    context.close()
    assert problems == []


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _send(page, message: str) -> None:
    """Type a message, press Enter, and wait until the answer has finished streaming."""
    box = page.get_by_placeholder(re.compile("e.g. I loved"))
    box.fill(message)
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.generating, .pending') !== null", timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('.generating, .pending') === null", timeout=TURN_MS)


def _bot_texts(page) -> list[str]:
    return page.locator('[data-testid="bot"]').all_inner_texts()


def _pick_titles(page) -> list[str]:
    """Titles of the picks in the chat, in order: each pick is a bot message holding a
    one-item numbered list whose title is bold."""
    return page.locator('[data-testid="bot"] ol li strong').all_inner_texts()


def _thumb(page, name: str, pick: int, picks_in_last_answer: int):
    """The Like or Dislike button of pick ``pick`` (0-based) of the latest answer: every bot
    message has one, and the answer's picks are the last messages."""
    buttons = page.get_by_label(name, exact=True)
    return buttons.nth(buttons.count() - picks_in_last_answer + pick)


def test_history_to_recommendations_then_like_and_dislike(page, server, real):
    page.goto(server)
    _send(page, "I loved Alien, Blade Runner and The Matrix")
    picks = _pick_titles(page)
    assert len(picks) == real.settings.recommendations, _bot_texts(page)
    assert not {"Alien (1979)", "Blade Runner (1982)", "The Matrix (1999)"} & set(picks)
    assert page.get_by_label("Your taste profile").input_value().startswith("You enjoy")
    _shot(page, "chat-1-answer")

    _thumb(page, "Like", 0, len(picks)).click()
    page.get_by_text(f"Added {picks[0]} to what you liked").wait_for()
    _thumb(page, "Dislike", 1, len(picks)).click()
    page.get_by_text(f"{picks[1]} will not be recommended again").wait_for()
    _shot(page, "chat-2-rated")

    _send(page, "more please")
    again = _pick_titles(page)[len(picks):]
    assert len(again) == real.settings.recommendations, _bot_texts(page)
    assert picks[0] not in again and picks[1] not in again


def test_switching_catalog_starts_a_product_conversation(page, server, real):
    page.goto(server)
    _send(page, "I loved Alien and Heat")
    page.get_by_label("Beauty products (Amazon)").check()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"bot\"]').length === 0", timeout=30_000)
    # The "Try" messages follow the catalog.
    expect(page.get_by_text("Seche Vite Dry Fast Top Nail Coat, OPI Nail Lacquer")).to_be_visible()
    expect(page.get_by_text("Toy Story, Finding Nemo, Up")).to_be_hidden()
    # The chosen catalog keeps its dot under the pointer (Gradio's hover rule whitened it).
    chosen = page.get_by_label("Beauty products (Amazon)")
    other = page.get_by_label("Movies (MovieLens)")
    page.get_by_placeholder(re.compile("e.g. I loved")).focus()  # as after typing a message
    chosen.hover()
    colour = "i => getComputedStyle(i).backgroundColor"
    assert chosen.evaluate(colour) != other.evaluate(colour)
    _send(page, "Tigi Masterpiece Shine Hairspray, Essie Stylenomics")
    picks = _pick_titles(page)
    assert len(picks) == real.settings.recommendations, _bot_texts(page)
    assert set(picks) <= {item.label for item in real.domain("beauty").catalog.items}
    _shot(page, "chat-3-products")


def test_uploading_a_catalog_recommends_from_it_and_refuses_a_broken_one(page, server,
                                                                        tmp_path):
    good = tmp_path / "books.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    page.goto(server)
    page.get_by_text("Your own catalog").click()
    page.locator("input[type=file]").set_input_files(str(broken))
    page.get_by_text("Upload refused.").wait_for(timeout=60_000)
    _shot(page, "upload-1-refused")
    page.get_by_label("Clear", exact=True).click()  # as a visitor removes the refused file
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("Indexed 7 items from books.csv").wait_for(timeout=120_000)
    assert page.get_by_label("Your catalog: books.csv").is_checked()
    _send(page, "I loved The Name of the Wind and Gone Girl")
    texts = "\n".join(_bot_texts(page))
    shown = [t for t in ("The Wise Man's Fear", "Mistborn", "The Girl with the Dragon Tattoo",
                         "Dune", "Hyperion") if t in texts]
    assert len(shown) >= 3, texts
    _shot(page, "upload-2-answer")


def test_markup_in_a_message_is_shown_as_text_never_run(page, server):
    page.goto(server)
    _send(page, "<img src=x onerror=alert(1)> <b>bold</b> Alien")
    assert page.locator('[data-testid="user"] img[src="x"]').count() == 0
    assert page.locator('[data-testid="user"] b').count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator('[data-testid="user"]').last.inner_text()


@pytest.fixture(scope="module")
def study_url(real, tmp_path_factory):
    study = load_study(_study_file(tmp_path_factory.mktemp("browser-study")))
    demo = build_study_app(StudyRunner(study, real, EventLog(study.log)), "let-me-in")
    url = launch(demo)
    yield url, study
    demo.close()


def test_study_from_consent_to_completion_code(page, study_url):
    url, study = study_url
    page.goto(url)
    page.get_by_role("button", name="I agree").click()
    page.locator("textarea:visible").first.fill("Alien, Heat, Toy Story")
    page.get_by_role("button", name="Show my recommendations").click()
    go_on = page.get_by_role("button", name="Save my answers and go on")
    go_on.wait_for(timeout=TURN_MS)
    _shot(page, "study-1-recommendations")
    go_on.click()
    page.get_by_text("Please answer every question").first.wait_for()
    page.reload()  # a reload keeps the participant on the same screen
    go_on.wait_for(timeout=60_000)
    groups = page.locator("fieldset:visible:has(input[type=radio])")
    expected = study.recommendations * len(study.item_questions) + len(study.round_questions)
    expect(groups).to_have_count(expected, timeout=60_000)  # the resumed screen fills in
    for n in range(groups.count()):
        groups.nth(n).locator("input[type=radio]").nth(3).check()
    go_on.click()
    page.get_by_text("Your completion code is").wait_for(timeout=60_000)
    assert study.completion_code in page.locator("body").inner_text()
    _shot(page, "study-2-done")
    rated = [e for e in EventLog(study.log).events() if e["event"] == "rated"]
    assert len(rated) == 1 and {r["value"] for r in rated[0]["ratings"]} == {4}
