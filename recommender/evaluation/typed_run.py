"""``python -m recommender evaluate --protocol typed``: the typed-history protocol's systems
over one data set, weights chosen per K on validation users, scored on test users."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from recommender.collaborative.interactions import (
    DATASETS,
    leave_one_out,
    load_ratings,
    load_sequences,
    popularity,
)
from recommender.collaborative.training import find_model_dir, load_fusion_weights
from recommender.core.retrieval import fuse, pooled
from recommender.errors import RecommenderError
from recommender.evaluation.ease import ease_models
from recommender.evaluation.protocol import split_users
from recommender.evaluation.rankers import WEIGHT_GRID
from recommender.evaluation.typed import (
    evaluate_typed,
    popularity_percentiles,
    typed_cases,
)
from recommender.settings import Settings

__all__ = ["run_typed", "TYPED_SYSTEMS", "EASE_GRID"]

TYPED_SYSTEMS = ("popularity", "content", "sasrec", "ease", "shipped", "hybrid", "pooled")
POOL_GRID = (25.0, 50.0, 100.0, 200.0, 400.0)
"""Content pools the collaborative model orders (``retrieval.ShortHistory``), chosen per K."""
EASE_GRID = (50.0, 200.0, 500.0, 1000.0)
"""EASE's regularisation, chosen per K on validation users."""
_FUSION_DEPTH = 100


@dataclass
class _Ranked:
    """A system with one ranking per case and nothing to choose: ``ranks(typed, skip, k)``."""

    name: str
    ranks: Callable[[Sequence[str], list[str], int], list[str]]
    grid: tuple = (None,)

    def run(self, typed, exclude, k):
        return self.ranks(typed, [*typed, *exclude], k)

    def combine(self, run, weight):
        return run


def _by_popularity(counts: Counter) -> Callable[[Sequence[str], list[str], int], list[str]]:
    def ranks(typed, skip, k):
        skipped = set(skip)
        return [i for i, _ in counts.most_common(k + len(skipped)) if i not in skipped][:k]
    return ranks


@dataclass
class _Ease:
    models: dict
    name: str = "ease"

    @property
    def grid(self):
        return tuple(self.models)

    def run(self, typed, exclude, k):
        return {lam: model.rank(typed, k, exclude) for lam, model in self.models.items()}

    def combine(self, run, weight):
        return run[weight]


@dataclass
class _Hybrid:
    """Collaborative and content top-100 fused (``retrieval.fuse``) under each weight."""

    content: Any
    collaborative: Any
    name: str = "hybrid"
    grid: tuple = WEIGHT_GRID

    def run(self, typed, exclude, k):
        skip = [*typed, *exclude]
        return (self.collaborative.retrieve(typed, _FUSION_DEPTH, exclude=skip),
                self.content.retrieve(typed, "", _FUSION_DEPTH, exclude=skip), k)

    def combine(self, run, weight):
        collab, content, k = run
        return [s.item_id for s in fuse(collab, content, weight,
                                        self.collaborative.__contains__)][:k]


@dataclass
class _Pooled:
    """Content retrieval's top ``pool`` ordered by the collaborative model: the app's reading
    of a short history (``retrieval.ShortHistory``), at each pool size of ``grid``."""

    content: Any
    collaborative: Any
    grid: tuple
    name: str = "pooled"

    def run(self, typed, exclude, k):
        skip = [*typed, *exclude]
        hits = self.content.retrieve(typed, "", int(max(self.grid)), exclude=skip)
        return hits, self.collaborative.scores(typed, [h.item_id for h in hits]), k

    def combine(self, run, weight):
        hits, scores, k = run
        return [h.item_id for h in pooled(hits[: int(weight)], scores)][:k]


def run_typed(settings: Settings, dataset: str, names: Sequence[str], ks: Sequence[int],
              validation_users: int, users: int | None, seed: int,
              progress: bool = True) -> dict:
    """The typed-history report of one data set (see ``evaluation.typed``)."""
    unknown = [n for n in names if n not in TYPED_SYSTEMS]
    if unknown:
        raise RecommenderError(f"Unknown system {', '.join(map(repr, unknown))} for the typed "
                               f"protocol. Choose from: {', '.join(TYPED_SYSTEMS)}.")
    splits = leave_one_out(load_sequences(dataset, settings.data_dir))
    ratings = load_ratings(dataset, settings.data_dir)
    test_splits, validation_splits = split_users(splits, users, validation_users, seed)
    validation = {k: typed_cases(validation_splits, ratings, k, seed) for k in ks}
    test = {k: typed_cases(test_splits, ratings, k, seed) for k in ks}
    recommender = _load(settings, DATASETS[dataset], progress)
    domain = recommender.domain(DATASETS[dataset])
    counts = popularity(splits, include_validation=True)
    systems, about = _systems(names, domain, counts, splits, dataset, settings)
    results = evaluate_typed(systems, validation, test, domain.catalog,
                             popularity_percentiles(counts, domain.catalog), seed, progress)
    return {"dataset": dataset, "protocol": "typed", "seed": seed, "ks": list(ks),
            "validation_users": {str(k): len(v) for k, v in validation.items()},
            "test_users": {str(k): len(v) for k, v in test.items()},
            "of_users": len(splits), **about, "systems": results}


def _load(settings: Settings, domain: str, progress: bool):
    from recommender.loading import load_recommender

    return load_recommender(replace(settings, domains=(domain,)), progress=progress)


def _systems(names, domain, counts, splits, dataset, settings) -> tuple[list, dict]:
    from recommender.core.retrieval import ContentRetriever, HybridRetriever

    retriever = domain.retriever
    content = ContentRetriever(domain.index, profile_weight=0.0)
    collaborative = retriever.collaborative if isinstance(retriever, HybridRetriever) else None
    if collaborative is None and {"sasrec", "hybrid", "shipped"} & set(names):
        raise RecommenderError(f"No trained model for {dataset}. Train one first: "
                               f"python -m recommender train --dataset {dataset}")
    folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir)
    shipped = load_fusion_weights(folder).collaborative
    about: dict[str, object] = {"shipped_weight": shipped}
    systems: list = []
    for name in names:
        if name == "popularity":
            systems.append(_Ranked(name, _by_popularity(counts)))
        elif name == "content":
            systems.append(_Ranked(name, lambda typed, skip, k: [
                h.item_id for h in content.retrieve(typed, "", k, exclude=skip)]))
        elif name == "sasrec":
            systems.append(_Ranked(name, lambda typed, skip, k: [
                h.item_id for h in collaborative.retrieve(typed, k, exclude=skip)]))
        elif name == "ease":
            training = [(*s.history, s.validation) for s in splits]
            systems.append(_Ease(ease_models(training, EASE_GRID)))
        elif name == "shipped":
            systems.append(_Hybrid(content, collaborative, name="shipped", grid=(shipped,)))
        elif name == "hybrid":
            systems.append(_Hybrid(content, collaborative))
        elif name == "pooled":
            systems.append(_Pooled(content, collaborative, POOL_GRID))
    return systems, about
