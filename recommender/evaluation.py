"""Offline evaluation, as SASRec, LlamaRec and PALR measure: leave-one-out, full ranking.

Each system ranks every catalog item except the user's input sequence (history + validation
item) and is scored on the held-out test item: HR (= Recall) and NDCG at 5/10/20, MRR@20, and
retrieval recall at 20 and 50, each with a 95% bootstrap interval over users.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from tqdm import tqdm

from .index import ItemIndex
from .interactions import Split
from .metrics import bootstrap_ci, hit_rate, mean, mrr, ndcg
from .retrieval import retrieve

__all__ = ["Ranker", "PopularityRanker", "ContentRanker", "evaluate", "sample_users", "ANCHORS"]

CUTOFFS = (5, 10, 20)
RECALL_CUTOFFS = (20, 50)
HISTORY_WINDOW = 20  # the last 20 items, as PALR and LlamaRec feed their models

ANCHORS: dict[str, dict[str, tuple[float, float]]] = {
    # published HR@10, NDCG@10 on the same data and protocol
    "movielens": {"SASRec": (0.0993, 0.0522), "LRURec": (0.1426, 0.0705),
                  "LlamaRec (Llama-2-7B)": (0.1524, 0.0759)},
    "beauty": {"SASRec": (0.0844, 0.0481), "PALR": (0.0721, 0.0446),
               "LlamaRec (Llama-2-7B)": (0.0971, 0.0554)},
}


class Ranker(Protocol):
    """Ranks catalog items for one user's input sequence (oldest first)."""

    name: str

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        """The ``k`` best items, none of them in ``sequence``."""
        ...


class PopularityRanker:
    """Most interacted-with training items first."""

    name = "popularity"

    def __init__(self, counts: Counter[str]) -> None:
        self._order = [item for item, _ in counts.most_common()]

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        seen = set(sequence)
        out = []
        for item in self._order:
            if item not in seen:
                out.append(item)
                if len(out) == k:
                    break
        return out


class ContentRanker:
    """MiniLM item vectors in Chroma, queried with the mean of the last 20 items' vectors."""

    name = "content"

    def __init__(self, index: ItemIndex) -> None:
        self.index = index

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        hits = retrieve(self.index, sequence[-HISTORY_WINDOW:], "", k, profile_weight=0.0,
                        exclude=sequence)
        return [hit.item_id for hit in hits]


def sample_users(splits: Sequence[Split], users: int | None, seed: int) -> list[Split]:
    """All splits, or ``users`` of them drawn with ``seed`` (kept in user order)."""
    if users is None or users >= len(splits):
        return list(splits)
    chosen = set(random.Random(seed).sample(range(len(splits)), users))
    return [s for i, s in enumerate(splits) if i in chosen]


def evaluate(rankers: Sequence[Ranker], splits: Sequence[Split], seed: int = 0,
             progress: bool = True) -> dict[str, dict]:
    """Per system: each metric's mean and 95% interval, and seconds per user."""
    depth = max(max(CUTOFFS), max(RECALL_CUTOFFS))
    results: dict[str, dict] = {}
    for ranker in rankers:
        scores: dict[str, list[float]] = {}
        started = time.perf_counter()
        for split in tqdm(splits, desc=f"Evaluating {ranker.name}", unit="user",
                          disable=not progress):
            ranking = ranker.rank([*split.history, split.validation], depth)
            for name, value in _user_scores(ranking, split.test).items():
                scores.setdefault(name, []).append(value)
        elapsed = time.perf_counter() - started
        summary = {name: {"mean": round(mean(values), 4),
                          "ci95": [round(x, 4) for x in bootstrap_ci(values, seed=seed)]}
                   for name, values in scores.items()}
        summary["seconds_per_user"] = round(elapsed / max(len(splits), 1), 4)
        results[ranker.name] = summary
    return results


def _user_scores(ranking: Sequence[str], target: str) -> dict[str, float]:
    scores = {}
    for k in CUTOFFS:
        scores[f"HR@{k}"] = hit_rate(ranking, target, k)
        scores[f"NDCG@{k}"] = ndcg(ranking, target, k)
    scores["MRR@20"] = mrr(ranking, target, 20)
    for k in RECALL_CUTOFFS:
        scores[f"retrieval_recall@{k}"] = hit_rate(ranking, target, k)
    return scores


