"""Offline evaluation, as SASRec, LlamaRec and PALR measure: leave-one-out, full ranking.

Each system ranks every catalog item except the user's input sequence (history + validation
item) and is scored on the held-out test item: HR (= Recall) and NDCG at 5/10/20, MRR@20, and
retrieval recall at 20 and 50, each with a 95% bootstrap interval over users.

Systems with a fusion weight (hybrid retrieval, the PALR pipeline fused with retrieval) choose it
on *tuning* users: a seeded sample of users kept apart from the users that are reported, scored
the same way; or, for retrieval, on every user's *validation* item with a model trained
without them (``validation_splits``). No reported user's test item ever influences a weight.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from recommender.collaborative.interactions import Split
from recommender.evaluation.metrics import bootstrap_ci, hit_rate, mean, mrr, ndcg
from recommender.evaluation.rankers import Ranker, Run, TunedRanker

if TYPE_CHECKING:
    from recommender.evaluation.run_store import RunStore

__all__ = ["evaluate", "split_users", "validation_splits", "ANCHORS", "DEPTH", "CUTOFFS"]

CUTOFFS = (5, 10, 20)
RECALL_CUTOFFS = (20, 50)
DEPTH = 50
"""Length of every ranking scored."""
TUNING_METRIC = "NDCG@10"

ANCHORS: dict[str, dict[str, tuple[float, float]]] = {
    # published HR@10, NDCG@10 on the same data and protocol
    "movielens": {"SASRec": (0.0993, 0.0522), "LRURec": (0.1426, 0.0705),
                  "LlamaRec (Llama-2-7B)": (0.1524, 0.0759)},
    "beauty": {"SASRec": (0.0844, 0.0481), "PALR": (0.0721, 0.0446),
               "LlamaRec (Llama-2-7B)": (0.0971, 0.0554)},
}


def split_users(splits: Sequence[Split], users: int | None, tune_users: int,
                seed: int) -> tuple[list[Split], list[Split]]:
    """(evaluation users, tuning users), disjoint and seeded: tuning users are drawn first,
    then ``users`` of the rest (all of the rest when ``None``); both kept in user order."""
    rng = random.Random(seed)
    order = list(range(len(splits)))
    tuning = set(rng.sample(order, min(tune_users, len(splits))))
    rest = [i for i in order if i not in tuning]
    if users is not None and users < len(rest):
        rest = sorted(rng.sample(rest, users))
    return [splits[i] for i in rest], [splits[i] for i in sorted(tuning)]


def validation_splits(splits: Sequence[Split]) -> list[Split]:
    """Each user's split moved back one step: the input is the history alone and the target
    the validation item. Weights chosen on these, with a model that never saw a validation
    item (``train --for-tuning``), touch no test item, and every user can be reported."""
    return [Split(s.user, s.history[:-1], s.history[-1], s.validation)
            for s in splits if s.history]


def evaluate(systems: Sequence[Ranker | TunedRanker], splits: Sequence[Split],
             tune_splits: Sequence[Split] = (), seed: int = 0,
             progress: bool = True,
             tuners: Mapping[str, TunedRanker] | None = None,
             store: RunStore | None = None) -> dict[str, dict]:
    """Per reported row: each metric's mean and 95% interval, seconds per user, averaged
    checks, and the weight used (with what it scored on the tuning users). ``tuners`` gives
    a system another instance to choose its weight with (one over the tuning model);
    ``store`` keeps each user's run of a resumable system, and reuses the ones it holds."""
    results: dict[str, dict] = {}
    for system in systems:
        if isinstance(system, TunedRanker):
            tuner = (tuners or {}).get(system.name, system)
            results.update(_evaluate_tuned(system, splits, tune_splits, seed, progress,
                                           tuner, store))
            continue
        scores: dict[str, list[float]] = {}
        started = time.perf_counter()
        for split in _bar(splits, f"Evaluating {system.name}", progress):
            ranking = system.rank(_sequence(split), DEPTH)
            for name, value in _user_scores(ranking, split.test).items():
                scores.setdefault(name, []).append(value)
        results[system.name] = _summary(scores, seed, time.perf_counter() - started, len(splits))
    return results


