import pytest

from recommender.catalog import Item
from recommender.core.facts import (
    choose_anchor,
    facts_line,
    finish_sentence,
    history_line,
    shared_features,
    short_title,
    template_explanation,
)

from .catalogs import tiny_movies, tiny_products

M = tiny_movies()


def test_anchor_is_the_history_item_sharing_most():
    anchor = choose_anchor(M.get("9"), [M.get("1"), M.get("4")])  # Ghost in the Shell
    assert anchor.item.item_id == "4"
    assert anchor.genres == ("Sci-Fi",) and anchor.tags == ("cyberpunk",)


def test_an_anchor_with_the_picks_own_title_is_the_last_choice():
    patriot = Item("p2", "The Patriot", 2000, ("Action", "Drama", "War"))
    earlier = Item("p1", "The Patriot", 1998, ("Action", "Drama", "War"))
    braveheart = Item("b", "Braveheart", 1995, ("Drama", "War"))
    assert choose_anchor(patriot, [earlier, braveheart]).item is braveheart
    assert choose_anchor(patriot, [earlier]).item is earlier  # no other to name


def test_template_explanation_uses_only_catalog_facts():
    anchor = choose_anchor(M.get("9"), [M.get("1"), M.get("4")])
    assert template_explanation(M.get("9"), anchor) == \
        "Like The Matrix, it is Sci-Fi and is tagged “cyberpunk”."
    unrelated = choose_anchor(M.get("6"), [M.get("1")])
    assert template_explanation(M.get("6"), unrelated) == \
        "A Comedy and Romance title from 1999; its catalog description is close to Alien."


def test_product_template_and_short_titles():
    p = tiny_products()
    anchor = choose_anchor(p.get("B2"), [p.get("B1")])
    assert short_title(p.get("B1")) == "Versace Bright Crystal Eau de Toilette Spray"
    assert short_title(M.get("11")) == "Star Wars: Episode V"
    assert short_title(M.get("1")) == "Alien"
    versace = p.get("B1").__class__("x", "Versace Bright Crystal by Versace for Women 1.0 oz Spray")
    assert short_title(versace) == "Versace Bright Crystal by Versace for Women"
    assert template_explanation(p.get("B2"), anchor) == \
        "Like Versace Bright Crystal Eau de Toilette Spray, its title mentions “eau”, “spray” and “women”."


def test_prompt_lines():
    assert history_line(M.get("1")) == "- Alien: Horror, Sci-Fi; tags: aliens, space"
    assert facts_line(M.get("2")) == "Aliens (1986): Action, Horror, Sci-Fi; tags aliens"
    assert facts_line(M.get("1")) == "Alien (1979): Horror, Sci-Fi; tags aliens, space"


@pytest.mark.parametrize("raw, done", [
    ("Like Alien, it is scary.", "Like Alien, it is scary."),
    ("  Like Alien,  it is\nscary ", "Like Alien, it is scary."),
    ("Like Alien, it is scary and tense, with a long", "Like Alien, it is scary and tense."),
    ("", ""),
])
def test_finish_sentence(raw, done):
    assert finish_sentence(raw) == done


def test_a_line_stopped_short_is_not_cut_inside_its_opening():
    from recommender.core.facts import finished_reply

    start = "Like Alpha Hydrox Foaming Face Wash, Simple Foaming Cleanser, 5 Ounce is"
    assert finished_reply(start, " a cleanser") == (f"{start} a cleanser.", " a cleanser.")
    assert finished_reply(start, " a cleanser for the face, with")[0] == \
        f"{start} a cleanser for the face."  # cut at the token limit: at its own comma


def test_shared_features_lists_each_shared_attribute_with_the_titles_that_have_it():
    catalog = M
    history = [catalog.get("1"), catalog.get("3"), catalog.get("9")]  # Alien, Blade Runner, GitS
    assert shared_features(catalog.get("4"), history) == (
        "Shares with what you liked: Sci-Fi (like Alien, Blade Runner and Ghost in the Shell); "
        "Thriller (like Blade Runner); tagged “cyberpunk” (like Blade Runner and Ghost in the "
        "Shell); tagged “dystopia” (like Blade Runner).")
    assert shared_features(catalog.get("5"), history) == (
        "It shares no genre, tag or name word with the titles you named.")


