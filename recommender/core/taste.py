"""Shared taste: what the titles a person typed have in common, and how much of it a
candidate carries.

Three Westerns typed together say "Westerns" more plainly than any co-occurrence statistic:
collaborative and content scores both drift toward popular films that share only "Drama".
A typed history's *taste profile* weighs each facet (a film's genre, a product's type word)
by the share of typed titles that carry it and by its rarity in the catalog (idf), keeping
only facets two or more titles share when there are any. A candidate's taste score is the
share of that profile it carries (0 to 1). ``rescore`` mixes it into a retrieval list as a
z-score, at a share chosen per number of titles on validation users and validation typed
lists (``retrieval.TypedReading``; how, and what it measured: docs/evaluation.md)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from recommender.catalog import Catalog, Item
from recommender.vectors.index import ScoredItem
from recommender.vocabulary import product_types

__all__ = ["taste_facets", "SharedTaste"]


def taste_facets(item: Item, kind: str) -> frozenset[str]:
    """What a taste is made of: a film's genres, a product's type words."""
    return frozenset(item.genres) if kind == "movies" else product_types(item.title)


class SharedTaste:
    """Taste profiles and taste scores over one catalog's facets."""

    def __init__(self, facets: Mapping[str, frozenset[str]]) -> None:
        self._facets = dict(facets)
        counts = Counter(f for names in self._facets.values() for f in names)
        size = max(len(self._facets), 1)
        self._idf = {f: math.log(size / c) for f, c in counts.items()}

    @classmethod
    def of(cls, catalog: Catalog) -> SharedTaste:
        return cls({item.item_id: taste_facets(item, catalog.kind) for item in catalog.items})

    def profile(self, typed: Sequence[str]) -> dict[str, float]:
        """Facet → weight: the share of ``typed`` holding it times its idf; with two or more
        titles, only the facets at least two of them share (all of them when none is
        shared)."""
        known = [self._facets[i] for i in dict.fromkeys(typed) if i in self._facets]
        if not known:
            return {}
        counts = Counter(f for names in known for f in names)
        if len(known) >= 2 and any(c >= 2 for c in counts.values()):
            counts = Counter({f: c for f, c in counts.items() if c >= 2})
        return {f: c / len(known) * self._idf[f] for f, c in counts.items() if self._idf[f] > 0}

    def scores(self, typed: Sequence[str], item_ids: Sequence[str]) -> np.ndarray:
        """The share of ``typed``'s profile each of ``item_ids`` carries (0 to 1)."""
        profile = self.profile(typed)
        total = sum(profile.values())
        if total <= 0:
            return np.zeros(len(item_ids))
        return np.asarray([sum(profile.get(f, 0.0) for f in self._facets.get(i, ())) / total
                           for i in item_ids])

    def rescore(self, typed: Sequence[str], hits: Sequence[ScoredItem],
                weight: float) -> list[ScoredItem]:
        """``hits`` re-ordered by (1 − weight) · their z-score + weight · the taste score's
        z-score; unchanged at weight 0 or when the typed titles share nothing scorable."""
        if weight <= 0 or len(hits) < 2:
            return list(hits)
        taste = self.scores(typed, [h.item_id for h in hits])
        if not taste.any():
            return list(hits)
        fused = (1.0 - weight) * _z(np.asarray([h.score for h in hits])) + weight * _z(taste)
        order = np.argsort(-fused, kind="stable")
        return [ScoredItem(hits[n].item_id, round(float(fused[n]), 6)) for n in order]


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(values.std()) or 1.0
    return (values - float(values.mean())) / spread
