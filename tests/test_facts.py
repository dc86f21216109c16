"""Issue 35: the facts an explanation may state, how they are ranked, and how they are held to
the catalog."""

from collections import namedtuple

import pytest

from recommender.catalog import Catalog, Item, _tmdb_row
from recommender.core.explanation import checked, opening
from recommender.core.facts import (
    choose_anchor,
    facts_line,
    own_distinctive,
    shared_features,
    template_explanation,
)
from recommender.core.grounding import GroundingChecker
from recommender.core.turn import CLAIMED_SHARED, UNSUPPORTED, ExplanationSource
from recommender.vocabulary.fact_kinds import Fact, FactKind
from recommender.product_facts import ProductFactReader

Row = namedtuple("Row", "overview keywords production_companies tagline original_language")

PIXAR = Fact(FactKind.STUDIO, "Pixar Animation Studios")
GHIBLI = Fact(FactKind.STUDIO, "Studio Ghibli")


def _film(item_id, title, genres, *facts, year=2000, tags=()):
    return Item(item_id, title, year, genres, tags, facts=tuple(facts))


def film_catalog() -> Catalog:
    """Twenty-one films: most of them comedies or dramas, three Pixar films, three about the
    mafia, three Ghibli films (two co-produced by Tokuma, a partner of Ghibli's alone)."""
    mafia = Fact(FactKind.KEYWORD, "mafia")
    undercover = Fact(FactKind.KEYWORD, "undercover")
    tokuma = Fact(FactKind.STUDIO, "Tokuma Shoten")
    items = [
        _film("1", "Toy Story", ("Animation", "Comedy"), PIXAR, Fact(FactKind.KEYWORD, "toy")),
        _film("2", "Finding Nemo", ("Animation", "Comedy"), PIXAR,
              Fact(FactKind.KEYWORD, "father son relationship")),
        _film("3", "Cars", ("Animation", "Comedy"), PIXAR),
        _film("4", "Shrek", ("Animation", "Comedy"), Fact(FactKind.STUDIO, "DreamWorks Animation")),
        _film("5", "The Departed", ("Crime", "Drama"), mafia, undercover,
              Fact(FactKind.STUDIO, "Warner Bros.")),
        _film("6", "Donnie Brasco", ("Crime", "Drama"), mafia, undercover),
        _film("21", "Goodfellas", ("Crime", "Drama"), mafia),
        _film("7", "Spirited Away", ("Animation", "Fantasy"), GHIBLI, tokuma,
              Fact(FactKind.LANGUAGE, "Japanese")),
        _film("8", "Ponyo", ("Animation", "Fantasy"), GHIBLI, tokuma,
              Fact(FactKind.LANGUAGE, "Japanese")),
        _film("9", "Totoro", ("Animation", "Fantasy"), GHIBLI, Fact(FactKind.LANGUAGE, "Japanese")),
    ]
    items += [_film(str(n), f"Comedy {n}", ("Comedy", "Drama"),
                    Fact(FactKind.STUDIO, "Warner Bros.")) for n in range(10, 21)]
    return Catalog("movies", tuple(items), kind="movies")


def test_tmdb_rows_give_keywords_studios_and_language_but_not_record_keywords():
    row = Row(" A mole in the police. ", '[{"id": 1, "name": "mafia"}, {"id": 2, "name": '
              '"duringcreditsstinger"}, {"id": 3, "name": "undercover cop"}]',
              '[{"name": "Warner Bros.", "id": 6194}]', "Lies. Betrayal.", "en")
    read = _tmdb_row(row)
    assert read.overview == "A mole in the police." and read.tagline == "Lies. Betrayal."
    assert read.facts == (Fact(FactKind.KEYWORD, "mafia"), Fact(FactKind.KEYWORD, "undercover cop"),
                          Fact(FactKind.STUDIO, "Warner Bros."))
    japanese = _tmdb_row(Row(float("nan"), "[]", "not json", float("nan"), "ja"))
    assert japanese.facts == (Fact(FactKind.LANGUAGE, "Japanese"),) and japanese.overview == ""


def test_a_studio_is_named_with_or_without_its_corporate_ending():
    assert PIXAR.names == ("pixar animation studios", "pixar")
    assert GHIBLI.names == ("studio ghibli",)
    assert Fact(FactKind.DECADE, "1990s").names == ("1990s", "90s")


