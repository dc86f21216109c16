"""``difflib.get_close_matches`` over a fixed list of names, with the same answers, faster.

difflib tries every name in Python, three ratios each; over a catalog's ~26,000 title keys that
took about 30 ms per phrase, and the grounding check links every explanation line (0.2 s a
line). Two of difflib's own bounds are computed here for all names at once with numpy, as
supersets: the length bound (``real_quick_ratio``) exactly, and the shared-character bound
(``quick_ratio``) over characters folded into 64 buckets, which can only count more in common.
Only the names that pass both go to difflib, which decides as it always does.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

__all__ = ["CloseMatcher"]

_BUCKETS = 64
_SLACK = 1e-9  # the bounds here are never stricter than difflib's own


class CloseMatcher:
    """The names of ``names`` close to a word, as ``difflib.get_close_matches`` finds them."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self._lengths = np.array([len(n) for n in self.names], dtype=np.float64)
        self._counts = np.zeros((len(self.names), _BUCKETS), dtype=np.uint16)
        for row, name in enumerate(self.names):
            for char in name:
                self._counts[row, ord(char) % _BUCKETS] += 1

    def get(self, word: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
        if not self.names:
            return []
        size = len(word)
        total = self._lengths + size
        length_bound = 2.0 * np.minimum(self._lengths, size) / np.maximum(total, 1)
        counts = np.zeros(_BUCKETS, dtype=np.uint16)
        for char in word:
            counts[ord(char) % _BUCKETS] += 1
        rows = np.flatnonzero(length_bound >= cutoff - _SLACK)
        shared = np.minimum(self._counts[rows], counts).sum(axis=1)
        rows = rows[2.0 * shared / np.maximum(total[rows], 1) >= cutoff - _SLACK]
        return difflib.get_close_matches(word, [self.names[r] for r in rows], n=n, cutoff=cutoff)
