"""EASE (Steck, WWW 2019): a closed-form item-item model, the typed-history protocol's anchor.

B = I − P · diag(1 / diag(P)) with P = (XᵀX + λI)⁻¹ over the binary user-item matrix X of the
training interactions; a user's scores are x·B. It has no order and no training loop, so it
says what a plain co-occurrence model does with two or three typed titles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["EASE", "ease_models"]


class EASE:
    """Fitted on training sequences (item ids); ``scores`` over its vocabulary."""

    def __init__(self, vocabulary: Sequence[str], gram: np.ndarray,
                 regularization: float) -> None:
        self.vocabulary = list(vocabulary)
        self._ids = {item: n for n, item in enumerate(self.vocabulary)}
        precision = np.linalg.inv(gram + regularization * np.eye(len(gram)))
        weights = precision / -np.diag(precision)
        weights[np.diag_indices_from(weights)] = 0.0
        self._weights = weights.astype(np.float32)
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
    gram = np.zeros((len(vocabulary), len(vocabulary)), dtype=np.float64)
    for row in rows:
        index = np.fromiter((ids[i] for i in row), dtype=np.int64)
        gram[np.ix_(index, index)] += 1.0
    return {lam: EASE(vocabulary, gram, lam) for lam in regularizations}
