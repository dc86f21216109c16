"""The collaborative model's life outside serving: its training settings per data set, fitting
it on a data set's interactions (never a test item), choosing its epochs on validation items,
where it is kept beside the index, and the fusion weights chosen for it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from recommender.collaborative.artifacts import (
    SHIPPED_MODELS,
    FusionWeights,
    dataset_of,
    find_model_dir,
    load_fusion_weights,
    model_dir,
    remove_model,
    save_fusion_weights,
)
from recommender.collaborative.interactions import leave_one_out, load_sequences
from recommender.collaborative.lrurec import LRURecConfig, save_lrurec, train_lrurec
from recommender.collaborative.next_item import pad_left
from recommender.collaborative.sasrec import SASRecConfig, save_model, train_sasrec
from recommender.catalog import Catalog
from recommender.collaborative.item_item import (
    ITEM_ITEM_FILE,
    ItemItemConfig,
    fit_item_item,
    item_facets,
)

__all__ = ["TRAINING", "LRU_TRAINING", "TYPED_TRAINING", "SequenceConfig", "SHIPPED_MODELS",
           "model_dir", "find_model_dir", "fit",
           "fit_typed", "dataset_of", "validation_curve", "tuning_dir", "FusionWeights",
           "load_fusion_weights", "save_fusion_weights"]

log = logging.getLogger(__name__)


TRAINING: dict[str, SASRecConfig] = {
    # Full-softmax cross-entropy. MovieLens: 610 long sequences cut into windows of 200, so
    # small batches and many epochs (110: best validation NDCG@10 of 10..150), and dropout 0.5
    # (validation NDCG@10 .0593 against .0560 at 0.2; see
    # docs/results/movielens-validation-curve.txt); Beauty: 22,363 short ones in length-
    # trimmed batches, 35 epochs (best validation NDCG@10 of 5..40, see
    # docs/results/beauty-validation-curve.txt), within 15 minutes on two cores.
    "movielens": SASRecConfig(max_len=200, epochs=110, batch_size=32, negatives=0, dropout=0.5),
    "beauty": SASRecConfig(max_len=50, epochs=35, batch_size=128, negatives=0),
}
"""Default training settings per data set (see docs/evaluation.md for how they were chosen)."""

LRU_TRAINING: dict[str, LRURecConfig] = {
    # LlamaRec's settings (config.py): 200 items and batches of 16 for MovieLens, 50 and 64
    # otherwise. MovieLens: 15 epochs (best validation NDCG@10 of 5..40, .0686) and three
    # seeds summed (validation NDCG@10 .0759 against .0686 for one; SASRec's .0593), see
    # docs/evaluation.md; LlamaRec's 5-core preparation chose 20 (train --epochs 20). Beauty:
    # 10 epochs (best validation NDCG@10 of 5..30, .0602) and three seeds (.0673; SASRec's
    # .0595).
    "movielens": LRURecConfig(max_len=200, batch_size=16, epochs=15, members=3),
    "beauty": LRURecConfig(max_len=50, batch_size=64, epochs=10, members=3),
}
"""LRURec's training settings per data set (``train --model lrurec``)."""

SequenceConfig = SASRecConfig | LRURecConfig
"""A sequence model's settings; their type names the architecture."""

_ARCHITECTURES = {SASRecConfig: (train_sasrec, save_model),
                  LRURecConfig: (train_lrurec, save_lrurec)}
"""Each sequence architecture's (train, save), by its settings' type."""


def _train(sequences: list[list[int]], items: int, config: SequenceConfig, progress: bool,
           on_epoch=None, device: str = "cpu"):
    train = _ARCHITECTURES[type(config)][0]
    return train(sequences, items, config, progress=progress, on_epoch=on_epoch, device=device)

TYPED_TRAINING: dict[str, ItemItemConfig] = {
    # Side information at the interactions' own scale (1.0) against none (0) and three times
    # (3.0), chosen on validation users and validation typed lists: docs/evaluation.md.
    "movielens": ItemItemConfig(regularization=200.0, facet_weight=1.0, neighbour_weight=1.0),
    "beauty": ItemItemConfig(regularization=200.0, facet_weight=1.0, neighbour_weight=1.0),
}
"""The item-item model of typed histories, per data set (``fit_typed``)."""