TITLES = [
    "Revlon ColorStay Lipstick, Red, 0.1 Ounce",
    "Revlon ColorStay Liquid Eyeliner, Black",
    "Revlon Super Lustrous Lipstick, Certainly Red",
    "Pure Poison By Christian Dior For Women. Eau De Parfum Spray 3.4 Oz",
    "Dior J'adore Eau de Parfum Spray for Women, 1.7 Ounce",
    "Argan Oil Hair Mask by Nature's Gate, Lavender, 2 Pack",
    "Nail Polish Remover Pads, 32 Count",
    "Nail Polish Top Coat, Clear",
    "OPI Nail Polish, Big Apple Red",
    "Essie Nail Polish, Ballet Slippers",
    "Sally Hansen Nail Polish, Red",
]


@pytest.fixture(scope="module")
def reader():
    return ProductFactReader(TITLES, ["Revlon", "Christian Dior", "Dior", "Nail Polish",
                                      "Nature&#39;s Gate", "Makeup"])


def test_product_titles_give_brand_line_type_attributes_and_sizes_apart(reader):
    facts = reader.facts(TITLES[0])
    assert Fact(FactKind.BRAND, "Revlon") in facts
    assert Fact(FactKind.LINE, "ColorStay") in facts  # two ColorStay titles: a line
    assert Fact(FactKind.TYPE, "lipstick") in facts
    assert Fact(FactKind.SIZE, "0.1 Ounce") in facts
    lustrous = reader.facts(TITLES[2])
    assert not any(f.kind == FactKind.LINE for f in lustrous)  # one title: not a line
    poison = reader.facts(TITLES[3])
    assert Fact(FactKind.BRAND, "Christian Dior") in poison  # after "by"
    assert Fact(FactKind.TYPE, "perfume") in poison and Fact(FactKind.SIZE, "3.4 Oz") in poison
    mask = reader.facts(TITLES[5])
    assert {Fact(FactKind.ATTRIBUTE, "argan oil"), Fact(FactKind.ATTRIBUTE, "lavender")} <= \
        set(mask)
    assert Fact(FactKind.ATTRIBUTE, "argan") not in mask  # the longer phrase wins
    assert Fact(FactKind.SIZE, "2 Pack") in mask
    # a category name that starts a title is no brand: titles hold it elsewhere as often
    assert not any(f.kind == FactKind.BRAND for f in reader.facts(TITLES[6]))


@pytest.mark.parametrize("title, name", [
    ("Olay Total Effects Advanced Anti-Aging Deep Penetrating Moisture Body Wash 15.2 Oz "
     "(Pack of 2)", "Olay Body Wash"),
    ("Mizani Kerafuse Intense Strengthening Treatment for Unisex, 15 Ounce",
     "Mizani Kerafuse Intense Strengthening Treatment"),
    ("Pure Poison By Christian Dior For Women. Eau De Parfum Spray 3.4 Oz",
     "Pure Poison by Christian Dior"),
    ("Sleep Lavender Bath Salts 20 Lbs", "Sleep Lavender Bath Salts"),
    ("Agedefy Shampoo 10.1 Fl Oz", "Agedefy Shampoo"),
    ("Babyliss Pro BABNT100S Professional Nano Titanium Spring Curling Iron, 1 Inch",
     "Babyliss Pro Curling Iron"),
])
def test_product_titles_shorten_to_a_readable_name_never_cut_mid_phrase(title, name):
    reader = ProductFactReader([title, "Olay Regenerist Cream", "Babyliss Pro Dryer"],
                               ["Olay", "Christian Dior", "Mizani", "Babyliss Pro"])
    assert reader.readable_name(title) == name


