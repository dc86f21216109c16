import pytest

from recommender.catalog import load_movies
from recommender.core.linking import TitleLinker
from recommender.settings import PROJECT_ROOT
from recommender.vocabulary import normalize

from .catalogs import tiny_movies, tiny_products


@pytest.fixture(scope="module")
def linker():
    return TitleLinker(tiny_movies())


@pytest.mark.parametrize("message, expected_ids, unmatched", [
    ("I loved Alien, Blade Runner and The Matrix", ("1", "3", "4"), ()),
    ("alien", ("1",), ()),
    ("Aliens", ("2",), ()),
    ("Pride and Prejudice and Up", ("7", "8"), ()),
    ("I loved it", (), ("I loved it",)),
    ("Up", ("8",), ()),
    ('I liked "Her" and "Up"', ("12", "8"), ()),
    ("Matrix, The", ("4",), ()),
    ("the matrix 1999", ("4",), ()),
    ("star wars", ("10",), ()),
    ("empire strikes back", ("11",), ()),
    ("Alien and xyzzy", ("1",), ("xyzzy",)),
    ("<b>Alien</b> 🍿🍿", ("1",), ()),
    ("🍿🍿🍿", (), ()),
    ("", (), ()),
    ("blade runer", ("3",), ()),
    ("Alien, Alien, ALIEN", ("1",), ()),
])
def test_link_message(linker, message, expected_ids, unmatched):
    result = linker.link_message(message)
    assert result.item_ids == expected_ids
    assert result.unmatched == unmatched


def test_link_titles_keeps_one_row_per_input(linker):
    result = linker.link_titles(["Alien", "Nothing Like This", "The Matrix"])
    assert [m.item_id for m in result.mentions] == ["1", None, "4"]
    assert [m.text for m in result.mentions] == ["Alien", "Nothing Like This", "The Matrix"]


def test_shared_names_pick_the_most_popular_with_lower_confidence(linker):
    mention = linker.link_message("star wars").mentions[0]
    assert mention.item_id == "10" and 0 < mention.confidence < 1


def test_partial_product_titles():
    result = TitleLinker(tiny_products()).link_message("Versace Bright Crystal and Prada Candy")
    assert result.item_ids == ("B1", "B2")
    assert all(m.method == "partial" for m in result.mentions)


@pytest.fixture(scope="module")
def movies():
    return TitleLinker(load_movies(PROJECT_ROOT / "data"))


ASK = "ask"
# typed text → the movie ids linked, in order; ("ask", ids) when the conversation must ask
# "did you mean …?" and offer these ids (first the likeliest)
REAL_CASES = [
    ("teh matrix", ["2571"]),
    ("blade runer", ["541"]),
    ("I loved teh matrix and blade runer", ["2571", "541"]),
    ("Matrix, The", ["2571"]),
    ("the matrix (1999)", ["2571"]),
    ("matrix reloaded", ["6365"]),
    ("Godfather", ["858"]),
    ("the godfather part 2", ["1221"]),
    ("Alien", ["1214"]),
    ("Aliens", ["1200"]),
    ("alien 3", ["1320"]),
    ("Terminator", ["1240"]),
    ("toy story", ["1"]),
    ("toy story 2", ["3114"]),
    ("Toy Story, Finding Nemo, Up", ["1", "6377", "68954"]),
    ("fellowship of the ring", ["4993"]),
    ("empire strikes back", ["1196"]),
    ("oceans eleven", ["4963"]),
    ("dark night", ["58559"]),
    ("inceptoin", ["79132"]),
    ("pulp fictoin", ["296"]),
    ("the shawshank redemtion", ["318"]),
    ("forest gump", ["356"]),
    ("Amélie", ["4973"]),
    ("Le fabuleux destin d'Amélie Poulain", ["4973"]),
    ("Spirited Away (2001)", ["5618"]),
    ("spiderman", ["5349"]),
    ("Jurassic Prak", ["480"]),
    ("good fellas", ["1213"]),
    ("back to the futur", ["1270"]),
    ("se7en", ["47"]),
    ("Heat", ["6"]),
    ("The Thing", ["2288"]),
    ("Total Recall", ["2916"]),
    ("The Good, the Bad and the Ugly", ["1201"]),
    ("Up", ["68954"]),
    # a common word that is a title links as an item of a list, not inside a sentence
    ("The Exorcist, The Ring, Saw", ["1997", "5679", "8957"]),
    ("The Shining, Halloween and Saw", ["1258", "1982", "8957"]),
    ("Heat, Up, Her", ["6", "68954", "106920"]),
    ("I saw it twice", [None]),
    ("I saw Heat twice", ["6", None]),
    ("Monsters, Inc., Shrek, The Incredibles", ["4886", "4306", "8961"]),
    # an alternative title inside a sentence is not a match; a wrong year is not a match
    ("what is the word for films like Alien", [None, "1214"]),
    ("Road (2006", [None]),
    ("Road (2009)", ["63072"]),
    # ambiguous: shared names and remakes
    ("star wars", (ASK, ["260", "1196", "1210"])),
    ("The Lord of the Rings", (ASK, ["4993", "5952", "7153"])),
    ("lord of the rings", (ASK, ["4993", "5952", "7153"])),
    ("indiana jones", (ASK, ["1291", "2115"])),
    ("King Kong", (ASK, ["41569"])),
    ("Hamlet", (ASK, ["1411"])),
    ("Planet of the Apes", (ASK, ["2529"])),
    ("Godzilla", (ASK, ["1882"])),
    ("Solaris", (ASK, ["5881"])),
    ("Star Trek", (ASK, ["68358"])),
    ("Pride and Prejudice", (ASK, ["40629"])),
]


