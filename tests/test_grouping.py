"""One film per series, one product per product line, on hand-made titles."""

import pytest

from recommender.catalog import Catalog, Item
from recommender.core.grouping import group_key, one_line, one_per_group, same_group


@pytest.mark.parametrize("first, second", [
    ("Harry Potter and the Sorcerer's Stone", "Harry Potter and the Goblet of Fire"),
    ("Toy Story", "Toy Story 2"),
    ("Star Wars: Episode IV - A New Hope", "Star Wars: Episode V - The Empire Strikes Back"),
    ("Back to the Future", "Back to the Future Part II"),
    ("The Godfather", "The Godfather: Part II"),
    ("Rocky", "Rocky IV"),
    ("Ocean's Eleven", "Ocean's Twelve"),
    ("Die Hard", "Die Hard with a Vengeance"),
    ("Terminator 2: Judgment Day", "Terminator 3"),
    ("Shrek", "Shrek the Third"),
])
def test_films_of_one_series(first, second):
    a, b = (group_key(Item(str(n), t), "movies") for n, t in enumerate((first, second)))
    assert same_group(a, b)


@pytest.mark.parametrize("first, second", [
    ("Heat", "The Heat"),
    ("Alien", "Aliens"),
    ("Rocky", "The Rocky Horror Picture Show"),
    ("Up", "Up in the Air"),
    ("Batman", "Batman Returns"),  # a one-word stem does not take in what it begins
])
def test_different_films(first, second):
    a, b = (group_key(Item(str(n), t), "movies") for n, t in enumerate((first, second)))
    assert not same_group(a, b)


def _products(*titles: str) -> Catalog:
    return Catalog("beauty", tuple(Item(f"P{n}", t) for n, t in enumerate(titles)),
                   kind="products")


def test_sizes_and_shades_of_one_product_are_one_line():
    catalog = _products("Dove Beauty Bar, White, 4 oz, 8 Bar", "Dove Pink Beauty Bar, 8 Count",
                        "Dove Body Wash, Deep Moisture, 24 Ounce",
                        "OPI Nail Lacquer, Big Apple Red", "OPI Nail Lacquer, Bubble Bath Pink",
                        "Essie Nail Polish, Ballet Slippers")
    items = catalog.items
    assert one_line(items[:2], "products")
    assert not one_line(items[:3], "products")  # soap and body wash are two products
    assert one_line(items[3:5], "products")
    assert not one_line(items[3:], "products")  # another brand
    assert one_per_group([i.item_id for i in items], catalog) == ["P0", "P2", "P3", "P5"]


def test_a_name_every_title_holds_is_one_product_whatever_the_word_order():
    items = _products("Versace Bright Crystal Eau de Toilette Spray for Women, 3 Ounce",
                      "Bright Crystal By Gianni Versace For Women. Miniature Eau De Toilette 5 Ml",
                      "Versace Man Eau Fraiche Eau de Toilette Spray, 3.4 Ounce").items
    assert not one_line(items[:2], "products")
    assert one_line(items[:2], "products", "Versace Bright Crystal")
    assert not one_line(items, "products", "Versace Bright Crystal")  # Man Eau Fraiche lacks it
    assert not one_line(items[:2], "products", "Versace")  # one word fits a whole brand


def test_one_film_per_series_unless_asked_for_more_of_it():
    catalog = Catalog("movies", tuple(Item(str(n), t) for n, t in enumerate((
        "Harry Potter and the Sorcerer's Stone", "Finding Nemo",
        "Harry Potter and the Chamber of Secrets", "Harry Potter and the Goblet of Fire",
        "Ratatouille"))), kind="movies")
    ids = ["0", "1", "2", "3", "4"]
    assert one_per_group(ids, catalog) == ["0", "1", "4"]
    assert one_per_group(ids, catalog, keep=["2"]) == ids
