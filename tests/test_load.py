"""Visitors at once on loopback, on the real stack, through gradio_client: no errors, and no
session sees anything drawn from another session's history. The 30-visitor run that measures
waiting times is a benchmark, not a test: ``python -m recommender benchmark --app-load 1,10,30``
(``recommender/evaluation/app_load.py``, numbers in docs/robustness.md). A queue too small for
the burst must turn the excess away at once with "busy", not leave them hanging.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

import app
from recommender.evaluation.app_load import plain_pairs, send_bursts

from .real_stack import MOVIE_TITLES, launch

pytestmark = pytest.mark.slow  # sessions at once through the app

SESSIONS = 3


@pytest.fixture(scope="module")
def busy_app(real):
    demo = app.build_app(real)
    yield launch(demo, queue_size=real.settings.queue_size,
                 turns_at_once=real.settings.turns_at_once)
    demo.close()


def test_sessions_at_once_stay_apart(real, busy_app):
    """Three sessions sending at once; every answer holds only its own session's titles."""
    movies = real.domain("movies")
    pairs = plain_pairs(movies.catalog, movies.linker, SESSIONS, first=MOVIE_TITLES)
    report = send_bursts(busy_app, pairs, (SESSIONS,))
    burst = report["bursts"][SESSIONS]
    assert burst["errors"] == [] and burst["leaks"] == [], burst
    assert burst["p50_s"] is not None


def test_an_answer_naming_another_sessions_film_is_caught():
    from recommender.evaluation.app_load import check_apart

    history = [{"role": "user", "content": "Alien (1979), Heat (1995)"},
               {"role": "assistant", "content": "**I understood:** Alien (1979) · Heat (1995)"},
               {"role": "assistant", "content": "1. **Aliens (1986)**: Like Alien, it is Sci-Fi."},
               {"role": "assistant", "content": "2. **Ronin (1998)**: Like Toy Story, a film."}]
    result = {"titles": ["Alien (1979)", "Heat (1995)"], "history": history,
              "status": "**Liked:** Alien (1979) · Heat (1995)", "profile": "You like thrillers."}
    everyone = {"Alien (1979)", "Heat (1995)", "Toy Story (1995)", "Up (2009)"}
    problems = check_apart(result, everyone, 2)
    assert len(problems) == 1 and "Toy Story" in problems[0]
    result["history"] = history[:3]
    assert "1 picks, not 2" in check_apart(result, everyone, 2)


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
