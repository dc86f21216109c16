"""The collaborative model at query time: a trained sequence model's (SASRec or LRURec) item
vectors in a Chroma collection, searched with the user's vector.

Both score an item by the dot product of its embedding with the user's last hidden state, so
the item embeddings go into a Chroma collection (augmented so that L2 nearness is dot-product
order, see ``augment_items``) and a user's vector is the query. The collection records which
trained model it holds and is rewritten when the model is retrained.
"""

from __future__ import annotations

import logging
import pickle
import zipfile
from collections.abc import Container, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from recommender.catalog import Catalog
from recommender.collaborative.artifacts import MODEL_FILES, model_file
from recommender.collaborative.lrurec_numpy import LRURecNumpy
from recommender.collaborative.sasrec_numpy import WEIGHTS_FILE, SASRecNumpy
from recommender.core.retrieval import AVOID_WEIGHT, Steering, unit
from recommender.errors import RecommenderError
from recommender.files import file_sha256
from recommender.vectors.index import ScoredItem, item_metadata
from recommender.vectors.store import Batch, VersionedCollection, store_answering

__all__ = ["augment_items", "CollaborativeRetriever", "load_collaborative"]

log = logging.getLogger(__name__)

_BATCH = 2048
_HNSW = {"space": "l2", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32}
"""Squared L2 over augmented vectors (see ``augment_items``), with a wider beam than Chroma's
defaults (100, 100, 16); the collections are small (~12,000 items)."""
_LAYOUT = {"layout": "mips-l2-v2"}
"""v2: each vector carries its item's filterable metadata."""


