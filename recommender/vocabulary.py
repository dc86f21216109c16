"""The words the product reads, in one place: normalisation, stop words, the genre words of
messages and explanations, the filler words around titles and requests, and decades.

Reading a message (``conversation.reading``), linking titles (``core.linking``) and checking
explanations (``core.grounding``) all take their words from here, so they cannot disagree."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["normalize", "tokens", "STOPWORDS", "GenreWords", "GENRE_WORDS", "genre_synonyms",
           "request_genre_words", "TITLE_FILLER", "REQUEST_FILLER", "DECADE_PATTERN", "PRODUCT_TYPES",
           "product_types", "PACKAGING_WORDS", "names_any"]

STOPWORDS = frozenset(
    """a an the and or of in on at to for from with by as is it its be are was were this that
    these those i me my we our you your he she her him his they them their what which who whom
    up down out over under again then once here there when where why how all any both each few
    more most other some such no nor not only own same so than too very can will just do does
    did has have had into about after before above below off further s t don't vs""".split()
)

_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_WORD_CHAR = re.compile(r"[^0-9a-z]")


def _plain_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return ascii_text.replace("&", " and ").replace("'", "").lower()


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: ``"Amélie!"`` → ``"amelie"``."""
    return _NON_WORD.sub(" ", _plain_lower(text)).strip()


def names_any(text: str, names: Iterable[str]) -> bool:
    """Does ``text`` name any of ``names`` (normalised phrases) as whole words?"""
    padded = f" {normalize(text)} "
    return any(f" {name} " in padded for name in names)


def folded(text: str) -> str:
    """``text`` as ``normalize`` reads it, with every break kept as one space per character
    (for reading a reply token by token): ``" L'Oréal,"`` → ``" loreal "``."""
    return _NON_WORD_CHAR.sub(" ", _plain_lower(text))


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    return normalize(text).split()


@dataclass(frozen=True)
class GenreWords:
    """The words for one genre. ``names`` name it: an explanation using one claims the genre
    (the grounding check holds it to the catalog), and a message using one asks for it.
    ``cues`` only ask for it in a message ("funny", "heist"); they claim nothing in an
    explanation."""

    names: tuple[str, ...]
    cues: tuple[str, ...] = ()


GENRE_WORDS: dict[str, GenreWords] = {
    "Action": GenreWords(("action",)),
    "Adventure": GenreWords(("adventure",), ("adventures",)),
    "Animation": GenreWords(("animation", "animated", "cartoon"), ("cartoons", "anime")),
    "Children": GenreWords(("children's", "children", "kids", "family")),
    "Comedy": GenreWords(("comedy", "comedic"),
                         ("comedies", "funny", "humor", "humour", "hilarious", "comic")),
    "Crime": GenreWords(("crime",), ("gangster", "heist", "mafia")),
    "Documentary": GenreWords(("documentary", "documentaries")),
    "Drama": GenreWords(("drama", "dramatic"), ("dramas",)),
    "Fantasy": GenreWords(("fantasy",)),
    "Film-Noir": GenreWords(("film noir", "noir"), ("film-noir",)),
    "Horror": GenreWords(("horror", "scary"), ("slasher", "slashers")),
    "IMAX": GenreWords(("imax",)),
    "Musical": GenreWords(("musical", "musicals")),
    "Mystery": GenreWords(("mystery", "mysteries"), ("whodunit",)),
    "Romance": GenreWords(("romance", "romantic"),
                          ("romances", "romcom", "rom-com", "love story", "love stories")),
    "Sci-Fi": GenreWords(("sci-fi", "scifi", "science fiction"), ("science-fiction",)),
    "Thriller": GenreWords(("thriller", "thrillers"), ("suspense",)),
    "War": GenreWords(("war",)),
    "Western": GenreWords(("western", "westerns"), ("cowboy",)),
}
"""MovieLens's genres; other catalogs' genres are named by their own name only."""


def genre_synonyms() -> dict[str, str]:
    """Normalised genre name → genre, for every name in ``GENRE_WORDS`` (the claims)."""
    return {normalize(name): genre for genre, words in GENRE_WORDS.items()
            for name in words.names}


def request_genre_words(genres: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """The words that ask for each of these genres in a message (its own name always),
    longest first."""
    out = {}
    for genre in genres:
        known = GENRE_WORDS.get(genre, GenreWords(()))
        words = {genre.lower(), *known.names, *known.cues}
        out[genre] = tuple(sorted(words, key=len, reverse=True))
    return out


TITLE_FILLER = frozenset(
    """i im ive really truly loved love liked like likes enjoyed enjoy adored adore watched watch
    saw seen bought buy purchased used use using tried try rewatched recently lately also plus
    movie movies film films show shows product products stuff things thing lot much very great
    good favourite favorite favourites favorites especially mostly yesterday week weekend year
    recommend something anything similar please thanks thank hi hello hey want need would
    could some give me more any""".split()
)
"""Words around a title that are not part of it ("I really loved Heat"): linking strips them
from a phrase's ends and never links a phrase made only of them (with ``STOPWORDS``)."""

