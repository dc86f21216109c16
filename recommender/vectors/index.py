"""The vector index: one Chroma collection per catalog, searched through langchain-chroma.

The collection is versioned (``store.VersionedCollection``) by the catalog's fingerprint and the
embedder's name; when either differs from what is asked for, it is rebuilt (with a progress
bar), through chromadb's own API, which takes batches of precomputed vectors: those shipped with
the code where an item's text is as shipped (``shipped``), the embedder's for the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from recommender.catalog import Catalog, Item
from recommender.vectors.shipped import ShippedVectors
from recommender.vectors.store import Batch, VersionedCollection, store_answering

__all__ = ["ItemIndex", "ScoredItem", "item_metadata"]

log = logging.getLogger(__name__)

_EMBED_BATCH = 256
"""Items embedded at once; a batch that had to embed is written as soon as it is ready, so the
progress bar moves with the embedding."""
_WRITE_BATCH = 2048
"""Items written to Chroma at once when their vectors were shipped: fewer, larger writes."""
_NO_TEXT = ""
"""The document stored with each item. Nothing reads an item's text back from Chroma (the catalog
holds it, the collection's fingerprint names it), and Chroma's full-text index of the texts was
about 40% of a first start (7.5 of 22.6 s for both catalogs, two cores); langchain-chroma skips
results whose document is None, so the text kept is empty."""


@dataclass(frozen=True)
class ScoredItem:
    """A retrieved item id and its cosine similarity to the query."""

    item_id: str
    score: float


class ItemIndex:
    """Item vectors of one catalog in a Chroma collection."""

    def __init__(self, client, catalog: Catalog, embedder: Embeddings, embedder_name: str,
                 shipped_dir: Path | None = None) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.embedder_name = embedder_name
        self.shipped_dir = shipped_dir
        """Where vectors shipped with the code lie (``shipped``): a build reads them and takes
        those that fit instead of embedding; a start that finds its index current never
        reads them."""
        self.embedded = 0
        """Items the last build embedded (the rest came from ``shipped``)."""
        self._client = client
        self._name = f"items-{catalog.domain}"
        self._versioned = VersionedCollection(
            client, self._name, {"fingerprint": catalog.fingerprint(), "embedder": embedder_name},
            len(catalog), configuration={"hnsw": {"space": "cosine"}})
        self._collection = None
        self._store: Chroma | None = None

    # -- building -------------------------------------------------------------------------

    def ensure(self, progress: bool = True) -> bool:
        """Open the collection, building it first when missing or stale. True if it was built."""
        collection = self._versioned.current()
        if collection is not None:
            self._collection, self._store = collection, self._open()
            if self._answers():
                log.info("index %s is current (%d items)", self._name, len(self.catalog))
                return False
            log.warning("index %s cannot be searched: building it again", self._name)
        self.rebuild(progress=progress)
        return True

    def _answers(self) -> bool:
        """Whether a search of the collection works: its vector files may be damaged even
        when its records are intact."""
        try:
            first = self._collection.get(limit=1, include=["embeddings"])
            self._collection.query(query_embeddings=[first["embeddings"][0]], n_results=1)
            return True
        except Exception as exc:
            log.warning("searching %s failed: %s", self._name, exc)
            return False

    def rebuild(self, progress: bool = True) -> None:
        """Drop the collection and embed every item again."""
        bar = tqdm(total=len(self.catalog), desc=f"Indexing {self.catalog.domain}", unit="item",
                   disable=not progress)
        self._collection = self._versioned.rebuild(self._batches(),
                                                   on_batch=lambda b: bar.update(len(b.ids)))
        bar.close()
        log.info("built %s: %d items from shipped vectors, %d embedded", self._name,
                 len(self.catalog) - self.embedded, self.embedded)
        self._store = self._open()

    def _batches(self) -> Iterator[Batch]:
        items = self.catalog.items
        self.embedded = 0
        shipped = None if self.shipped_dir is None else \
            ShippedVectors.for_catalog(self.catalog, self.shipped_dir)
        ready: list[Item] = []
        vectors: list[np.ndarray] = []
        for start in range(0, len(items), _EMBED_BATCH):
            chunk = items[start : start + _EMBED_BATCH]
            known = shipped.matching(chunk, self.embedder_name) if shipped else {}
            missing = [n for n, item in enumerate(chunk) if item.item_id not in known]
            embedded = iter(self.embedder.embed_documents([chunk[n].document() for n in missing])
                            if missing else [])
            self.embedded += len(missing)
            ready.extend(chunk)
            vectors.extend(known[item.item_id] if item.item_id in known else next(embedded)
                           for item in chunk)
            if missing or len(ready) >= _WRITE_BATCH or start + _EMBED_BATCH >= len(items):
                yield Batch([item.item_id for item in ready], np.asarray(vectors, dtype=np.float32),
                            [item_metadata(i) for i in ready], [_NO_TEXT] * len(ready))
                ready, vectors = [], []

    def drop(self) -> None:
        """Delete the collection (an uploaded catalog's, when its session ends)."""
        self._versioned.drop()
        self._collection = self._store = None

    def _open(self) -> Chroma:
        """langchain-chroma's view of the collection, for searching it."""
        return Chroma(collection_name=self._name, embedding_function=self.embedder,
                      client=self._client)

    # -- querying -------------------------------------------------------------------------

    @property
    def store(self) -> Chroma:
        if self._store is None:
            raise RuntimeError("ItemIndex.ensure() must run before queries")
        return self._store

    def vectors(self, item_ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of these items, in the given order."""
        if not item_ids:
            return np.zeros((0, 0), dtype=np.float32)
        with store_answering():
            got = self.store.get(ids=list(item_ids), include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        return np.asarray([by_id[i] for i in item_ids if i in by_id], dtype=np.float32)

    def embed_text(self, text: str) -> np.ndarray:
        """Embed a free-text query (a profile, say) with the index's embedder."""
        return np.asarray(self.embedder.embed_query(text), dtype=np.float32)

    def search(self, vector: np.ndarray, k: int, exclude: Iterable[str] = (),
               where: dict | None = None) -> list[ScoredItem]:
        """The ``k`` nearest items to ``vector`` that match the Chroma filter ``where``,
        skipping ``exclude``."""
        excluded = set(exclude)
        fetch = min(len(self.catalog), k + len(excluded))
        if fetch <= 0:
            return []
        with store_answering():
            hits = self.store.similarity_search_by_vector_with_relevance_scores(
                embedding=[float(x) for x in vector], k=fetch, filter=where)
        out = []
        for document, distance in hits:
            if document.id in excluded or document.id not in self.catalog:
                continue
            out.append(ScoredItem(document.id, round(1.0 - float(distance), 6)))
        return out[:k]


def item_metadata(item: Item) -> dict:
    """What a ``where`` filter can test (see ``constraints.Constraints.where``)."""
    meta: dict[str, object] = {"title": item.title}
    if item.year:
        meta["year"] = item.year
    for genre in item.genres:
        meta[f"genre:{genre}"] = True
    return meta