def _evaluate_tuned(system: TunedRanker, splits: Sequence[Split], tune_splits: Sequence[Split],
                    seed: int, progress: bool, tuner: TunedRanker,
                    store: RunStore | None = None) -> dict[str, dict]:
    tuned, tuning = _choose_weight(tuner, tune_splits, progress, store)
    started = time.perf_counter()
    runs, reused = [], 0
    for split in _bar(splits, f"Evaluating {system.name}", progress):
        run, was_stored = _run(system, split, "report", store)
        runs.append(run)
        reused += was_stored
    elapsed = time.perf_counter() - started
    results = {}
    for row, fixed in system.rows.items():
        weight = tuned if fixed is None else fixed
        scores: dict[str, list[float]] = {}
        for run, split in zip(runs, splits):
            for name, value in _user_scores(system.combine(run, weight), split.test).items():
                scores.setdefault(name, []).append(value)
            for name, value in run.checks.items():
                scores.setdefault(name, []).append(value)
        summary = _summary(scores, seed, elapsed, len(splits) - reused)
        if reused:
            summary["runs_resumed"] = reused  # their time was spent in an earlier sitting
        summary["weight"] = weight
        if fixed is None:
            summary["tuning"] = tuning
        results[row] = summary
    return results


def _choose_weight(system: TunedRanker, tune_splits: Sequence[Split],
                   progress: bool, store: RunStore | None = None) -> tuple[float, dict]:
    """The grid weight with the best mean tuning metric on the tuning users (ties: the first)."""
    if not system.grid:
        return 1.0, {}
    if len(system.grid) == 1:
        return system.grid[0], {"fixed": True}
    if not tune_splits:
        raise ValueError(f"{system.name} needs tuning users to choose its weight")
    runs = [_run(system, s, "tune", store)[0]
            for s in _bar(tune_splits, f"Tuning {system.name}", progress)]
    by_weight = {}
    for weight in system.grid:
        values = [_user_scores(system.combine(run, weight), split.test)[TUNING_METRIC]
                  for run, split in zip(runs, tune_splits)]
        by_weight[weight] = round(mean(values), 4)
    best = max(system.grid, key=lambda w: (by_weight[w], -system.grid.index(w)))
    return best, {"users": len(tune_splits), "metric": TUNING_METRIC,
                  "by_weight": {str(w): v for w, v in by_weight.items()}}


def _run(system: TunedRanker, split: Split, phase: str,
         store: RunStore | None) -> tuple[Run, bool]:
    """``system``'s run for one user (from ``store`` when it holds one); whether it was stored."""
    keep = store is not None and getattr(system, "resumable", False)
    if keep and (run := store.get(system.name, phase, split.user)) is not None:
        return run, True
    run = system.run(_sequence(split), DEPTH)
    if keep:
        store.put(system.name, phase, split.user, run)
    return run, False


def _sequence(split: Split) -> list[str]:
    return [*split.history, split.validation]


def _bar(items: Sequence, desc: str, progress: bool) -> Iterable:
    return tqdm(items, desc=desc, unit="user", disable=not progress)


def _summary(scores: Mapping[str, list[float]], seed: int, elapsed: float, users: int) -> dict:
    summary: dict[str, Any] = {
        name: {"mean": round(mean(values), 4),
               "ci95": [round(x, 4) for x in bootstrap_ci(values, seed=seed)]}
        for name, values in scores.items()}
    summary["seconds_per_user"] = round(elapsed / users, 4) if users else None  # all resumed
    return summary


def _user_scores(ranking: Sequence[str], target: str) -> dict[str, float]:
    scores = {}
    for k in CUTOFFS:
        scores[f"HR@{k}"] = hit_rate(ranking, target, k)
        scores[f"NDCG@{k}"] = ndcg(ranking, target, k)
    scores["MRR@20"] = mrr(ranking, target, 20)
    for k in RECALL_CUTOFFS:
        scores[f"retrieval_recall@{k}"] = hit_rate(ranking, target, k)
    return scores
