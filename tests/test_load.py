"""Load on loopback: 30 sessions at once through gradio_client, on the real stack.

Goals: no errors, and no session sees anything drawn from another session's history. The
latencies (p50, p95) are written to ``test-artifacts/load-test.json`` for the docs; they are
recorded, never asserted. A queue too small for the burst must turn the excess away at once
with "busy", not leave them hanging.
"""

from __future__ import annotations

import html
import json
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

import app
from recommender.conversation.turn import ASK_BELOW

from .real_stack import ARTIFACTS, MOVIE_TITLES, launch
from .test_app import _text

SESSIONS = 30
BURSTS = (1, 10, SESSIONS)


def _histories(real) -> list[list[str]]:
    """30 distinct two-title histories, no title shared between sessions."""
    catalog = real.domain("movies").catalog
    wanted = set(MOVIE_TITLES)
    known = [i for i in catalog.items if i.label in wanted]
    others = [i for i in sorted(catalog.items, key=lambda i: -i.popularity)
              if i.label not in wanted and "," not in i.label]
    linker = real.domain("movies").linker

    def links_plainly(items) -> bool:  # the app links them without asking which one
        found = linker.link_message(", ".join(i.label for i in items)).linked
        return [(m.item_id, m.ambiguous(ASK_BELOW)) for m in found] == \
            [(i.item_id, False) for i in items]

    pairs, waiting = [], None
    for item in (i for i in known + others if links_plainly([i])):
        if waiting is None:
            waiting = item
        elif links_plainly([waiting, item]):
            pairs.append([waiting.label, item.label])
            waiting = None
        if len(pairs) == SESSIONS:
            return pairs
    raise AssertionError(f"only {len(pairs)} plainly linked pairs in the small catalog")


def _session(url: str, titles: list[str]) -> dict:
    client = Client(url, verbose=False)
    started = time.monotonic()
    history, _, status, profile = client.predict(", ".join(titles), "movies", 3, 0.0, [],
                                                 api_name="/chat")
    return {"titles": titles, "seconds": time.monotonic() - started, "history": history,
            "status": _shown({"content": status}), "profile": profile}


@pytest.fixture(scope="module")
def busy_app(real):
    demo = app.build_app(real)
    yield launch(demo, queue_size=real.settings.queue_size,
                 turns_at_once=real.settings.turns_at_once)
    demo.close()


def test_thirty_sessions_at_once_stay_apart(real, busy_app):
    """Bursts of 1, 10 and 30 sessions sending at once; every answer holds only its own
    session's titles. The seconds of each burst go to the report."""
    histories = _histories(real)
    everyone = {t for h in histories for t in h}
    report: dict = {"turns_at_once": real.settings.turns_at_once, "queue_size": real.settings.queue_size,
                    "recommendations": 3, "bursts": {}}
    for size in BURSTS:
        with ThreadPoolExecutor(size) as pool:
            results = list(pool.map(lambda h: _session(busy_app, h), histories[:size]))
        for result in results:
            _check_apart(result, everyone)
        seconds = sorted(r["seconds"] for r in results)
        report["bursts"][size] = {
            "p50_s": round(statistics.median(seconds), 2),
            "p95_s": round(seconds[int(0.95 * (len(seconds) - 1))], 2),
            "max_s": round(seconds[-1], 2), "min_s": round(seconds[0], 2)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load-test.json").write_text(json.dumps(report, indent=1) + "\n")
    print(report)


def _check_apart(result: dict, everyone: set[str]) -> None:
    own, others = set(result["titles"]), everyone - set(result["titles"])
    header, *rest = result["history"][1:]
    picks = [m for m in rest if re.match(r"\d+\. \*\*", _shown(m))]  # not a question
    understood = re.search(r"\*\*I understood:\*\* (.*)", _shown(header)).group(1)
    assert {t.strip() for t in understood.split(" · ")} == own, understood
    liked = re.search(r"\*\*Liked:\*\* (.*)", result["status"]).group(1)
    assert {t.strip() for t in liked.split(" · ")} == own, liked
    assert len(picks) == 3
    for pick in picks:
        title, explanation = re.match(r"\d+\. \*\*(.+?)\*\*: (.*)", _shown(pick),
                                      re.S).groups()
        _mentions_none(explanation, others - {title}, own | {title})
    _mentions_none(result["profile"], others, own)


def _shown(message: dict) -> str:
    """A message's text as the page shows it: Markdown and HTML escapes undone."""
    return html.unescape(_text(message))


def _mentions_none(text: str, titles: set[str], own: set[str]) -> None:
    """``text`` names none of ``titles`` (as whole words, without their year).

    The session's ``own`` titles are taken out first: "Toy Story 2" names one of its own
    films, not another session's "Toy Story"."""
    for title in sorted(own, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(_name(title))}\b", " ", text)
    for title in titles:
        assert not re.search(rf"\b{re.escape(_name(title))}\b", text), (title, text)


def _name(title: str) -> str:
    """A title without its year: "Toy Story (1995)" -> "Toy Story"."""
    return re.sub(r"\s*\(\d{4}\)$", "", title)


def test_an_overfull_queue_says_busy_at_once_and_keeps_serving(real):
    demo = app.build_app(real)
    url = launch(demo, queue_size=2)
    try:
        def attempt(n: int) -> str:
            try:
                data = Client(url, verbose=False).predict(
                    f"{MOVIE_TITLES[n]}, {MOVIE_TITLES[n + 8]}", "movies", api_name="/recommend")
                return "served" if data.get("recommendations") else f"odd: {data}"
            except Exception as exc:  # gradio_client's QueueError
                return f"refused: {exc}"

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(attempt, range(8)))
        served = [o for o in outcomes if o == "served"]
        refused = [o for o in outcomes if o.startswith("refused")]
        assert len(served) + len(refused) == 8, outcomes
        assert served and refused, outcomes
        assert all("Queue is full" in o for o in refused), refused
        assert attempt(0) == "served"  # and the app serves again once the burst is over
    finally:
        demo.close()