def test_a_rare_shared_studio_outranks_genres_thousands_share():
    catalog = film_catalog()
    nemo, toy, shrek = catalog.get("2"), catalog.get("1"), catalog.get("4")
    assert catalog.is_distinctive(PIXAR)
    assert not catalog.is_distinctive(Fact(FactKind.STUDIO, "Warner Bros."))  # 12 of 20
    assert catalog.rarity(PIXAR) > catalog.rarity(Fact(FactKind.GENRE, "Comedy"))
    anchor = choose_anchor(nemo, [shrek, toy], catalog)  # both share Animation and Comedy
    assert anchor.item is toy and anchor.worth_saying(catalog) == (PIXAR,)
    assert "Pixar Animation Studios (studio)" in facts_line(nemo, anchor, catalog)
    assert template_explanation(nemo, anchor, catalog) == \
        "Like Toy Story, it comes from Pixar Animation Studios too."
    genres_only = choose_anchor(nemo, [shrek], catalog)
    broad = [f.kind for f in genres_only.worth_saying(catalog)]
    assert broad == [FactKind.GENRE, FactKind.GENRE, FactKind.DECADE]  # genres first
    # sharing nothing distinctive, the pick's own distinctive fact is given (a theme of one
    # film alone is trivia: the studio three films share is said)
    assert facts_line(nemo, genres_only, catalog).endswith(
        "; its own: Pixar Animation Studios (studio)")
    # the catalog-facts stand-in says the same own fact after the genres, as a contrast
    assert template_explanation(nemo, genres_only, catalog) == \
        "Like Shrek, it is an animated comedy too and is from the 2000s too; this one from " \
        "Pixar Animation Studios."


def test_a_partner_of_one_studio_alone_gives_way_to_the_studio():
    catalog = film_catalog()
    spirited, ponyo = catalog.get("7"), catalog.get("8")
    said = choose_anchor(spirited, [ponyo], catalog).worth_saying(catalog)
    assert GHIBLI in said and Fact(FactKind.STUDIO, "Tokuma Shoten") not in said


def test_own_fact_and_features_list_the_distinctive_facts():
    catalog = film_catalog()
    departed, brasco, toy = catalog.get("5"), catalog.get("6"), catalog.get("1")
    assert own_distinctive(departed, catalog).kind == FactKind.KEYWORD
    features = shared_features(departed, [brasco, toy], catalog=catalog)
    assert features.startswith("Shares with what you liked: theme “mafia” (like Donnie Brasco)")
    assert "Drama" not in features  # a genre only when nothing more specific is shared


def test_the_checker_holds_studios_and_keywords_to_the_pick():
    catalog = film_catalog()
    checker = GroundingChecker(catalog)
    nemo, toy, departed, brasco = (catalog.get(i) for i in ("2", "1", "5", "6"))
    anchor = choose_anchor(nemo, [toy], catalog)
    start = opening(nemo, anchor)
    assert start == "Like Toy Story, Finding Nemo"
    kept = checked(nemo, anchor, start, " comes from Pixar too.", [toy], checker)
    assert kept.source == ExplanationSource.LLM
    wrong = checked(nemo, anchor, start, " comes from DreamWorks Animation too.", [toy], checker)
    assert wrong.replaced_because == UNSUPPORTED and "dreamworks animation" in \
        wrong.unsupported_claims
    mafia = checked(nemo, anchor, start, " is another Pixar film about the mafia.", [toy], checker)
    assert mafia.replaced_because == UNSUPPORTED and "mafia" in mafia.unsupported_claims
    # a fact of the pick alone said as shared is replaced; after "this one" it is the pick's
    like = choose_anchor(departed, [brasco], catalog)
    said_shared = checked(departed, like, opening(departed, like),
                          " is also about the mafia and comes from Warner Bros. too.", [brasco],
                          checker)
    assert said_shared.replaced_because == CLAIMED_SHARED
    contrasted = checked(departed, like, opening(departed, like),
                         " is also about the mafia; this one from Warner Bros.", [brasco], checker)
    assert contrasted.source == ExplanationSource.LLM


def test_the_catalog_facts_profile_names_what_the_titles_share_beyond_genre():
    from recommender.core.profile import fact_profile

    catalog = film_catalog()
    ghibli = [catalog.get(i) for i in ("7", "8", "1")]
    assert fact_profile(ghibli, catalog) == \
        "You enjoy films from Studio Ghibli and Animation, Fantasy, such as Spirited Away, Ponyo."
    assert fact_profile([catalog.get("1"), catalog.get("5")], catalog).startswith(
        "You enjoy Animation, Comedy, Crime")  # nothing distinctive shared: the genres


