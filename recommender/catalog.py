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
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from .errors import CatalogError, UnknownDomainError
from .vocabulary.fact_kinds import (
    ALWAYS_SPECIFIC_KINDS,
    DISTINCTIVE_FLOOR,
    DISTINCTIVE_SHARE,
    LANGUAGES,
    RECORD_KEYWORDS,
    SPECIFIC_KINDS,
    UNSAID_TAGS,
    Fact,
    FactKind,
)
from .product_facts import ProductFactReader, read_attribute_names
from .vocabulary import genre_synonyms, normalize

_GENRE_NAMES = frozenset(genre_synonyms()) | {"animation", "sci fi", "children"}

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
    facts: tuple[Fact, ...] = ()
    """What the catalog states about the item beyond the fields above (``fact_kinds``): TMDB
    keywords, studios and language for films; brand, line, type, attributes and sizes read
    from a product's title. Empty for a catalog that states nothing more."""
    tagline: str = ""
    short_name: str = ""
    """A readable name to repeat in a sentence (products: brand and product); "" when the
    title is short enough."""

    def stated_facts(self) -> tuple[Fact, ...]:
        """Every fact of the item: its genres, year, decade and tags, and ``facts``."""
        return self._stated

    @cached_property
    def _stated(self) -> tuple[Fact, ...]:
        out = [Fact(FactKind.GENRE, g) for g in self.genres]
        if self.year:
            out += [Fact(FactKind.YEAR, str(self.year)),
                    Fact(FactKind.DECADE, f"{self.year // 10 * 10}s")]
        out += [Fact(FactKind.TAG, t) for t in self.tags
                if t not in UNSAID_TAGS and normalize(t) not in _GENRE_NAMES]
        return tuple(dict.fromkeys([*out, *self.facts]))

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
    _fact_items: dict[tuple[FactKind, str], frozenset[str]] | None = field(
        init=False, repr=False, default=None)
    _distinct_facts: tuple[Fact, ...] = field(init=False, repr=False, default=())

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

    def items_of(self, fact: Fact) -> frozenset[str]:
        """The ids of the items that state ``fact`` (by kind and ``Fact.key``)."""
        return self._fact_index()[0].get((fact.kind, fact.key), frozenset())

    def distinct_facts(self) -> tuple[Fact, ...]:
        """One of each fact the catalog's items state (by kind and key), as first written."""
        return self._fact_index()[1]

    def _fact_index(self) -> tuple[dict[tuple[FactKind, str], frozenset[str]], tuple[Fact, ...]]:
        if self._fact_items is None:
            ids: dict[tuple[FactKind, str], set[str]] = {}
            first: dict[tuple[FactKind, str], Fact] = {}
            for item in self.items:
                for fact in item.stated_facts():
                    key = (fact.kind, fact.key)
                    ids.setdefault(key, set()).add(item.item_id)
                    first.setdefault(key, fact)
            self._fact_items = {key: frozenset(v) for key, v in ids.items()}
            self._distinct_facts = tuple(first.values())
        return self._fact_items, self._distinct_facts

    def items_with(self, fact: Fact) -> int:
        """How many items of the catalog state ``fact``."""
        return len(self.items_of(fact))

    def rarity(self, fact: Fact) -> float:
        """How much ``fact`` tells about an item: the log of the catalog's size over the items
        stating it (inverse document frequency); a genre of thousands of films is near 1, a
        studio of a dozen near 7."""
        return math.log(max(len(self.items), 1) / max(self.items_with(fact), 1))

    def is_distinctive(self, fact: Fact) -> bool:
        """Is ``fact`` specific enough to be worth saying: of a specific kind (``fact_kinds``),
        and a brand or line, or carried by at most ``DISTINCTIVE_SHARE`` of the items (no big
        distributor, no keyword thousands of films carry)?"""
        if fact.kind not in SPECIFIC_KINDS:
            return False
        return fact.kind in ALWAYS_SPECIFIC_KINDS or \
            self.items_with(fact) <= max(DISTINCTIVE_SHARE * len(self.items), DISTINCTIVE_FLOOR)

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
    tmdb = _read_csv(tmdb_path, list(_TMDB_COLUMNS)) if tmdb_path.exists() else None

    popularity = ratings.groupby("movieId").size()
    top_tags = _top_tags(tags)
    tmdb_rows: dict[int, _TmdbRow] = {}
    if tmdb is not None:
        joined = links.dropna(subset=["tmdbId"]).merge(tmdb, left_on="tmdbId", right_on="id")
        tmdb_rows = {int(row.movieId): _tmdb_row(row) for row in joined.itertuples(index=False)}

    items = []
    for movie_id, raw_title, genres in movies.itertuples(index=False):
        title, year, aliases = parse_movie_title(str(raw_title))
        genre_list = tuple(g for g in str(genres).split("|") if g and g != "(no genres listed)")
        extra = tmdb_rows.get(int(movie_id), _NO_TMDB)
        items.append(
            Item(
                item_id=str(movie_id),
                title=title,
                year=year,
                genres=genre_list,
                tags=top_tags.get(movie_id, ()),
                description=extra.overview,
                popularity=int(popularity.get(movie_id, 0)),
                aliases=aliases,
                facts=extra.facts,
                tagline=extra.tagline,
            )
        )
    return Catalog("movies", tuple(items), kind="movies")


