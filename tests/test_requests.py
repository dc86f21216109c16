"""Reading chat messages: a table of messages with what the rules must find, and the checks
that keep a model's reading from inventing constraints."""

import json

import pytest

from recommender.constraints import ConstraintChange, Constraints
from recommender.requests import merge_model_reply, parse_rules, parse_with_model

GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance",
          "Sci-Fi", "Thriller", "War", "Western")

# message → expected fields (anything not named must be empty / None / False)
CASES = [
    ("I loved Alien, Blade Runner and The Matrix",
     {"liked_text": ("I loved Alien, Blade Runner and The Matrix",)}),
    ("no horror", {"exclude": ("Horror",)}),
    ("No horror please", {"exclude": ("Horror",)}),
    ("nothing scary", {"exclude": ("Horror",)}),
    ("horror-free please", {"exclude": ("Horror",)}),
    ("I don't want any romance", {"exclude": ("Romance",)}),
    ("something funny", {"include": ("Comedy",)}),
    ("comedy please", {"include": ("Comedy",)}),
    ("I want action movies", {"include": ("Action",)}),
    ("a romantic comedy from the 80s",
     {"include": ("Comedy", "Romance"), "year_min": 1980, "year_max": 1989}),
    ("sci-fi but no horror", {"include": ("Sci-Fi",), "exclude": ("Horror",)}),
    ("from the 90s", {"year_min": 1990, "year_max": 1999}),
    ("something from the 1970s", {"year_min": 1970, "year_max": 1979}),
    ("newer than 2010", {"year_min": 2011}),
    ("after 2000", {"year_min": 2001}),
    ("since 2005", {"year_min": 2005}),
    ("before 1980", {"year_max": 1979}),
    ("between 1995 and 2005", {"year_min": 1995, "year_max": 2005}),
    ("movies from 1999", {"year_min": 1999, "year_max": 1999}),
    ("recent ones", {"year_min": 2009}),
    ("no horror and nothing before 1990", {"exclude": ("Horror",), "year_min": 1990}),
    ("nothing older than 1985", {"year_min": 1985}),
    ("nothing after 2010", {"year_max": 2010}),
    ("no movies made after 2005, please", {"year_max": 2005}),
    ("horror is fine again", {"lift": ("Horror",)}),
    ("allow horror", {"lift": ("Horror",)}),
    ("any year", {"lift_years": True}),
    ("clear all filters", {"lift_all": True}),
    ("I hated Titanic", {"disliked_text": ("I Titanic",)}),
    ("not a fan of The Notebook", {"disliked_text": ("The Notebook",)}),
    ("I hated Titanic but loved Heat",
     {"disliked_text": ("I Titanic",), "liked_text": ("loved Heat",)}),
    ("I hated Titanic, loved Heat", {"disliked_text": ("I Titanic",), "liked_text": ("loved Heat",)}),
    ("I loved Heat, Titanic was boring",
     {"liked_text": ("I loved Heat",), "disliked_text": ("Titanic was",)}),
    ("I didn't like the second one", {"disliked_positions": (2,)}),
    ("I liked number 3", {"liked_positions": (3,)}),
    ("more like the second one", {"more_like": 2}),
    ("more like the last one", {"more_like": -1}),
    ("why the third one?", {"why": 3}),
    ("why did you pick number 4?", {"why": 4}),
    ("something different", {"different": True}),
    ("surprise me", {"different": True}),
    ("start over", {"reset": True}),
    # titles that contain genre words or ordinals are titles, not constraints
    ("The Family Man", {"liked_text": ("The Family Man",)}),
    ("Star Wars, Children of Men", {"liked_text": ("Star Wars, Children of Men",)}),
    ("Apocalypse Now, War Horse", {"liked_text": ("Apocalypse Now, War Horse",)}),
    ("I loved The Last Samurai", {"liked_text": ("I loved The Last Samurai",)}),
    ("2001: A Space Odyssey", {"liked_text": ("2001: A Space Odyssey",)}),
]


@pytest.mark.parametrize("message, expected", CASES, ids=[c[0] for c in CASES])
def test_rules_read_the_message(message, expected):
    r = parse_rules(message, GENRES, latest_year=2018)
    c = r.change
    got = {"liked_text": tuple(" ".join(t.split()) for t in r.liked_text),
           "disliked_text": tuple(" ".join(t.split()) for t in r.disliked_text),
           "liked_positions": r.liked_positions, "disliked_positions": r.disliked_positions,
           "include": c.include_genres, "exclude": c.exclude_genres, "lift": c.lift_genres,
           "year_min": c.year_min, "year_max": c.year_max, "lift_years": c.lift_years,
           "lift_all": c.lift_all, "more_like": r.more_like, "why": r.why,
           "different": r.different, "reset": r.reset}
    empty = {k: (() if isinstance(v, tuple) else False if isinstance(v, bool) else None)
             for k, v in got.items()}
    assert got == {**empty, **expected}


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