def test_why_gives_the_model_the_shared_facts_tagline_and_overview():
    from recommender.conversation.why import why_facts
    from recommender.core.facts import detailed_template

    catalog = film_catalog()
    nemo = Item("2", "Finding Nemo", 2003, ("Animation", "Comedy"), (),
                "A clownfish searches the ocean for his son.", facts=(PIXAR,),
                tagline="There are 3.7 trillion fish in the ocean.")
    toy, cars = catalog.get("1"), catalog.get("3")
    anchor = choose_anchor(nemo, [toy, cars], catalog)
    facts = why_facts(nemo, anchor, catalog)
    assert "Pixar Animation Studios (studio)" in facts
    assert "tagline: There are 3.7 trillion fish" in facts
    assert "overview: A clownfish searches the ocean for his son." in facts
    long = detailed_template(nemo, anchor, [toy, cars], catalog)
    assert long.startswith("Like Toy Story, it comes from Pixar Animation Studios too. "
                           "Like Cars, it comes from Pixar Animation Studios too.")
    assert long.endswith("Its tagline: “There are 3.7 trillion fish in the ocean.”")
    checker = GroundingChecker(catalog)
    assert not checker.unsupported_claims(long, nemo, [toy, cars])


def test_an_attribute_slot_holds_only_the_catalogs_words():
    catalog = film_catalog()
    checker = GroundingChecker(catalog)
    toy, nemo = catalog.get("1"), catalog.get("2")
    assert checker.unsupported_claims(" is another educational film.", nemo, [toy]) == \
        ["educational"]
    for fine in (" is another animated film.", " is one more Pixar film.",
                 " is another comedy film.", " is a similar film."):
        assert not checker.unsupported_claims(fine, nemo, [toy]), fine


def test_a_product_line_names_only_the_picks_own_maker():
    eo = Item("E", "EO Hand Soap, Lavender", facts=(Fact(FactKind.BRAND, "EO"),
                                                   Fact(FactKind.TYPE, "soap")))
    meyer = Item("M", "Mrs. Meyer's Clean Day Liquid Hand Soap",
                 facts=(Fact(FactKind.BRAND, "Mrs. Meyer's Clean Day"),))
    catalog = Catalog("beauty", (eo, meyer), kind="products")
    checker = GroundingChecker(catalog)
    assert checker.unsupported_claims(" is another Mrs. Meyer's Hand Soap.", eo, [meyer]) == \
        ["Mrs. Meyer's Hand Soap"]
    assert checker.unsupported_claims(" is a soap by EO Lavender, new to your list.", eo, []) == \
        ["EO Lavender"]
    assert not checker.unsupported_claims(" is another EO soap.", eo, [meyer])
    assert not checker.unsupported_claims(" is also by Mrs. Meyer's.", meyer, [eo])
    assert checker.unsupported_claims(" is a lavender (attribute) too.", eo, [meyer]) == \
        ["(attribute)"]
    assert GroundingChecker.repeats_itself(" is another film with “star star” as a theme.")


def test_a_phrase_of_the_picks_genres_is_no_keyword_claim():
    drama = Fact(FactKind.KEYWORD, "romantic drama")
    others = tuple(_film(str(n), f"Film {n}", ("Drama",), drama) for n in range(3))
    beauty = _film("b", "American Beauty", ("Drama", "Romance"))
    checker = GroundingChecker(Catalog("movies", (*others, beauty), kind="movies"))
    assert not checker.unsupported_claims(" is a romantic drama too.", beauty, [])
    assert checker.unsupported_claims(" is a romantic drama too.", _film(
        "c", "Heat", ("Drama",)), []) == ["romantic", "romantic drama"]


def test_the_maker_as_the_title_writes_it_is_no_foreign_maker():
    bee = Item("N", "Naked Bee Orange Blossom Honey Hand Lotion", facts=(
        Fact(FactKind.TYPE, "body lotion"),))
    nyx = Item("X", "NYX Cosmetics Concealer Jar", facts=(Fact(FactKind.BRAND, "NYX"),))
    one = Item("O", "The One By Dolce and Gabbana For Women", facts=(
        Fact(FactKind.TYPE, "perfume"),))
    opi = Item("P", "OPI RapiDry Top Coat", facts=(Fact(FactKind.BRAND, "OPI"),))
    checker = GroundingChecker(Catalog("beauty", (bee, nyx, one, opi), kind="products"))
    for text, item in ((" is a lotion by Naked Bee, new to your list.", bee),
                       (" is a concealer by NYX Cosmetics.", nyx),
                       (" is a perfume by Dolce and Gabbana.", one),
                       (" is a top coat by OPI, new to your list.", opi)):
        assert not checker.unsupported_claims(text, item, []), text
    assert "ConAir" in checker.unsupported_claims(" is another ConAir product.", nyx, [])


