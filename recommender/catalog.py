"""Catalogs: the items we can recommend, loaded with pandas from the shipped data files.

Two domains ship with the project:

* ``movies``: MovieLens ml-latest-small (title, year, genres, most frequent user tags), joined
  with TMDB 5000 overviews through ``links.csv``.
* ``beauty``: Amazon Beauty 5-core products; the title is the only item text.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import CatalogError, UnknownDomainError

__all__ = [
    "Item",
    "Catalog",
    "DOMAINS",
    "domain_labels",
    "load_catalog",
    "load_movies",
    "load_beauty",
    "parse_movie_title",
]

DOMAINS: dict[str, str] = {"movies": "Movies (MovieLens)", "beauty": "Beauty products (Amazon)"}
"""Domain key → label shown in the UI."""


def domain_labels(names: Sequence[str]) -> dict[str, str]:
    """UI labels of these domains (a domain without one is shown by its key)."""
    return {name: DOMAINS.get(name, name) for name in names}

_TAGS_PER_MOVIE = 5
_IGNORED_TAGS = {"in netflix queue"}
_TRAILING_ARTICLES = (
    "The", "A", "An", "Les", "Le", "La", "L'", "Il", "El", "Die", "Der", "Das", "Los", "Las", "Lo",
    "I", "Un", "Une", "Det", "Den", "O", "Os", "As",
)


@dataclass(frozen=True)
class Item:
    """One recommendable item with the facts the catalog really holds about it."""

    item_id: str
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    popularity: int = 0
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Title with the year when known, e.g. ``The Matrix (1999)``."""
        return f"{self.title} ({self.year})" if self.year else self.title

    def document(self, max_description_words: int = 40) -> str:
        """The text that gets embedded for retrieval."""
        parts = [self.label + "."]
        if self.genres:
            parts.append("Genres: " + ", ".join(self.genres) + ".")
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags) + ".")
        if self.description:
            words = self.description.split()
            parts.append(" ".join(words[:max_description_words]))
        return " ".join(parts)


@dataclass
class Catalog:
    """An ordered collection of items with id lookup."""

    domain: str
    items: tuple[Item, ...]
    kind: str = "movies"
    """``movies`` (titles with years, genres, tags), ``products`` (titles only) or ``items``
    (a catalog someone uploaded)."""
    _by_id: dict[str, Item] = field(init=False, repr=False)
    _genres: tuple[str, ...] = field(init=False, repr=False)
    _latest_year: int | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {item.item_id: item for item in self.items}
        self._genres = tuple(sorted({g for item in self.items for g in item.genres}))
        self._latest_year = max((i.year for i in self.items if i.year), default=None)
        if len(self._by_id) != len(self.items):
            raise CatalogError(f"Catalog {self.domain!r} has duplicate item ids.")

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def get(self, item_id: str) -> Item:
        """The item with this id; ``KeyError`` when absent."""
        return self._by_id[item_id]

    @property
    def noun(self) -> str:
        """What one item is called in messages: ``movie`` or ``product``."""
        return {"movies": "movie", "products": "product"}.get(self.kind, "item")

    @property
    def genres(self) -> tuple[str, ...]:
        """All genres that occur in the catalog, sorted."""
        return self._genres

    @property
    def latest_year(self) -> int | None:
        """The newest item's year; ``None`` when the catalog has no years."""
        return self._latest_year

    def fingerprint(self) -> str:
        """Hash of every id and document: changes whenever the indexed text would change."""
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(item.item_id.encode())
            digest.update(b"\x00")
            digest.update(item.document().encode())
            digest.update(b"\x01")
        return digest.hexdigest()


def load_catalog(domain: str, data_dir: Path) -> Catalog:
    """Load the catalog of a domain key (see :data:`DOMAINS`) from ``data_dir``."""
    if domain == "movies":
        return load_movies(data_dir)
    if domain == "beauty":
        return load_beauty(data_dir)
    raise UnknownDomainError(domain, list(DOMAINS))


_YEAR_RE = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")
_PAREN_RE = re.compile(r"\s*\(([^()]*)\)\s*$")


def parse_movie_title(raw: str) -> tuple[str, int | None, tuple[str, ...]]:
    """Split a MovieLens title into display title, year and alternative titles.

    ``"Matrix, The (1999)"`` → ``("The Matrix", 1999, ())``;
    ``"Alien³ (a.k.a. Alien 3) (1992)"`` → ``("Alien³", 1992, ("Alien 3",))``.
    """
    text = raw.strip()
    year = None
    match = _YEAR_RE.search(text)
    if match:
        year = int(match.group(1))
        text = text[: match.start()]
    aliases: list[str] = []
    while (paren := _PAREN_RE.search(text)) and paren.start() > 0:
        inner = paren.group(1).strip()
        inner = re.sub(r"^a\.k\.a\.\s*", "", inner, flags=re.IGNORECASE)
        if inner:
            aliases.insert(0, _front_article(inner))
        text = text[: paren.start()]
    return _front_article(text.strip()), year, tuple(aliases)


