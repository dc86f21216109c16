import pytest

from recommender.grounding import GroundingChecker

from .catalogs import tiny_movies, tiny_products

MOVIES = tiny_movies()
CHECK = GroundingChecker(MOVIES)


def _claims(text, item_id="2", history=("1", "3")):
    return CHECK.unsupported_claims(text, MOVIES.get(item_id), [MOVIES.get(h) for h in history])


@pytest.mark.parametrize("text, claims", [
    ("Like Alien, it is a Sci-Fi horror film with aliens.", []),
    ("Like Alien, it is a science fiction action film from 1986.", []),
    ("Like Blade Runner, it has cyberpunk themes.", []),                  # history item's tag
    ("Like Alien, it is a romantic comedy.", ["romantic", "comedy"]),     # genres nobody has
    ("Like Alien, it came out in 1995.", ["1995"]),
    ("Like Alien, it is a classic of the 80s.", []),                      # 1986 is in the 80s
    ("Like Alien, it is a 90s film.", ["90s"]),
    ("Like Alien, it feels like Titanic.", ["Titanic"]),                  # another catalog item
    ("Like Alien, it is set in space.", []),                              # Alien's tag "space"
    ("Like Alien, it is cyberpunk.", []),                                 # Blade Runner's tag
    ("Up close, it is tense.", []),                                       # capital at the start
])
def test_claims(text, claims):
    assert _claims(text) == claims


def test_product_words_must_come_from_the_titles():
    products = tiny_products()
    checker = GroundingChecker(products)
    checker.vocabulary = checker.vocabulary.__class__(genres={}, terms=frozenset({"moisturizer",
                                                                                  "spray"}))
    item, history = products.get("B2"), [products.get("B1")]
    assert checker.unsupported_claims("Like Versace, it is a spray.", item, history) == []
    assert checker.unsupported_claims("Like Versace, it is a moisturizer.", item, history) == [
        "moisturizer"]


def test_a_tag_of_neither_item_is_unsupported():
    assert _claims("Like Alien, it is cyberpunk.", history=("1",)) == ["cyberpunk"]