def test_what_a_product_line_says_the_pick_is_must_be_its_own_word():
    spray = Item("J", "Johnson's No More Tangles Spray Detangler", facts=(
        Fact(FactKind.BRAND, "Johnson's"),))
    lotion = Item("A", "Aveeno Moisturizing Lotion", facts=(
        Fact(FactKind.BRAND, "Aveeno"), Fact(FactKind.TYPE, "body lotion")))
    checker = GroundingChecker(Catalog("beauty", (spray, lotion), kind="products"))
    assert checker.unsupported_claims(" is a blotter by Johnson's, new to your list.", spray,
                                      []) == ["blotter"]
    assert checker.unsupported_claims(" is a cleansel by Johnson's.", spray, []) == ["cleansel"]
    assert not checker.unsupported_claims(" is a detangler by Johnson's.", spray, [])
    assert not checker.unsupported_claims(" is another body lotion.", lotion, [spray])
    # after the opening "<pick> is", the line starts at its article
    spray_line = checked(spray, choose_anchor(spray, [lotion]), "Johnson's No More Tangles Spray "
                         "Detangler is", " a blotter by Johnson's, new to your list.", [lotion],
                         checker)
    assert spray_line.replaced_because == UNSUPPORTED


def _explained(replies: list[str], pick: str, history: list[str]):
    """The checked lines for ``pick`` after ``history``, and the replies the model was asked
    for (each with its guards), from a fake decoding them together as the real model does."""
    from recommender.core.explanation import explain
    from recommender.core.turn import Recommended
    from recommender.models.prompting import GuardedModel, PromptConversation

    from .fakes import TogetherModel

    class Recording(TogetherModel):
        def generate(self, requests):
            self.asked = list(requests)
            yield from super().generate(requests)

    catalog = film_catalog()
    model = Recording(replies)
    chat = PromptConversation(GuardedModel(model), "system")
    events = list(explain(chat, [catalog.get(pick)], [catalog.get(i) for i in history],
                          "films", GroundingChecker(catalog)))
    return [e.recommendation for e in events if isinstance(e, Recommended)], model.asked


def test_a_line_may_not_end_before_the_picks_own_fact_its_prompt_gave():
    # Finding Nemo shares only genres and a decade with Shrek; its own fact is Pixar's studio
    [kept], calls = _explained([" is an animated comedy too; this one from Pixar Animation "
                                "Studios."], "2", ["4"])
    assert calls[0].guards.go_on is not None and "pixar" in calls[0].guards.go_on.names
    assert calls[0].guards.go_on.text == "; this one"
    assert kept.source == ExplanationSource.LLM
    assert kept.explanation == \
        "Like Shrek, Finding Nemo is an animated comedy too; this one from Pixar Animation Studios."


def test_a_false_own_clause_is_cut_back_to_the_line_before_it():
    [kept], _ = _explained([" is an animated comedy too; this one from DreamWorks Animation."],
                           "2", ["4"])  # Shrek's studio, not Nemo's
    assert kept.explanation == "Like Shrek, Finding Nemo is an animated comedy too."
    assert kept.source == ExplanationSource.LLM


def test_a_line_sharing_a_distinctive_fact_may_end_where_the_model_ends_it():
    [pixar], calls = _explained([" comes from Pixar Animation Studios too."], "2", ["1"])
    assert calls[0].guards.go_on is None and "Pixar" in pixar.explanation


def test_the_stand_in_says_a_shared_year_once():
    catalog = film_catalog()
    a = Item("a", "Lord of Illusions", 1995, ("Horror",), facts=())
    b = Item("b", "Broken Arrow", 1995, ("Action",), facts=())
    catalog = Catalog("movies", (*catalog.items, a, b), kind="movies")
    line = template_explanation(b, choose_anchor(b, [a], catalog), catalog)
    assert "1995" in line and "1990s" not in line, line
