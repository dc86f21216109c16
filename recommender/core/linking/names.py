"""The names of a catalog's items, indexed for linking: every title, alternative title, part of a
title and their variants ("Matrix", "Part 2"), each with how exact a name it is; which titles hold
a word; and, of the items sharing a name, the likeliest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog, Item
from recommender.vocabulary import STOPWORDS, normalize

__all__ = ["NameKey", "NameIndex", "names_of", "ALTERNATIVES"]

ALTERNATIVES = 3
"""The other items a mention keeps (``Mention.alternatives``)."""
HALF = 3  # the shortest half of a word typed as two joined title words
QUALITY_POWER = 4  # an exact title outweighs a shared title prefix (quality 0.6) about 8 to 1
ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8",
         "ix": "9", "x": "10"}


@dataclass(frozen=True)
class NameKey:
    item_id: str
    quality: float  # 1.0 main title, lower for alternative names
    kind: str = "title"
    """What the name is: the ``title`` (with or without its article or year), an ``alias``
    (an alternative or foreign title), or a ``part`` of one (before or after a colon)."""


class NameIndex:
    """Every name of a catalog's items (``keys``: normalised name → the items it names), the
    titles holding each word (``postings``), and each name's words and first three letters
    (``keys_by_word``, where the spelling pass looks)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.keys: dict[str, list[NameKey]] = defaultdict(list)
        self.postings: dict[str, set[str]] = defaultdict(set)
        for item in catalog.items:
            for name, quality, kind in names_of(item):
                key = normalize(name)
                if key and all(k.item_id != item.item_id for k in self.keys[key]):
                    self.keys[key].append(NameKey(item.item_id, quality, kind))
            for word in set(normalize(item.title).split()):
                if word not in STOPWORDS:
                    self.postings[word].add(item.item_id)
        self.key_list = list(self.keys)
        self.keys_by_word: dict[str, set[str]] = defaultdict(set)
        for key in self.key_list:
            self.keys_by_word["^" + key[:3]].add(key)
            for word in key.split():
                if word not in STOPWORDS:
                    self.keys_by_word[word].add(key)

    def best(self, keys: list[NameKey]) -> tuple[str, float, tuple[str, ...]]:
        """The likeliest item of those sharing a name, its confidence (its share of the
        popularity, each weighted by how exact the name is for it), and the others."""
        def weight(key: NameKey) -> float:
            return (self.popularity(key.item_id) + 1) * key.quality ** QUALITY_POWER

        ranked = sorted(keys, key=lambda k: (weight(k), k.quality), reverse=True)
        top = ranked[0]
        if len(ranked) == 1:
            return top.item_id, round(top.quality, 2), ()
        share = weight(top) / sum(weight(k) for k in ranked)
        others = tuple(k.item_id for k in ranked[1 : 1 + ALTERNATIVES])
        return top.item_id, round(top.quality * share, 2), others

    def holding(self, words: Sequence[str]) -> set[str]:
        """The items whose titles hold every word of ``words``."""
        return set.intersection(*(self.word_postings(w) for w in words)) if words else set()

    def word_postings(self, word: str) -> set[str]:
        """The titles holding ``word``, and those holding both halves of it when it is two
        title words written as one ("eyeliner" is also "Eye ... Liner", "lipgloss" "Lip
        Gloss")."""
        found = self.postings.get(word, set())
        halves = [(word[:n], word[n:]) for n in range(HALF, len(word) - HALF + 1)]
        for head, tail in halves:
            if head in STOPWORDS or tail in STOPWORDS:
                continue
            both = self.postings.get(head, set()) & self.postings.get(tail, set())
            if both:
                found = found | both
        return found

    def significant(self, item_id: str) -> list[str]:
        return [w for w in normalize(self.catalog.get(item_id).title).split()
                if w not in STOPWORDS]

    def popularity(self, item_id: str) -> int:
        return self.catalog.get(item_id).popularity


def names_of(item: Item) -> list[tuple[str, float, str]]:
    """(name, quality, kind) for every name of the item (see ``NameKey``)."""
    names: list[tuple[str, float, str]] = [(item.title, 1.0, "title")]
    if item.year:
        names.append((f"{item.title} {item.year}", 1.0, "title"))
    names.extend((alias, 0.9, "alias") for alias in item.aliases)
    for name in [item.title, *item.aliases]:
        if ":" in name:
            head, tail = name.split(":", 1)
            names.append((head, 0.6, "part"))
            for part in tail.split(" - "):  # "Episode V - The Empire Strikes Back"
                if len(part.split()) >= 2:
                    names.append((part, 0.7, "part"))
    variants = []
    for name, quality, kind in names:
        words = name.split()
        if len(words) > 1 and words[0].lower() in {"the", "a", "an"}:
            variants.append((" ".join(words[1:]), quality * 0.95, kind))
        if any(w.lower().strip(":,") in ROMAN for w in words[1:]):  # "Part II" → "Part 2"
            variants.append((" ".join(ROMAN.get(w.lower().strip(":,"), w) for w in words),
                             quality, kind))
    return names + variants
