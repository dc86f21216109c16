"""EASE (Steck, WWW 2019): a closed-form item-item model, the typed-history protocol's anchor.

B = I − P · diag(1 / diag(P)) with P = (XᵀX + λI)⁻¹ over the binary user-item matrix X of the
training interactions; a user's scores are x·B. It has no order and no training loop, so it
says what a plain co-occurrence model does with two or three typed titles. The closed form is
the item-item model's (``collaborative.item_item``), here without side information, pruning or
float32, so the anchor stays the paper's model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from recommender.collaborative.item_item import cooccurrence, ease_weights

__all__ = ["EASE", "ease_models"]


class EASE:
    """Fitted on training sequences (item ids); ``scores`` over its vocabulary."""

    def __init__(self, vocabulary: Sequence[str], gram: np.ndarray,
                 regularization: float) -> None:
        self.vocabulary = list(vocabulary)
        self._ids = {item: n for n, item in enumerate(self.vocabulary)}
        self._weights = ease_weights(gram, regularization).astype(np.float32)
        self.regularization = regularization

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._ids

    def rank(self, items: Sequence[str], k: int, exclude: Iterable[str] = ()) -> list[str]:
        """The ``k`` items scored highest for a user who has ``items``, none of ``exclude``
        or ``items``."""
        known = [self._ids[i] for i in items if i in self._ids]
        if not known:
            return []
        scores = self._weights[known].sum(axis=0)
        for item in (*items, *exclude):
            if item in self._ids:
                scores[self._ids[item]] = -np.inf
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self.vocabulary[i] for i in top if np.isfinite(scores[i])]


def ease_models(sequences: Iterable[Sequence[str]],
                regularizations: Sequence[float]) -> dict[float, EASE]:
    """One EASE per regularisation over the same training sequences (XᵀX counted once)."""
    rows = [sorted(set(s)) for s in sequences]
    vocabulary = sorted({i for row in rows for i in row})
    ids = {item: n for n, item in enumerate(vocabulary)}
    gram = cooccurrence(([ids[i] for i in row] for row in rows), len(vocabulary), np.float64)
    return {lam: EASE(vocabulary, gram, lam) for lam in regularizations}
