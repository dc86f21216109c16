"""PALR step 2: the candidate list, from retrieval under the turn's plan: filtered by Chroma,
steered, checked against every constraint, one item per series or product line, then
diversified."""

from __future__ import annotations

from collections.abc import Sequence

from recommender.core.constraints import Constraints
from recommender.core.diversity import mmr
from recommender.core.domain import Domain
from recommender.core.grouping import one_per_group
from recommender.core.turn import TurnPlan

__all__ = ["candidates", "no_candidates_notice"]

_GROUPED_DEPTH = 2
"""Retrieval fetches this many times the candidates asked for, so that ``k`` are left once
each series or product line keeps its best item."""


def candidates(domain: Domain, history: Sequence[str], profile: str, plan: TurnPlan,
               k: int) -> list[str]:
    """Up to ``k`` item ids, best first, never one of the history or the plan's exclusions,
    and no two of one series or product line unless it is the focus item's ("more like the
    second one")."""
    exclude = [*history, *plan.exclude]
    scored = domain.retriever.retrieve(history, profile, k * _GROUPED_DEPTH, exclude=exclude,
                                       steer=plan.steer)
    if not plan.constraints.empty:
        scored = [s for s in scored if plan.constraints.allows(domain.catalog.get(s.item_id))]
    focus = [plan.steer.focus] if plan.steer.focus else []
    distinct = set(one_per_group([s.item_id for s in scored], domain.catalog, keep=focus))
    scored = [s for s in scored if s.item_id in distinct][:k]
    if plan.diversity > 0 and len(scored) > 1:
        ids = [s.item_id for s in scored]
        vectors = dict(zip(ids, domain.index.vectors(ids)))
        unlike = list(domain.index.vectors(list(plan.unlike))) if plan.unlike else []
        scored = mmr(scored, vectors, plan.diversity, unlike)
    return [s.item_id for s in scored]


def no_candidates_notice(noun: str, constraints: Constraints) -> str:
    """What to tell the user when nothing is left to recommend."""
    if constraints.empty:
        return "Retrieval found no candidates outside your history."
    return (f"No {noun} outside your history matches {' and '.join(constraints.describe())}. "
            "Lift a filter (say “any year” or “horror is fine again”) or press Reset.")
