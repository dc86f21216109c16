"""User interaction sequences and the leave-one-out split used by SASRec, LlamaRec and PALR.

Per user, interactions in time order: the last is the test item, the one before it the
validation item, the rest the history. MovieLens is ordered by timestamp (ties by the order of
the file); Amazon Beauty's sequences are already in time order.
"""

from __future__ import annotations

import gzip
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recommender.errors import CatalogError

__all__ = ["DATASETS", "Split", "load_sequences", "load_ratings", "leave_one_out", "popularity",
           "LIKED_RATING", "HELD_OUT", "held_out_users"]

DATASETS = {"movielens": "movies", "beauty": "beauty"}
"""Evaluation data set → the catalog domain whose ids it uses."""


@dataclass(frozen=True)
class Split:
    """One user's leave-one-out split."""

    user: str
    history: tuple[str, ...]
    validation: str
    test: str


def load_sequences(dataset: str, data_dir: Path) -> dict[str, list[str]]:
    """User id → item ids in time order."""
    if dataset == "movielens":
        path = data_dir / "ml-latest-small" / "ratings.csv.gz"
        if not path.exists():
            raise CatalogError(f"{path} is missing; restore it from the repository.")
        ratings = pd.read_csv(path, usecols=["userId", "movieId", "timestamp"])
        ratings = ratings.sort_values(["userId", "timestamp"], kind="stable")
        return {str(user): [str(i) for i in group["movieId"]]
                for user, group in ratings.groupby("userId", sort=True)}
    if dataset == "beauty":
        path = data_dir / "amazon-beauty" / "user_sequence.txt.gz"
        if not path.exists():
            raise CatalogError(f"{path} is missing; restore it from the repository.")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows = (line.split() for line in handle)
            return {row[0]: row[1:] for row in rows if len(row) > 1}
    raise CatalogError(f"Unknown data set {dataset!r}. Choose one of: {', '.join(DATASETS)}.")


LIKED_RATING = 4.0
"""A MovieLens rating at or above this is a like (a 1-star rating is not)."""


def load_ratings(dataset: str, data_dir: Path) -> dict[str, dict[str, float]] | None:
    """User id → item id → rating, for data sets with ratings (MovieLens); ``None`` for
    Beauty, whose interactions are purchases and reviews with no rating kept: every one
    counts as a like. A user who rated an item twice keeps the later rating."""
    if dataset != "movielens":
        return None
    path = data_dir / "ml-latest-small" / "ratings.csv.gz"
    if not path.exists():
        raise CatalogError(f"{path} is missing; restore it from the repository.")
    ratings = pd.read_csv(path, usecols=["userId", "movieId", "rating", "timestamp"])
    ratings = ratings.sort_values(["userId", "timestamp"], kind="stable")
    out: dict[str, dict[str, float]] = {}
    for user, item, rating in zip(ratings["userId"], ratings["movieId"], ratings["rating"]):
        out.setdefault(str(user), {})[str(item)] = float(rating)
    return out


def leave_one_out(sequences: Mapping[str, Sequence[str]]) -> list[Split]:
    """Splits for every user with at least three interactions, in user order."""
    return [Split(user, tuple(items[:-2]), items[-2], items[-1])
            for user, items in sequences.items() if len(items) >= 3]


def popularity(splits: Iterable[Split], include_validation: bool = False) -> Counter[str]:
    """Interaction counts over the training part (histories; validation items if asked)."""
    counts: Counter[str] = Counter()
    for split in splits:
        counts.update(split.history)
        if include_validation:
            counts[split.validation] += 1
    return counts


HELD_OUT = {"movielens": 100, "beauty": 1000}
"""Users per data set set apart, by seed, for measuring the tuned model: no fine-tuning
example is made from them (``finetune``), and the explanation measures read only them
(``evaluation.explanations``)."""


def held_out_users(users: Sequence[str], dataset: str, seed: int = 0) -> set[str]:
    """The users of ``dataset`` no example is made from."""
    ordered = sorted(users)
    return set(random.Random(f"finetune:{dataset}:{seed}").sample(
        ordered, min(HELD_OUT[dataset], len(ordered) // 5)))
