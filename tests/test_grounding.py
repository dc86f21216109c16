import pytest

from recommender.catalog import Catalog, Item
from recommender.core.facts import shared_with
from recommender.core.grounding import GroundingChecker
from recommender.vocabulary import normalize

from .catalogs import tiny_movies, tiny_products

MOVIES = tiny_movies()
CHECK = GroundingChecker(MOVIES)


def _claims(text, item_id="2", history=("1", "3")):
    return CHECK.unsupported_claims(text, MOVIES.get(item_id), [MOVIES.get(h) for h in history])


@pytest.mark.parametrize("text, claims", [
    ("Like Alien, it is a Sci-Fi horror film with aliens.", []),
    ("Like Alien, it is a science fiction action film from 1986.", []),
    ("Like Blade Runner, it has cyberpunk themes.", ["cyberpunk"]),       # only Blade Runner's
    ("Like Alien, it is a romantic comedy.", ["romantic", "comedy"]),     # genres nobody has
    ("Like Alien, it came out in 1995.", ["1995"]),
    ("Like Alien, it is a classic of the 80s.", []),                      # 1986 is in the 80s
    ("Like Alien, it is a 90s film.", ["90s"]),
    ("Like Alien, it is a film of the 70s.", ["70s"]),                    # Alien's decade only
    ("Like Alien, it came out in 1979.", ["1979"]),
    ("Like Alien, it feels like Titanic.", ["Titanic"]),                  # another catalog item
    ("Like Alien, it is set in space.", ["space"]),                       # Alien's tag, not Aliens'
    ("Like Alien, it is about aliens.", []),                              # Aliens' own tag
    ("Like Alien, it is cyberpunk.", ["cyberpunk"]),
    ("Up close, it is tense.", []),                                       # capital at the start
    ("Like Alien, it is a horror film from 1 986.", []),                  # its year, split
    ("Like Alien, it is a horror film from 2 017.", ["2017"]),            # a space inside
    ("Like Alien, it is a horror film from 2100.", ["2100"]),             # past 2039 too
    ("Like Alien, it is a horror film from 1760.", ["1760"]),
    ("Like Alien, it is a horror film from 2.", ["from 2"]),              # a year cut short
    ("Like Alien, it is a horror film from the 80s.", []),
])
def test_claims(text, claims):
    assert _claims(text) == claims


def test_a_year_in_an_allowed_title_is_supported():
    fall = Item("P1", "Essie Stylenomics Collection, Fall 2012")
    other = Item("P2", "OPI Nail Lacquer")
    checker = GroundingChecker(Catalog("beauty", (fall, other), kind="products"))
    assert checker.unsupported_claims("Like Essie Stylenomics, Fall 2012, it is red.", other,
                                      [fall]) == []
    assert checker.unsupported_claims("It is from 2013.", other, [fall]) == ["2013"]


def test_a_number_in_a_films_title_is_no_wrong_year():
    wong = Item("W", "2046", 2004, ("Drama", "Romance"))
    mood = Item("M", "In the Mood for Love", 2000, ("Drama", "Romance"))
    checker = GroundingChecker(Catalog("movies", (wong, mood), kind="movies"))
    assert checker.unsupported_claims("Like In the Mood for Love, it is a drama, as 2046 says.",
                                      wong, [mood]) == []


def test_product_words_must_come_from_the_titles():
    products = tiny_products()
    checker = GroundingChecker(products)
    checker.vocabulary = checker.vocabulary.__class__(genres={}, terms=frozenset({"moisturizer",
                                                                                  "spray"}))
    item, history = products.get("B2"), [products.get("B1")]
    assert checker.unsupported_claims("Like Versace, it is a spray.", item, history) == []
    assert checker.unsupported_claims("Like Versace, it is a moisturizer.", item, history) == [
        "moisturizer"]


