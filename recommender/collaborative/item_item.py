"""An item-item model that knows the items' content: EASE (Steck, WWW 2019) with side
information (Jeunen, Van Balen and Goethals, RecSys 2020), the reading of a typed history.

A person who types two or three titles gives a set, not a sequence; a sequence model fed
three titles in no order falls back on what was rated in the same sittings. EASE reads a set:
B = I − P · diag(1 / diag(P)) with P = (G + λI)⁻¹, and a history's scores are the sum of its
items' rows of B. Here the Gram matrix G is the training interactions' co-occurrence (XᵀX)
plus two kinds of side information, each a set of pseudo-users added as rows of X:

- one per catalog facet (a film's genre or tag, a product type word), holding the items that
  carry it;
- one per item, holding its nearest neighbours by the MiniLM vectors of the index,

each scaled so that its diagonal averages ``weight`` times the interactions' diagonal. So an
item no one interacted with still has a place, beside items of the same content, and two
typed titles pull toward what their neighbours share.

The dense B of ten thousand items is 400 MB; the model keeps each row's ``keep`` largest
weights (scores summed over the typed rows are what matter), so the shipped file is a few MB.
It is fitted on training interactions only (histories and validation items, never a test
item): ``fit_item_item``; ``python -m recommender train --model item-item`` writes it beside
SASRec."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from recommender.catalog import Item
from recommender.core.retrieval import AVOID_WEIGHT, FOCUS_WEIGHT, ScoredItem, Steering
from recommender.errors import RecommenderError
from recommender.vocabulary import product_types

__all__ = ["ItemItemConfig", "ItemItemModel", "fit_item_item", "neighbour_sets", "item_facets",
           "cooccurrence", "ease_weights", "ITEM_ITEM_FILE"]

ITEM_ITEM_FILE = "item_item.npz"


@dataclass(frozen=True)
class ItemItemConfig:
    """How the model is fitted; chosen on validation users (docs/evaluation.md)."""

    regularization: float = 200.0
    facet_weight: float = 1.0
    """The facets' pseudo-users, as a share of the interactions' mean diagonal."""
    neighbour_weight: float = 1.0
    """The MiniLM neighbour sets' pseudo-users, likewise."""
    neighbours: int = 20
    keep: int = 200
    """Weights kept per item row."""


