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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tqdm import tqdm

from recommender.collaborative.interactions import Split
from recommender.core.retrieval import CollaborativeSource, Retriever, fuse
from recommender.core.selection import fuse_ranking
from recommender.evaluation.llm_ranking import ShuffledSelection, Verbalizer
from recommender.evaluation.metrics import bootstrap_ci, hit_rate, mean, mrr, ndcg

__all__ = ["Ranker", "TunedRanker", "Run", "PopularityRanker", "ContentRanker",
           "CollaborativeRanker",
           "HybridRanker", "PALRRanker", "LLMScoreRanker", "evaluate", "split_users", "ANCHORS",
           "validation_splits",
           "DEPTH", "WEIGHT_GRID"]

CUTOFFS = (5, 10, 20)
RECALL_CUTOFFS = (20, 50)
DEPTH = 50
"""Length of every ranking scored."""
TUNING_METRIC = "NDCG@10"
WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))

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


@dataclass
class Run:
    """One user's expensive work, kept so that several weights can be scored cheaply."""

    payload: Any
    checks: dict[str, float] = field(default_factory=dict)
    """Per-user rates (out of candidates, duplicates...), averaged in the report."""


@runtime_checkable
class TunedRanker(Protocol):
    """A system whose ranking depends on a weight: ``run`` once per user, ``combine`` per
    weight. ``rows`` names the reported rows and their weight (``None``: the tuned one)."""

    name: str
    grid: Sequence[float]
    rows: Mapping[str, float | None]

    def run(self, sequence: Sequence[str], k: int) -> Run: ...

    def combine(self, run: Run, weight: float) -> list[str]: ...


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
    """Content retrieval (MiniLM vectors in Chroma) queried from the sequence, no profile."""

    name = "content"

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        return [hit.item_id for hit in self.retriever.retrieve(sequence, "", k)]


class CollaborativeRanker:
    """SASRec's user vector queried against its item vectors in Chroma."""

    name = "sasrec"

    def __init__(self, retriever: CollaborativeSource) -> None:
        self.retriever = retriever

    def rank(self, sequence: Sequence[str], k: int) -> list[str]:
        return [hit.item_id for hit in self.retriever.retrieve(sequence, k)]


class HybridRanker:
    """Collaborative and content lists fused (see ``retrieval.fuse``); the weight is tuned."""

    name = "hybrid"
    grid = WEIGHT_GRID
    rows = {"hybrid": None}

    def __init__(self, content: Retriever, collaborative: CollaborativeSource,
                 depth: int = 100) -> None:
        self.content, self.collaborative, self.depth = content, collaborative, depth

    def run(self, sequence: Sequence[str], k: int) -> Run:
        depth = max(k, self.depth)
        return Run((self.collaborative.retrieve(sequence, depth),
                    self.content.retrieve(sequence, "", depth), k))

    def combine(self, run: Run, weight: float) -> list[str]:
        collab, content, k = run.payload
        return [s.item_id for s in fuse(collab, content, weight,
                                        self.collaborative.__contains__)][:k]


class PALRRanker:
    """The app's whole turn (profile, hybrid retrieval, constrained selection, explanations),
    scored on its final order, then retrieval's order past the candidates. Reported raw (the
    LLM's order first) and fused with retrieval order by the tuned weight, as the app does."""

    name = "palr"
    grid = WEIGHT_GRID
    rows = {"palr": 1.0, "palr + fusion": None}

    def __init__(self, recommender, domain: str, explain: int = 5) -> None:
        self.recommender, self.domain, self.explain = recommender, domain, explain

    def run(self, sequence: Sequence[str], k: int) -> Run:
        result = self.recommender.recommend(self.domain, history_ids=sequence,
                                            explain=self.explain)
        deep = self.recommender.domain(self.domain).retriever.retrieve(sequence, result.profile, k)
        selection = result.selection
        llm_order = list(selection.item_ids[: selection.from_model]) if selection else []
        count = max(len(selection.item_ids), 1) if selection else 1
        seen = set(sequence)
        explained = result.recommendations
        checks = {
            "out_of_candidate_rate": (selection.out_of_candidates / count) if selection else 0.0,
            "duplicate_rate": (selection.duplicates / count) if selection else 0.0,
            "history_repeat_rate": sum(i in seen for i in llm_order) / count,
            "ungrounded_explanation_rate": (sum(bool(r.unsupported_claims) for r in explained)
                                            / len(explained)) if explained else 0.0,
            "explanations_kept_rate": (sum(r.source == "llm" for r in explained)
                                       / len(explained)) if explained else 0.0,
            "selection_failed": float(bool(selection and selection.error)),
        }
        return Run((result.candidates, llm_order, [h.item_id for h in deep], k), checks)

    def combine(self, run: Run, weight: float) -> list[str]:
        candidates, llm_order, deep, k = run.payload
        head = fuse_ranking(candidates, llm_order, weight)
        return _extend(head, deep, k)


