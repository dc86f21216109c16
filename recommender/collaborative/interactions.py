"""User interaction sequences and the leave-one-out split used by SASRec, LlamaRec and PALR.

Per user, interactions in time order: the last is the test item, the one before it the
validation item, the rest the history. MovieLens is ordered by timestamp, ties by movie id (the
file's order); Amazon Beauty's sequences are already in time order.

Two preparations (``PREPARATIONS``): ``full`` keeps every rating of ml-latest-small (610 users,
9,724 rated movies); ``llamarec`` is LlamaRec's loader (Yueeeeeeee/LlamaRec,
``datasets/ml_100k.py`` and ``datasets/base.py``): movies with a title (all of them), then users
and movies with at least five ratings, filtered again until both hold (610 users, 3,650 movies),
ordered by (timestamp, movie id). Beauty is the S3Rec/P5 5-core build in both.
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

__all__ = ["DATASETS", "PREPARATIONS", "Split", "five_core", "load_sequences", "load_ratings", "leave_one_out", "popularity",
           "LIKED_RATING", "HELD_OUT", "held_out_users"]

DATASETS = {"movielens": "movies", "beauty": "beauty"}
"""Evaluation data set → the catalog domain whose ids it uses."""


PREPARATIONS = ("full", "llamarec")
"""How a data set's interactions are read (see the module's docstring)."""


@dataclass(frozen=True)
class Split:
    """One user's leave-one-out split."""

    user: str
    history: tuple[str, ...]
    validation: str
    test: str


def load_sequences(dataset: str, data_dir: Path,
                   preparation: str = "full") -> dict[str, list[str]]:
    """User id → item ids in time order, as ``preparation`` reads them."""
    if preparation not in PREPARATIONS:
        raise CatalogError(f"Unknown preparation {preparation!r}. Choose one of: "
                           f"{', '.join(PREPARATIONS)}.")
    if dataset == "movielens":
        path = data_dir / "ml-latest-small" / "ratings.csv.gz"
        if not path.exists():
            raise CatalogError(f"{path} is missing; restore it from the repository.")
        ratings = pd.read_csv(path, usecols=["userId", "movieId", "timestamp"])
        if preparation == "llamarec":
            ratings = five_core(ratings, "userId", "movieId")
        ratings = ratings.sort_values(["userId", "timestamp", "movieId"], kind="stable")
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


def five_core(frame: pd.DataFrame, user: str, item: str, least: int = 5) -> pd.DataFrame:
    """The rows whose user and item each have at least ``least`` rows, filtered again until
    both hold (dropping items can take a user below the bar, and back)."""
    while True:
        items = frame.groupby(item)[item].transform("size")
        users = frame.groupby(user)[user].transform("size")
        kept = (items >= least) & (users >= least)
        if kept.all():
            return frame
        frame = frame[kept]


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
