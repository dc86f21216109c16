"""Which catalog items are one thing: the films of one series, the sizes, shades and refills of
one product line. Five picks should be five different things ("one film per series"), and a
typed product name that fits several sizes of one product is that product.

A film's series is its title stem: the part before a colon or " - ", without a sequel number,
"Part II" or "and the ..." ("Harry Potter and the Goblet of Fire" → "harry potter"). A stem of
two or more words also takes in titles it begins ("Die Hard" and "Die Hard with a Vengeance").
A product's line is its brand with the product types its title names ("Dove" + soap for every
Dove Beauty Bar), or, when the title names no type, the brand and the words before the first
comma without sizes and counts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from recommender.catalog import Catalog, Item
from recommender.vocabulary import PACKAGING_WORDS, STOPWORDS, normalize, product_types

__all__ = ["group_key", "one_per_group", "same_group", "one_line"]

_SUBTITLE = re.compile(r"\s*(?::| - | – )\s*")
_SEQUEL_TAIL = re.compile(
    r"(?:\s+(?:part|chapter|episode|vol|volume))?\s+(?:\d{1,2}|i{1,3}|iv|v|vi{1,3}|ix|x|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"the (?:second|third|fourth|fifth|sixth|final chapter))$")
_AND_THE = re.compile(r"\s+and the\s+.*$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?[a-z]*$")


def group_key(item: Item, kind: str) -> str:
    """The item's series (films) or product line (products); any other catalog: its title."""
    if kind == "movies":
        return _series_stem(item.title)
    if kind == "products":
        return _product_line(item.title)
    return normalize(item.title)


def _series_stem(title: str) -> str:
    head = _SUBTITLE.split(title.strip(), maxsplit=1)[0] or title
    stem = normalize(head)
    stem = _AND_THE.sub("", stem)
    shorter = _SEQUEL_TAIL.sub("", stem).strip()
    stem = shorter or stem
    return stem


def _product_line(title: str) -> str:
    words = normalize(title).split()
    brand = next((w for w in words if not w.isdigit()), "")
    kinds = _kinds(title)
    if kinds:  # the name before the first comma says what it is; a shade may say "Bath"
        return f"{brand}|{','.join(sorted(kinds))}"
    head = normalize(title.split(",", 1)[0])
    words = [w for w in head.split()
             if w not in PACKAGING_WORDS and w not in STOPWORDS and not _NUMBER.match(w)]
    return f"{brand}|{' '.join(words[:5])}"


def _kinds(title: str) -> frozenset[str]:
    return product_types(title.split(",", 1)[0]) or product_types(title)


def same_group(first: str, second: str) -> bool:
    """Whether two group keys are one series: equal, or one a stem of two or more words that
    the other begins with ("die hard" and "die hard with a vengeance")."""
    if first == second:
        return True
    short, long = sorted((first, second), key=len)
    return "|" not in short and len(short.split()) >= 2 and long.startswith(short + " ")


def one_per_group(item_ids: Sequence[str], catalog: Catalog,
                  keep: Iterable[str] = ()) -> list[str]:
    """``item_ids`` in order, dropping each item whose series or product line an earlier one
    already has. Items in the groups of ``keep`` (the item the person asked for more of) are
    never dropped."""
    kept_groups = [group_key(catalog.get(i), catalog.kind) for i in keep if i in catalog]
    seen: list[str] = []
    out = []
    for item_id in item_ids:
        if item_id not in catalog:
            out.append(item_id)
            continue
        key = group_key(catalog.get(item_id), catalog.kind)
        if any(same_group(key, k) for k in kept_groups):
            out.append(item_id)
        elif not any(same_group(key, k) for k in seen):
            seen.append(key)
            out.append(item_id)
    return out


def one_line(items: Sequence[Item], kind: str, name: str = "") -> bool:
    """Whether these items are one thing in several forms: one series of films, or one
    brand's product of one type in several sizes, shades or packs (the brand the same and a
    product type shared by all). A product ``name`` of two or more words that every title
    holds, with a type they all share, is one product too, however the titles order their
    words ("Versace Bright Crystal" and "Bright Crystal By Gianni Versace")."""
    keys = [group_key(i, kind) for i in items]
    if all(same_group(keys[0], k) for k in keys[1:]):
        return True
    if kind != "products":
        return False
    shared = frozenset.intersection(*(_kinds(i.title) for i in items))
    if not shared:
        return False
    if len({k.split("|", 1)[0] for k in keys}) == 1:
        return True
    words = set(normalize(name).split()) - STOPWORDS
    return len(words) >= 2 and all(words <= set(normalize(i.title).split()) for i in items)