@pytest.mark.parametrize("text, states", [
    ("is a favorite of mine.", False),
    ("is a sci-fi action movie.", True),        # its genres, through a synonym
    ("is full of aliens.", True),               # its tag
    ("came out in 1986.", True),                # its year
    ("is a romantic comedy.", False),           # genres, but not its own
    ("", False),
])
def test_states_a_fact_of_the_pick(text, states):
    assert CHECK.states_a_fact(text, MOVIES.get("2")) is states


@pytest.mark.parametrize("text, shared", [
    ("an action film too.", False),             # Aliens is action, Alien is not
    ("a horror film too.", True),               # both are horror
    ("a science fiction film.", True),          # a synonym of a shared genre
    ("about aliens.", True),                    # a tag both have
    ("from 1986.", False),                      # 1979 and 1986: not one decade
    ("a favorite of mine.", False),
])
def test_names_a_fact_the_pick_shares_with_the_title_it_names(text, shared):
    assert CHECK.names_a_shared_fact(text, MOVIES.get("2"), MOVIES.get("1")) is shared


def test_a_shared_decade_counts_when_both_are_from_it():
    matrix, notting_hill = MOVIES.get("4"), MOVIES.get("6")
    assert CHECK.names_a_shared_fact("another film of the 90s.", matrix, notting_hill)
    assert CHECK.names_a_shared_fact("from 1999 too.", matrix, notting_hill)
    assert not CHECK.names_a_shared_fact("from the 80s.", matrix, notting_hill)


def test_the_guard_blocks_the_beginnings_of_years_the_pick_is_not_from():
    from recommender.core.facts import choose_anchor
    from recommender.core.grounding import YEAR_SPAN, wrong_year_starts

    starts = wrong_year_starts({1993})
    assert {"17", "18", "20", "21", "198", "1991", "1999"} <= set(starts)
    assert not {"19", "199", "1993", "1990"} & set(starts)  # the year and "the 1990s"
    for year in YEAR_SPAN:  # every other year is cut at one of them, the allowed ones never
        assert any(str(year).startswith(s) for s in starts) == (year not in (1990, 1993))
    aliens, alien = MOVIES.get("2"), MOVIES.get("1")
    avoid = CHECK.avoid_words(aliens, choose_anchor(aliens, [alien]))
    assert str(aliens.year) not in avoid and set(wrong_year_starts({aliens.year})) >= {
        w for w in avoid if w.isdigit()}
    assert "13" not in wrong_year_starts({1995}, ["13"])  # "Apollo 13" is in the title
    products = tiny_products()
    soap = products.items[0]
    assert soap.year is None
    assert not any(w[:1].isdigit() for w in GroundingChecker(products).avoid_words(
        soap, choose_anchor(soap, [products.items[1]])))


def test_the_guard_avoids_what_the_checker_would_flag_and_unshared_genres():
    from recommender.core.facts import choose_anchor

    aliens, alien = MOVIES.get("2"), MOVIES.get("1")
    avoid = CHECK.avoid_words(aliens, choose_anchor(aliens, [alien]))
    assert {"comedy", "romance", "thriller", "action"} <= set(avoid)  # action: Alien lacks it
    assert not {"horror", "sci", "aliens", "film", "the", "movie"} & set(avoid)
    assert "cyberpunk" in avoid  # a tag of other films, not of Aliens
    matrix = MOVIES.get("4")  # with nothing shared, the pick's own genres are allowed
    lonely = CHECK.avoid_words(matrix, choose_anchor(matrix, [MOVIES.get("6")]))
    assert "action" not in lonely and "comedy" in lonely


@pytest.mark.parametrize("text, claims", [
    ("You enjoy movies with horror and science fiction.", []),  # both are Alien's
    ("You enjoy movies with cyberpunk dystopias from the 80s.", []),  # Blade Runner, 1982
    ("You enjoy movies with aliens and romance.", ["romance"]),  # neither is a romance
    ("You enjoy movies with a comedy streak.", ["comedy"]),
    ("You enjoy movies from the 90s.", ["90s"]),
    ("You enjoy movies like Titanic.", ["Titanic"]),
    ("You enjoy movies like Alien and Blade Runner.", []),       # the history's own titles
])
def test_a_profile_claims_only_what_some_history_item_holds(text, claims):
    history = [MOVIES.get("1"), MOVIES.get("3")]  # Alien (1979), Blade Runner (1982)
    assert CHECK.unsupported_profile_claims(text, history) == claims


