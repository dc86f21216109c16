"""``python -m recommender evaluate --protocol typed``: the typed-history protocol's systems
over one data set, weights chosen per K on validation users, scored on test users."""

from __future__ import annotations

from collections.abc import Sequence
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
from recommender.core.taste import SharedTaste
from recommender.errors import RecommenderError
from recommender.evaluation.ease import ease_models
from recommender.evaluation.protocol import split_users
from recommender.evaluation.rankers import (
    SEQUENCE_SYSTEMS,
    WEIGHT_GRID,
    CollaborativeRanker,
    ContentRanker,
    HybridRanker,
    PopularityRanker,
    check_sequence_systems,
)
from recommender.evaluation.typed import (
    evaluate_typed,
    popularity_percentiles,
    typed_cases,
)
from recommender.settings import Settings

__all__ = ["run_typed", "typed_systems", "TYPED_SYSTEMS", "EASE_GRID", "ITEM_ITEM_GRID"]

TYPED_SYSTEMS = ("popularity", "content", *SEQUENCE_SYSTEMS, "ease", "shipped", "hybrid",
                 "item-item", "taste", "app")
ITEM_ITEM_GRID = (1.0, 0.8, 0.6, 0.4)
"""The item-item share of its fusion with content (``retrieval.TypedReading``), chosen per K."""
TASTE_GRID = (0.0, 0.1, 0.2, 0.3, 0.4)
"""The shared taste's share in the app's typed order (``retrieval.TypedReading``), per K."""
EASE_GRID = (50.0, 200.0, 500.0, 1000.0)
"""EASE's regularisation, chosen per K on validation users."""


@dataclass
class _Ranked:
    """A leave-one-out ``Ranker`` asked the typed way: it reads the typed items and skips
    every item the user is known to have."""

    ranker: Any
    grid: tuple = (None,)
    label: str = ""
    """The row's name when it is not the ranker's own."""

    @property
    def name(self) -> str:
        return self.label or self.ranker.name

    def run(self, typed, exclude, k):
        return self.ranker.rank(typed, k, exclude=[*typed, *exclude])

    def combine(self, run, weight):
        return run


@dataclass
class _Tuned:
    """A leave-one-out ``TunedRanker`` (hybrid fusion) asked the typed way, under its own
    name and weight grid."""

    ranker: Any
    name: str
    grid: tuple

    def run(self, typed, exclude, k):
        return self.ranker.run(typed, k, exclude=[*typed, *exclude])

    def combine(self, run, weight):
        return self.ranker.combine(run, weight)


@dataclass
class _Taste:
    """The app's retriever without its shared-taste step, then that step at each share."""

    retriever: Any
    taste: Any
    name: str = "taste"
    grid: tuple = TASTE_GRID

    def run(self, typed, exclude, k):
        depth = max(k, self.retriever.depth)
        return typed, self.retriever.retrieve(typed, "", depth, [*typed, *exclude]), k

    def combine(self, run, weight):
        typed, hits, k = run
        return [h.item_id for h in self.taste.rescore(typed, hits, weight)][:k]


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
    _check_cases(validation, test, names, dataset)
    domain = _load(settings, DATASETS[dataset], progress)
    counts = popularity(splits, include_validation=True)
    systems, about = typed_systems(names, domain, counts, splits, dataset, settings)
    results = evaluate_typed(systems, validation, test, domain.catalog,
                             popularity_percentiles(counts, domain.catalog), seed, progress)
    return {"dataset": dataset, "protocol": "typed", "seed": seed, "ks": list(ks),
            "validation_users": {str(k): len(v) for k, v in validation.items()},
            "test_users": {str(k): len(v) for k, v in test.items()},
            "of_users": len(splits), **about, "systems": results}