_TMDB_COLUMNS = ("id", "overview", "keywords", "production_companies", "tagline",
                 "original_language")


@dataclass(frozen=True)
class _TmdbRow:
    overview: str = ""
    tagline: str = ""
    facts: tuple[Fact, ...] = ()


_NO_TMDB = _TmdbRow()


def _tmdb_row(row) -> _TmdbRow:
    """A film's TMDB 5000 overview, tagline, and its keywords (not those about the record),
    studios and original language (when not English) as facts."""
    facts = [Fact(FactKind.KEYWORD, k) for k in _names(row.keywords)
             if k.lower() not in RECORD_KEYWORDS]
    facts += [Fact(FactKind.STUDIO, _PARENTHESES.sub("", c).strip() or c)
              for c in _names(row.production_companies)]  # "Metro-Goldwyn-Mayer (MGM)"
    language = LANGUAGES.get(str(row.original_language))
    if language:
        facts.append(Fact(FactKind.LANGUAGE, language))
    overview = row.overview.strip() if isinstance(row.overview, str) else ""  # as indexed
    return _TmdbRow(overview=overview, tagline=_text(row.tagline),
                    facts=tuple(dict.fromkeys(facts)))


_PARENTHESES = re.compile(r"\s*\([^()]*\)")


def _names(cell: object) -> list[str]:
    """The ``name`` of each entry of a TMDB JSON list cell ("[{"id": 1, "name": "mafia"}]")."""
    if not isinstance(cell, str) or not cell.startswith("["):
        return []
    try:
        return [str(e["name"]).strip() for e in json.loads(cell) if str(e.get("name", "")).strip()]
    except (ValueError, TypeError, KeyError):
        return []


def _text(cell: object) -> str:
    return " ".join(str(cell).split()) if isinstance(cell, str) else ""


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
    rows = []
    for asin, global_id in sorted(asin_to_int.items(), key=lambda kv: kv[1]):
        name = names.get(global_id)
        # Titles come from scraped pages: some carry HTML entities such as "&#9733;".
        text = " ".join(html.unescape(name).split()) if isinstance(name, str) else ""
        rows.append((asin, text or f"Product {asin}"))
    reader = ProductFactReader([title for _, title in rows],
                               read_attribute_names(folder / "datamaps_P5.json.gz"))
    items = []
    for asin, title in rows:
        short = reader.readable_name(title)
        items.append(Item(item_id=asin, title=title, popularity=popularity.get(asin, 0),
                          facts=reader.facts(title),
                          short_name=short if short != title else ""))
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
