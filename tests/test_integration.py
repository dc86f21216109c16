"""The real stack: SmolLM2 GGUF via llama.cpp, MiniLM, Chroma on disk, real catalog rows."""

import pytest

from recommender.conversation.turn import first_answer
from recommender.core.explanation import shares_any
from recommender.core.facts import shared_with, short_title
from recommender.core.turn import ExplanationSource

pytestmark = pytest.mark.slow  # whole real turns on both catalogs

MESSAGES = [
    ("movies", "I loved Alien, Blade Runner and The Matrix"),
    ("movies", "Toy Story and Heat"),
    ("movies", "The Terminator, Aliens"),
    ("beauty", "Tigi Masterpiece Shine Hairspray, Essie Stylenomics"),
]


@pytest.mark.parametrize("domain, message", MESSAGES)
def test_real_turn_keeps_every_promise(real, domain, message):
    result = first_answer(real, domain, message).turn
    data = result.to_dict()
    history = set(result.link.item_ids)
    picked = [r["id"] for r in data["recommendations"]]
    assert history, data["linked"]
    assert len(picked) == real.settings.recommendations
    assert set(picked) <= set(data["candidates"])          # inside the candidate list
    assert not set(picked) & history                        # never something they named
    assert len(set(picked)) == len(picked)                  # no duplicates
    assert data["checks"]["out_of_candidates"] == 0
    for rec, shown in zip(result.recommendations, data["recommendations"]):
        assert shown["explanation"].strip()
        anchor = result.catalog.get(rec.anchor_id)
        assert rec.anchor_id in history
        pick = result.catalog.get(rec.item_id)
        if rec.source == ExplanationSource.LLM and not shares_any(pick, shared_with(pick, anchor)):
            # a pick sharing nothing with the history gets no "Like <anchor>," before it
            assert shown["explanation"].startswith(short_title(pick)), shown
        else:
            assert short_title(anchor) in shown["explanation"], shown
        # whatever is shown is grounded: kept model text passes the checker, the rest is facts
        checker = real.domain(domain).checker
        assert checker.unsupported_claims(
            rec.explanation, result.catalog.get(rec.item_id),
            [result.catalog.get(i) for i in history]) == [], (rec, anchor)
    assert data["profile"].startswith("You enjoy")
    assert set(data["timings"]) >= {"profile", "retrieval", "selection", "explanation"}


def test_real_index_is_reused_on_the_next_start(real):
    domain = real.domain("movies")
    assert domain.index.ensure(progress=False) is False