REQUEST_FILLER = frozenset("""something some more less please only just now and but also a an
the movies movie films film ones one stuff i want would like id i'd love to see show me give
with no in of from that is are it any again ok okay thanks thank you what about maybe instead
let's lets products product items item rather kind kinds sort this time this those these them
then well yes yeah so really very good great nice new recent older old into for my all get can
could we nothing don't dont didn't didnt do not liked loved enjoyed adored""".split())
"""Words that carry no request: a clause made only of them (once filters and references are
taken out) names no title. Wider than ``TITLE_FILLER``: "new", "old", "no" are filler in a
request but may begin a title."""

DECADE_PATTERN = r"(?P<century>19|20)?(?P<decade>\d)0'?s\b"
"""A decade as written: "80s", "1980s", "80's" (after a word boundary or an apostrophe)."""


PRODUCT_TYPES: dict[str, tuple[str, ...]] = {
    "shampoo": ("shampoo", "dry shampoo"),
    "conditioner": ("conditioner", "hair mask", "leave in"),
    "hair oil": ("hair oil", "argan oil", "hair serum"),
    "hair styling": ("hair spray", "hairspray", "mousse", "pomade", "styling gel", "hair gel",
                     "styling cream", "texturizing", "hair wax"),
    "hair color": ("hair color", "hair colour", "hair dye", "henna"),
    "hair dryer": ("hair dryer", "blow dryer", "dryer", "diffuser"),
    "hair iron": ("flat iron", "straightener", "curling iron", "curling wand", "curler", "styler",
                  "waver", "wand", "hot rollers"),
    "hair brush": ("hair brush", "hairbrush", "paddle brush", "detangling brush", "comb",
                   "bristle brush"),
    "hair accessory": ("wig", "hair extension", "hair extensions", "hair clip", "clip",
                       "headband", "hair tie", "shower cap", "bobby pin"),
    "nail polish": ("nail polish", "nail lacquer", "lacquer", "nail color", "nail colour",
                    "gel polish", "top coat", "base coat", "polish"),
    "nail care": ("nail file", "cuticle", "nail art", "manicure", "pedicure", "nail tips"),
    "perfume": ("eau de parfum", "eau de toilette", "eau fraiche", "parfum", "perfume",
                "cologne", "fragrance", "body mist", "edt", "edp"),
    "lipstick": ("lipstick", "lip color", "lip colour", "lip stain", "lip liner"),
    "lip gloss": ("lip gloss", "lipgloss", "lip shimmer", "lip plumper"),
    "lip balm": ("lip balm", "lip butter", "lip treatment", "chapstick"),
    "mascara": ("mascara", "lash", "lashes"),
    "eyeliner": ("eyeliner", "eye liner", "eye pencil", "kohl", "liquid liner", "liner"),
    "eyeshadow": ("eyeshadow", "eye shadow", "eyeshadow palette"),
    "eyebrow": ("brow", "eyebrow"),
    "foundation": ("foundation", "bb cream", "cc cream", "tinted moisturizer", "primer"),
    "concealer": ("concealer", "corrector"),
    "face powder": ("face powder", "setting powder", "pressed powder", "loose powder",
                    "mineral powder"),
    "blush": ("blush", "bronzer", "highlighter", "contour"),
    "makeup brush": ("makeup brush", "brush set", "foundation brush", "kabuki", "brushes",
                     "sponge", "blender"),
    "moisturizer": ("moisturizer", "moisturiser", "face cream", "day cream", "night cream",
                    "facial cream", "moisturizing cream", "hydrating cream", "cream", "creme"),
    "eye cream": ("eye cream", "eye gel", "eye serum", "under eye"),
    "serum": ("serum", "essence", "ampoule"),
    "cleanser": ("cleanser", "face wash", "facial wash", "cleansing", "micellar"),
    "toner": ("toner", "astringent"),
    "face mask": ("face mask", "facial mask", "sheet mask", "clay mask", "mud mask", "peel",
                  "mask"),
    "exfoliator": ("scrub", "exfoliator", "exfoliating", "exfoliant", "microdermabrasion"),
    "acne treatment": ("acne", "blemish", "spot treatment", "pimple"),
    "sunscreen": ("sunscreen", "sunblock", "sun block", "spf"),
    "self tanner": ("self tanner", "self tanning", "tanning", "bronzing lotion"),
    "body lotion": ("body lotion", "lotion", "body butter", "body cream", "body oil"),
    "hand cream": ("hand cream", "hand lotion", "foot cream", "hand and nail"),
    "soap": ("soap", "beauty bar", "bar soap", "body bar", "hand wash"),
    "body wash": ("body wash", "shower gel", "bath gel", "shower cream"),
    "bath": ("bath salt", "bath salts", "bubble bath", "bath bomb", "bath oil", "bath soak"),
    "deodorant": ("deodorant", "antiperspirant", "anti perspirant"),
    "shaving": ("razor", "shave", "shaving", "aftershave", "after shave", "trimmer"),
    "makeup remover": ("makeup remover", "make up remover", "remover", "wipes"),
    "essential oil": ("essential oil", "aromatherapy"),
    "supplement": ("capsules", "softgels", "supplement", "vitamins", "tablets"),
}
"""Beauty product types and the title phrases that name them (normalised, matched as whole
words, a trailing "s" allowed): what a product *is*, for the typed-history protocol's taste
coherence and for grouping one product line (``core.grouping``)."""

