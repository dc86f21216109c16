"""Reading chat messages: a table of messages with what the rules must find, and the checks
that keep a model's reading from inventing constraints."""

import json

import pytest

from recommender.conversation.reading import merge_model_reply, parse_rules, parse_with_model
from recommender.core.constraints import ConstraintChange, Constraints
from recommender.settings import PROJECT_ROOT

GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance",
          "Sci-Fi", "Thriller", "War", "Western")

# message → expected fields (anything not named must be empty / None / False)
CASES = json.loads((PROJECT_ROOT / "assets" / "request_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["message"] for c in CASES["cases"]])
def test_rules_read_the_message(case):
    request = parse_rules(case["message"], GENRES, latest_year=CASES["latest_year"])
    assert request.summary() == case["expected"]


@pytest.mark.parametrize("message, liked, disliked", [
    ("Heat, Mr. Holland's Opus (1995)", ["Heat, Mr. Holland's Opus (1995)"], []),
    ("I loved E.T. the Extra-Terrestrial. I hated Titanic",
     ["I loved E.T. the Extra-Terrestrial"], ["I   Titanic"]),
    ("Dr. Strangelove was great. Titanic was boring", ["Dr. Strangelove was great"],
     ["Titanic was"]),
    ("hated J. Edgar. Loved Heat", ["Loved Heat"], ["J. Edgar"]),
])
def test_a_period_inside_a_name_ends_no_clause(message, liked, disliked):
    request = parse_rules(message, GENRES)
    assert (list(request.liked_text), list(request.disliked_text)) == (liked, disliked)


@pytest.mark.parametrize("message, liked, positions", [
    ("Prada Candy, Chanel No 5", ["Prada Candy, Chanel No 5"], []),
    ("I loved Mambo #5", ["I loved Mambo #5"], []),
    ("I liked number 3", [], [3]),
    ("I liked no 2", [], [2]),
])
def test_a_number_after_a_name_is_part_of_it_not_a_reference(message, liked, positions):
    request = parse_rules(message, GENRES)
    assert (list(request.liked_text), list(request.liked_positions)) == (liked, positions)


def test_a_catalog_without_genres_reads_no_genre():
    assert parse_rules("no horror", ()).change == ConstraintChange()


def _reading(**fields) -> str:
    base = {"liked": [], "disliked": [], "wanted_genres": [], "excluded_genres": [],
            "year_min": None, "year_max": None}
    return json.dumps({**base, **fields})


def test_the_model_adds_only_what_the_message_spells_out():
    message = "I'd enjoy a thriller tonight, I loved Heat"
    rules = parse_rules(message, GENRES)
    assert rules.change.include_genres == ("Thriller",)  # "a thriller" is read by the rules
    merged = merge_model_reply(
        _reading(wanted_genres=["Crime"], excluded_genres=["Horror"], year_min=1995),
        message, rules, GENRES)
    # Crime, Horror and 1995 appear nowhere in the message: all dropped
    assert merged.change == rules.change and merged.parsed_by == "rules"


def test_the_model_can_add_a_constraint_the_rules_missed():
    message = "Heat was great; westerns bore me"
    rules = parse_rules(message, GENRES)
    assert rules.change.exclude_genres == ()
    merged = merge_model_reply(_reading(excluded_genres=["Western"]), message, rules, GENRES)
    assert merged.change.exclude_genres == ("Western",) and merged.parsed_by == "rules+model"


def test_a_title_with_its_year_is_not_a_year_filter():
    message = "Star Wars: Episode V - The Empire Strikes Back (1980)"
    rules = parse_rules(message, GENRES)
    merged = merge_model_reply(_reading(year_min=1980, year_max=1980), message, rules, GENRES)
    assert merged.change.year_min is None and merged.change.year_max is None
    asked = merge_model_reply(_reading(year_min=1980), "Heat, and around 1980 please",
                              parse_rules("Heat", GENRES), GENRES)
    assert asked.change.year_min == 1980


def test_rules_win_when_the_model_disagrees():
    rules = parse_rules("no horror", GENRES)
    merged = merge_model_reply(_reading(wanted_genres=["Horror"]), "no horror", rules, GENRES)
    assert merged.change.exclude_genres == ("Horror",) and merged.change.include_genres == ()


@pytest.mark.parametrize("reply", ["not json", "[1, 2]", '{"wanted_genres": "Horror"}', ""])
def test_a_broken_model_reading_leaves_the_rules(reply):
    rules = parse_rules("something funny", GENRES)
    assert merge_model_reply(reply, "something funny", rules, GENRES) == rules


def test_the_model_is_not_asked_about_plain_titles_and_its_failure_is_survived():
    asked = []

    def ask(message, schema):
        asked.append(schema)
        raise RuntimeError("model down")

    assert parse_with_model("Alien, Heat", GENRES, None, ask).liked_text == ("Alien, Heat",)
    assert asked == []
    assert parse_with_model("no horror", GENRES, None, ask).change.exclude_genres == ("Horror",)
    assert asked and asked[0]["properties"]["wanted_genres"]["items"]["enum"] == list(GENRES)


def test_constraints_hold_until_lifted():
    c = ConstraintChange(exclude_genres=("Horror",)).applied_to(Constraints())
    c = ConstraintChange(year_min=2001).applied_to(c)
    assert c == Constraints(exclude_genres=("Horror",), year_min=2001)
    assert c.describe() == ["no Horror", "2001 or later"]
    assert ConstraintChange(include_genres=("Horror",)).applied_to(c).exclude_genres == ()
    assert ConstraintChange(lift_genres=("Horror",)).applied_to(c) == Constraints(year_min=2001)
    assert ConstraintChange(lift_years=True).applied_to(c) == Constraints(exclude_genres=("Horror",))
    assert ConstraintChange(lift_all=True).applied_to(c) == Constraints()


def test_constraints_become_a_chroma_filter():
    c = Constraints(include_genres=("Comedy", "Romance"), exclude_genres=("Horror",),
                    year_min=1990, year_max=1999)
    assert c.where() == {"$and": [
        {"genre:Horror": {"$ne": True}},
        {"$or": [{"genre:Comedy": True}, {"genre:Romance": True}]},
        {"year": {"$gte": 1990}}, {"year": {"$lte": 1999}}]}
    assert Constraints(exclude_genres=("Horror",)).where() == {"genre:Horror": {"$ne": True}}
    assert Constraints().where() is None


@pytest.mark.parametrize("data, error", [
    ({"include_genres": ["Cooking"]}, "unknown genres: Cooking"),
    ({"exclude_genres": "Horror"}, "must be a list"),
    ({"year_min": "1990"}, "whole number"),
])
def test_bad_constraints_in_a_state_are_named(data, error):
    with pytest.raises(ValueError, match=error):
        Constraints.from_dict(data, GENRES)


def test_the_reading_benchmark_scores_every_case(settings, fake_domains):
    from recommender.core.pipeline import Recommender
    from recommender.evaluation.reading_benchmark import run_reading_benchmark

    from .fakes import AnsweringModel

    report = run_reading_benchmark(Recommender(settings, AnsweringModel(), fake_domains))
    assert report["messages"] == len(CASES["cases"])
    # a model that reads nothing changes nothing: the merged reading is the rules' reading
    assert report["merged_exact"] == report["rules_exact"] > 0.9
    assert report["merged_wrong_where_rules_right"] == 0
