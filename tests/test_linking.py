import pytest

from recommender.catalog import load_movies
from recommender.linking import TitleLinker
from recommender.settings import PROJECT_ROOT

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


def test_real_catalog_examples():
    linker = TitleLinker(load_movies(PROJECT_ROOT / "data"))
    result = linker.link_message("I loved Alien, Blade Runner and The Matrix")
    assert result.item_ids == ("1214", "541", "2571")
    assert linker.link_message("The Good, the Bad and the Ugly").item_ids == ("1201",)