class ItemItemModel:
    """Pruned item-item weights over a vocabulary of item ids (a ``CollaborativeSource``);
    with a ``catalog``, only the items it serves are read or returned."""

    name = "item-item"

    def __init__(self, vocabulary: Sequence[str], columns: np.ndarray, weights: np.ndarray,
                 config: ItemItemConfig, catalog: Container[str] | None = None) -> None:
        self.vocabulary = list(vocabulary)
        served = [n for n, item in enumerate(self.vocabulary)
                  if catalog is None or item in catalog]
        self._ids = {self.vocabulary[n]: n for n in served}
        self._unserved = np.ones(len(self.vocabulary), dtype=bool)
        self._unserved[served] = False
        self._columns = columns
        self._weights = weights
        self.config = config

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._ids

    @property
    def neighbours_kept(self) -> int:
        """How many neighbours each item keeps (``ItemItemConfig.keep``, fewer when the
        vocabulary is smaller)."""
        return int(self._columns.shape[1])

    def _scores(self, history_ids: Sequence[str], steer: Steering) -> np.ndarray | None:
        rows = {self._ids[i]: 1.0 for i in history_ids if i in self._ids}
        if steer.focus in self._ids and rows:
            # The focus item weighs as much as the rest together, as in content retrieval.
            share = FOCUS_WEIGHT / (1.0 - FOCUS_WEIGHT) * len(rows)
            rows[self._ids[steer.focus]] = rows.get(self._ids[steer.focus], 0.0) + share
        elif steer.focus in self._ids:
            rows[self._ids[steer.focus]] = 1.0
        if not rows:
            return None
        avoid = [self._ids[i] for i in steer.avoid if i in self._ids]
        liked = len(rows)
        for row in avoid:
            rows[row] = rows.get(row, 0.0) - AVOID_WEIGHT * liked / len(avoid)
        scores = np.zeros(len(self.vocabulary), dtype=np.float32)
        for row, share in rows.items():
            np.add.at(scores, self._columns[row], share * self._weights[row].astype(np.float32))
        return scores

    def scores(self, history_ids: Sequence[str], item_ids: Sequence[str],
               steer: Steering | None = None) -> dict[str, float]:
        """Each of ``item_ids`` the model knows, scored for this history (steered as
        ``retrieve`` steers); empty when it knows no history item."""
        scores = self._scores(history_ids, steer or Steering())
        if scores is None:
            return {}
        return {i: float(scores[self._ids[i]]) for i in item_ids if i in self._ids}

    def retrieve(self, history_ids: Sequence[str], k: int,
                 exclude: Iterable[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        """The ``k`` items scored highest for this history, never one of ``exclude`` (by
        default the history). ``steer.focus`` weighs as much as the rest of the history,
        ``steer.avoid`` subtracts the disliked items' rows. ``steer.where`` is not read:
        the candidate stage checks every constraint on what retrieval returns."""
        steer = steer or Steering()
        scores = self._scores(history_ids, steer)
        if scores is None or k <= 0:
            return []
        scores[self._unserved] = -np.inf
        for item in set(history_ids if exclude is None else exclude):
            if item in self._ids:
                scores[self._ids[item]] = -np.inf
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [ScoredItem(self.vocabulary[i], round(float(scores[i]), 6)) for i in top
                if np.isfinite(scores[i])]

    def save(self, path: Path, meta: Mapping[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(temporary, vocabulary=np.asarray(self.vocabulary),
                            columns=self._columns, weights=self._weights,
                            config=np.asarray(json.dumps(asdict(self.config))),
                            meta=np.asarray(json.dumps(dict(meta))))
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path, catalog: Container[str] | None = None) -> ItemItemModel:
        """The model saved at ``path``; items outside ``catalog`` (when given) are never
        read or returned."""
        try:
            with np.load(path, allow_pickle=False) as data:
                config = ItemItemConfig(**json.loads(str(data["config"])))
                return cls([str(v) for v in data["vocabulary"]], data["columns"],
                           data["weights"], config, catalog)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            raise RecommenderError(
                f"{path} cannot be read ({exc}). Fit it again: python -m recommender train "
                f"--dataset movielens|beauty --model item-item --out {path.parent} (or delete "
                "it: typed histories are then read by the sequence model).") from exc


def item_facets(item: Item, kind: str) -> frozenset[str]:
    """The side information of one item: a film's genres and tags, a product's types."""
    if kind == "movies":
        return frozenset((*item.genres, *item.tags))
    return product_types(item.title)


def neighbour_sets(vectors: np.ndarray, neighbours: int, batch: int = 1024) -> list[np.ndarray]:
    """For each row of ``vectors``, the rows of its ``neighbours`` nearest by cosine (itself
    included): one pseudo-user per item."""
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    unit = unit.astype(np.float32)
    count = min(neighbours + 1, len(unit))
    sets = []
    for start in range(0, len(unit), batch):
        similarity = unit[start:start + batch] @ unit.T
        sets.extend(np.argpartition(-similarity, count - 1, axis=1)[:, :count])
    return sets


def fit_item_item(vocabulary: Sequence[str], interactions: Iterable[Iterable[str]],
                  facets: Mapping[str, Iterable[str]], vectors: np.ndarray | None,
                  config: ItemItemConfig) -> ItemItemModel:
    """Fit on ``interactions`` (one set of item ids per training user), ``facets`` (item id →
    its genres, tags or product types) and the index's ``vectors`` of ``vocabulary`` (row
    order), then prune each row to its ``config.keep`` largest weights."""
    ids = {item: n for n, item in enumerate(vocabulary)}
    gram = cooccurrence(({ids[i] for i in row if i in ids} for row in interactions), len(ids))
    scale = float(np.diag(gram).mean()) or 1.0
    holders: dict[str, list[int]] = {}
    for item, names in facets.items():
        if item in ids:
            for name in set(names):
                holders.setdefault(name, []).append(ids[item])
    sides = [(config.facet_weight,
              [np.asarray(rows) for rows in holders.values() if len(rows) >= 2])]
    if vectors is not None:
        sides.append((config.neighbour_weight, neighbour_sets(vectors, config.neighbours)))
    for weight, rows in sides:
        if weight > 0 and rows:
            side = cooccurrence(rows, len(ids))
            gram += (weight * scale / (float(np.diag(side).mean()) or 1.0)) * side
    weights = ease_weights(gram, config.regularization)
    del gram
    weights[np.diag_indices_from(weights)] = -np.inf  # an item is never its own neighbour
    keep = min(config.keep, len(ids) - 1)
    columns = np.argpartition(-weights, keep - 1, axis=1)[:, :keep]
    kept = np.take_along_axis(weights, columns, axis=1)
    return ItemItemModel(vocabulary, columns.astype(np.int32), kept.astype(np.float16), config)


def cooccurrence(rows: Iterable[Iterable[int]], size: int,
                 dtype: type = np.float32) -> np.ndarray:
    """XᵀX of the binary matrix whose rows hold these column indices (size × size)."""
    gram = np.zeros((size, size), dtype=dtype)
    for row in rows:
        index = np.fromiter(row, dtype=np.int64)
        gram[np.ix_(index, index)] += 1.0
    return gram


def ease_weights(gram: np.ndarray, regularization: float) -> np.ndarray:
    """EASE's closed form over a Gram matrix: B = I − P · diag(1 / diag(P)) with
    P = (G + λI)⁻¹, its diagonal zero (``gram`` is left as it is)."""
    shifted = gram.copy()
    shifted[np.diag_indices_from(shifted)] += regularization
    precision = np.linalg.inv(shifted)
    del shifted
    weights = precision / -np.diag(precision)
    weights[np.diag_indices_from(weights)] = 0.0
    return weights
