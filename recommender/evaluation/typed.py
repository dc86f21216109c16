"""The typed-history protocol: what the app sees. A person types K titles they liked, in no
order, and judges the first five picks.

For each user, K items the user liked (MovieLens: rating ≥ 4; Beauty: any) are drawn with a
seed from the training part (history and validation item) and shuffled; the target is the
user's test item, which no model trained on, and the user counts only when it was liked too.
A system ranks from the K items alone; the rest of the user's training items are masked from
its ranking, as leave-one-out masks the input sequence (they are known, not wrong).

Metrics: HR@10 and NDCG@10 with 95% bootstrap intervals, and two measures a person feels at a
glance over the first five: *taste coherence*, the share that shares a genre (products: a
product type) with a typed item, and *popularity bias*, their mean popularity percentile
(100: the most interacted-with item).

Weights are chosen per K on validation users, a seeded set kept apart; test users are only
reported."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tqdm import tqdm

from recommender.catalog import Catalog
from recommender.collaborative.interactions import LIKED_RATING, Split
from recommender.core.taste import taste_facets as facets
from recommender.evaluation.metrics import bootstrap_ci, hit_rate, mean, ndcg

__all__ = ["TypedCase", "typed_cases", "TypedSystem", "evaluate_typed", "facets",
           "popularity_percentiles", "FIRST"]

FIRST = 5
"""The picks a person sees at once: coherence and popularity are measured over them."""
_DEPTH = 10
_METRIC = "NDCG@10"


@dataclass(frozen=True)
class TypedCase:
    """One user's typed history: what they typed, what else is known, and the target."""

    user: str
    typed: tuple[str, ...]
    known: tuple[str, ...]
    target: str


def typed_cases(splits: Sequence[Split], ratings: Mapping[str, Mapping[str, float]] | None,
                k: int, seed: int) -> list[TypedCase]:
    """A case per user whose test item was liked and who liked at least ``k`` training
    items; ``ratings`` ``None`` counts every interaction as a like. Seeded per user, so a
    user's typed items do not depend on who else is drawn."""
    cases = []
    for split in splits:
        liked = _liker(ratings, split.user)
        training = tuple(dict.fromkeys((*split.history, split.validation)))
        pool = [i for i in training if liked(i) and i != split.test]
        if not liked(split.test) or len(pool) < k:
            continue
        rng = random.Random(f"{seed}:{split.user}:{k}")
        typed = tuple(rng.sample(pool, k))
        cases.append(TypedCase(split.user, typed, training, split.test))
    return cases


def _liker(ratings: Mapping[str, Mapping[str, float]] | None,
           user: str) -> Callable[[str], bool]:
    if ratings is None:
        return lambda item: True
    own = ratings.get(user, {})
    return lambda item: own.get(item, 0.0) >= LIKED_RATING


class TypedSystem(Protocol):
    """Ranks from typed items, never returning one of ``exclude``. ``grid`` lists the weights
    to choose from on validation users (``(None,)``: nothing to choose); ``run`` does the
    expensive part once per case, ``combine`` ranks it under one weight."""

    name: str
    grid: Sequence[float | None]

    def run(self, typed: Sequence[str], exclude: Sequence[str], k: int) -> object: ...

    def combine(self, run: object, weight: float | None) -> list[str]: ...


def popularity_percentiles(counts: Counter[str], catalog: Catalog) -> dict[str, float]:
    """Item → its popularity percentile among the catalog's items (100: the most popular)."""
    order = sorted(catalog.items, key=lambda i: counts.get(i.item_id, 0))
    last = max(len(order) - 1, 1)
    return {item.item_id: 100.0 * n / last for n, item in enumerate(order)}


def evaluate_typed(systems: Sequence[TypedSystem], validation: Mapping[int, Sequence[TypedCase]],
                   test: Mapping[int, Sequence[TypedCase]], catalog: Catalog,
                   percentiles: Mapping[str, float], seed: int = 0,
                   progress: bool = True) -> dict[str, dict[str, dict]]:
    """System → str(K) → metrics (mean and interval) on the test cases, with the weight
    chosen on the validation cases of the same K and what each weight scored there."""
    results: dict[str, dict[str, dict]] = {}
    for system in systems:
        for k in sorted(test):
            weight, tuning = _choose(system, validation.get(k, ()), progress, k)
            runs = [system.run(c.typed, c.known, _DEPTH) for c in
                    tqdm(test[k], desc=f"{system.name}, K={k}", unit="user",
                         disable=not progress)]
            scores: dict[str, list[float]] = {}
            for case, run in zip(test[k], runs):
                for name, value in _case_scores(system.combine(run, weight), case, catalog,
                                                percentiles).items():
                    scores.setdefault(name, []).append(value)
            row = {name: {"mean": round(mean(values), 4),
                          "ci95": [round(x, 4) for x in bootstrap_ci(values, seed=seed)]}
                   for name, values in scores.items()}
            row["users"] = len(test[k])
            if weight is not None:
                row["weight"] = weight
                row["tuning"] = tuning
            results.setdefault(system.name, {})[str(k)] = row
    return results


def _choose(system: TypedSystem, cases: Sequence[TypedCase], progress: bool,
            k: int) -> tuple[float | None, dict]:
    grid = list(system.grid)
    if len(grid) == 1:
        return grid[0], {}
    if not cases:
        raise ValueError(f"{system.name} needs validation users to choose its weight")
    runs = [system.run(c.typed, c.known, _DEPTH) for c in
            tqdm(cases, desc=f"Tuning {system.name}, K={k}", unit="user", disable=not progress)]
    by_weight = {w: round(mean([ndcg(system.combine(r, w), c.target, _DEPTH)
                                for r, c in zip(runs, cases)]), 4) for w in grid}
    best = max(grid, key=lambda w: (by_weight[w], -grid.index(w)))
    return best, {"users": len(cases), "metric": _METRIC,
                  "by_weight": {str(w): v for w, v in by_weight.items()}}


def _case_scores(ranking: Sequence[str], case: TypedCase, catalog: Catalog,
                 percentiles: Mapping[str, float]) -> dict[str, float]:
    first = [i for i in ranking[:FIRST] if i in catalog]
    typed = [facets(catalog.get(i), catalog.kind) for i in case.typed if i in catalog]
    shared = [any(facets(catalog.get(i), catalog.kind) & f for f in typed) for i in first]
    return {"HR@10": hit_rate(ranking, case.target, 10),
            "NDCG@10": ndcg(ranking, case.target, 10),
            "coherence@5": mean([float(s) for s in shared]) if shared else 0.0,
            "popularity@5": mean([percentiles.get(i, 0.0) for i in first]) if first else 0.0}
