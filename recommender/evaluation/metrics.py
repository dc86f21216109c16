"""Top-N metrics for one held-out item, and bootstrap confidence intervals over users.

With one relevant item per user, HR@k equals Recall@k, NDCG@k is 1/log2(rank+1) when the item
is ranked within the first k (rank counted from 1), and MRR@k is 1/rank.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

__all__ = ["rank_of", "hit_rate", "ndcg", "mrr", "bootstrap_ci", "mean"]


def rank_of(ranking: Sequence[str], target: str) -> int | None:
    """1-based position of ``target`` in ``ranking`` (its first occurrence), or ``None``."""
    for position, item in enumerate(ranking, 1):
        if item == target:
            return position
    return None


def hit_rate(ranking: Sequence[str], target: str, k: int) -> float:
    rank = rank_of(ranking[:k], target)
    return 1.0 if rank is not None else 0.0


def ndcg(ranking: Sequence[str], target: str, k: int) -> float:
    rank = rank_of(ranking[:k], target)
    return 1.0 / math.log2(rank + 1) if rank is not None else 0.0


def mrr(ranking: Sequence[str], target: str, k: int) -> float:
    rank = rank_of(ranking[:k], target)
    return 1.0 / rank if rank is not None else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def bootstrap_ci(values: Sequence[float], resamples: int = 1000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; ``(0, 0)`` for no values."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n
                   for _ in range(resamples))
    low = means[int((1 - level) / 2 * resamples)]
    high = means[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return (low, high)
