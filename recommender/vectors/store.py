"""The Chroma store: which client (a folder on disk, a server, or memory), and the versioned
collection both indexes use (the catalog's item vectors, the collaborative model's).

A versioned collection records what it was built from (a fingerprint, a count, a layout) and
whether its build finished; when either differs from what is wanted it is dropped and written
again, batch by batch, and marked complete only at the end, so an interrupted build is redone
on the next start. Everything here is chromadb's public API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from recommender.errors import IndexUnavailableError, RecommenderError

__all__ = ["open_client", "open_memory_client", "set_damaged_store_aside", "Batch",
           "VersionedCollection", "store_answering"]

log = logging.getLogger(__name__)


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
        # chromadb caches the half-started store of a failed open and would hand it out again;
        # its public cache reset forgets it (clients already open keep their own stores).
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
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


@contextmanager
def store_answering() -> Iterator[None]:
    """Queries of the vector store within: a store that fails (a Chroma server that is down,
    restarting or refusing) is an :class:`IndexUnavailableError` a visitor can act on, and the
    conversation is left as it was."""
    try:
        yield
    except RecommenderError:
        raise
    except Exception as exc:  # chromadb raises httpx's, sqlite's and its own errors
        log.error("the vector store failed: %s: %s", type(exc).__name__, exc)
        raise IndexUnavailableError(
            "The vector index (the Chroma store) did not answer, so nothing could be "
            "retrieved. Your conversation is kept: send your message again in a minute; if it "
            "keeps failing, tell whoever runs this app.") from exc


def open_memory_client():
    """An in-memory Chroma client (uploaded catalogs: nothing of them reaches the disk)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


@dataclass(frozen=True)
class Batch:
    """Records to add: ids with their vectors, and optionally documents and metadata."""

    ids: list[str]
    embeddings: object
    metadatas: list[dict] | None = None
    documents: list[str] | None = None


@dataclass
class VersionedCollection:
    """A Chroma collection that is rebuilt whenever it was built from something else."""

    client: object
    name: str
    built_from: Mapping[str, object]
    """What the collection must have been built from (compared with its metadata)."""
    count: int
    """How many records a complete collection holds."""
    configuration: dict = field(default_factory=dict)

    @property
    def wanted(self) -> dict[str, object]:
        return {**self.built_from, "count": self.count}

    def exists(self) -> bool:
        return self.name in {c.name for c in self.client.list_collections()}

    def current(self):
        """The collection when it is complete, built from what is wanted and holding
        ``count`` records; ``None`` otherwise."""
        if not self.exists():
            return None
        collection = self.client.get_collection(self.name)
        meta = collection.metadata or {}
        same = all(meta.get(key) == value for key, value in self.wanted.items())
        complete = same and meta.get("complete") is True and collection.count() == self.count
        return collection if complete else None

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.name)

    def rebuild(self, batches: Iterable[Batch],
                on_batch: Callable[[Batch], None] = lambda batch: None):
        """Drop the collection and write it again from ``batches``, one batch written while
        the next is made (embedding is most of the work); returns the new collection."""
        if self.exists():
            log.info("rebuilding %s", self.name)
            self.drop()
        collection = self.client.create_collection(
            self.name, metadata={**self.wanted, "complete": False},
            configuration=self.configuration)
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            for batch in batches:
                if pending is not None:
                    pending.result()
                pending = writer.submit(collection.add, ids=batch.ids,
                                        embeddings=batch.embeddings, metadatas=batch.metadatas,
                                        documents=batch.documents)
                on_batch(batch)
            if pending is not None:
                pending.result()
        collection.modify(metadata={**self.wanted, "complete": True})
        return collection
