"""The words of a beauty catalog: product types and the phrases that name them, and the
packaging words of product titles."""

from __future__ import annotations

import re

from recommender.vocabulary.words import normalize

__all__ = ["PRODUCT_TYPES", "PACKAGING_WORDS", "product_types"]

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
