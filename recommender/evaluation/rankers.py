"""The systems the offline evaluation compares, each behind one small interface: a ``Ranker``
ranks every item for a user's input sequence; a ``TunedRanker`` also has a fusion weight,
chosen on tuning users (``protocol``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from recommender.core.retrieval import CollaborativeSource, Retriever, fuse
from recommender.core.selection import fuse_ranking
from recommender.core.turn import TurnPlan
from recommender.errors import RecommenderError
from recommender.evaluation.llm_ranking import ShuffledSelection, Verbalizer

__all__ = ["Ranker", "TunedRanker", "Run", "PopularityRanker", "ContentRanker",
           "CollaborativeRanker", "HybridRanker", "PALRRanker", "LLMScoreRanker", "WEIGHT_GRID",
           "SEQUENCE_SYSTEMS", "check_sequence_systems"]

WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))
SEQUENCE_SYSTEMS = ("sasrec", "lrurec")
"""The trained sequence model, by architecture: the model folder holds one of them."""



class Ranker(Protocol):
    """Ranks catalog items for one user's input sequence (oldest first)."""

    name: str

    def rank(self, sequence: Sequence[str], k: int,
             exclude: Sequence[str] | None = None) -> list[str]:
        """The ``k`` best items, none of them in ``exclude`` (by default ``sequence``)."""
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

    def rank(self, sequence: Sequence[str], k: int,
             exclude: Sequence[str] | None = None) -> list[str]:
        seen = set(sequence if exclude is None else exclude)
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

    def rank(self, sequence: Sequence[str], k: int,
             exclude: Sequence[str] | None = None) -> list[str]:
        return [hit.item_id for hit in self.retriever.retrieve(sequence, "", k, exclude)]


class CollaborativeRanker:
    """The sequence model's user vector queried against its item vectors in Chroma; named by
    its architecture (``sasrec``, ``lrurec``)."""

    def __init__(self, retriever: CollaborativeSource) -> None:
        self.retriever = retriever
        self.name = getattr(retriever, "architecture", "sasrec")

    def rank(self, sequence: Sequence[str], k: int,
             exclude: Sequence[str] | None = None) -> list[str]:
        return [hit.item_id for hit in self.retriever.retrieve(sequence, k, exclude)]


def check_sequence_systems(asked: Sequence[str], architecture: str, folder: object,
                           train: str) -> None:
    """Raise a ``RecommenderError`` saying what to do when ``asked`` names a sequence model
    other than the ``architecture`` that ``folder`` holds (``train``: the command that trains
    the data set's model)."""
    other = next((name for name in asked if name != architecture), None)
    if other is not None:
        raise RecommenderError(
            f"The model in {folder} is {architecture}; ask for --systems {architecture}, or "
            f"train the other: {train} --model {other}")


class HybridRanker:
    """Collaborative and content lists fused (see ``retrieval.fuse``); the weight is tuned."""

    name = "hybrid"
    grid = WEIGHT_GRID
    rows = {"hybrid": None}

    def __init__(self, content: Retriever, collaborative: CollaborativeSource,
                 depth: int = 100) -> None:
        self.content, self.collaborative, self.depth = content, collaborative, depth

    def run(self, sequence: Sequence[str], k: int,
            exclude: Sequence[str] | None = None) -> Run:
        depth = max(k, self.depth)
        return Run((self.collaborative.retrieve(sequence, depth, exclude),
                    self.content.retrieve(sequence, "", depth, exclude), k))

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
    resumable = True
    """Its runs are plain JSON, so ``evaluate --resume`` can keep them."""
    rows = {"palr": 1.0, "palr + fusion": None}

    def __init__(self, recommender, domain: str, explain: int = 5) -> None:
        self.recommender, self.domain, self.explain = recommender, domain, explain

    def run(self, sequence: Sequence[str], k: int) -> Run:
        result = self.recommender.recommend(self.domain, history_ids=sequence,
                                            explain=self.explain, plan=TurnPlan(select=True))
        deep = self.recommender.domain(self.domain).retriever.retrieve(sequence, "", k)
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
    resumable = True

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
