"""Maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998) over a candidate list.

``diversity`` 0 keeps retrieval order; 1 picks each next item as unlike those before it as
possible. Similarity is the cosine of the items' content vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from recommender.core.retrieval import unit
from recommender.vectors.index import ScoredItem

__all__ = ["mmr"]


def mmr(candidates: Sequence[ScoredItem], vectors: Mapping[str, np.ndarray], diversity: float,
        also_unlike: Sequence[np.ndarray] = ()) -> list[ScoredItem]:
    """Reorder ``candidates`` (best first) by λ·relevance − (1 − λ)·(largest similarity to an
    item already placed or to ``also_unlike``), with λ = 1 − ``diversity``. Relevance is the
    retrieval score scaled to 0..1; an item without a vector keeps its retrieval place."""
    if diversity <= 0 or len(candidates) < 2:
        return list(candidates)
    weight = 1.0 - min(diversity, 1.0)
    scores = np.asarray([c.score for c in candidates], dtype=np.float64)
    spread = float(scores.max() - scores.min()) or 1.0
    relevance = (scores - scores.min()) / spread
    units = [unit(np.asarray(vectors[c.item_id], dtype=np.float64)) if c.item_id in vectors else None for c in candidates]
    placed: list[np.ndarray] = [unit(np.asarray(v, dtype=np.float64)) for v in also_unlike]
    remaining = list(range(len(candidates)))
    order: list[int] = []
    while remaining:
        def value(i: int) -> float:
            if units[i] is None or not placed:
                return weight * relevance[i]
            similarity = max(float(units[i] @ p) for p in placed)
            return weight * relevance[i] - (1.0 - weight) * similarity

        best = max(remaining, key=value)
        remaining.remove(best)
        order.append(best)
        if units[best] is not None:
            placed.append(units[best])
    return [candidates[i] for i in order]