def _check_cases(validation: dict, test: dict, names: Sequence[str], dataset: str) -> None:
    """A clear message when a K has no test users, or a system that chooses a weight has no
    validation users for it."""
    empty = [k for k, cases in test.items() if not cases]
    if empty:
        raise RecommenderError(
            f"No {dataset} test user liked {empty[0]} training items and their test item. "
            "Choose a smaller --typed (e.g. --typed 1,3,5) or report more users (--users).")
    tuned = [n for n in names if n in ("ease", "hybrid", "item-item", "taste")]
    short = [k for k, cases in validation.items() if not cases]
    if tuned and short:
        raise RecommenderError(
            f"{', '.join(tuned)} {'chooses its' if len(tuned) == 1 else 'choose their'} weight "
            f"on validation users, and none has "
            f"{short[0]} liked titles. Set some apart with --tune-users (e.g. --tune-users 200), "
            "or leave those systems out.")


def _item_item(folder, dataset: str):
    from recommender.collaborative.item_item import ITEM_ITEM_FILE, ItemItemModel

    path = folder / ITEM_ITEM_FILE
    if not path.is_file():
        raise RecommenderError(f"No item-item model in {folder}. Fit one first: python -m "
                               f"recommender train --dataset {dataset} --model item-item "
                               f"--out {folder}")
    return ItemItemModel.load(path)


def _without_taste(retriever, dataset: str):
    """The app's hybrid retriever with its typed reading but no shared-taste step."""
    from recommender.core.retrieval import HybridRetriever

    if not isinstance(retriever, HybridRetriever) or retriever.typed is None:
        raise RecommenderError(f"The {dataset} retriever has no typed reading to add a taste "
                               f"to. Fit one first: python -m recommender train --dataset "
                               f"{dataset} --model item-item")
    return HybridRetriever(retriever.content, retriever.collaborative, retriever.weight,
                           retriever.depth, replace(retriever.typed, taste_weights={}))


def _load(settings: Settings, domain: str, progress: bool):
    from recommender.loading import default_embedder, load_domains

    return load_domains(replace(settings, domains=(domain,)), *default_embedder(settings),
                        progress=progress)[domain]  # no LLM: retrieval only


def typed_systems(names: Sequence[str], domain, counts, splits, dataset: str,
                  settings: Settings) -> tuple[list, dict]:
    """The systems ``names`` over ``domain``'s retrievers (``TYPED_SYSTEMS``), and what the
    report says about them; a clear message when one needs a model the folder lacks."""
    from recommender.core.retrieval import ContentRetriever, HybridRetriever

    retriever = domain.retriever
    content = ContentRetriever(domain.index, profile_weight=0.0)
    collaborative = retriever.collaborative if isinstance(retriever, HybridRetriever) else None
    train = f"python -m recommender train --dataset {dataset}"
    if collaborative is None and {*SEQUENCE_SYSTEMS, "hybrid", "shipped"} & set(names):
        raise RecommenderError(f"No trained model for {dataset}. Train one first: {train}")
    folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir)
    if collaborative is not None:
        check_sequence_systems([n for n in names if n in SEQUENCE_SYSTEMS],
                               collaborative.architecture, folder, train)
    shipped = load_fusion_weights(folder).collaborative
    about: dict[str, object] = {"shipped_weight": shipped}
    systems: list = []
    for name in names:
        if name == "popularity":
            systems.append(_Ranked(PopularityRanker(counts)))
        elif name == "content":
            systems.append(_Ranked(ContentRanker(content)))
        elif name in SEQUENCE_SYSTEMS:
            systems.append(_Ranked(CollaborativeRanker(collaborative)))
        elif name == "ease":
            training = [(*s.history, s.validation) for s in splits]
            systems.append(_Ease(ease_models(training, EASE_GRID)))
        elif name == "shipped":
            systems.append(_Tuned(HybridRanker(content, collaborative), name, (shipped,)))
        elif name == "hybrid":
            systems.append(_Tuned(HybridRanker(content, collaborative), name, WEIGHT_GRID))
        elif name == "item-item":  # fused with content as the app fuses it
            systems.append(_Tuned(HybridRanker(content, _item_item(folder, dataset)), name,
                                  ITEM_ITEM_GRID))
        elif name == "taste":
            systems.append(_Taste(_without_taste(retriever, dataset),
                                  SharedTaste.of(domain.catalog)))
        elif name == "app":  # the app's own retriever, at the shares it ships with
            systems.append(_Ranked(ContentRanker(retriever), label=name))
    return systems, about
