"""A whole turn with a scripted LLM, a word-hash embedder and a real Chroma in a temp dir."""

import random
import re
from dataclasses import replace

import pytest

from recommender.catalog import Catalog
from recommender.conversation.turn import Answered, converse, first_answer, new_conversation
from recommender.collaborative.sasrec import SASRecConfig, save_model, train_sasrec
from recommender.collaborative.training import model_dir
from recommender.core.facts import short_title
from recommender.core.grounding import NOVELTY_STOPS
from recommender.core.pipeline import Recommender
from recommender.core.turn import (
    ExplanationDelta,
    ExplanationStart,
    Linked,
    ProfileDelta,
    ProfileDone,
    Ranked,
    Recommended,
    Retrieved,
    UNSUPPORTED,
)
from recommender.errors import InputError, UnknownDomainError
from recommender.loading import load_domains
from recommender.models.chat import ModelTimeoutError

from .catalogs import tiny_movies, tiny_products
from .fakes import TogetherModel, WordHashEmbedder, pick_reversed

HISTORY = "I loved Alien, Blade Runner and The Matrix"


def _turn(recommender: Recommender, domain: str, message: str):
    """The PALR turn of a new conversation's first answer to ``message``."""
    return first_answer(recommender, domain, message).turn


def _events(recommender: Recommender, domain: str, message: str) -> list:
    """Every event of that turn; the last is ``Answered``."""
    return list(converse(recommender, new_conversation(recommender, domain), message))


def _script_good_turn(model):
    model.enqueue(" dark science fiction.", pick_reversed(3),
                  " is Sci-Fi.\n2. Like", " is Sci-Fi.", " is Sci-Fi.")


def test_turn_recommends_from_candidates_only(recommender, model):
    _script_good_turn(model)
    result = _turn(recommender, "movies", HISTORY)
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
    kinds = [type(e).__name__ for e in _events(recommender, "movies", HISTORY)]
    assert kinds[0] == Linked.__name__ and kinds[-1] == Answered.__name__
    # Retrieval from the history first; the model selects here, so the picks are known after
    # the profile and the selection, before any explanation.
    assert kinds.index(Retrieved.__name__) < kinds.index(ProfileDelta.__name__)
    assert kinds.index(ProfileDone.__name__) < kinds.index(Ranked.__name__)
    assert kinds.index(Ranked.__name__) < kinds.index(ExplanationStart.__name__)
    assert kinds.count(Ranked.__name__) == 1 and kinds.count(Recommended.__name__) == 3


def test_without_selection_the_picks_are_shown_before_the_model_writes(settings, fake_domains):
    """Where the model's choice weighs nothing (the shipped catalogs), the titles are known
    from retrieval alone and announced before the profile, then explained in that order."""
    from .fakes import ScriptedModel

    domains = {k: replace(d, llm_weight=0.0) for k, d in fake_domains.items()}
    model = ScriptedModel()
    model.enqueue(" dark science fiction.", " is Sci-Fi.", " is Sci-Fi.", " is Sci-Fi.")
    events = list(converse(Recommender(settings, model, domains),
                           new_conversation(Recommender(settings, model, domains), "movies"),
                           HISTORY))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index(Ranked.__name__) < kinds.index(ProfileDelta.__name__)
    ranked = next(e for e in events if isinstance(e, Ranked)).item_ids
    retrieved = next(e for e in events if isinstance(e, Retrieved)).candidates
    explained = [e.recommendation.item_id for e in events if isinstance(e, Recommended)]
    assert ranked == retrieved[:3] and explained == list(ranked)


