"""A whole turn with a scripted LLM, a word-hash embedder and a real Chroma in a temp dir."""

import re

import pytest

from recommender.explanation import short_title
from recommender.errors import InputError, UnknownDomainError
from recommender.pipeline import (ExplanationDelta, Finished, Linked, ProfileDelta, Recommended,
                                  Retrieved)

from .fakes import pick_reversed

HISTORY = "I loved Alien, Blade Runner and The Matrix"


def _script_good_turn(model):
    model.enqueue(" dark science fiction.", pick_reversed(3),
                  " Sci-Fi.\n2. Like", " Sci-Fi.", " Sci-Fi.")


def test_turn_recommends_from_candidates_only(recommender, model):
    _script_good_turn(model)
    result = recommender.recommend("movies", message=HISTORY)
    data = result.to_dict()
    assert [row["item_id"] for row in data["linked"]] == ["1", "3", "4"]
    assert data["profile"] == "You enjoy movies with dark science fiction."
    assert model.calls[0].prefix == "You enjoy movies with"
    assert model.calls[0].stop == ("\n", ". ")
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
    profile, select, *explain = model.calls
    assert select.messages[: len(profile.messages)] == profile.messages
    assert explain[0].messages[: len(select.messages)] == select.messages
    assert [m["role"] for m in explain[0].messages] == ["system", "user", "assistant", "user",
                                                        "assistant", "user"]
    assert all(e.messages == explain[0].messages for e in explain)
    # each explanation line continues the reply so far, opening with a history item
    assert re.fullmatch(r"1\. Like (Alien|Blade Runner|The Matrix), .+ is", explain[0].prefix)
    assert explain[1].prefix.startswith(explain[0].prefix + " Sci-Fi.\n2. Like ")
    assert explain[2].prefix.startswith(explain[1].prefix)
    assert [e.stop for e in explain] == [("\n", " 2."), ("\n", " 3."), ("\n", " 4.")]


def test_explanations_open_with_a_history_item(recommender, model):
    _script_good_turn(model)
    result = recommender.recommend("movies", message=HISTORY)
    for rec in result.recommendations:
        assert rec.explanation.startswith("Like ")
        anchor = result.catalog.get(rec.anchor_id)
        assert anchor.item_id in {"1", "3", "4"}
        if rec.source == "llm":
            pick = result.catalog.get(rec.item_id)
            assert rec.explanation == f"Like {anchor.title}, {short_title(pick)} is Sci-Fi."


def test_ungrounded_explanation_is_replaced_and_counted(recommender, model):
    model.enqueue(" sci-fi.", pick_reversed(3), " a romantic comedy from 1950.",
                  " Sci-Fi.", " Sci-Fi.")
    result = recommender.recommend("movies", message="Alien")
    first = result.recommendations[0]
    assert first.source == "catalog facts"
    assert "1950" in first.unsupported_claims  # no item of the catalog is from 1950
    assert "1950" not in first.explanation and first.explanation.endswith("Alien.")
    assert result.to_dict()["checks"]["explanations_ungrounded"] >= 1


def test_model_failure_still_answers_from_retrieval(recommender, model):
    model.enqueue(*[RuntimeError("boom")] * 3)
    result = recommender.recommend("movies", message=HISTORY)
    assert result.profile == \
        "You enjoy Sci-Fi, Thriller, Horror, such as Alien, Blade Runner, The Matrix."
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert all(r.source == "catalog facts" for r in result.recommendations)
    assert result.selection.error and result.notices


def test_unreadable_selection_follows_retrieval_order(recommender, model):
    model.enqueue(" sci-fi.", "this is not json", *[" Sci-Fi."] * 3)
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
    model.enqueue(" fragrance.", pick_reversed(3), *[" a spray."] * 3)
    result = recommender.recommend("beauty", message="Versace Bright Crystal")
    assert result.link.item_ids == ("B1",)
    assert "B1" not in [r.item_id for r in result.recommendations]
    assert len(result.recommendations) == 3
