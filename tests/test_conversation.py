"""Multi-turn conversations over the tiny catalogs: likes, dislikes, filters and references
carry across turns, and a state survives the round trip through JSON."""

import copy
import json

import numpy as np
import pytest

from recommender.conversation.turn import Answered, ConversationState, converse
from recommender.core.diversity import mmr
from recommender.core.pipeline import Recommender
from recommender.errors import InputError
from recommender.vectors.index import ScoredItem

from .fakes import AnsweringModel


@pytest.fixture
def chat(settings, fake_domains):
    recommender = Recommender(settings, AnsweringModel(), fake_domains)

    def turn(state, message, domain=None):
        """The answer's JSON; ``state`` becomes the answer's state, as a session keeps it."""
        before = copy.deepcopy(state)
        result = None
        for event in converse(recommender, state, message, domain=domain):
            if isinstance(event, Answered):
                result = event.result
        assert state == before  # a turn returns its new state and leaves the given one alone
        vars(state).update(vars(result.state))
        return result.to_dict()

    turn.recommender = recommender
    return turn


def _catalog(chat):
    return chat.recommender.domain("movies").catalog


def _genres(chat, data):
    return [set(_catalog(chat).get(r["id"]).genres) for r in data["recommendations"]]


def test_a_filter_holds_until_lifted(chat):
    state = ConversationState(domain="movies", count=3)
    first = chat(state, "I loved The Matrix and Blade Runner")
    assert first["recommendations"]
    no_horror = chat(state, "no horror")
    assert no_horror["recommendations"]
    assert all("Horror" not in g for g in _genres(chat, no_horror))
    assert state.constraints.exclude_genres == ("Horror",)
    still = chat(state, "I also liked Star Wars")
    assert all("Horror" not in g for g in _genres(chat, still))
    lifted = chat(state, "horror is fine again")
    assert state.constraints.empty
    assert any("Horror" in g for g in _genres(chat, lifted))


def test_a_year_range_holds(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "Alien, Blade Runner. After 1995")
    years = [_catalog(chat).get(r["id"]).year for r in data["recommendations"]]
    assert years and all(y > 1995 for y in years)
    assert data["state"]["constraints"]["year_min"] == 1996


def test_a_disliked_item_never_comes_back(chat):
    state = ConversationState(domain="movies", count=3)
    first = chat(state, "The Matrix")
    hated = first["recommendations"][0]["id"]
    chat(state, "I didn't like the first one")
    assert state.disliked == [hated]
    for message in ("Blade Runner", "something different", "more like the second one", ""):
        data = chat(state, message)
        assert hated not in [r["id"] for r in data["recommendations"]]
        assert hated not in data["candidates"]


def test_a_liked_pick_joins_the_history(chat):
    state = ConversationState(domain="movies", count=3)
    first = chat(state, "The Matrix")
    liked = first["recommendations"][1]["id"]
    data = chat(state, "I liked the second one")
    assert state.liked == ["4", liked]
    assert liked not in data["candidates"]  # history is never recommended


def test_dislikes_pull_retrieval_away(chat):
    plain = ConversationState(domain="movies", count=5)
    steered = ConversationState(domain="movies", count=5)
    before = chat(plain, "Blade Runner, Up")
    after = chat(steered, "Blade Runner, Up. I hated Alien")
    assert steered.disliked == ["1"]
    rank = lambda data, item: data["candidates"].index(item) if item in data["candidates"] else 99
    assert rank(after, "2") > rank(before, "2")  # Aliens resembles Alien


def test_why_explains_one_pick_at_length(chat):
    state = ConversationState(domain="movies", count=3)
    first = chat(state, "Alien, The Matrix")
    data = chat(state, "why the third one?")
    assert data["detail"]["id"] == first["recommendations"][2]["id"]
    assert len(data["detail"]["text"]) > len(first["recommendations"][2]["explanation"])
    assert data["recommendations"] == []


def test_reset_and_domain_switch_start_over(chat):
    state = ConversationState(domain="movies", count=3)
    chat(state, "Alien. No horror")
    data = chat(state, "start over")
    assert data["state"]["liked"] == [] and data["state"]["constraints"]["exclude_genres"] == []
    chat(state, "Alien")
    chat(state, "Neutrogena Hydro Boost", domain="beauty")
    assert state.domain == "beauty" and state.liked == ["B3"]


def test_references_without_an_answer_are_explained(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "more like the second one")
    assert "no earlier answer" in " ".join(data["notices"])


def test_filters_without_likes_ask_for_titles(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "no horror")
    assert data["recommendations"] == []
    assert data["notices"][-1].startswith("Tell me a few movies you liked")
    assert state.constraints.exclude_genres == ("Horror",)