def test_the_models_profile_does_not_move_retrieval_but_the_persons_does(settings,
                                                                         fake_domains):
    """Retrieval reads the history (as every evaluation measured it), not the profile the model
    writes; a profile the person wrote steers it at ``profile_weight``."""
    from recommender.core.turn import TurnPlan

    steered = replace(settings, profile_weight=0.9)
    domains = load_domains(steered, WordHashEmbedder(), "word-hash",
                           {"movies": tiny_movies()}, progress=False)
    domains = {k: replace(d, llm_weight=0.0) for k, d in domains.items()}
    history = ["1", "3"]

    def candidates_with(profile_said: str, plan: TurnPlan | None = None) -> list[str]:
        from .fakes import ScriptedModel

        model = ScriptedModel()
        model.enqueue(*[profile_said] * bool(profile_said), *[" is a film."] * 3)
        return Recommender(steered, model, domains).recommend("movies", history,
                                                              plan=plan).candidates

    plain = candidates_with(" romance and ships.")
    assert candidates_with(" pixar animation.") == plain
    edited = candidates_with("", TurnPlan(profile="romance drama about a ship, Titanic"))
    assert edited != plain and edited[0] == "5"  # Titanic leads once the person says so


def test_lines_decoded_together_stream_in_order_as_decoded_one_by_one(recommender, model):
    """A backend that decodes the lines at once hands their pieces over interleaved; the turn
    still shows them pick by pick, each line's text after its start and before its result, and
    the same lines as a backend that writes one after another."""
    _script_good_turn(model)
    one_by_one = _turn(recommender, "movies", HISTORY)
    together = TogetherModel()
    _script_good_turn(together)
    events = _events(Recommender(recommender.settings, together, recommender.domains), "movies",
                     HISTORY)
    shown: list[tuple[str, int]] = [(type(e).__name__, e.position) for e in events
                                    if isinstance(e, ExplanationStart | ExplanationDelta |
                                                  Recommended)]
    positions = [p for _, p in shown]
    assert positions == sorted(positions)
    for n in range(3):
        kinds = [k for k, p in shown if p == n]
        assert kinds[0] == "ExplanationStart" and kinds[-1] == "Recommended"
        assert kinds.count("ExplanationDelta") >= 2  # the opening, then the model's words
    result = events[-1].result.turn
    assert [(r.item_id, r.explanation, r.source) for r in result.recommendations] == \
        [(r.item_id, r.explanation, r.source) for r in one_by_one.recommendations]
    assert [c.prefix for c in together.calls] == [c.prefix for c in model.calls]


def test_each_step_extends_one_conversation(recommender, model):
    """The prefix cache only helps if every prompt starts with the previous one."""
    _script_good_turn(model)
    _turn(recommender, "movies", HISTORY)
    profile, select, *explain = model.calls
    assert select.messages[: len(profile.messages)] == profile.messages
    assert explain[0].messages[: len(select.messages)] == select.messages
    assert [m["role"] for m in explain[0].messages] == ["system", "user", "assistant", "user",
                                                        "assistant", "user"]
    assert all(e.messages == explain[0].messages for e in explain)
    # each explanation line is its own reply to the same request, so all are decoded together,
    # opening with its number and a history item
    for n, call in enumerate(explain, 1):
        assert re.fullmatch(rf"{n}\. Like (Alien|Blade Runner|The Matrix), [^\n]+", call.prefix)
    assert [e.stop[:2] for e in explain] == [("\n", " 2."), ("\n", " 3."), ("\n", " 4.")]
    assert all(e.quoted_words is not None for e in explain)  # the quotation guard is on
    assert profile.quoted_words is None and select.quoted_words is None
    # a "Like" line stops before it would call its pick "new to your list"
    assert all(e.stop[2:] == NOVELTY_STOPS for e in explain)


def test_explanations_open_with_a_history_item(recommender, model):
    _script_good_turn(model)
    result = _turn(recommender, "movies", HISTORY)
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
    result = _turn(recommender, "movies", "Alien")
    first = result.recommendations[0]
    assert first.source == "catalog facts"
    assert "1950" in first.unsupported_claims  # no item of the catalog is from 1950
    assert "1950" not in first.explanation and first.explanation.endswith("Alien.")
    assert result.to_dict()["checks"]["explanations_ungrounded"] >= 1


