"""What a product's title says of it, for fine-tuning targets: the product-type phrases it uses,
and the brand or line two titles share."""

from __future__ import annotations

import re
from collections.abc import Sequence

from recommender.vocabulary import PACKAGING_WORDS, PRODUCT_TYPES, STOPWORDS, normalize

__all__ = ["type_words", "shared_brand"]

_FREE_OF = re.compile(r"\b[a-z]+ free\b")


def type_words(title: str) -> list[str]:
    """The product-type phrases a title itself uses ("shampoo", "eau de toilette"); not one it
    says the product is free of ("Fragrance-Free Hand Cream" is no fragrance)."""
    text = f" {_FREE_OF.sub(' ', normalize(title))} "
    found = []
    for phrases in PRODUCT_TYPES.values():
        for phrase in sorted(phrases, key=len, reverse=True):
            if f" {normalize(phrase)} " in text or f" {normalize(phrase)}s " in text:
                found.append(phrase)
                break
    return found


_NOT_BRAND = frozenset({w for phrases in PRODUCT_TYPES.values() for p in phrases
                        for w in normalize(p).split()} | PACKAGING_WORDS | STOPWORDS |
                       {"nail", "hair", "eye", "lip", "face", "body", "skin", "false", "men",
                        "women", "natural", "organic", "pure", "new", "professional", "pro"})
"""Words a name may start with that are not a brand ("10 Pair", "Nail Soakers")."""


def shared_brand(title: str, other: str, types: Sequence[str]) -> str | None:
    """The words both product names start with (up to three, no type or packaging word):
    their brand or line, as the catalog names it."""
    ours, theirs = title.replace(",", " ").split(), other.replace(",", " ").split()
    common = []
    for a, b in zip(ours[:3], theirs[:3]):
        word = normalize(a)
        if word != normalize(b) or not word.isalpha() or word in _NOT_BRAND:
            break
        common.append(a)
    return " ".join(common) if common and len(normalize(" ".join(common))) >= 3 else None
