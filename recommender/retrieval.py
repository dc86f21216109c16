"""Retrieval: the candidate list, from item vectors in Chroma.

The query is the mean of the history items' stored vectors, blended with the embedding of the
LLM-written profile (``profile_weight``), so the profile steers retrieval without replacing what
the user actually named."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .index import ItemIndex, ScoredItem

__all__ = ["query_vector", "retrieve"]


def query_vector(history: np.ndarray, profile: np.ndarray | None, profile_weight: float) -> np.ndarray:
    """Unit vector: (1 - w) · mean(history) + w · profile, each normalised first."""
    query = _unit(history.mean(axis=0)) * (1.0 - profile_weight)
    if profile is not None and profile_weight > 0:
        query = query + _unit(profile) * profile_weight
    return _unit(query)


def retrieve(index: ItemIndex, history_ids: Sequence[str], profile: str, k: int,
             profile_weight: float, exclude: Sequence[str] | None = None) -> list[ScoredItem]:
    """The ``k`` items nearest the user's query vector, never one of ``exclude`` (by default
    the history items the query is built from)."""
    vectors = index.vectors(history_ids)
    profile_vector = index.embed_text(profile) if profile and profile_weight > 0 else None
    if len(vectors) == 0:
        if profile_vector is None:
            return []
        vectors = profile_vector[None, :]
    return index.search(query_vector(vectors, profile_vector, profile_weight), k,
                        exclude=history_ids if exclude is None else exclude)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
