"""The collaborative model's life outside training: fit it on a data set's interactions, keep it
beside the index, store its item vectors in Chroma, and retrieve by the user's vector.

SASRec scores an item by the dot product of its embedding with the user's last hidden state, so
the item embeddings go into a Chroma collection (augmented so that L2 nearness is dot-product
order, see ``augment_items``) and a user's vector is the query. The collection records which trained model it holds and is refreshed when the model
is retrained.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from collections.abc import Container, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import RecommenderError
from .catalog import Catalog
from .index import ScoredItem, item_metadata
from .interactions import DATASETS, leave_one_out, load_sequences
from .retrieval import AVOID_WEIGHT, Steering, unit
from .sasrec import SASRecConfig, write_atomically, load_model, pad_left, save_model, train_sasrec

__all__ = ["TRAINING", "augment_items", "model_dir", "find_model_dir", "fit", "CollaborativeRetriever", "load_collaborative",
           "dataset_of", "validation_curve", "tuning_dir", "FusionWeights", "load_fusion_weights", "save_fusion_weights"]

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


SHIPPED_MODELS = Path(__file__).resolve().parent.parent / "assets" / "models"
"""Models trained with `python -m recommender train` and committed, so a fresh checkout
retrieves collaboratively without training first."""


TRAINING: dict[str, SASRecConfig] = {
    # Full-softmax cross-entropy. MovieLens: 610 long sequences cut into windows of 200, so
    # small batches and many epochs (110: best validation NDCG@10 of 10..150), and dropout 0.5
    # (validation NDCG@10 .0593 against .0560 at 0.2; see
    # docs/results/movielens-validation-curve.txt); Beauty: 22,363 short ones in length-
    # trimmed batches, 35 epochs (best validation NDCG@10 of 5..40, see
    # docs/results/beauty-validation-curve.txt), within 15 minutes on two cores.
    "movielens": SASRecConfig(max_len=200, epochs=110, batch_size=32, negatives=0, dropout=0.5),
    "beauty": SASRecConfig(max_len=50, epochs=35, batch_size=128, negatives=0),
}
"""Default training settings per data set (see docs/evaluation.md for how they were chosen)."""


def model_dir(index_dir: Path, dataset: str) -> Path:
    """Where ``train`` saves a data set's model: beside the vector index."""
    return index_dir / f"sasrec-{dataset}"


def find_model_dir(index_dir: Path, dataset: str, collaborative_dir: Path | None) -> Path:
    """The folder to load a data set's model from: ``collaborative_dir`` when set; otherwise
    the index folder's when it has one, else the shipped one."""
    if collaborative_dir is not None:
        return model_dir(collaborative_dir, dataset)
    trained = model_dir(index_dir, dataset)
    return trained if (trained / "sasrec.pt").is_file() else model_dir(SHIPPED_MODELS, dataset)


@dataclass(frozen=True)
class FusionWeights:
    """How the app mixes its scores, chosen on validation users by ``evaluate --save-weights``.

    The defaults are used until that has run for a data set."""

    collaborative: float = 0.8
    """Collaborative share of hybrid retrieval (the rest is content)."""
    llm: float = 1.0
    """LLM share of the final order (the rest is retrieval order)."""


