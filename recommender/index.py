"""The vector index: one Chroma collection per catalog, on disk, through langchain-chroma.

A collection records the catalog's fingerprint and the embedder's name; when either differs
from what is asked for, the collection is dropped and rebuilt (with a progress bar).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from .catalog import Catalog, Item
from .errors import IndexUnavailableError

__all__ = ["ItemIndex", "ScoredItem", "open_client", "open_memory_client", "item_metadata"]

log = logging.getLogger(__name__)

_BATCH = 256


@dataclass(frozen=True)
class ScoredItem:
    """A retrieved item id and its cosine similarity to the query."""

    item_id: str
    score: float


def open_client(index_dir: Path, server_url: str = ""):
    """The Chroma store: a client of the server at ``server_url`` when one is named, else a
    persistent client in ``index_dir``. Telemetry is off either way."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if server_url:
        return _server_client(server_url)
    index_dir.mkdir(parents=True, exist_ok=True)

    def persistent():
        return chromadb.PersistentClient(path=str(index_dir),
                                         settings=ChromaSettings(anonymized_telemetry=False))

    try:
        return persistent()
    except Exception as exc:  # chromadb's InternalError for a file that is not a database
        # chromadb keeps the half-started store of a failed open and would hand it out again
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(index_dir), None)
        aside = set_damaged_store_aside(index_dir)
        log.warning("the index in %s could not be opened (%s); moved it to %s and building it "
                    "again", index_dir, exc, aside)
        return persistent()


_STORE_PART = re.compile(r"chroma\.sqlite3.*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def set_damaged_store_aside(index_dir: Path) -> Path:
    """Move Chroma's files (the SQLite database and the segment folders) out of ``index_dir``
    into ``damaged-<UTC time>/`` inside it, so that a fresh store can be built there. Nothing is
    deleted, and the trained models kept beside the index (``sasrec-*``) stay where they are."""
    aside = index_dir / f"damaged-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
    aside.mkdir()
    for part in index_dir.iterdir():
        if _STORE_PART.fullmatch(part.name):
            part.rename(aside / part.name)
    return aside


def _server_client(url: str):
    """A client of the Chroma server at ``url`` (``http://host:port``), checked to answer."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IndexUnavailableError(
            f"RECOMMENDER_CHROMA_URL={url!r} is not an http(s) address; write it like "
            "http://localhost:8000.")
    try:
        client = chromadb.HttpClient(
            host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 80),
            ssl=parts.scheme == "https", settings=ChromaSettings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as exc:  # chromadb raises plain Exception/ValueError for connection errors
        raise IndexUnavailableError(
            f"The Chroma server at {url} does not answer ({exc}). Start it (chroma run --path "
            "DIR --port PORT), or unset RECOMMENDER_CHROMA_URL to keep the index on this "
            "machine in RECOMMENDER_INDEX_DIR.") from exc
    log.info("vector store: Chroma server at %s", url)
    return client


def open_memory_client():
    """An in-memory Chroma client (uploaded catalogs: nothing of them reaches the disk)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


class ItemIndex:
    """Item vectors of one catalog in a Chroma collection."""

    def __init__(self, client, catalog: Catalog, embedder: Embeddings, embedder_name: str) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self._client = client
        self._name = f"items-{catalog.domain}"
        self._wanted = {
            "fingerprint": catalog.fingerprint(),
            "embedder": embedder_name,
            "count": len(catalog),
        }
        self._store: Chroma | None = None

    # -- building -------------------------------------------------------------------------

    def ensure(self, progress: bool = True) -> bool:
        """Open the collection, building it first when missing or stale. True if it was built."""
        if self._is_current():
            self._store = self._open()
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
            first = self.store.get(limit=1, include=["embeddings"])
            self.store._collection.query(query_embeddings=[first["embeddings"][0]], n_results=1)
            return True
        except Exception as exc:
            log.warning("searching %s failed: %s", self._name, exc)
            return False

    def rebuild(self, progress: bool = True) -> None:
        """Drop the collection and embed every item again."""
        existing = {c.name for c in self._client.list_collections()}
        if self._name in existing:
            log.info("rebuilding %s", self._name)
            self._client.delete_collection(self._name)
        store = self._open(metadata={**self._wanted, "complete": False})
        items = self.catalog.items
        bar = tqdm(total=len(items), desc=f"Indexing {self.catalog.domain}", unit="item",
                   disable=not progress)
        # Embedding is ~90% of the work; Chroma writes one batch while the next is embedded.
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            for start in range(0, len(items), _BATCH):
                batch = items[start : start + _BATCH]
                texts = [item.document() for item in batch]
                vectors = self.embedder.embed_documents(texts)
                if pending is not None:
                    pending.result()
                pending = writer.submit(
                    store._collection.upsert, ids=[item.item_id for item in batch],
                    embeddings=vectors, documents=texts, metadatas=[item_metadata(i) for i in batch])
                bar.update(len(batch))
            if pending is not None:
                pending.result()
        bar.close()
        # Marked complete only at the end, so an interrupted build is redone on the next start.
        store._collection.modify(metadata={**self._wanted, "complete": True})
        self._store = store

    def drop(self) -> None:
        """Delete the collection (an uploaded catalog's, when its session ends)."""
        if self._name in {c.name for c in self._client.list_collections()}:
            self._client.delete_collection(self._name)
        self._store = None

    def _is_current(self) -> bool:
        existing = {c.name for c in self._client.list_collections()}
        if self._name not in existing:
            return False
        collection = self._client.get_collection(self._name)
        meta = collection.metadata or {}
        same = all(meta.get(key) == value for key, value in self._wanted.items())
        return same and meta.get("complete") is True and collection.count() == len(self.catalog)

    def _open(self, metadata: dict | None = None) -> Chroma:
        return Chroma(
            collection_name=self._name,
            embedding_function=self.embedder,
            client=self._client,
            collection_metadata=metadata,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )

    # -- querying -------------------------------------------------------------------------

    @property
    def embedder_name(self) -> str:
        return str(self._wanted["embedder"])

    @property
    def store(self) -> Chroma:
        if self._store is None:
            raise RuntimeError("ItemIndex.ensure() must run before queries")
        return self._store

    def vectors(self, item_ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of these items, in the given order."""
        if not item_ids:
            return np.zeros((0, 0), dtype=np.float32)
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
        hits = self.store.similarity_search_by_vector_with_relevance_scores(
            embedding=[float(x) for x in vector], k=fetch, filter=where
        )
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