def test_a_profile_claiming_what_no_liked_title_holds_is_replaced(recommender, model):
    model.enqueue(" romantic comedies.", pick_reversed(3), " Sci-Fi.", " Sci-Fi.", " Sci-Fi.")
    events = _events(recommender, "movies", HISTORY)
    done = next(e for e in events if isinstance(e, ProfileDone))
    result = events[-1].result.turn
    assert done.source == "catalog facts" and done.profile == result.profile == \
        ("You enjoy films viewers tag “cyberpunk” and Sci-Fi, Thriller, such as Blade Runner, "
         "The Matrix.")  # the catalog-facts profile names a distinctive fact two titles share
    assert result.profile_model_text == "You enjoy movies with romantic comedies."
    data = result.to_dict()
    assert data["profile_source"] == "catalog facts"
    assert data["profile_replaced_because"] == UNSUPPORTED
    assert data["checks"]["profile_from_llm"] is False
    assert {"comedy", "romance"} <= set(model.calls[0].avoid)  # the guard was asked first
    assert "thriller" not in model.calls[0].avoid
    assert model.calls[0].no_repeats  # the profile's repeat guard; explanations go without
    assert not any(call.no_repeats for call in model.calls[1:])
    assert not any(call.only_words for call in model.calls)  # films' profiles: claim by claim


def test_a_grounded_profile_is_the_models(recommender, model):
    _script_good_turn(model)
    data = _turn(recommender, "movies", HISTORY).to_dict()
    assert data["profile_source"] == "llm" and data["checks"]["profile_from_llm"]
    assert data["profile_replaced_because"] is None


def test_model_failure_still_answers_from_retrieval(recommender, model):
    model.enqueue(RuntimeError("boom"))
    events = _events(recommender, "movies", HISTORY)
    done = next(e for e in events if isinstance(e, ProfileDone))
    result = events[-1].result.turn
    assert done.source == "catalog facts" and done.profile == result.profile == \
        ("You enjoy films viewers tag “cyberpunk” and Sci-Fi, Thriller, such as Blade Runner, "
         "The Matrix.")  # the catalog-facts profile names a distinctive fact two titles share
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert all(r.source == "catalog facts" for r in result.recommendations)
    assert len(model.calls) == 1  # a failed model is not asked again within the turn
    assert result.selection.error and result.model_failure == "RuntimeError: boom"
    assert result.notices == [
        "The language model did not answer (RuntimeError: boom), so this answer comes from "
        "retrieval alone: the picks are in retrieval order and the explanations are catalog "
        "facts. Send your message again to retry."]
    assert result.to_dict()["model_failure"] == "RuntimeError: boom"


def test_model_timing_out_mid_explanations_finishes_from_catalog_facts(recommender, model):
    model.enqueue(" dark science fiction.", pick_reversed(3), " Sci-Fi like it.",
                  ModelTimeoutError("no answer within 60 s"))
    result = _turn(recommender, "movies", HISTORY)
    sources = [r.source for r in result.recommendations]
    assert sources[1:] == ["catalog facts", "catalog facts"] and len(sources) == 3
    assert len(model.calls) == 4
    assert result.selection.error is None  # the model's own choice stands
    assert result.model_failure == "no answer within 60 s"
    assert "did not answer (no answer within 60 s)" in result.notices[-1]


def test_unreadable_selection_follows_retrieval_order(recommender, model):
    model.enqueue(" sci-fi.", "this is not json", *[" Sci-Fi."] * 3)
    result = _turn(recommender, "movies", "Alien")
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert "retrieval order" in result.notices[0]


def test_nothing_linked_asks_again_without_calling_the_model(recommender, model):
    result = _turn(recommender, "movies", "qwertyuiop zxcvb")
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
        _turn(recommender, "movies", message)


def test_unknown_domain(recommender):
    with pytest.raises(UnknownDomainError, match="Unknown domain 'books'"):
        _turn(recommender, "books", "Alien")


def test_products_domain(recommender, model):
    model.enqueue(" fragrance.", pick_reversed(3), *[" a spray."] * 3)
    result = _turn(recommender, "beauty", "Versace Bright Crystal")
    assert result.link.item_ids == ("B1",)
    assert "B1" not in [r.item_id for r in result.recommendations]
    assert len(result.recommendations) == 3
    vocabulary = model.calls[0].only_words  # the product profile's vocabulary guard
    assert {"versace", "bright", "crystal", "leaning"} <= vocabulary
    assert "lollipop" not in vocabulary
    assert not any(call.only_words for call in model.calls[1:])


