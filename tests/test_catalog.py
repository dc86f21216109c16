from dataclasses import replace
from pathlib import Path

import pytest

from recommender.catalog import Catalog, load_beauty, load_catalog, load_movies, parse_movie_title
from recommender.errors import CatalogError, UnknownDomainError
from recommender.settings import PROJECT_ROOT

from .catalogs import tiny_movies

DATA = PROJECT_ROOT / "data"


@pytest.mark.parametrize("raw, title, year, aliases", [
    ("Matrix, The (1999)", "The Matrix", 1999, ()),
    ("Toy Story (1995)", "Toy Story", 1995, ()),
    ("Alien³ (a.k.a. Alien 3) (1992)", "Alien³", 1992, ("Alien 3",)),
    ("Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", "Amélie", 2001,
     ("Le Fabuleux destin d'Amélie Poulain",)),
    ("Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",
     "The Good, the Bad and the Ugly", 1966, ("Il Buono, il brutto, il cattivo",)),
    ("Babylon 5", "Babylon 5", None, ()),
    ("Lion King, The (2019) ", "The Lion King", 2019, ()),
])
def test_parse_movie_title(raw, title, year, aliases):
    assert parse_movie_title(raw) == (title, year, aliases)


def test_movies_catalog_joins_tags_and_overviews():
    movies = load_movies(DATA)
    assert len(movies) == 9742
    matrix = movies.get("2571")
    assert (matrix.title, matrix.year) == ("The Matrix", 1999)
    assert matrix.genres == ("Action", "Sci-Fi", "Thriller")
    assert "sci-fi" in matrix.tags and "in netflix queue" not in matrix.tags
    assert matrix.description.startswith("Set in the 22nd century")
    assert matrix.popularity == 278
    assert sum(1 for i in movies.items if i.description) >= 3500


def test_beauty_catalog_has_titles_and_counts():
    beauty = load_beauty(DATA)
    assert len(beauty) == 12101
    assert sum(i.popularity for i in beauty.items) == 198502
    assert all(i.title for i in beauty.items)
    assert not any("&#" in i.title or "  " in i.title for i in beauty.items)
    assert beauty.kind == "products" and beauty.noun == "product"


def test_fingerprint_follows_item_text():
    catalog = tiny_movies()
    same = Catalog("movies", catalog.items, kind="movies")
    changed_items = (replace(catalog.items[0], tags=("new tag",)),) + catalog.items[1:]
    changed = Catalog("movies", changed_items, kind="movies")
    assert catalog.fingerprint() == same.fingerprint()
    assert catalog.fingerprint() != changed.fingerprint()


def test_document_holds_catalog_facts():
    alien = tiny_movies().get("1")
    assert alien.document() == "Alien (1979). Genres: Horror, Sci-Fi. Tags: aliens, space."


def test_unknown_domain_and_missing_files(tmp_path: Path):
    with pytest.raises(UnknownDomainError, match="Choose one of: movies, beauty"):
        load_catalog("books", DATA)
    with pytest.raises(CatalogError, match="RECOMMENDER_DATA_DIR"):
        load_movies(tmp_path)


def test_duplicate_ids_are_refused():
    item = tiny_movies().items[0]
    with pytest.raises(CatalogError, match="duplicate"):
        Catalog("x", (item, item))
