"""The kinds of fact an explanation may state about an item, in one place.

A film carries its genres, year and decade (MovieLens), its viewers' tags (MovieLens tags), and
from TMDB 5000 its plot keywords, production companies (studios), tagline and original
language. A product carries what its title says: the brand (matched against Amazon's brand
names), the product line, the product type and attribute words (scent, finish, skin or hair
concern, ingredient); sizes and packaging are read but set apart, as no explanation says two
products share "1.7 oz".

The catalog loaders (``catalog``) extract facts of these kinds; the explanation step ranks them
by how few items share them (``core.facts``); the grounding checker and the decoding guard hold
the model to them (``core.grounding``); the fine-tuning data (``finetune.explanations``) and the
study's ``features`` condition state them. This module owns their vocabulary: the kinds, which
kinds are specific enough to be worth saying, the keywords that are about the record rather
than the story, the languages' names, and the attribute words of beauty products.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import re

from recommender.vocabulary.products import PRODUCT_TYPES
from recommender.vocabulary.words import normalize

__all__ = ["FactKind", "Fact", "SPECIFIC_KINDS", "BROAD_KINDS", "SET_APART_KINDS",
           "ALWAYS_SPECIFIC_KINDS", "DISTINCTIVE_SHARE", "DISTINCTIVE_FLOOR", "RECORD_KEYWORDS", "UNSAID_TAGS", "PLAIN_WORDS", "LANGUAGES",
           "ATTRIBUTE_WORDS", "KIND_NOUNS",
           "attribute_group"]


class FactKind(StrEnum):
    """What a fact is about."""

    GENRE = "genre"
    YEAR = "year"
    DECADE = "decade"
    TAG = "tag"            # a MovieLens user tag ("atmospheric", "alfred hitchcock")
    KEYWORD = "keyword"    # a TMDB plot keyword ("mafia", "time travel")
    STUDIO = "studio"      # a TMDB production company ("Pixar Animation Studios")
    LANGUAGE = "language"  # the original language, when not English ("Japanese")
    BRAND = "brand"        # a product's brand ("Revlon")
    LINE = "line"          # a brand's product line ("ColorStay")
    TYPE = "type"          # a product type ("lipstick")
    ATTRIBUTE = "attribute"  # scent, finish, concern or ingredient ("argan oil", "matte")
    SIZE = "size"          # size, count or packaging ("1.7 oz"): read, never said as shared


SPECIFIC_KINDS = frozenset({FactKind.TAG, FactKind.KEYWORD, FactKind.STUDIO, FactKind.BRAND,
                            FactKind.LINE, FactKind.ATTRIBUTE})
"""Kinds that can say something about a pair beyond its genre: worth saying when few items of
the catalog carry the fact (``DISTINCTIVE_SHARE``)."""

ALWAYS_SPECIFIC_KINDS = frozenset({FactKind.BRAND, FactKind.LINE})
"""A brand or product line is worth saying however many items carry it: "another Revlon"
tells a shopper something "another lipstick" does not."""

BROAD_KINDS = frozenset({FactKind.GENRE, FactKind.YEAR, FactKind.DECADE, FactKind.TYPE,
                         FactKind.LANGUAGE})
"""Kinds said only when nothing more specific is shared."""

SET_APART_KINDS = frozenset({FactKind.SIZE})
"""Kinds never stated as shared."""

DISTINCTIVE_SHARE = 0.015
"""A fact of a specific kind carried by more than this share of the catalog's items is not
distinctive: Warner Bros. (319 of TMDB's 4,803 films) or the keyword "murder" says as little as
a genre; Pixar (16) or "mafia" says much."""

DISTINCTIVE_FLOOR = 3
"""However small the catalog, a fact three items carry is distinctive."""

RECORD_KEYWORDS = frozenset({
    "duringcreditsstinger", "aftercreditsstinger", "woman director", "independent film", "3d",
    "sequel", "remake", "nudity", "female nudity", "sex", "sexual content", "sexuality",
    "erotic movie", "softcore", "silent film", "black and white", "short", "anime", "imax",
    "live action and animation", "stop motion", "based on comic book", "based on comic",
    "based on novel", "based on young adult novel", "based on true story", "biography",
    "dc comics", "marvel comic", "duringcreditsstinger", "film noir", "mockumentary",
    "musical", "spin off", "prequel", "stand up comedy", "anthology", "no opening credits",
})
"""TMDB keywords about the record (credits, format, rating words, genres) rather than the story:
not said as what two films share."""

UNSAID_TAGS = frozenset({
    "imdb top 250", "bad", "boring", "overrated", "mindfuck", "seen", "dvd", "bd-r", "netflix",
    "tivo", "own", "library", "clv", "less than 300 ratings", "r", "nudity (topless)",
    "nudity (full frontal)", "nudity (topless - brief)", "nudity (rear)", "sexy", "stupid",
    "predictable", "cliche", "too long", "bad acting", "bad plot", "based on a book",
})
"""MovieLens tags that judge, rate or file a film rather than describe it: not said as what
two films share (a tag naming a genre is not said either: the genre says it)."""

PLAIN_WORDS = frozenset("""
    life love time friends friend true work past return change chance fall deal single classic
    hope night city house plan control power search heart dark star game book class rock train
    party company reality history identity future truth trouble summer dream dreams lost
    beautiful dangerous deadly epic secret evil escape destroy world home family young old new
    man men woman women girl girls boy boys people person child children kids father mother son
    daughter brother sister wife husband night day days year years death dead die live living
    way end begin beginning story stories real fun funny great good best big little small
    """.split())
"""Plain English words that are also TMDB keywords ("life", "time", "true"): in a sentence
they are seldom a claim about the film, so the checker does not hold them to its keywords and
the decoding guard does not block them (they are still facts a film may share)."""

LANGUAGES = {
    "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "ja": "Japanese",
    "zh": "Chinese", "cn": "Cantonese", "ko": "Korean", "hi": "Hindi", "ru": "Russian",
    "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "nl": "Dutch",
    "fa": "Persian", "th": "Thai", "he": "Hebrew", "ar": "Arabic", "te": "Telugu",
    "ta": "Tamil", "id": "Indonesian", "pl": "Polish", "ro": "Romanian", "tr": "Turkish",
    "is": "Icelandic", "el": "Greek", "hu": "Hungarian", "cs": "Czech", "vi": "Vietnamese",
}
"""TMDB's original-language codes → the adjective a sentence uses ("a Japanese film")."""

ATTRIBUTE_WORDS: dict[str, tuple[str, ...]] = {
    "scent": ("lavender", "vanilla", "coconut", "rose", "jasmine", "citrus", "lemon", "orange",
              "grapefruit", "peppermint", "mint", "eucalyptus", "tea tree", "cucumber",
              "green tea", "sandalwood", "musk", "cherry", "strawberry", "peach", "mango",
              "almond", "honey", "cocoa", "chocolate", "apple", "pomegranate", "gardenia",
              "lilac", "patchouli", "unscented", "fragrance free", "fresh scent", "ocean"),
    "finish": ("matte", "shimmer", "glitter", "metallic", "glossy", "gloss", "satin", "sheer",
               "waterproof", "long lasting", "long wear", "longwear", "lengthening",
               "smudge proof", "transfer proof", "holographic", "neon", "nude", "frosted",
               "pearl"),
    "concern": ("anti aging", "anti wrinkle", "wrinkles", "acne", "blemishes", "oily skin",
                "dry skin", "sensitive skin", "dandruff", "frizz", "curly hair",
                "color treated hair", "damaged hair", "dark circles", "puffiness", "dark spots",
                "hair loss", "thinning hair", "fine hair", "dry hair", "split ends", "cellulite",
                "stretch marks", "razor bumps", "cuticles"),
    "quality": ("firming", "brightening", "whitening", "hydrating", "moisturizing", "soothing",
                "smoothing", "straightening", "clarifying", "volumizing", "oil free",
                "hypoallergenic", "non comedogenic", "sulfate free", "paraben free",
                "cruelty free", "vegan", "organic", "natural", "gluten free", "alcohol free"),
    "ingredient": ("argan oil", "argan", "shea butter", "shea", "cocoa butter", "coconut oil",
                   "jojoba", "aloe", "aloe vera", "vitamin c", "vitamin e", "retinol",
                   "hyaluronic acid", "salicylic acid", "glycolic acid", "benzoyl peroxide",
                   "collagen", "keratin", "biotin", "charcoal", "clay", "kaolin", "dead sea",
                   "mud", "sea salt", "honey", "oatmeal", "olive oil", "macadamia", "avocado",
                   "caffeine", "peptide", "peptides", "ceramide", "ceramides", "zinc",
                   "sulfur", "niacinamide", "snail", "bamboo", "silk", "protein", "mineral",
                   "minerals", "spf", "tea tree oil", "rosehip", "marula", "murumuru",
                   "castor oil", "lanolin", "glycerin", "witch hazel", "chamomile",
                   "ginseng", "seaweed", "algae", "gold"),
}
"""Words of a beauty product title that say what it is like, by group. Matched as whole words
(``normalize``d); a longer phrase wins over a shorter one inside it ("argan oil", "argan")."""

def attribute_group(value: str) -> str:
    """The ``ATTRIBUTE_WORDS`` group of an attribute value ("scent" for "lavender")."""
    key = normalize(value)
    return next((g for g, words in ATTRIBUTE_WORDS.items()
                 if any(normalize(w) == key for w in words)), "quality")


KIND_NOUNS = {
    FactKind.TAG: "tag", FactKind.KEYWORD: "theme", FactKind.STUDIO: "studio",
    FactKind.LANGUAGE: "language", FactKind.BRAND: "brand", FactKind.LINE: "line",
    FactKind.TYPE: "type", FactKind.ATTRIBUTE: "attribute", FactKind.GENRE: "genre",
    FactKind.YEAR: "year", FactKind.DECADE: "decade", FactKind.SIZE: "size",
}
"""How a prompt or a features list names each kind."""


@dataclass(frozen=True, order=True)
class Fact:
    """One fact of an item: its kind and its value as the catalog writes it."""

    kind: FactKind
    value: str

    @cached_property
    def key(self) -> str:
        """The value as counted and compared between items: ``normalize``d."""
        return normalize(self.value)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The ``normalize``d phrases a sentence may name the fact by: its key, and a studio's
        name without its corporate ending ("pixar" for Pixar Animation Studios), a product
        type's title phrases ("eau de parfum" for a perfume)."""
        out = [self.key]
        if self.kind == FactKind.STUDIO:
            short = normalize(_CORPORATE.sub("", self.value))
            if len(short) >= 4 and short != self.key:
                out.append(short)
        elif self.kind == FactKind.TYPE:
            out += [normalize(p) for p in PRODUCT_TYPES.get(self.value, ())]
        elif self.kind == FactKind.DECADE:
            out.append(self.key[2:])  # "90s"
        return tuple(dict.fromkeys(o for o in out if o))


_CORPORATE = re.compile(
    r"(?:\s+(?:Animation|Studios?|Pictures|Films?|Entertainment|Productions?|Company|Corporation|"
    r"Film Corporation|Distribution|International|Group|Inc\.?|Ltd\.?|LLC|SKG|Feature|Media|"
    r"Motion|Animated|Cinema|Releasing|Co\.?))+\s*$", re.IGNORECASE)
"""The endings of a production company's name that a sentence leaves out."""