PACKAGING_WORDS = frozenset("""oz ounce ounces fl fluid ml l g gram grams lb lbs mg count ct
pack packs pcs piece pieces inch inches mm bottle bottles tube tubes jar jars refill refills
value bonus size sizes packaging may vary""".split())
"""Sizes, counts and packaging in product titles: neither a fact two products share ("its
title mentions 'ounce'") nor part of what a product line is."""

_TYPE_PATTERNS = {kind: re.compile(r"\b(?:" + "|".join(
    re.escape(normalize(p)) for p in sorted(phrases, key=len, reverse=True)) + r")s?\b")
    for kind, phrases in PRODUCT_TYPES.items()}


_TYPE_FIRST_WORDS = {kind: frozenset(normalize(p).split()[0] for p in phrases)
                     for kind, phrases in PRODUCT_TYPES.items()}
"""Each type's phrases' first words: a title holding none of them cannot name the type, so
its pattern is not run (the same answers in a third of the time over the Beauty catalog)."""


def product_types(title: str) -> frozenset[str]:
    """The product types a product title names (``PRODUCT_TYPES``); empty when none."""
    text = normalize(title)
    words = set(text.split())
    words |= {w[:-1] for w in words if w.endswith("s")}  # a phrase may take a trailing "s"
    return frozenset(kind for kind, pattern in _TYPE_PATTERNS.items()
                     if not _TYPE_FIRST_WORDS[kind].isdisjoint(words) and pattern.search(text))
