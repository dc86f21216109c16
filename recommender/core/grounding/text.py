"""The text helpers the grounding check shares: years as a line writes them, plurals, n-grams,
and the text an item's claims may use."""

from __future__ import annotations

import re
from collections.abc import Sequence

from recommender.catalog import Item
from recommender.vocabulary import CATALOG_YEAR, DECADE_PATTERN, normalize, product_types

YEAR_RE = re.compile(rf"\b{CATALOG_YEAR}\b")
ANY_YEAR_RE = re.compile(r"\b[12]\d{3}\b")
"""In a line about a film (it has a year), every four-digit number of ``YEAR_SPAN`` reads as a
year: "an exciting drama from 2100" is no more true than "from 1990"."""
DECADE_RE = re.compile(rf"\b{DECADE_PATTERN}")
NUMBER_RE = re.compile(r"\d+")
SHORT_YEAR_RE = re.compile(r"\bfrom \d{1,3}\b(?![\d,.]\d|s\b)")
"""A film "from 2." (digits cut short of a year): it says no year, and reads as a wrong one."""
SPLIT_NUMBER_RE = re.compile(r"\b(\d{1,3}) (\d{1,3})\b")
"""A four-digit number the model wrote with a space inside ("from 2 017"), read as the year
it shows a reader."""


def joined_numbers(text: str) -> str:
    """``text`` with each four-digit number written with a space inside joined up."""
    return SPLIT_NUMBER_RE.sub(lambda m: m[1] + m[2] if len(m[1] + m[2]) == 4 else m[0], text)


def named_years(items: Sequence[Item], *own: int | None) -> set[int]:
    """The years a sentence about ``items`` may name: ``own`` (an explanation's pick's year:
    "The Unforgiven (1960) is a drama from the 1950s" is false though High Noon is from 1952;
    a profile's history years), and any year written in one of their names or descriptions."""
    years = {y for y in own if y}
    return years | {int(y) for i in items
                    for y in ANY_YEAR_RE.findall(f"{i.title} {i.description}")}  # "2046"


def own_product_words(history: Sequence[Item]) -> set[str]:
    """The liked products' title and description words and product-type words, singular."""
    own = {singular(w) for h in history for w in normalize(f"{h.title} {h.description}").split()}
    own |= {singular(w) for h in history for kind in product_types(h.title)
            for w in normalize(kind).split()}  # "perfume" for an Eau de Parfum
    return own


def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def ngrams(words: list[str], longest: int) -> list[str]:
    return [" ".join(words[i : i + n]) for n in range(1, longest + 1)
            for i in range(len(words) - n + 1)]


def in_text(phrase: str, padded: str) -> bool:
    """Is the term ``phrase`` in the normalised, space-padded ``padded``, or, for a describing
    word in "-ing", the word it is made from ("moisturizing" of a Moisturizer, "hydrating" of
    a "Hydrate" cream)?"""
    if f" {phrase} " in padded:
        return True
    return phrase.endswith("ing") and " " not in phrase and len(phrase) > 7 and \
        f" {phrase[:-3]}" in padded


def fact_text(item: Item) -> str:
    """The names of ``item``'s facts and its tagline, normalised: text its claims may use."""
    names = " ".join(n for f in item.facts for n in f.names)
    return f"{names} {normalize(item.tagline)}" if item.tagline else names