def augment_items(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """Item vectors x → [x, sqrt(M² - |x|²)] with M the largest norm, so that for a query
    [q, 0] the squared distance is |q|² + M² - 2 q·x: nearest in L2 is largest dot product.
    Graph indexes find L2 neighbours far more reliably than inner-product ones (Bachrach et
    al., RecSys 2014). Returns the vectors and M²."""
    squared = (vectors.astype(np.float64) ** 2).sum(axis=1)
    top = float(squared.max()) if len(squared) else 0.0
    extra = np.sqrt(np.maximum(top - squared, 0.0))[:, None]
    return np.hstack([vectors, extra]).astype(np.float32), top


class CollaborativeRetriever:
    """A trained sequence model (SASRec or LRURec) and its item vectors in a Chroma collection
    (inner product).

    The collection holds augmented vectors (``augment_items``) in L2 space, so its nearest
    neighbours are the largest dot products. ``retrieve`` returns the items with the largest dot
    product with the user's vector; items
    the model never saw in training have no vector and are never returned (content retrieval
    covers them)."""

    def __init__(self, client, folder: Path, name: str,
                 catalog: Container[str] | None = None) -> None:
        dataset = folder.name.removeprefix("sasrec-")
        weights = model_file(folder)
        if weights is None:
            raise _untrained(folder, dataset)
        try:
            self.model, self.vocabulary, self.meta = _read_model(weights)
        except FileNotFoundError:  # the weights without their numpy twin or settings
            raise _untrained(folder, dataset) from None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError,
                pickle.UnpicklingError, zipfile.BadZipFile) as exc:
            log.warning("cannot read the model in %s: %s", folder, exc)
            raise RecommenderError(
                f"The trained model in {folder} cannot be read ({type(exc).__name__}). Train it "
                f"again: "
                f"python -m recommender train --dataset {dataset}, or point "
                "RECOMMENDER_COLLABORATIVE_DIR at a folder without it for content retrieval "
                "only.") from exc
        self.architecture = self.model.architecture
        self._ids = {item: n + 1 for n, item in enumerate(self.vocabulary)}
        self._catalog = catalog
        self._client = client
        self._name = f"collab-{name}"
        self.weights_file = weights
        self.sha256 = file_sha256(weights)
        """The model file's sha256 (hex): what an evaluation's stored runs were made with."""
        vectors, self._top = augment_items(self.model.items[1:])
        self._collection = self._ensure(vectors)

    @property
    def fingerprint(self) -> str:
        """The digest's short form, stored with the collection: another model rewrites it."""
        return self.sha256[:16]

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._ids

    def user_vector(self, history_ids: Sequence[str]) -> np.ndarray | None:
        """The model's vector for a user who interacted with these items (oldest first), or
        ``None`` when it knows none of them."""
        known = [self._ids[i] for i in history_ids if i in self._ids]
        if not known:
            return None
        return self.model.user_vector(known)

    def scores(self, history_ids: Sequence[str], item_ids: Sequence[str],
               steer: Steering | None = None) -> dict[str, float]:
        """The model's score (dot product) of each of ``item_ids`` it has a vector for, for
        this history, steered as ``retrieve`` steers; empty when it knows no history item."""
        vector = self._steered_vector(history_ids, steer or Steering())
        known = [i for i in item_ids if i in self._ids]
        if vector is None or not known:
            return {}
        items = self.model.items[[self._ids[i] for i in known]]
        return {i: round(float(s), 5) for i, s in zip(known, items @ vector)}

    def _steered_vector(self, history_ids: Sequence[str], steer: Steering) -> np.ndarray | None:
        sequence = [*history_ids, steer.focus] if steer.focus else list(history_ids)
        vector = self.user_vector(sequence)
        avoid = [self._ids[i] for i in steer.avoid if i in self._ids]
        if vector is not None and avoid:
            taste = self.model.taste  # the coordinates that describe taste (not a bias's)
            away = np.zeros_like(vector)
            away[taste] = self.model.items[avoid][:, taste].mean(axis=0)
            vector = vector - AVOID_WEIGHT * float(np.linalg.norm(vector[taste])) * unit(away)
        return vector

    def retrieve(self, history_ids: Sequence[str], k: int,
                 exclude: Iterable[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        """The ``k`` items scored highest for this history, never one of ``exclude`` (by
        default the history itself). Scores are dot products. ``steer`` filters by metadata,
        reads the focus item as the newest of the history, and moves the user's vector away
        from disliked items."""
        steer = steer or Steering()
        vector = self._steered_vector(history_ids, steer)
        if vector is None or k <= 0:
            return []
        excluded = set(history_ids if exclude is None else exclude)
        fetch = min(len(self.vocabulary), k + len(excluded))
        query = np.append(vector, 0.0).astype(np.float32)
        offset = float((vector.astype(np.float64) ** 2).sum()) + self._top
        with store_answering():
            found = self._collection.query(query_embeddings=[query.tolist()], n_results=fetch,
                                           include=["distances"], where=steer.where)
        hits = [ScoredItem(item_id, round((offset - float(distance)) / 2.0, 5))
                for item_id, distance in zip(found["ids"][0], found["distances"][0])
                if item_id not in excluded
                and (self._catalog is None or item_id in self._catalog)]
        return hits[:k]

    def _ensure(self, vectors: np.ndarray):
        """The collection, (re)written when missing, incomplete or from another model file."""
        versioned = VersionedCollection(self._client, self._name,
                                        {"model": self.fingerprint, **_LAYOUT},
                                        len(self.vocabulary), configuration={"hnsw": _HNSW})
        collection = versioned.current()
        if collection is not None:
            return collection
        log.info("collaborative model changed: writing %s", self._name)
        return versioned.rebuild(self._batches(vectors))

    def _batches(self, vectors: np.ndarray) -> Iterator[Batch]:
        for start in range(0, len(self.vocabulary), _BATCH):
            ids = self.vocabulary[start : start + _BATCH]
            yield Batch(ids, vectors[start : start + _BATCH], [self._metadata(i) for i in ids])

    def _metadata(self, item_id: str) -> dict:
        """The item's filterable facts when the catalog has it (for ``Steering.where``)."""
        if isinstance(self._catalog, Catalog) and item_id in self._catalog:
            return item_metadata(self._catalog.get(item_id))
        return {"item": item_id}


def load_collaborative(client, folder: Path, domain: str,
                       catalog: Container[str]) -> CollaborativeRetriever | None:
    """The domain's trained collaborative retriever (items outside ``catalog`` never
    returned), or ``None`` when ``folder`` holds no trained model."""
    if model_file(folder) is None:
        log.info("no collaborative model for %s in %s: content retrieval only", domain, folder)
        return None
    return CollaborativeRetriever(client, folder, domain, catalog)


def _read_model(weights: Path) -> tuple[SASRecNumpy | LRURecNumpy, list[str], dict]:
    """The model whose weights file is ``weights`` (``model_file``), as served (numpy). A
    SASRec saved before its numpy weights were written beside it (``sasrec.save_model`` writes
    both) is converted once, with torch."""
    folder = weights.parent
    if weights.name == MODEL_FILES["lrurec"]:
        return LRURecNumpy.load(folder)
    if (folder / "sasrec.pt").is_file() and not (folder / WEIGHTS_FILE).is_file():
        from recommender.collaborative.sasrec import export_numpy, load_model

        log.info("writing the numpy weights of %s (once)", folder)
        export_numpy(load_model(folder)[0], folder)
    return SASRecNumpy.load(folder)


def _untrained(folder: Path, dataset: str) -> RecommenderError:
    return RecommenderError(f"No trained model in {folder}. Train one first: "
                            f"python -m recommender train --dataset {dataset}")
