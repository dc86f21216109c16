"""The collaborative model's life outside training: fit it on a data set's interactions, keep it
beside the index, and rank with it."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .errors import RecommenderError
from .interactions import leave_one_out, load_sequences
from .sasrec import SASRecConfig, pad_left, load_model, save_model, train_sasrec

__all__ = ["model_dir", "fit", "SASRecRanker"]

log = logging.getLogger(__name__)


def model_dir(index_dir: Path, dataset: str) -> Path:
    """Where a data set's trained model lives: beside the vector index."""
    return index_dir / f"sasrec-{dataset}"


def fit(dataset: str, data_dir: Path, index_dir: Path, config: SASRecConfig,
        users: int | None = None, progress: bool = True) -> dict:
    """Train on every user's sequence without its test item (so evaluation never sees it).

    ``users`` keeps only the first N users: the small-data mode the tests use."""
    splits = leave_one_out(load_sequences(dataset, data_dir))[:users]
    vocabulary = sorted({i for s in splits for i in (*s.history, s.validation, s.test)})
    ids = {item: n + 1 for n, item in enumerate(vocabulary)}
    sequences = [[ids[i] for i in (*s.history, s.validation)] for s in splits]
    started = time.perf_counter()
    model = train_sasrec(sequences, len(vocabulary), config, progress=progress)
    meta = {"dataset": dataset, "users": len(splits), "train_seconds": round(
        time.perf_counter() - started, 1)}
    save_model(model, vocabulary, model_dir(index_dir, dataset), meta)
    return meta


class SASRecRanker:
    """Scores every item by its dot product with the user vector; the input is never returned."""

    name = "sasrec"

    def __init__(self, folder: Path) -> None:
        try:
            self.model, self.vocabulary, self.meta = load_model(folder)
        except FileNotFoundError:
            raise RecommenderError(
                f"No trained model in {folder}. Train one first: python -m recommender train "
                f"--dataset {folder.name.removeprefix('sasrec-')}") from None
        self._ids = {item: n + 1 for n, item in enumerate(self.vocabulary)}
        self._items = self.model.items.weight.detach()

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        known = [self._ids[i] for i in sequence if i in self._ids]
        if not known:
            return []
        length = self.model.config.max_len
        user = self.model.user_vectors(torch.tensor([pad_left(known, length)]))[0]
        scores = self._items @ user
        scores[0] = float("-inf")
        scores[known] = float("-inf")
        top = torch.topk(scores, min(k, len(self.vocabulary))).indices.tolist()
        return [self.vocabulary[i - 1] for i in top if scores[i] != float("-inf")]


