"""Retrieval: the candidate list, from item vectors in Chroma.

The query is the mean of the history items' stored vectors, blended with the embedding of the
LLM-written profile (``profile_weight``), so the profile steers retrieval without replacing what
the user actually named."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from recommender.core.taste import SharedTaste
from recommender.vectors.index import ItemIndex, ScoredItem

__all__ = ["query_vector", "retrieve", "Retriever", "ContentRetriever", "HybridRetriever", "fuse",
           "Steering", "AVOID_WEIGHT", "FOCUS_WEIGHT", "unit", "TypedReading"]

AVOID_WEIGHT = 0.3
"""How hard disliked items push the query away (Rocchio's negative weight)."""
FOCUS_WEIGHT = 0.7
"""The focus item's share of the content query ("more like the second one")."""


@dataclass(frozen=True)
class Steering:
    """What a conversation adds to a retrieval: a metadata filter, items to move away from,
    and one item to stay close to."""

    where: dict | None = None
    """Chroma ``where`` filter (``Constraints.where``)."""
    avoid: tuple[str, ...] = ()
    """Disliked items: the query moves away from them."""
    focus: str | None = None
    """An item the user wants more like: it dominates the query."""


def query_vector(history: np.ndarray, profile: np.ndarray | None, profile_weight: float) -> np.ndarray:
    """Unit vector: (1 - w) · mean(history) + w · profile, each normalised first."""
    query = unit(history.mean(axis=0)) * (1.0 - profile_weight)
    if profile is not None and profile_weight > 0:
        query = query + unit(profile) * profile_weight
    return unit(query)


def retrieve(index: ItemIndex, history_ids: Sequence[str], profile: str, k: int,
             profile_weight: float, exclude: Sequence[str] | None = None,
             steer: Steering | None = None) -> list[ScoredItem]:
    """The ``k`` items nearest the user's query vector, never one of ``exclude`` (by default
    the history items the query is built from)."""
    steer = steer or Steering()
    vectors = index.vectors(history_ids)
    profile_vector = index.embed_text(profile) if profile and profile_weight > 0 else None
    if len(vectors) == 0:
        if profile_vector is None:
            return []
        vectors = profile_vector[None, :]
    query = query_vector(vectors, profile_vector, profile_weight)
    if steer.focus is not None:
        focus = index.vectors([steer.focus])
        if len(focus):
            query = unit(FOCUS_WEIGHT * unit(focus[0]) + (1.0 - FOCUS_WEIGHT) * query)
    avoid = index.vectors(list(steer.avoid))
    if len(avoid):
        query = unit(query - AVOID_WEIGHT * unit(avoid.mean(axis=0)))
    return index.search(query, k, exclude=history_ids if exclude is None else exclude,
                        where=steer.where)


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (a zero vector stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class Retriever(Protocol):
    """Candidate items for a user, best first."""

    name: str

    def retrieve(self, history_ids: Sequence[str], profile: str, k: int,
                 exclude: Sequence[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        """The ``k`` best items, none in ``exclude`` (by default ``history_ids``)."""
        ...


class ContentRetriever:
    """MiniLM item vectors in Chroma, queried with the mean of the last ``window`` history
    items (and the profile); every history item is excluded."""

    name = "content"

    def __init__(self, index: ItemIndex, profile_weight: float, window: int = 20) -> None:
        self.index = index
        self.profile_weight = profile_weight
        self.window = window

    def retrieve(self, history_ids: Sequence[str], profile: str, k: int,
                 exclude: Sequence[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        return retrieve(self.index, list(history_ids)[-self.window:], profile, k,
                        self.profile_weight, history_ids if exclude is None else exclude, steer)


class HybridRetriever:
    """Collaborative and content retrieval fused by a weighted sum of standardised scores.

    Each retriever returns its top ``depth`` items; each list's scores are standardised
    (z-scores) so the two scales meet. An item's collaborative part is its collaborative
    z-score; an item the collaborative model has no vector for (new or uploaded, never
    interacted with) uses its content z-score there instead, so it competes on content alone;
    an item that has a vector but fell outside the top ``depth`` gets the list's lowest z-score.
    ``weight`` is the collaborative share, chosen on validation users (see evaluation).

    A typed history (a few titles, ``typed.weights`` says how many) is read differently: a
    sequence model fed three titles in no order falls back on what was rated in the same
    sittings, not on their taste. The item-item model that knows the items' content
    (``collaborative.item_item``) is fused with content retrieval instead, at the weight
    chosen for that many titles (``TypedReading``)."""

    name = "hybrid"

    def __init__(self, content: Retriever, collaborative: CollaborativeSource, weight: float,
                 depth: int = 100, typed: TypedReading | None = None) -> None:
        self.content = content
        self.collaborative = collaborative
        self.weight = weight
        self.depth = depth
        self.typed = typed

    def retrieve(self, history_ids: Sequence[str], profile: str, k: int,
                 exclude: Sequence[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        depth = max(k, self.depth)
        content = self.content.retrieve(history_ids, profile, depth, exclude, steer)
        typed = self.typed.weight_for(len(history_ids)) if self.typed else None
        source, weight = (self.collaborative, self.weight) if typed is None else \
            (self.typed.model, typed)
        collab = source.retrieve(history_ids, depth, exclude, steer)
        fused = fuse(collab, content, weight, source.__contains__)[:depth]
        if self.typed is not None:  # the top ``depth`` re-ordered by shared taste
            fused = self.typed.with_taste(history_ids, fused, steer)
        return fused[:k]


@dataclass(frozen=True)
class TypedReading:
    """How hybrid retrieval reads a typed history: for a history of ``n`` items with a
    weight in ``weights``, ``model`` (the item-item model) is fused with content at
    ``weights[n]``; longer histories are fused with the sequence model as usual. The weights
    are chosen per count on validation users and validation typed lists (``evaluate
    --protocol typed``, ``taste``) and saved in the model's ``fusion.json``; how, and what they
    measured: docs/evaluation.md."""

    model: CollaborativeSource
    weights: Mapping[int, float]
    taste: SharedTaste | None = None
    """What the typed titles share (``core.taste``), mixed into the fused list at
    ``taste_weights[n]`` for ``n`` titles."""
    taste_weights: Mapping[int, float] = field(default_factory=dict)

    def weight_for(self, count: int) -> float | None:
        """The item-item share for a history of ``count`` items, or ``None``: not typed."""
        return self.weights.get(count)

    def with_taste(self, history_ids: Sequence[str], fused: Sequence[ScoredItem],
                   steer: Steering | None = None) -> list[ScoredItem]:
        """``fused`` re-ordered by the shared taste of the history (of the focus item, when
        the person asked for more like one), at the share chosen for its length."""
        weight = self.taste_weights.get(len(history_ids), 0.0)
        if self.taste is None or weight <= 0:
            return list(fused)
        focus = steer.focus if steer else None
        return self.taste.rescore([focus] if focus else list(history_ids), fused, weight)


class CollaborativeSource(Protocol):
    def __contains__(self, item_id: str) -> bool: ...

    def scores(self, history_ids: Sequence[str], item_ids: Sequence[str],
               steer: Steering | None = None) -> dict[str, float]: ...

    def retrieve(self, history_ids: Sequence[str], k: int,
                 exclude: Sequence[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]: ...


def fuse(collab: Sequence[ScoredItem], content: Sequence[ScoredItem], weight: float,
         has_vector: Callable[[str], bool]) -> list[ScoredItem]:
    """``weight`` · collaborative z + (1 - weight) · content z, best first (see HybridRetriever).
    With no collaborative hits (no known history item) this is content order."""
    if not collab:
        return list(content)
    if not content:
        return list(collab)
    collab_z, content_z = _standardised(collab), _standardised(content)
    collab_floor, content_floor = min(collab_z.values()), min(content_z.values())
    fused = []
    for item_id in dict.fromkeys([*collab_z, *content_z]):
        t = content_z.get(item_id, content_floor)
        if item_id in collab_z:
            c = collab_z[item_id]
        else:
            c = t if not has_vector(item_id) else collab_floor
        fused.append(ScoredItem(item_id, round(weight * c + (1.0 - weight) * t, 6)))
    fused.sort(key=lambda s: -s.score)
    return fused


def _standardised(hits: Sequence[ScoredItem]) -> dict[str, float]:
    scores = np.asarray([h.score for h in hits], dtype=np.float64)
    spread = float(scores.std()) or 1.0
    return {h.item_id: (h.score - float(scores.mean())) / spread for h in hits}