def test_an_edited_profile_is_used_as_written(chat):
    state = ConversationState(domain="movies", count=3)
    chat(state, "The Matrix")
    state.edit_profile("I like   romantic dramas")
    data = chat(state, "")
    assert data["profile"] == "I like romantic dramas"
    state.edit_profile("")
    assert chat(state, "")["profile"] != "I like romantic dramas"


def test_the_state_round_trips_through_json(chat):
    state = ConversationState(domain="movies", count=3)
    chat(state, "Alien, The Matrix. No horror after 1990")
    doc = json.loads(json.dumps(state.to_dict()))
    again = ConversationState.from_dict(doc, chat.recommender)
    assert again == state


@pytest.mark.parametrize("doc, error", [
    ([], "must be a JSON object"),
    ({"domain": "books"}, "state.domain must be one of"),
    ({"domain": "movies", "liked": ["999"]}, "ids not in the movies catalog: 999"),
    ({"domain": "movies", "liked": "1"}, "state.liked must be a list"),
    ({"domain": "movies", "count": 0}, "state.count must be a whole number"),
    ({"domain": "movies", "diversity": 2}, "state.diversity must be a number from 0 to 1"),
    ({"domain": "movies", "constraints": {"exclude_genres": ["Cooking"]}}, "unknown genres"),
    ({"domain": "movies", "version": 99}, "version 99 is not supported"),
])
def test_a_bad_state_is_refused_with_its_field_named(chat, doc, error):
    with pytest.raises(InputError, match=error):
        ConversationState.from_dict(doc, chat.recommender)


def test_mmr_keeps_order_at_zero_and_spreads_at_one():
    hits = [ScoredItem("a", 0.9), ScoredItem("b", 0.89), ScoredItem("c", 0.5)]
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.99, 0.1]), "c": np.array([0.0, 1.0])}
    assert mmr(hits, vectors, 0.0) == hits
    assert [h.item_id for h in mmr(hits, vectors, 0.7)] == ["a", "c", "b"]
    assert [h.item_id for h in mmr(hits, vectors, 0.7, [np.array([1.0, 0.0])])][0] == "c"


def test_films_of_one_series_are_taken_at_once_with_the_others_offered(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "Star Wars")
    assert state.liked == ["10"] and data["recommendations"]
    (offer,) = data["clarify"]
    assert offer["input"] == "Star Wars" and offer["taken"]["id"] == "10"
    assert [o["id"] for o in offer["options"]] == ["11"]


def test_the_other_sizes_of_a_product_taken_at_once_are_offered_not_recommended(chat):
    state = ConversationState(domain="beauty", count=3)
    data = chat(state, "Prada Candy", domain="beauty")
    (offer,) = data["clarify"]
    taken, others = offer["taken"]["id"], [o["id"] for o in offer["options"]]
    assert state.liked == [taken] and sorted([taken, *others]) == ["B2", "B5"]
    picks = [r["id"] for r in data["recommendations"]]
    assert picks and not set(picks) & {"B2", "B5"}


def test_different_films_sharing_a_name_are_asked_about_and_the_answer_is_used(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "Heat")
    assert state.liked == [] and data["recommendations"] == []
    (question,) = data["clarify"]
    assert question["input"] == "Heat" and "taken" not in question
    assert [o["id"] for o in question["options"]] == ["13", "14"]
    answer = question["options"][1]["answer"]
    assert answer == "The Heat (2013)"
    data = chat(state, answer)
    assert state.liked == ["14"] and data["recommendations"] and "clarify" not in data


def test_an_ambiguous_title_beside_a_clear_one_still_gets_an_answer(chat):
    state = ConversationState(domain="movies", count=3)
    data = chat(state, "I hated heat, loved Blade Runner")
    assert state.liked == ["3"] and state.disliked == []
    assert data["recommendations"]
    assert data["clarify"][0]["options"][0]["answer"].startswith("I didn't like Heat")


def test_a_why_answer_calling_a_pick_like_the_list_new_is_replaced(fake_domains):
    from recommender.conversation.why import explain_at_length
    from recommender.core.turn import ExplanationSource
    from recommender.models.prompting import GuardedModel

    from .fakes import ScriptedModel

    state = ConversationState(domain="movies", count=3, liked=["4"])  # The Matrix

    def answer(text: str):
        steps = explain_at_length(GuardedModel(ScriptedModel([text])), fake_domains["movies"],
                                  state, "9")  # Ghost in the Shell: Sci-Fi, "cyberpunk" too
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    new = answer(" a Sci-Fi film, new to your list.")
    assert new.source == ExplanationSource.CATALOG_FACTS
    assert "The Matrix" in new.text
    like = answer(" a Sci-Fi film tagged cyberpunk, like The Matrix.")
    assert like.source == ExplanationSource.LLM