def test_shared_features_falls_back_to_name_words_for_products():
    versace, prada, neutrogena, *_ = tiny_products().items
    assert shared_features(prada, [versace]) == (
        "Shares with what you liked: “eau”, “spray” and “women” in its name (like Versace "
        "Bright Crystal Eau de Toilette Spray).")
    assert shared_features(neutrogena, [versace]).startswith("It shares no")


def test_checked_reads_only_the_models_words_and_wants_a_shared_fact():
    from recommender.core.explanation import checked
    from recommender.core.grounding import GroundingChecker
    from recommender.core.turn import NOT_SHARED, ExplanationSource

    checker = GroundingChecker(M)
    aliens, matrix = M.get("2"), M.get("4")
    anchor = choose_anchor(aliens, [matrix])  # shares Action and Sci-Fi
    kept = checked(aliens, anchor, "Like The Matrix, Aliens is", " a sci-fi action film too.",
                   [matrix], checker)
    assert kept.source == ExplanationSource.LLM  # "The Matrix" in the opening is no claim
    unshared = checked(aliens, anchor, "Like The Matrix, Aliens is", " a horror film.",
                       [matrix], checker)
    assert unshared.source == ExplanationSource.CATALOG_FACTS
    assert unshared.replaced_because == NOT_SHARED


def test_a_pick_sharing_nothing_with_the_title_named_is_not_called_like_it():
    from recommender.core.explanation import checked
    from recommender.core.explanation import opening as explanation_opening
    from recommender.core.grounding import GroundingChecker
    from recommender.core.turn import NOT_SHARED, ExplanationSource

    products = tiny_products()
    checker = GroundingChecker(products)
    opi, hydro = products.get("B4"), products.get("B3")  # a nail lacquer, a moisturizer
    anchor = choose_anchor(opi, [hydro])
    opening = "OPI Nail Lacquer, Big Apple Red is"  # no "Like Neutrogena Hydro Boost"
    assert explanation_opening(opi, anchor) == opening
    for sameness in (" another OPI.", " a nail lacquer too.", " also a lacquer."):
        line = checked(opi, anchor, opening, sameness, [hydro], checker)
        assert line.replaced_because == NOT_SHARED, sameness
    plain = checked(opi, anchor, opening, " a red nail lacquer.", [hydro], checker)
    assert plain.source == ExplanationSource.LLM  # a true fact of the pick, no likeness claimed
    essie = Item("N", "Essie Nail Lacquer, Ballet Slippers")
    sharing = choose_anchor(opi, [hydro, essie])  # a name word shared keeps the comparison
    assert explanation_opening(opi, sharing) == \
        "Like Essie Nail Lacquer, Ballet Slippers, OPI Nail Lacquer, Big Apple Red"


@pytest.mark.parametrize("text, repeats", [
    (" a drama and drama too.", True),
    ("You enjoy soap, soap and soap", True),
    ("You enjoy fantasy and fantasy", True),
    ("a mix of hair and hair too", True),
    ("You enjoy nail polish, nail polish and top coats", True),
    ("You enjoy westerns and western films", True),
    ("You enjoy products with a leaning toward moisturizing cream and moisturizing", True),
    (" a drama and a romantic drama.", False),
    ("You enjoy products with polish, nail art and nail art in the mix", True),
    ("You enjoy sci-fi, such as Toy Story and Toy Story 2", False),
    (" a movie with a mix of genres and themes.", False),
    (" a movie with a strong focus on the supernatural.", False),
    (" the the sci-fi film", True),
    (" a sci-fi action film too.", False),
    ("You enjoy drama and comedy, such as Toy Story and Toy Story 2", False),
    ("You enjoy war films, such as Tora! Tora! Tora!", False),
    (" a nail polish and a top coat.", False),
])
def test_a_line_naming_one_thing_twice_in_a_row_is_caught(text, repeats):
    from recommender.core.grounding import GroundingChecker

    assert GroundingChecker.repeats_itself(text) is repeats


def test_a_describing_word_used_as_a_thing_is_caught():
    from recommender.core.explanation import checked
    from recommender.core.grounding import GroundingChecker
    from recommender.core.turn import MISWORDED, ExplanationSource

    products = tiny_products()
    checker = GroundingChecker(products)
    for line in (" also a moisturizing.", " another cleansing.", " another Duo product, this time "
                 "a lashing.", " a hydrating too.", " a foaming by Neutrogena."):
        assert checker.uses_a_describing_word_as_a_thing(line), line
    for line in (" a moisturizing cream too.", " a cleansing foam.", " a clear coating.",
                 " a film with a happy ending.", " the anti-aging line."):
        assert not checker.uses_a_describing_word_as_a_thing(line), line
    hydro, versace = products.get("B3"), products.get("B1")
    line = checked(hydro, choose_anchor(hydro, [versace]), "Like Versace Bright Crystal, "
                   "Neutrogena Hydro Boost is", " also a moisturizing.", [versace], checker)
    assert line.source == ExplanationSource.CATALOG_FACTS
    assert line.replaced_because == MISWORDED