class LLMScoreRanker:
    """LLMRank's shuffled selection or LlamaRec's verbalizer over a retriever's top
    ``candidates``: candidates ordered by the model's scores (ties in retrieval order), then
    retrieval's order past them."""

    grid: Sequence[float] = ()

    def __init__(self, name: str, scorer: ShuffledSelection | Verbalizer, retriever: Retriever,
                 candidates: int = 20) -> None:
        self.name, self.scorer, self.retriever, self.candidates = name, scorer, retriever, candidates
        self.rows = {name: 1.0}

    def run(self, sequence: Sequence[str], k: int) -> Run:
        deep = [h.item_id for h in self.retriever.retrieve(sequence, "", max(k, self.candidates))]
        head = deep[: self.candidates]
        scored = self.scorer.score(sequence, head) if head else None
        picks = max(scored.picks, 1) if scored else 1
        checks = {"out_of_candidate_rate": scored.out_of_candidates / picks if scored else 0.0,
                  "duplicate_rate": scored.duplicates / picks if scored else 0.0,
                  "history_repeat_rate": 0.0 if not head else
                  sum(i in set(sequence) for i in head) / len(head)}
        return Run((head, scored.scores if scored else {}, deep, k), checks)

    def combine(self, run: Run, weight: float) -> list[str]:
        head, scores, deep, k = run.payload
        order = sorted(range(len(head)), key=lambda r: (-scores.get(head[r], 0.0), r))
        return _extend([head[r] for r in order], deep, k)


def _extend(head: Sequence[str], deep: Sequence[str], k: int) -> list[str]:
    out = list(dict.fromkeys(head))
    out += [i for i in deep if i not in set(out)]
    return out[:k]


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
             tuners: Mapping[str, TunedRanker] | None = None) -> dict[str, dict]:
    """Per reported row: each metric's mean and 95% interval, seconds per user, averaged
    checks, and the weight used (with what it scored on the tuning users). ``tuners`` gives
    a system another instance to choose its weight with (one over the tuning model)."""
    results: dict[str, dict] = {}
    for system in systems:
        if isinstance(system, TunedRanker):
            tuner = (tuners or {}).get(system.name, system)
            results.update(_evaluate_tuned(system, splits, tune_splits, seed, progress,
                                           tuner))
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
                    seed: int, progress: bool, tuner: TunedRanker) -> dict[str, dict]:
    tuned, tuning = _choose_weight(tuner, tune_splits, progress)
    started = time.perf_counter()
    runs = [system.run(_sequence(s), DEPTH) for s in _bar(splits, f"Evaluating {system.name}",
                                                          progress)]
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
        summary = _summary(scores, seed, elapsed, len(splits))
        summary["weight"] = weight
        if fixed is None:
            summary["tuning"] = tuning
        results[row] = summary
    return results


def _choose_weight(system: TunedRanker, tune_splits: Sequence[Split],
                   progress: bool) -> tuple[float, dict]:
    """The grid weight with the best mean tuning metric on the tuning users (ties: the first)."""
    if not system.grid:
        return 1.0, {}
    if len(system.grid) == 1:
        return system.grid[0], {"fixed": True}
    if not tune_splits:
        raise ValueError(f"{system.name} needs tuning users to choose its weight")
    runs = [system.run(_sequence(s), DEPTH)
            for s in _bar(tune_splits, f"Tuning {system.name}", progress)]
    by_weight = {}
    for weight in system.grid:
        values = [_user_scores(system.combine(run, weight), split.test)[TUNING_METRIC]
                  for run, split in zip(runs, tune_splits)]
        by_weight[weight] = round(mean(values), 4)
    best = max(system.grid, key=lambda w: (by_weight[w], -system.grid.index(w)))
    return best, {"users": len(tune_splits), "metric": TUNING_METRIC,
                  "by_weight": {str(w): v for w, v in by_weight.items()}}


def _sequence(split: Split) -> list[str]:
    return [*split.history, split.validation]


def _bar(items: Sequence, desc: str, progress: bool) -> Iterable:
    return tqdm(items, desc=desc, unit="user", disable=not progress)


def _summary(scores: Mapping[str, list[float]], seed: int, elapsed: float, users: int) -> dict:
    summary: dict[str, Any] = {
        name: {"mean": round(mean(values), 4),
               "ci95": [round(x, 4) for x in bootstrap_ci(values, seed=seed)]}
        for name, values in scores.items()}
    summary["seconds_per_user"] = round(elapsed / max(users, 1), 4)
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