def test_an_explanation_may_quote_only_name_words_and_tags_the_two_share():
    products = tiny_products()
    candy, other_candy = products.get("B5"), products.get("B2")  # two Prada Candy perfumes
    quotable = CHECK.quotable_words(shared_with(candy, other_candy))
    assert {"prada", "candy", "parfum"} <= quotable and not {"ounce", "for", "de"} & quotable
    assert CHECK.quotable_words(shared_with(MOVIES.get("2"), MOVIES.get("1"))) == {"aliens"}
    assert CHECK.quotable_words(shared_with(MOVIES.get("5"), MOVIES.get("1"))) == frozenset()


@pytest.mark.parametrize("text, claims", [
    ("You enjoy movies like The Heat and Alien.", []),
    ("You enjoy action, from Alien to Heat.", ["Heat"]),  # a piece of The Heat, another film
])
def test_a_profile_names_no_other_film_inside_a_liked_title(text, claims):
    history = [MOVIES.get("14"), MOVIES.get("1")]  # The Heat (2013), Alien (1979)
    assert CHECK.unsupported_profile_claims(text, history) == claims


@pytest.mark.parametrize("text, claims", [
    (" a leaning toward perfume and eau de parfum, often from Prada.", []),
    (" eau de toilette and parfum sprays in the mix.", []),
    (" a focus on perfume and lollipops.", ["lollipops"]),  # no liked name holds it
    (" luxurious perfume.", ["luxurious"]),                  # nor this
])
def test_a_product_profile_names_only_words_of_the_liked_products(text, claims):
    products = tiny_products()
    history = [products.get("B1"), products.get("B2")]  # Versace and Prada perfumes
    assert GroundingChecker(products).unsupported_profile_claims(text, history) == claims


def test_the_profile_vocabulary_is_what_the_product_profile_check_lets_through():
    products = tiny_products()
    history = [products.get("B1"), products.get("B2")]
    checker = GroundingChecker(products)
    vocabulary = checker.profile_vocabulary(history)
    assert {"perfume", "perfumes", "parfum", "prada", "leaning", "toward", "with"} <= vocabulary
    assert not {"lollipop", "lollipops", "luxurious"} & vocabulary
    words = sorted({w for item in products.items for w in normalize(item.title).split()} |
                   {"lollipops", "luxurious", "toward", "perfumes", "sprays", "moisturizers"})
    for word in words:  # the guard and the check agree word by word
        flagged = checker.unsupported_profile_claims(f" {word}.", history) == [word]
        assert flagged == (len(word) >= 3 and word.isalpha() and word not in vocabulary), word
    assert checker.profile_vocabulary([]) == frozenset()
    assert CHECK.profile_vocabulary([MOVIES.get("1")]) == frozenset()  # films: claim by claim


def test_a_profile_must_name_a_fact_of_the_history():
    history = [MOVIES.get("1"), MOVIES.get("3")]
    assert CHECK.profile_states_a_fact("stories about aliens", history)
    assert CHECK.profile_states_a_fact("gritty thrillers", history)  # Blade Runner's genre
    assert not CHECK.profile_states_a_fact("a gunfight too", history)
    products = tiny_products()
    moisturizer = GroundingChecker(products)
    assert moisturizer.profile_states_a_fact("gentle moisturizers", [products.get("B3")])


def test_the_profile_guard_avoids_what_no_history_item_holds():
    avoid = set(CHECK.avoid_profile_words([MOVIES.get("1"), MOVIES.get("3")]))
    assert {"comedy", "romance", "action", "western"} <= avoid
    assert not {"horror", "thriller", "aliens", "cyberpunk", "space", "movies"} & avoid