def _front_article(title: str) -> str:
    """``"Matrix, The"`` → ``"The Matrix"``; titles without a trailing article stay as they are."""
    for article in _TRAILING_ARTICLES:
        suffix = ", " + article
        if title.endswith(suffix):
            joiner = "" if article.endswith("'") else " "
            return article + joiner + title[: -len(suffix)]
    return title


def load_movies(data_dir: Path) -> Catalog:
    """MovieLens ml-latest-small joined with tags and TMDB overviews."""
    ml = data_dir / "ml-latest-small"
    movies = _read_csv(ml / "movies.csv", ["movieId", "title", "genres"])
    tags = _read_csv(ml / "tags.csv", ["movieId", "tag"])
    links = _read_csv(ml / "links.csv", ["movieId", "tmdbId"])
    ratings = _read_csv(ml / "ratings.csv.gz", ["movieId"])
    tmdb_path = data_dir / "tmdb-5000" / "tmdb_5000_movies.csv.gz"
    tmdb = _read_csv(tmdb_path, ["id", "overview"]) if tmdb_path.exists() else None

    popularity = ratings.groupby("movieId").size()
    top_tags = _top_tags(tags)
    overviews: dict[int, str] = {}
    if tmdb is not None:
        joined = links.dropna(subset=["tmdbId"]).merge(
            tmdb.dropna(subset=["overview"]), left_on="tmdbId", right_on="id"
        )
        overviews = dict(zip(joined["movieId"], joined["overview"].astype(str)))

    items = []
    for movie_id, raw_title, genres in movies.itertuples(index=False):
        title, year, aliases = parse_movie_title(str(raw_title))
        genre_list = tuple(g for g in str(genres).split("|") if g and g != "(no genres listed)")
        items.append(
            Item(
                item_id=str(movie_id),
                title=title,
                year=year,
                genres=genre_list,
                tags=top_tags.get(movie_id, ()),
                description=overviews.get(movie_id, "").strip(),
                popularity=int(popularity.get(movie_id, 0)),
                aliases=aliases,
            )
        )
    return Catalog("movies", tuple(items), kind="movies")


def _top_tags(tags: pd.DataFrame) -> dict[int, tuple[str, ...]]:
    tags = tags.assign(tag=tags["tag"].astype(str).str.strip().str.lower())
    tags = tags[~tags["tag"].isin(_IGNORED_TAGS) & (tags["tag"] != "")]
    counts = tags.groupby(["movieId", "tag"]).size().reset_index(name="n")
    counts = counts.sort_values(["movieId", "n", "tag"], ascending=[True, False, True])
    top = counts.groupby("movieId").head(_TAGS_PER_MOVIE)
    return {mid: tuple(group["tag"]) for mid, group in top.groupby("movieId")}


def load_beauty(data_dir: Path) -> Catalog:
    """Amazon Beauty 5-core products: ASIN ids, product titles, interaction counts."""
    folder = data_dir / "amazon-beauty"
    lookup = _read_csv(folder / "products_lookup.csv.gz", ["global_product_id", "name"])
    asin_to_int = _read_json(folder / "item_id_to_int.json.gz")
    popularity = _count_sequences(folder / "user_sequence.txt.gz")
    names = dict(zip(lookup["global_product_id"], lookup["name"]))
    items = []
    for asin, global_id in sorted(asin_to_int.items(), key=lambda kv: kv[1]):
        name = names.get(global_id)
        # Titles come from scraped pages: some carry HTML entities such as "&#9733;".
        text = " ".join(html.unescape(name).split()) if isinstance(name, str) else ""
        title = text or f"Product {asin}"
        items.append(Item(item_id=asin, title=title, popularity=popularity.get(asin, 0)))
    return Catalog("beauty", tuple(items), kind="products")


def _count_sequences(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in _read_lines(path):
        for asin in line.split()[1:]:
            counts[asin] = counts.get(asin, 0) + 1
    return counts


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.exists():
        raise CatalogError(
            f"Catalog file {path} is missing. Point RECOMMENDER_DATA_DIR at the project's data/ "
            "folder or restore the file from the repository."
        )
    try:
        frame = pd.read_csv(path, usecols=list(columns))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise CatalogError(f"Catalog file {path} cannot be read ({exc}).") from exc
    return frame


def _read_json(path: Path) -> dict:
    if not path.exists():
        raise CatalogError(f"Catalog file {path} is missing; restore it from the repository.")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise CatalogError(f"Catalog file {path} is missing; restore it from the repository.")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()