@pytest.mark.parametrize("text, expected", REAL_CASES, ids=[c[0] for c in REAL_CASES])
def test_links_typos_variants_and_ambiguous_names(movies, text, expected):
    from recommender.conversation.turn import ASK_BELOW

    mentions = movies.link_message(text).mentions
    if isinstance(expected, tuple):
        (mention,) = mentions
        assert mention.ambiguous(ASK_BELOW), mention
        offered = [mention.item_id, *mention.alternatives]
        assert offered[: len(expected[1])] == expected[1]
    else:
        assert [m.item_id for m in mentions] == expected
        assert not any(m.ambiguous(ASK_BELOW) for m in mentions)


def test_real_catalog_examples():
    linker = TitleLinker(load_movies(PROJECT_ROOT / "data"))
    result = linker.link_message("I loved Alien, Blade Runner and The Matrix")
    assert result.item_ids == ("1214", "541", "2571")
    assert linker.link_message("The Good, the Bad and the Ugly").item_ids == ("1201",)


@pytest.fixture(scope="module")
def products():
    from recommender.catalog import load_beauty

    return TitleLinker(load_beauty(PROJECT_ROOT / "data"))


@pytest.mark.parametrize("text, words", [
    ("Dove Beauty Bar, Nivea Creme, Burt's Bees Lip Balm",
     [("dove", "beauty bar"), ("nivea", "creme"), ("burt", "lip")]),
    ("Pantene shampoo, Head and Shoulders shampoo, Suave shampoo",
     [("pantene", "shampoo"), ("head and shoulders", "shampoo"), ("suave", "shampoo")]),
    ("OPI Nail Lacquer, China Glaze nail polish",
     [("opi", "nail lacquer"), ("china glaze", "nail polish")]),
    ("Dove soap", [("dove", "soap")]),
])
def test_a_brand_with_a_product_type_is_one_name_of_one_product_line(products, text, words):
    from recommender.core.grouping import one_line

    catalog = products.catalog
    mentions = products.link_message(text).mentions
    assert len(mentions) == len(words)
    for mention, (brand, kind) in zip(mentions, words):
        title = catalog.get(mention.item_id).title.lower()
        assert brand in title.replace("'", "") and kind.split()[0] in title
        options = [catalog.get(i) for i in (mention.item_id, *mention.alternatives)]
        assert one_line(options, "products"), [o.title for o in options]


def test_the_try_examples_and_benchmark_conversations_name_titles_their_catalog_holds(products):
    """Every title a "Try" example or a benchmark conversation names is in its catalog, and
    the one it links to carries the typed brand or title words."""
    from recommender.evaluation.benchmark import CONVERSATIONS
    from recommender.web.about import EXAMPLES

    linkers = {"movies": TitleLinker(load_movies(PROJECT_ROOT / "data")), "beauty": products}
    # The first two examples of each catalog name titles; the others refine.
    typed = [(key, row[0]) for key, rows in EXAMPLES.items() for row in rows[:2]]
    typed += CONVERSATIONS
    for key, message in typed:
        result = linkers[key].link_message(message)
        assert result.linked and not result.unmatched, message
        for mention in result.linked:
            title = normalize(linkers[key].catalog.get(mention.item_id).title)
            first = normalize(mention.text).split()[0]
            assert first in title.split() or first in title, (message, mention)


@pytest.mark.parametrize("text, brand, halves", [
    ("NYX eyeliner", "nyx", ("eye", "liner")),
    ("Maybelline eye shadow", "maybelline", ("eyeshadow",)),
])
def test_one_word_typed_as_two_or_two_as_one_links(products, text, brand, halves):
    """"eyeliner" finds a title that says "Eye ... Liner" when no title of the brand says
    "eyeliner"; "eye shadow" finds one that says "Eyeshadow"."""
    (mention,) = products.link_message(text).mentions
    assert mention.item_id is not None, mention
    title = normalize(products.catalog.get(mention.item_id).title)
    assert brand in title.split() and all(h in title for h in halves), title
