"""A whole turn with a scripted LLM, a word-hash embedder and a real Chroma in a temp dir."""

import pytest

from recommender.errors import InputError, UnknownDomainError
from recommender.pipeline import (ExplanationDelta, Finished, Linked, ProfileDelta, Recommended,
                                  Retrieved)

from .fakes import pick_reversed

HISTORY = "I loved Alien, Blade Runner and The Matrix"


def _script_good_turn(model):
    model.enqueue("You like dark science fiction.", pick_reversed(3),
                  "Like Alien, it is Sci-Fi.", "Like Alien, it is Sci-Fi.",
                  "Like Alien, it is Sci-Fi.")


def test_turn_recommends_from_candidates_only(recommender, model):
    _script_good_turn(model)
    result = recommender.recommend("movies", message=HISTORY)
    data = result.to_dict()
    assert [row["item_id"] for row in data["linked"]] == ["1", "3", "4"]
    assert data["profile"] == "You like dark science fiction."
    assert len(data["candidates"]) == 6
    assert not {"1", "3", "4"} & set(data["candidates"])
    picked = [r["id"] for r in data["recommendations"]]
    assert picked == list(reversed(data["candidates"]))[:3]
    assert data["checks"]["explanations_ungrounded"] == sum(
        1 for r in data["recommendations"] if r["explanation_source"] != "llm")
    assert set(data["timings"]) == {"linking", "profile", "retrieval", "selection",
                                    "explanation", "total"}


def test_events_stream_in_order(recommender, model):
    _script_good_turn(model)
    kinds = [type(e).__name__ for e in recommender.stream("movies", message=HISTORY)]
    assert kinds[0] == Linked.__name__ and kinds[-1] == Finished.__name__
    assert kinds.index(ProfileDelta.__name__) < kinds.index(Retrieved.__name__)
    assert kinds.index(Retrieved.__name__) < kinds.index(ExplanationDelta.__name__)
    assert kinds.count(Recommended.__name__) == 3


def test_each_step_extends_one_conversation(recommender, model):
    """The prefix cache only helps if every prompt starts with the previous one."""
    _script_good_turn(model)
    recommender.recommend("movies", message=HISTORY)
    profile_call, select_call, explain_call = (c[0] for c in model.calls[:3])
    assert select_call[: len(profile_call)] == profile_call
    assert explain_call[: len(select_call)] == select_call
    assert [m["role"] for m in explain_call] == ["system", "user", "assistant", "user",
                                                 "assistant", "user"]


def test_ungrounded_explanation_is_replaced_and_counted(recommender, model):
    model.enqueue("Sci-fi fan.", pick_reversed(3), "Like Alien, it is a romantic comedy from 1950.",
                  "Like Alien, it is Sci-Fi.", "Like Alien, it is Sci-Fi.")
    result = recommender.recommend("movies", message="Alien")
    first = result.recommendations[0]
    assert first.source == "catalog facts"
    assert "1950" in first.unsupported_claims  # no item of the catalog is from 1950
    assert "1950" not in first.explanation and first.explanation.endswith("Alien.")
    assert result.to_dict()["checks"]["explanations_ungrounded"] >= 1


def test_model_failure_still_answers_from_retrieval(recommender, model):
    model.enqueue(*[RuntimeError("boom")] * 5)
    result = recommender.recommend("movies", message=HISTORY)
    assert result.profile.startswith("Likes Sci-Fi")
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert all(r.source == "catalog facts" for r in result.recommendations)
    assert result.selection.error and result.notices


def test_unreadable_selection_follows_retrieval_order(recommender, model):
    model.enqueue("Sci-fi fan.", "this is not json", *["Like Alien, it is Sci-Fi."] * 3)
    result = recommender.recommend("movies", message="Alien")
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert "retrieval order" in result.notices[0]


def test_nothing_linked_asks_again_without_calling_the_model(recommender, model):
    result = recommender.recommend("movies", message="qwertyuiop zxcvb")
    assert result.link.unmatched == ("qwertyuiop zxcvb",)
    assert result.recommendations == [] and model.calls == []
    assert result.notices == ["No movie in the catalog matched what you typed."]


@pytest.mark.parametrize("message, text", [
    ("", "Your message is empty"),
    ("   \n ", "Your message is empty"),
    ("x" * 50_000, "Your message is 50,000 characters long; the limit is 2,000"),
])
def test_bad_messages_say_what_to_do(recommender, message, text):
    with pytest.raises(InputError, match=text):
        recommender.recommend("movies", message=message)


def test_unknown_domain(recommender):
    with pytest.raises(UnknownDomainError, match="Unknown domain 'books'"):
        recommender.recommend("books", message="Alien")


def test_products_domain(recommender, model):
    model.enqueue("Fragrance fan.", pick_reversed(3), *["Like Versace Bright Crystal Eau de "
                                                       "Toilette, it is a spray."] * 3)
    result = recommender.recommend("beauty", message="Versace Bright Crystal")
    assert result.link.item_ids == ("B1",)
    assert "B1" not in [r.item_id for r in result.recommendations]
    assert len(result.recommendations) == 3