def load_fusion_weights(folder: Path) -> FusionWeights:
    """The weights saved in a model folder, or the defaults."""
    path = folder / "fusion.json"
    if not path.is_file():
        return FusionWeights()
    try:
        data = json.loads(path.read_text())
        return FusionWeights(collaborative=float(data["collaborative"]), llm=float(data["llm"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecommenderError(
            f"{path} cannot be read ({exc}). Delete it to use the default weights, or write it "
            "again with python -m recommender evaluate ... --save-weights.") from exc


def save_fusion_weights(folder: Path, weights: FusionWeights, meta: dict) -> None:
    write_atomically(folder / "fusion.json",
                     (json.dumps({**asdict(weights), **meta}, indent=1) + "\n").encode())


def dataset_of(domain: str) -> str | None:
    """The interaction data set whose ids a catalog domain uses, if any."""
    return next((name for name, d in DATASETS.items() if d == domain), None)


def fit(dataset: str, data_dir: Path, index_dir: Path, config: SASRecConfig,
        users: int | None = None, progress: bool = True, for_tuning: bool = False) -> dict:
    """Train on every user's sequence without its test item (so evaluation never sees it) and
    save beside the index. ``for_tuning`` holds out the validation items too and saves to
    ``tuning_dir``: the model ``evaluate --tune-on validation`` chooses weights with.

    ``users`` keeps only the first N users: the small-data mode the tests use."""
    splits = leave_one_out(load_sequences(dataset, data_dir))[:users]
    vocabulary = sorted({i for s in splits for i in (*s.history, s.validation, s.test)})
    ids = {item: n + 1 for n, item in enumerate(vocabulary)}
    sequences = [[ids[i] for i in (s.history if for_tuning else (*s.history, s.validation))]
                 for s in splits]
    started = time.perf_counter()
    model = train_sasrec(sequences, len(vocabulary), config, progress=progress)
    meta = {"dataset": dataset, "users": len(splits), "train_seconds": round(
        time.perf_counter() - started, 1),
        "held_out": "validation and test items" if for_tuning else "test items"}
    folder = model_dir(index_dir, dataset)
    save_model(model, vocabulary, tuning_dir(folder) if for_tuning else folder, meta)
    return meta


def tuning_dir(folder: Path) -> Path:
    """Where the validation-held-out twin of the model in ``folder`` lives."""
    return folder.parent / f"{folder.name}-tuning"


def validation_curve(dataset: str, data_dir: Path, config: SASRecConfig, every: int,
                     users: int | None = None, progress: bool = True) -> list[dict]:
    """Choose the number of epochs without touching test items: train on every user's history
    alone and, every ``every`` epochs, rank each user's validation item among all items not in
    their history. Returns ``{"epoch", "HR@10", "NDCG@10"}`` rows."""
    splits = leave_one_out(load_sequences(dataset, data_dir))[:users]
    vocabulary = sorted({i for s in splits for i in (*s.history, s.validation, s.test)})
    ids = {item: n + 1 for n, item in enumerate(vocabulary)}
    histories = [[ids[i] for i in s.history] for s in splits]
    answers = torch.tensor([ids[s.validation] for s in splits])
    curve: list[dict] = []

    def score(model, epoch: int) -> None:
        if epoch % every and epoch != config.epochs:
            return
        hits = gains = 0.0
        for start in range(0, len(histories), 256):
            chunk = histories[start : start + 256]
            inputs = torch.tensor([pad_left(h, config.max_len) for h in chunk])
            scores = model.user_vectors(inputs) @ model.items.weight.detach().T
            scores[:, 0] = float("-inf")
            for row, history in enumerate(chunk):
                scores[row, history] = float("-inf")
            target = scores.gather(1, answers[start : start + 256, None])
            # ties count against the answer, and a score that is not a number misses
            ranks = (scores >= target).sum(dim=1) - 1
            ranks[torch.isnan(target[:, 0])] = len(vocabulary)
            hits += float((ranks < 10).sum())
            gains += float(((ranks < 10) / torch.log2(ranks.float() + 2)).sum())
        curve.append({"epoch": epoch, "HR@10": hits / len(histories),
                      "NDCG@10": gains / len(histories)})
        log.info("epoch %d: validation HR@10 %.4f", epoch, curve[-1]["HR@10"])

    train_sasrec([h for h in histories if h], len(vocabulary), config, progress=progress,
                 on_epoch=score)
    return curve


class CollaborativeRetriever:
    """A trained SASRec and its item vectors in a Chroma collection (inner product).

    The collection holds augmented vectors (``augment_items``) in L2 space, so its nearest
    neighbours are the largest dot products. ``retrieve`` returns the items with the largest dot
    product with the user's vector; items
    the model never saw in training have no vector and are never returned (content retrieval
    covers them)."""

    def __init__(self, client, folder: Path, name: str,
                 catalog: Container[str] | None = None) -> None:
        dataset = folder.name.removeprefix("sasrec-")
        try:
            self.model, self.vocabulary, self.meta = load_model(folder)
        except FileNotFoundError:
            raise RecommenderError(
                f"No trained model in {folder}. Train one first: python -m recommender train "
                f"--dataset {dataset}") from None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError,
                pickle.UnpicklingError) as exc:
            log.warning("cannot read the model in %s: %s", folder, exc)
            raise RecommenderError(
                f"The trained model in {folder} cannot be read ({type(exc).__name__}). Train it "
                f"again: "
                f"python -m recommender train --dataset {dataset}, or point "
                "RECOMMENDER_COLLABORATIVE_DIR at a folder without it for content retrieval "
                "only.") from exc
        self._ids = {item: n + 1 for n, item in enumerate(self.vocabulary)}
        self._catalog = catalog
        self._client = client
        self._name = f"collab-{name}"
        self._fingerprint = _file_digest(folder / "sasrec.pt")
        vectors, self._top = augment_items(self.model.items.weight.detach()[1:].numpy())
        self._collection = self._ensure(vectors)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._ids

    def user_vector(self, history_ids: Sequence[str]) -> np.ndarray | None:
        """The model's vector for a user who interacted with these items (oldest first), or
        ``None`` when it knows none of them."""
        known = [self._ids[i] for i in history_ids if i in self._ids]
        if not known:
            return None
        sequence = torch.tensor([pad_left(known, self.model.config.max_len)])
        return self.model.user_vectors(sequence)[0].numpy()

    def retrieve(self, history_ids: Sequence[str], k: int,
                 exclude: Iterable[str] | None = None,
                 steer: Steering | None = None) -> list[ScoredItem]:
        """The ``k`` items scored highest for this history, never one of ``exclude`` (by
        default the history itself). Scores are dot products. ``steer`` filters by metadata,
        reads the focus item as the newest of the history, and moves the user's vector away
        from disliked items."""
        steer = steer or Steering()
        sequence = [*history_ids, steer.focus] if steer.focus else list(history_ids)
        vector = self.user_vector(sequence)
        if vector is None or k <= 0:
            return []
        avoid = [self._ids[i] for i in steer.avoid if i in self._ids]
        if avoid:
            away = self.model.items.weight.detach()[avoid].numpy().mean(axis=0)
            vector = vector - AVOID_WEIGHT * float(np.linalg.norm(vector)) * unit(away)
        excluded = set(history_ids if exclude is None else exclude)
        fetch = min(len(self.vocabulary), k + len(excluded))
        query = np.append(vector, 0.0).astype(np.float32)
        offset = float((vector.astype(np.float64) ** 2).sum()) + self._top
        found = self._collection.query(query_embeddings=[query.tolist()], n_results=fetch,
                                       include=["distances"], where=steer.where)
        hits = [ScoredItem(item_id, round((offset - float(distance)) / 2.0, 5))
                for item_id, distance in zip(found["ids"][0], found["distances"][0])
                if item_id not in excluded
                and (self._catalog is None or item_id in self._catalog)]
        return hits[:k]

    def _ensure(self, vectors: np.ndarray):
        """The collection, (re)written when missing, incomplete or from another model file."""
        wanted = {"model": self._fingerprint, "count": len(self.vocabulary), **_LAYOUT}
        existing = {c.name for c in self._client.list_collections()}
        if self._name in existing:
            collection = self._client.get_collection(self._name)
            meta = collection.metadata or {}
            if all(meta.get(k) == v for k, v in wanted.items()) and meta.get("complete") is True \
                    and collection.count() == len(self.vocabulary):
                return collection
            log.info("collaborative model changed: rewriting %s", self._name)
            self._client.delete_collection(self._name)
        collection = self._client.create_collection(
            self._name, metadata={**wanted, "complete": False},
            configuration={"hnsw": _HNSW})
        for start in range(0, len(self.vocabulary), _BATCH):
            ids = self.vocabulary[start : start + _BATCH]
            collection.upsert(ids=ids, embeddings=vectors[start : start + _BATCH],
                              metadatas=[self._metadata(i) for i in ids])
        collection.modify(metadata={**wanted, "complete": True})
        return collection


    def _metadata(self, item_id: str) -> dict:
        """The item's filterable facts when the catalog has it (for ``Steering.where``)."""
        if isinstance(self._catalog, Catalog) and item_id in self._catalog:
            return item_metadata(self._catalog.get(item_id))
        return {"item": item_id}


def load_collaborative(client, folder: Path, domain: str,
                       catalog: Container[str]) -> CollaborativeRetriever | None:
    """The domain's trained collaborative retriever (items outside ``catalog`` never
    returned), or ``None`` when ``folder`` holds no trained model."""
    if not (folder / "sasrec.pt").is_file():
        log.info("no collaborative model for %s in %s: content retrieval only", domain, folder)
        return None
    return CollaborativeRetriever(client, folder, domain, catalog)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]