def _trained_movie_model(folder):
    """A tiny SASRec over the tiny catalog's ids, where 5 follows 4 follows 3..."""
    rng = random.Random(0)
    sequences = [list(range(s, s + 4)) for s in (rng.randint(1, 9) for _ in range(120))]
    config = SASRecConfig(max_len=4, dim=8, blocks=1, dropout=0.0, epochs=30, batch_size=16,
                          learning_rate=1e-2)
    save_model(train_sasrec(sequences, 12, config, progress=False),
               [str(i) for i in range(1, 13)], model_dir(folder, "movielens"), {})


def test_a_trained_model_makes_retrieval_hybrid_and_its_absence_content_only(settings, model,
                                                                              tmp_path):
    catalogs = {"movies": tiny_movies(), "beauty": tiny_products()}
    without = load_domains(settings, WordHashEmbedder(), "word-hash", catalogs, progress=False)
    assert without["movies"].retriever.name == "content"

    _trained_movie_model(tmp_path / "models")
    trained = replace(settings, collaborative_dir=tmp_path / "models")
    domains = load_domains(trained, WordHashEmbedder(), "word-hash", catalogs, progress=False)
    assert domains["movies"].retriever.name == "hybrid"
    assert domains["beauty"].retriever.name == "content"       # no Beauty model there
    assert isinstance(domains["movies"].catalog, Catalog)
    hits = domains["movies"].retriever.retrieve(["2", "3", "4"], "", 3)
    assert hits[0].item_id == "5"                               # what the model learned
    model.enqueue(" science fiction.", pick_reversed(3), " Sci-Fi.", " Sci-Fi.", " Sci-Fi.")
    result = _turn(Recommender(trained, model, domains), "movies",
                   "Aliens, Blade Runner, The Matrix")
    assert result.candidates[0] == "5" and not {"2", "3", "4"} & set(result.candidates)
    assert len(result.recommendations) == 3


def test_history_ids_skip_linking_and_explain_limits_explanations(recommender, model):
    model.enqueue(" science fiction.", pick_reversed(3), " Sci-Fi.")
    result = recommender.recommend("movies", history_ids=["1", "3", "4"], explain=1)
    assert [m.item_id for m in result.link.mentions] == ["1", "3", "4"]
    assert len(result.recommendations) == 1
    picks = list(reversed(result.candidates))[:3]               # the model's order
    assert result.ranking[:3] == picks                           # LLM weight 1: its order first
    assert sorted(result.ranking) == sorted(result.candidates)
    assert result.recommendations[0].item_id == picks[0]


def test_no_selection_call_when_the_models_choice_weighs_nothing(settings, model, fake_domains):
    """With the catalog's LLM weight at 0 the final order is retrieval's whatever the model
    says, so the turn does not ask it; the evaluation still can (``TurnPlan(select=True)``)."""
    from recommender.core.turn import TurnPlan

    domains = {name: replace(domain, llm_weight=0.0) for name, domain in fake_domains.items()}
    recommender = Recommender(settings, model, domains)
    model.enqueue(" dark science fiction.", " Sci-Fi.", " Sci-Fi.", " Sci-Fi.")
    result = _turn(recommender, "movies", HISTORY)
    assert [c.json_schema for c in model.calls] == [None] * 4  # profile and 3 explanations
    assert result.selection is None and "selection" not in result.timings
    assert result.to_dict()["timings"].keys() == {"linking", "profile", "retrieval", "explanation",
                                                   "total"}
    assert [r.item_id for r in result.recommendations] == result.candidates[:3]
    assert all("Candidates:" not in m["content"] for m in model.calls[-1].messages)

    model.enqueue(" dark science fiction.", pick_reversed(3), " Sci-Fi.", " Sci-Fi.", " Sci-Fi.")
    measured = recommender.recommend("movies", history_ids=["1", "3", "4"],
                                     plan=TurnPlan(select=True))
    assert measured.selection is not None and measured.selection.from_model == 3
    # asked, and still retrieval order: its weight is 0
    assert [r.item_id for r in measured.recommendations] == measured.candidates[:3]