def fit(dataset: str, data_dir: Path, index_dir: Path, config: SequenceConfig,
        users: int | None = None, progress: bool = True, for_tuning: bool = False,
        preparation: str = "full", device: str = "cpu") -> dict:
    """Train on every user's sequence without its test item (so evaluation never sees it) and
    save beside the index (``model_dir``), replacing whatever model the folder held.
    ``for_tuning`` holds out the validation items too and saves to ``tuning_dir``: the model
    ``evaluate --tune-on validation`` chooses weights with.

    ``users`` keeps only the first N users: the small-data mode the tests use."""
    splits = leave_one_out(load_sequences(dataset, data_dir, preparation))[:users]
    vocabulary = sorted({i for s in splits for i in (*s.history, s.validation, s.test)})
    ids = {item: n + 1 for n, item in enumerate(vocabulary)}
    sequences = [[ids[i] for i in (s.history if for_tuning else (*s.history, s.validation))]
                 for s in splits]
    started = time.perf_counter()
    model = _train(sequences, len(vocabulary), config, progress, device=device)
    meta = {"dataset": dataset, "preparation": preparation, "users": len(splits),
            "train_seconds": round(time.perf_counter() - started, 1), "device": device,
            "held_out": "validation and test items" if for_tuning else "test items"}
    folder = model_dir(index_dir, dataset, preparation)
    folder = tuning_dir(folder) if for_tuning else folder
    remove_model(folder)  # one model per folder: another architecture's files go
    _ARCHITECTURES[type(config)][1](model, vocabulary, folder, meta)
    return meta


def fit_typed(dataset: str, data_dir: Path, catalog: Catalog,
              vectors: Callable[[Sequence[str]], np.ndarray], folder: Path,
              config: ItemItemConfig, users: int | None = None) -> dict:
    """Fit the item-item model that reads typed histories (``collaborative.item_item``) on
    every user's history and validation item (never a test item), the catalog's facets and
    the index's ``vectors``, and save it in ``folder`` as ``item_item.npz``.

    ``users`` keeps only the first N users: the small-data mode the tests use."""
    splits = leave_one_out(load_sequences(dataset, data_dir))[:users]
    vocabulary = [item.item_id for item in catalog.items]
    started = time.perf_counter()
    model = fit_item_item(vocabulary, ((*s.history, s.validation) for s in splits),
                          {i.item_id: item_facets(i, catalog.kind) for i in catalog.items},
                          vectors(vocabulary), config)
    meta = {"dataset": dataset, "users": len(splits), "items": len(vocabulary),
            "held_out": "test items", "fit_seconds": round(time.perf_counter() - started, 1)}
    model.save(folder / ITEM_ITEM_FILE, meta)
    return meta


def tuning_dir(folder: Path) -> Path:
    """Where the validation-held-out twin of the model in ``folder`` lives."""
    return folder.parent / f"{folder.name}-tuning"


def validation_curve(dataset: str, data_dir: Path, config: SequenceConfig, every: int,
                     users: int | None = None, progress: bool = True,
                     preparation: str = "full", device: str = "cpu") -> list[dict]:
    """Choose the number of epochs without touching test items: train on every user's history
    alone and, every ``every`` epochs, rank each user's validation item among all items not in
    their history. Returns ``{"epoch", "HR@10", "NDCG@10", "seconds"}`` rows; an ensemble
    (``LRURecConfig.members`` above 1) gives one row, at its last epoch."""
    splits = leave_one_out(load_sequences(dataset, data_dir, preparation))[:users]
    vocabulary = sorted({i for s in splits for i in (*s.history, s.validation, s.test)})
    ids = {item: n + 1 for n, item in enumerate(vocabulary)}
    histories = [[ids[i] for i in s.history] for s in splits]
    answers = torch.tensor([ids[s.validation] for s in splits])
    curve: list[dict] = []
    started = time.perf_counter()

    def score(model, epoch: int) -> None:
        if epoch % every and epoch != config.epochs:
            return
        hits = gains = 0.0
        for start in range(0, len(histories), 256):
            chunk = histories[start : start + 256]
            inputs = torch.tensor([pad_left(h, config.max_len) for h in chunk], device=device)
            with torch.no_grad():
                scores = model.scores(model.user_vectors(inputs)).cpu()
            scores[:, 0] = float("-inf")
            for row, history in enumerate(chunk):
                scores[row, history] = float("-inf")
            target = scores.gather(1, answers[start : start + 256, None])
            # ties count against the answer, and a score that is not a number misses
            ranks = (scores >= target).sum(dim=1) - 1
            ranks[torch.isnan(target[:, 0])] = len(vocabulary)
            hits += float((ranks < 10).sum())
            gains += float(((ranks < 10) / torch.log2(ranks.float() + 2)).sum())
        curve.append({"epoch": epoch, "HR@10": hits / len(histories),
                      "NDCG@10": gains / len(histories),
                      "seconds": round(time.perf_counter() - started, 1)})
        log.info("epoch %d: validation HR@10 %.4f", epoch, curve[-1]["HR@10"])

    if getattr(config, "members", 1) > 1:  # an ensemble is scored once, all members trained
        model = _train([h for h in histories if h], len(vocabulary), config, progress,
                       device=device).to(device)
        score(model, config.epochs)
        return curve
    _train([h for h in histories if h], len(vocabulary), config, progress, on_epoch=score,
           device=device)
    return curve
