"""The soak (``benchmark --soak``): visitors at once through the app's own endpoints, its checks,
and the memory curve's summary. The long run on the real stack is a benchmark, not a test."""

from __future__ import annotations

import os

import app
from recommender.core.pipeline import Recommender
from recommender.evaluation.soak import (
    MALFORMED_STATES,
    _gradio_sender,
    memory_summary,
    resident_mib,
    run_soak,
    script,
)

from .fakes import AnsweringModel
from .real_stack import launch

PAIRS = [["Alien (1979)", "Blade Runner (1982)"], ["Titanic (1997)", "Notting Hill (1999)"],
         ["The Matrix (1999)", "Up (2009)"], ["Aliens (1986)", "Pride & Prejudice (2005)"]]
"""Catalog labels, as ``plain_pairs`` gives them: the chat shows what it understood so."""


def test_a_short_soak_through_the_app_finds_nothing_wrong(settings, fake_domains):
    """Two visitors, three conversations each, through Gradio: every plain turn answered, every
    malformed state refused, no answer naming the other visitor's films, memory read each turn."""
    demo = app.build_app(Recommender(settings, AnsweringModel(), fake_domains))
    url = launch(demo, turns_at_once=2)
    try:
        turns = 3 * len(script(PAIRS[0], 0)) * 2
        soaked = run_soak(turns, 2, PAIRS, lambda v: _gradio_sender(url),
                          lambda: resident_mib(os.getpid()))
    finally:
        demo.close()
    report = soaked.report()
    assert report["turns"] == turns and len(soaked.memory_mib) == turns
    assert report["errors"] == 0 and report["leaks"] == 0, (soaked.errors, soaked.leaks)
    assert report["malformed_states_accepted"] == 0
    assert report["memory"]["peak_mib"] >= report["memory"]["first_mib"] > 0


def test_what_goes_wrong_is_counted():
    """An answer naming a film of another visitor's list is a leak; a malformed state answered
    is counted; a plain turn refused or raising is an error, and the visitor goes on."""
    def send(endpoint: str, message: str, state: object) -> dict:
        if endpoint == "chat":
            raise ConnectionError("the app went away")
        if message == "why the second one?":
            return {"error": "Something went wrong"}
        return {"profile": "", "state": {"n": 1}, "recommendations": [
            {"title": "Heat", "explanation": "Like The Matrix, it is a film."}]}

    # One visitor, two conversations (PAIRS[0], PAIRS[1]); PAIRS[2] is someone else's.
    soaked = run_soak(16, 1, PAIRS[:3], lambda v: send, lambda: 100)
    assert soaked.turns == 16 and soaked.memory_mib == [100] * 16
    assert len(soaked.errors) == 2 * 2  # per conversation: the refused "why", the chat raising
    assert sum("ConnectionError" in e for e in soaked.errors) == 2
    assert len(soaked.leaks) == 2 * 5  # the five answered /recommend turns of each
    assert soaked.malformed_accepted == 2


def test_each_conversation_sends_another_malformed_state():
    broken = [s.broken for n in range(len(MALFORMED_STATES))
              for s in script(PAIRS[0], n) if s.state == "malformed"]
    assert len(broken) == len(MALFORMED_STATES)
    assert all(b in broken for b in MALFORMED_STATES)


def test_memory_growth_is_read_over_the_last_half():
    flat = [1000 + (7 if i % 3 == 0 else 0) for i in range(200)]
    assert memory_summary(flat)["growth_last_half_mib"] == 0
    growing = [1000 + i // 2 for i in range(200)]  # 0.5 MiB a turn
    summary = memory_summary(growing)
    assert 45 <= summary["growth_last_half_mib"] <= 55
    assert summary["first_mib"] == 1000 and summary["peak_mib"] == 1099
    assert summary["curve_mib"][0] == 1000 and summary["curve_mib"][-1] == 1099
    assert memory_summary([]) == {}