def test_a_wrong_article_is_caught():
    from recommender.core.explanation import checked
    from recommender.core.grounding import GroundingChecker
    from recommender.core.turn import WRONG_ARTICLE, ExplanationSource

    for line in (" an drama from 1994.", " this time a oil.", " a exfoliating gel."):
        assert GroundingChecker.uses_the_wrong_article(line), line
    for line in (" a drama from 1994.", " an oil.", " an hour-long drama.", " a unique gel.",
                 " an FBI thriller.", " a European drama.", " a yellow polish."):
        assert not GroundingChecker.uses_the_wrong_article(line), line
    products = tiny_products()
    checker = GroundingChecker(products)
    hydro, versace = products.get("B3"), products.get("B1")
    line = checked(hydro, choose_anchor(hydro, [versace]), "Neutrogena Hydro Boost is",
                   " a elegant gel moisturizer.", [versace], checker)
    assert (line.source, line.replaced_because) == (ExplanationSource.CATALOG_FACTS,
                                                   WRONG_ARTICLE)


def test_a_line_that_names_a_like_title_may_not_call_the_pick_new():
    from recommender.core.explanation import checked
    from recommender.core.grounding import GroundingChecker
    from recommender.core.turn import CALLED_NEW, ExplanationSource

    checker = GroundingChecker(M)
    aliens, matrix, up = M.get("2"), M.get("4"), M.get("8")
    like = choose_anchor(aliens, [matrix])  # shares Action and Sci-Fi
    for said in (" an action film, new to your list.", " a sci-fi film for a change.",
                 " an action film, a kind your list does not have yet.",
                 " an action film, a kind your name does not have yet.",
                 " an action film, a kind you do not have."):
        line = checked(aliens, like, "Like The Matrix, Aliens is", said, [matrix], checker)
        assert (line.source, line.replaced_because) == (ExplanationSource.CATALOG_FACTS,
                                                       CALLED_NEW), said
    kept = checked(aliens, like, "Like The Matrix, Aliens is", " an action film too.", [matrix],
                   checker)
    assert kept.source == ExplanationSource.LLM
    alone = choose_anchor(up, [matrix])
    assert not alone.genres
    line = checked(up, alone, "Up is", " an adventure film, new to your list.",
                   [matrix], checker)
    assert line.replaced_because != CALLED_NEW


def test_a_repeating_explanation_and_profile_are_replaced():
    from recommender.core.explanation import checked
    from recommender.core.grounding import GroundingChecker
    from recommender.core.profile import checked_profile
    from recommender.core.turn import REPEATED, ExplanationSource

    checker = GroundingChecker(M)
    aliens, matrix = M.get("2"), M.get("4")
    line = checked(aliens, choose_anchor(aliens, [matrix]), "Like The Matrix, Aliens is",
                   " a sci-fi and sci-fi film.", [matrix], checker)
    assert line.replaced_because == REPEATED
    profile = checked_profile("You enjoy", " sci-fi, sci-fi and sci-fi.", [matrix], checker)
    assert profile.source == ExplanationSource.CATALOG_FACTS
    assert profile.replaced_because == REPEATED


def test_the_catalog_facts_profile_names_product_types_as_it_names_genres():
    from recommender.core.profile import fact_profile

    products = tiny_products()
    profile = fact_profile([products.get("B1"), products.get("B2"), products.get("B3")])
    assert profile.startswith("You enjoy perfume, moisturizer, such as Versace Bright Crystal")
    gift = Item("X1", "Mystery Gift Box")  # no product type: not offered as an example
    assert fact_profile([products.get("B1"), gift, products.get("B2")]) == (
        "You enjoy perfume, such as Versace Bright Crystal Eau de Toilette Spray, "
        "Prada Candy By Prada Eau De Parfum Spray.")
    assert fact_profile([products.get("B4")]) == \
        "You enjoy nail polish, such as OPI Nail Lacquer, Big Apple Red."  # "lacquer": polish
